/**
 * A real store with one run in it, and fake step contexts whose `ctx.artifacts` is the engine's
 * implementation over that store: for the image and attach step tests.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import type { ProviderRegistry } from "../../src/agents/provider.js";
import type { JsonObject } from "../../src/core/json.js";
import { createStepArtifacts } from "../../src/engine/step-artifacts.js";
import { type TestEnv, testEnv, wf } from "../helpers/engine.js";
import { type FakeContext, fakeContext } from "./helpers.js";

export interface ArtifactEnv {
  env: TestEnv;
  runId: string;
  /** A context for step run `stepId` (attempt `attempt`), its artifacts stored in the run. */
  context(opts?: { stepId?: string; attempt?: number; args?: JsonObject; providers?: ProviderRegistry }): FakeContext;
  /** Every file under the run's artifact folder (relative to it). */
  files(): string[];
  cleanup(): Promise<void>;
}

export async function artifactEnv(): Promise<ArtifactEnv> {
  const env = testEnv();
  const { run } = await env.engine.launch(wf("name: artifacts\nsteps:\n  - id: hero\n    type: noop\n"));
  const dir = join(env.dir, "runs", run.id, "artifacts");
  return {
    env,
    runId: run.id,
    context(opts = {}) {
      const stepId = opts.stepId ?? "hero";
      const artifacts = createStepArtifacts({
        store: env.store,
        dataDir: env.dir,
        runId: run.id,
        projectId: run.projectId,
        stepKey: stepId,
        idempotencyKey: `${run.id}:${stepId}:0`,
        now: () => 1_700_000_000_000,
      });
      return fakeContext({
        stepId,
        attempt: opts.attempt,
        args: opts.args,
        providers: opts.providers,
        artifacts,
        logDir: join(env.dir, "runs", run.id, "logs", stepId),
      });
    },
    files: () =>
      existsSync(dir)
        ? readdirSync(dir, { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile())
            .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
            .sort()
        : [],
    cleanup: () => env.cleanup(),
  };
}
