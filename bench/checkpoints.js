#!/usr/bin/env node
/**
 * Checkpoint files and records (`node bench/checkpoints.js` after `npm run build`): one run of STEPS (default
 * 200) sequential steps whose outputs are null (no-op YAML steps) or BYTES-sized (TypeScript `fn` steps), on
 * SQLite with DURABILITY (default full):
 *
 *   ms/step    engine time per step until the run is done (its checkpoint files are not waited for)
 *   flush ms   the engine's close(): the checkpoint files still queued when the run ended
 *   files, KB  checkpoints/step-N.json written, their total and largest size
 *   resolve ms every checkpoint of the run resolved from its events (what GET …/checkpoints does)
 *
 * Medians of REPS (default 5) runs. Machines here are noisy: compare figures within one run.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseWorkflow } from "../dist/definition/index.js";
import { defineWorkflow } from "../dist/definition/typescript/define.js";
import { resolveCheckpoints } from "../dist/engine/checkpoints.js";
import { createEngine } from "../dist/engine/engine.js";
import { builtinStepTypes } from "../dist/steps/builtin.js";
import { createSqliteStore } from "../dist/store/sqlite/index.js";

const STEPS = Number(process.env.STEPS ?? 200);
const REPS = Number(process.env.REPS ?? 5);
const DURABILITY = process.env.DURABILITY ?? "full";
const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

function noops() {
  const lines = ["name: seq", "mode: sequential", "steps:"];
  for (let i = 0; i < STEPS; i++) lines.push(`  - { id: s${i}, type: noop }`);
  const { workflow, issues } = parseWorkflow(lines.join("\n"), { file: "seq.yaml", stepTypes });
  if (!workflow) throw new Error(issues.map((i) => i.message).join("\n"));
  return workflow;
}

function outputs(bytes) {
  return defineWorkflow({
    name: `out-${bytes}`,
    async execute(ctx) {
      for (let i = 0; i < STEPS; i++) await ctx.step(`s${i}`, { fn: () => ({ text: "x".repeat(bytes) }) });
    },
  });
}

async function once(workflow, ts) {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-ckpt-"));
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability: DURABILITY });
  const engine = createEngine({
    store,
    dataDir: dir,
    projectPath: dir,
    globalConcurrency: 1_000_000,
    workflows: ts ? [workflow] : [],
  });
  try {
    const { run } = await engine.launch(workflow);
    const t0 = performance.now();
    const done = await engine.execute(run.id);
    const ms = performance.now() - t0;
    if (done.status !== "completed") throw new Error(`run ${done.status}`);
    const t1 = performance.now();
    await engine.close();
    const flush = performance.now() - t1;
    const folder = join(dir, "runs", run.id, "checkpoints");
    const sizes = existsSync(folder) ? readdirSync(folder).map((f) => statSync(join(folder, f)).size) : [];
    const t2 = performance.now();
    await resolveCheckpoints(store, await store.runs.get(run.id), await store.checkpoints.list(run.id));
    const resolve = performance.now() - t2;
    return {
      perStep: ms / STEPS,
      flush,
      files: sizes.length,
      kb: sizes.reduce((a, b) => a + b, 0) / 1024,
      largestKb: Math.max(0, ...sizes) / 1024,
      resolve,
    };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const scenarios = [
  ["noop", () => noops(), false],
  ["out-100B", () => outputs(100), true],
  ["out-1KB", () => outputs(1000), true],
  ["out-10KB", () => outputs(10_000), true],
];
console.log(`${STEPS} sequential steps, durability ${DURABILITY}, median of ${REPS}`);
for (const [name, make, ts] of scenarios) {
  const rs = [];
  for (let i = 0; i < REPS; i++) rs.push(await once(make(), ts));
  const m = (k) => median(rs.map((r) => r[k]));
  console.log(
    `${name.padEnd(9)} ms/step ${m("perStep").toFixed(2)}  flush ms ${m("flush").toFixed(0)}  files ${rs[0].files}` +
      `  KB ${rs[0].kb.toFixed(0)} (largest ${rs[0].largestKb.toFixed(1)})  resolve ms ${m("resolve").toFixed(1)}`,
  );
}
