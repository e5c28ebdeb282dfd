/**
 * Crash tests of the grouped write path with many runs in one process (src/engine/ARCHITECTURE.md, "The durable
 * path"): a script (the library from the build snapshot) launches 12 runs at once with idempotency keys and drives
 * them; it is killed with SIGKILL at the grouped creation, at a grouped lease take and at a run's end, then run
 * again. Every key must name one run, every run must complete with each step completed exactly once and its lease
 * given back, and no handler may have run before the commit that recorded its start.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { EventRecord } from "../../src/core/events.js";
import { buildSnapshot, type Exit, newScenario, removeBuildSnapshot, type Scenario, withStore } from "./helpers.js";

const RUNS = 12;

afterAll(() => removeBuildSnapshot());

/** The driving script: launches RUNS keyed runs of a 4-step workflow in one turn and executes them. */
const script = (dist: string) => `
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { parseWorkflow } from "${dist}/definition/index.js";
import { createEngine } from "${dist}/engine/engine.js";
import { faultsFromSpec } from "${dist}/engine/faults.js";
import { builtinStepTypes } from "${dist}/steps/builtin.js";
import { createSqliteStore } from "${dist}/store/sqlite/index.js";

const dataDir = process.argv[2];
const trace = join(dataDir, "..", "trace.log");
const functions = {
  mark: async (_input, ctx) => {
    appendFileSync(trace, \`\${ctx.runId} \${ctx.stepId} \${ctx.attempt} \${process.pid}\\n\`);
    return { pid: process.pid };
  },
};
const stepTypes = new Map(builtinStepTypes({ functions: new Map(Object.entries(functions)) }).map((t) => [t.type, t]));
const yaml = ["name: many", "mode: sequential", "steps:"];
for (const id of ["a", "b", "c", "d"]) yaml.push(\`  - { id: \${id}, type: function, function: mark }\`);
const { workflow } = parseWorkflow(yaml.join("\\n"), { file: "many.yaml", stepTypes });
const store = createSqliteStore({ path: join(dataDir, "weft.db") });
const engine = createEngine({
  store,
  dataDir,
  projectPath: dataDir,
  functions,
  faults: faultsFromSpec(process.env.WEFT_FAULT),
});
const runs = await Promise.all(
  Array.from({ length: ${RUNS} }, (_, i) =>
    engine.launch(workflow, { idempotencyKey: \`key-\${i}\`, args: {} }).then(({ run }) => engine.execute(run.id)),
  ),
);
console.log(runs.map((r) => r.status).join(" "));
await engine.close();
await store.close();
`;

function drive(s: Scenario, fault?: string): Promise<Exit & { pid: number }> {
  const env = { ...process.env };
  delete env.WEFT_FAULT;
  if (fault) env.WEFT_FAULT = fault;
  const child = spawn(process.execPath, [join(s.dir, "drive.mjs"), s.dataDir], { cwd: s.dir, env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, pid: child.pid ?? 0 });
    });
  });
}

/** Trace lines `<run> <step> <attempt> <pid>`: every time a handler ran. */
function readTrace(s: Scenario): Array<{ runId: string; step: string; attempt: number; pid: number }> {
  const file = join(s.dir, "trace.log");
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [runId = "", step = "", attempt, pid] = line.split(" ");
      return { runId, step, attempt: Number(attempt), pid: Number(pid) };
    });
}

async function verify(s: Scenario, killedPid: number): Promise<{ reruns: number }> {
  const stored = await withStore(s, async (store) => {
    const runs = await store.runs.list({ order: "oldest", limit: 100 });
    return Promise.all(
      runs.map(async (run) => ({
        run,
        attempts: await store.steps.attempts(run.id),
        events: await store.events.list(run.id),
      })),
    );
  });
  expect(stored.map((r) => r.run.idempotencyKey).sort(), `${s.label}: one run per key`).toEqual(
    Array.from({ length: RUNS }, (_, i) => `key-${i}`).sort(),
  );
  const trace = readTrace(s);
  let reruns = 0;
  for (const { run, attempts, events } of stored) {
    const label = `${s.label}, run ${run.id}`;
    expect(run.status, label).toBe("completed");
    expect(run.lease, `${label}: lease given back`).toBeNull();
    const completed = events.filter(
      (e): e is Extract<EventRecord, { type: "workflow.step.completed" }> => e.type === "workflow.step.completed",
    );
    expect(completed.map((e) => e.data.key).sort(), `${label}: one completion per step`).toEqual(["a", "b", "c", "d"]);
    for (const key of ["a", "b", "c", "d"]) {
      const done = attempts.filter((a) => a.key === key && a.status === "completed");
      expect(done, `${label}, ${key}: one completed attempt`).toHaveLength(1);
      const ran = trace.filter((t) => t.runId === run.id && t.step === key);
      // The completed attempt ran in the process that recorded it; any other run was in the killed process.
      const pid = (done[0]?.output as { pid?: number } | null)?.pid;
      expect(
        ran.filter((t) => t.pid === pid && t.attempt === done[0]?.attempt),
        `${label}, ${key}: the completed attempt ran once`,
      ).toHaveLength(1);
      for (const t of ran.filter((x) => x.pid !== pid)) expect(t.pid, `${label}, ${key}: a re-run`).toBe(killedPid);
      reruns += ran.length - 1;
    }
  }
  return { reruns };
}

describe("many runs in one process, killed with SIGKILL in the grouped write path", () => {
  for (const fault of ["after-launch-group:1", "after-take:3", "after-end:5", "after-commit:30"]) {
    it(`every key names one run, and each run completes once after a kill at ${fault}`, async () => {
      const s = newScenario(`WEFT_FAULT=${fault}`, "weft-crash-launch-", "drive.mjs", () =>
        script(join(buildSnapshot(), "dist")),
      );
      const killed = await drive(s, fault);
      expect(killed.signal, `${s.label}: killed\n${killed.stderr}`).toBe("SIGKILL");
      // The first launch goes alone, the 11 others of its turn in one transaction: all exist before any runs.
      const before = await withStore(s, (store) => store.runs.list({ limit: 100 }));
      expect(before, `${s.label}: runs created before the kill`).toHaveLength(RUNS);
      const again = await drive(s);
      expect({ code: again.code, signal: again.signal }, `${s.label}\n${again.stderr}`).toEqual({
        code: 0,
        signal: null,
      });
      expect(again.stdout.trim().split(" "), s.label).toEqual(Array(RUNS).fill("completed"));
      const { reruns } = await verify(s, killed.pid);
      if (fault.startsWith("after-launch-group")) expect(reruns, s.label).toBe(0);
      s.cleanup();
    }, 120_000);
  }
});
