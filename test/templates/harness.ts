/**
 * Runs a template end to end with the offline mock provider, the way a user would: the file is loaded and
 * validated like `weft run <file>` loads it, the run executes on a real SQLite store, approval steps are
 * decided by `decide` (default: approve) as they come up, and the run's final record and steps are returned.
 */
import { readFileSync } from "node:fs";
import type { MockFixture } from "../../src/agents/mock/index.js";
import { createMockProvider } from "../../src/agents/mock/index.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import type { JsonObject } from "../../src/core/json.js";
import type { RunRecord, StepRunRecord, Workflow } from "../../src/core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../src/core/model.js";
import { parseWorkflow } from "../../src/definition/index.js";
import { isTypeScriptWorkflowFile, loadTypeScriptWorkflow } from "../../src/definition/typescript/load.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { type TestEnv, testEnv } from "../helpers/engine.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

/** A template file's workflow, with its validation issues (errors and warnings). */
export async function loadTemplate(file: string) {
  if (isTypeScriptWorkflowFile(file)) {
    const { definition, workflow, warnings } = await loadTypeScriptWorkflow(file, { stepTypes });
    return { workflow, code: definition, issues: warnings };
  }
  const text = readFileSync(file, "utf8");
  const { workflow, issues } = parseWorkflow(text, {
    file,
    format: file.endsWith(".json") ? "json" : "yaml",
    stepTypes,
  });
  const errors = issues.filter((i) => i.severity === "error");
  if (!workflow || errors.length) {
    throw new Error(
      `${file} does not validate:\n${errors.map((i) => `${i.location.line}:${i.location.column} ${i.message}`).join("\n")}`,
    );
  }
  return { workflow: workflow as Workflow, code: undefined, issues };
}

export interface TemplateRun {
  run: RunRecord;
  steps: Map<string, StepRunRecord>;
  /** Approval steps in the order they were decided. */
  decided: string[];
  env: TestEnv;
}

export interface RunTemplateOptions {
  args?: JsonObject;
  /** Scripted mock answers (docs/agents.md, "The mock provider"): force a branch or a failure. */
  fixtures?: MockFixture;
  /** What a person decides at each approval step. Default: approve. */
  decide?: (key: string) => "approve" | "reject";
  timeoutMs?: number;
}

/** Runs the template to its end (completed, failed or cancelled). Call `env.cleanup()` after (or use `withTemplateRun`). */
export async function runTemplate(file: string, o: RunTemplateOptions = {}): Promise<TemplateRun> {
  const { workflow, code } = await loadTemplate(file);
  const env = testEnv({
    providers: createProviderRegistry({ mock: createMockProvider(o.fixtures ? { fixtures: o.fixtures } : {}) }),
  });
  const decided: string[] = [];
  try {
    const { run } = await env.engine.launch(code ?? workflow, { args: o.args ?? {}, ...(code ? { code } : {}) });
    const done = env.engine.execute(run.id);
    const deadline = Date.now() + (o.timeoutMs ?? 30_000);
    let final: RunRecord | undefined;
    void done.then((r) => {
      final = r;
    });
    while (final === undefined) {
      if (Date.now() > deadline) throw new Error(`${file}: the run did not end in time`);
      const steps = await env.store.steps.list(run.id);
      for (const s of steps) {
        if (s.status === "waiting" && s.waitingFor === "approval" && !decided.includes(s.key)) {
          decided.push(s.key);
          const d = o.decide?.(s.key) ?? "approve";
          if (d === "approve") await env.engine.approve(run.id, s.key, { by: "test" });
          else await env.engine.reject(run.id, s.key, { by: "test", comment: "rejected in a test" });
        }
      }
      await new Promise((r) => setTimeout(r, 20));
      const current = await env.store.runs.get(run.id);
      if (current && TERMINAL_RUN_STATUSES.has(current.status)) final = await done;
    }
    const steps = new Map((await env.store.steps.list(run.id)).map((s) => [s.key, s]));
    await env.engine.flush(); // the run's log files, which checks read
    return { run: final, steps, decided, env };
  } catch (err) {
    await env.cleanup();
    throw err;
  }
}

/** runTemplate, then `check`, then the environment is cleaned up whatever happened. */
export async function withTemplateRun(
  file: string,
  o: RunTemplateOptions,
  check: (r: TemplateRun) => Promise<void> | void,
): Promise<void> {
  const r = await runTemplate(file, o);
  try {
    await check(r);
  } finally {
    await r.env.cleanup();
  }
}
