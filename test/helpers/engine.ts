import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Workflow } from "../../src/core/model.js";
import { parseWorkflow } from "../../src/definition/index.js";
import type { Engine, EngineOptions } from "../../src/engine/engine.js";
import { createEngine } from "../../src/engine/engine.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";

export interface TestEnv {
  dir: string;
  dbPath: string;
  store: Store;
  engine: Engine;
  /** Another engine on its own connection: another "process" on the same store. */
  other(opts?: Partial<EngineOptions>): Engine;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = "weft-test-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function testEnv(opts: Partial<EngineOptions> = {}): TestEnv {
  const dir = tempDir();
  const dbPath = join(dir, "weft.db");
  const stores: Store[] = [];
  const engines: Engine[] = [];
  const open = () => {
    const s = createSqliteStore({ path: dbPath, durability: "normal" });
    stores.push(s);
    return s;
  };
  const make = (o: Partial<EngineOptions>) => {
    const e = createEngine({ store: open(), dataDir: dir, projectPath: dir, pollMs: 20, ...opts, ...o });
    engines.push(e);
    return e;
  };
  const engine = make({});
  return {
    dir,
    dbPath,
    store: engine.store,
    engine,
    other: (o = {}) => make(o),
    async cleanup() {
      for (const e of engines) await e.close();
      for (const s of stores) await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

export function wf(yaml: string, file = "test.yaml"): Workflow {
  const { workflow, issues } = parseWorkflow(yaml, { file, stepTypes });
  const errors = issues.filter((i) => i.severity === "error");
  if (!workflow || errors.length)
    throw new Error(
      `invalid test workflow:\n${errors.map((i) => `${i.location.line}:${i.location.column} ${i.message}`).join("\n")}`,
    );
  return workflow;
}

export async function until(
  cond: () => Promise<boolean> | boolean,
  timeoutMs = 10_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
