#!/usr/bin/env node
/**
 * Server benchmarks (run by `npm run bench` after the engine scenarios, or alone: `node bench/server.js`).
 * One server on 127.0.0.1 over a fresh data directory (SQLite, durability normal), loaded by autocannon from
 * a worker thread of the same process (so the load generator does not share the server's event loop).
 * Machines here are noisy: compare figures within one run.
 *
 *   get-run       GET /api/workflow-executions/:id, 20 connections → requests/s, p99 latency
 *   launch        POST /api/workflow-executions (inline YAML, 2 no-op steps), 10 connections → requests/s,
 *                 p99 latency; the launched runs are driven in the background of the same server meanwhile
 *   ws-event      step completion → a WebSocket client on /api/ws: receive time − the event's `at`, over 200
 *                 runs of one no-op step launched one after another through the engine → p50/p99/max
 *                 (`at` has whole-ms resolution, so each figure may read up to 1 ms high)
 *
 * BENCH_SERVER_SECONDS sets each autocannon phase's duration (default 5).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import WebSocket from "ws";
import { parseWorkflow } from "../dist/definition/index.js";
import { createEngine } from "../dist/engine/engine.js";
import { buildApp } from "../dist/server/app.js";
import { createBackground } from "../dist/server/background.js";
import { builtinStepTypes } from "../dist/steps/builtin.js";
import { createSqliteStore } from "../dist/store/sqlite/index.js";

const SECONDS = Number(process.env.BENCH_SERVER_SECONDS ?? 5);
const EVENT_RUNS = 200;
const LAUNCH_BODY = JSON.stringify({
  workflow: { source: "name: b\nsteps:\n  - { id: a, type: noop }\n  - { id: b, type: noop }\n" },
});

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function quantile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
}

function workflow(source) {
  const { workflow: wf, issues } = parseWorkflow(source, { file: "bench.yaml", stepTypes });
  if (!wf) throw new Error(issues.map((i) => i.message).join("\n"));
  return wf;
}

async function until(pred, timeoutMs, what) {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function cannon(name, opts) {
  const r = await autocannon({ duration: SECONDS, workers: 1, ...opts });
  const bad = r.errors + r.timeouts + r.non2xx;
  if (bad > 0) throw new Error(`${name}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx responses`);
  console.log(
    `${name.padEnd(12)} ${String(opts.connections).padStart(2)} conns  median ${r.requests.p50.toFixed(0).padStart(6)} req/s (mean ${r.requests.average.toFixed(0)})   latency p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms   (${r.requests.total} requests in ${SECONDS} s)`,
  );
  return r;
}

const dir = mkdtempSync(join(tmpdir(), "weft-bench-server-"));
const store = createSqliteStore({ path: join(dir, "weft.db"), durability: "normal" });
const engine = createEngine({ store, dataDir: dir, projectPath: dir, globalConcurrency: 1_000_000 });
const background = createBackground({ engine });
const app = await buildApp({ engine, store, dataDir: dir, background });
try {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const { port } = app.server.address();
  const base = `http://127.0.0.1:${port}`;

  // One small run to GET.
  const launched = await fetch(`${base}/api/workflow-executions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: LAUNCH_BODY,
  });
  if (launched.status !== 201) throw new Error(`launch answered ${launched.status}: ${await launched.text()}`);
  const runId = (await launched.json()).data.id;
  await until(
    async () => (await (await fetch(`${base}/api/workflow-executions/${runId}`)).json()).data.status === "completed",
    10_000,
    "the first run to complete",
  );

  // (1) GET of a run, (2) launches under load.
  await cannon("get-run", { url: `${base}/api/workflow-executions/${runId}`, connections: 20 });
  await cannon("launch", {
    url: `${base}/api/workflow-executions`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: LAUNCH_BODY,
    connections: 10,
  });
  const t0 = performance.now();
  await until(() => background.driving.size === 0, 60_000, "the launched runs to finish");
  const drainMs = performance.now() - t0;

  // (3) Step completion → WebSocket client.
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/ws`);
  const latencies = [];
  const pending = new Set();
  const subscribed = new Promise((resolve, reject) => {
    ws.on("error", reject);
    ws.on("message", (raw) => {
      const received = now();
      const m = JSON.parse(raw.toString());
      if (m.type === "subscribed") resolve();
      if (m.type !== "workflow.step.completed" || !pending.has(m.data.execution_id)) return;
      latencies.push(received - Date.parse(m.at));
      pending.delete(m.data.execution_id);
    });
  });
  await subscribed;
  const one = workflow("name: one\nsteps:\n  - { id: a, type: noop }\n");
  for (let i = 0; i < EVENT_RUNS; i++) {
    const { run } = await engine.launch(one);
    pending.add(run.id);
    const done = await engine.execute(run.id);
    if (done.status !== "completed") throw new Error(`event run ${done.status}`);
  }
  await until(() => pending.size === 0, 10_000, "every step completion to reach the WebSocket client");
  ws.close();
  const s = latencies.sort((a, b) => a - b);
  const f = (x) => x.toFixed(1);
  console.log(
    `ws-event     ${EVENT_RUNS} runs    step completed → client  p50 ${f(quantile(s, 0.5))} ms, p99 ${f(quantile(s, 0.99))} ms, max ${f(s[s.length - 1])} ms   (after the launch load; its runs drained in ${drainMs.toFixed(0)} ms)`,
  );
} finally {
  background.stop();
  await app.close();
  await background.shutdown();
  await engine.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
