#!/usr/bin/env node
/**
 * The run list as the board reads it (`node bench/run-list.js` after `npm run build`): 5,000 runs of a 6-step
 * workflow in one SQLite store (half of them with agent usage, a fifth waiting for approval, a third
 * completed), then GET /api/workflow-executions through `app.inject` (no network):
 *
 *   summary-1000  ?view=summary&limit=1000 → ms per request (median of 15; wall clock and CPU time)
 *   full-200      ?limit=200 (steps and workflow included) → the same
 *   approvals-200 GET /api/approvals?limit=200 (the review inbox) → the same
 *
 * Machines here are noisy: compare figures within one run.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newStepRecord } from "../dist/core/model.js";
import { parseWorkflow } from "../dist/definition/index.js";
import { createEngine } from "../dist/engine/engine.js";
import { buildApp } from "../dist/server/app.js";
import { builtinStepTypes } from "../dist/steps/builtin.js";
import { createSqliteStore } from "../dist/store/sqlite/index.js";

const RUNS = Number(process.env.BENCH_RUNS ?? 5000);
const REPS = 15;
const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
const source = `name: board
phases: [draft, review, ship]
steps:
  - { id: research, phase: draft, type: agent, agent: writer, prompt: research }
  - { id: outline, phase: draft, needs: research, type: agent, agent: writer, prompt: outline }
  - { id: draft, phase: draft, needs: outline, type: agent, agent: writer, prompt: draft }
  - { id: review, phase: review, needs: draft, type: approval, message: ok? }
  - { id: publish, phase: ship, needs: review, type: noop }
  - { id: announce, phase: ship, needs: publish, type: noop }
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

export async function runListBench() {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-list-"));
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability: "normal" });
  const engine = createEngine({ store, dataDir: dir, projectPath: dir });
  const { workflow } = parseWorkflow(source, { file: "board.yaml", stepTypes });
  const T0 = Date.now() - 86_400_000;
  for (let i = 0; i < RUNS; i++) {
    const id = randomUUID();
    const keys = workflow.steps.map((s) => s.id);
    const done = i % 3 === 0 ? keys.length : i % 5 === 0 ? 3 : i % keys.length;
    const steps = keys.map((k, j) => ({
      ...newStepRecord(id, k, null, T0 + i),
      status: j < done ? "completed" : j === done && k === "review" ? "waiting" : "pending",
      waitingFor: j === done && k === "review" ? "approval" : null,
      output: j < done ? { text: `output of ${k}` } : null,
    }));
    const { run } = await store.runs.create({
      id,
      projectId: "default",
      name: `run ${i}`,
      definition: workflow,
      workflowHash: "h",
      args: {},
      priority: 0,
      triggeredBy: "bench",
      idempotencyKey: null,
      parentRunId: null,
      forkedFrom: null,
      steps,
      events: [{ type: "workflow.execution.created", data: { workflow_name: "board", args: {} } }],
      now: T0 + i,
    });
    const usage =
      i % 2 === 0
        ? keys.slice(0, Math.min(done, 3)).map((k) => ({
            type: "workflow.step.usage",
            data: {
              step_id: k,
              key: k,
              attempt: 1,
              provider: "mock",
              model: "m",
              input_tokens: 900,
              output_tokens: 300,
              cost_usd: 0.004,
            },
          }))
        : [];
    const finished = done === keys.length;
    await store.commit({
      runId: id,
      expectedVersion: run.version,
      events: usage,
      now: T0 + i + 1,
      run: finished
        ? { status: "completed", startedAt: T0 + i, endedAt: T0 + i + 60_000 + (i % 7) * 1000 }
        : { status: done === 3 ? "waiting" : "running", startedAt: T0 + i },
    });
  }
  const app = await buildApp({ engine, store, dataDir: dir, webRoot: null });
  const time = async (url) => {
    const ms = [];
    const cpuMs = [];
    let n = 0;
    for (let r = 0; r < REPS; r++) {
      const t = performance.now();
      const c = process.cpuUsage();
      const res = await app.inject({ url });
      ms.push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpuMs.push((used.user + used.system) / 1000);
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      n = res.json().data.length;
    }
    return { ms: median(ms), cpu: median(cpuMs), n };
  };
  const summary = await time("/api/workflow-executions?view=summary&limit=1000");
  const full = await time("/api/workflow-executions?limit=200");
  const approvals = await time("/api/approvals?limit=200").catch(() => undefined);
  await app.close();
  await engine.close();
  await store.close();
  if (process.env.BENCH_KEEP) console.log(`kept ${join(dir, "weft.db")}`);
  else rmSync(dir, { recursive: true, force: true });
  console.log(`run list over ${RUNS} runs`);
  const line = (name, r) =>
    console.log(`  ${name.padEnd(14)}${r.ms.toFixed(1)} ms/request (CPU ${r.cpu.toFixed(1)} ms), ${r.n} items`);
  line("summary-1000", summary);
  line("full-200", full);
  if (approvals) line("approvals-200", approvals);
}

if (import.meta.url === `file://${process.argv[1]}`) await runListBench();
