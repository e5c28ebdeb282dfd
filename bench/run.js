#!/usr/bin/env node
/**
 * `npm run bench`: the engine as a library on the embedded SQLite store, both durability settings (`full`:
 * fsync on every commit). Prints median/min/max of several repetitions and the peak RSS of each scenario's
 * process (machines here are noisy: compare ratios within one sitting).
 *
 * Issue 14's workloads, through each engine's durable step primitive — here `function` steps calling a
 * registered no-op function (BENCH_STEP=noop: `noop` steps instead). Each repetition uses a fresh SQLite
 * file and data dir; the clock runs from the first launch until every run has ended AND every file the runs
 * write (run folders, step logs, checkpoint files) is on disk (`engine.flush()`):
 *
 *   w1           200 workflows × 20 sequential steps, launched and executed one after another → ms/step
 *   w2           10 × (a fan-out of 200 steps + a join step), one after another → steps/s
 *   w3           1,000 workflows × 5 sequential steps, launched and executed at once → steps/s; also the
 *                step-log latency: per step, when its summary.md was on disk − when the step ended (p50/p99/max)
 *   ts-w1        w1 as TypeScript workflows (`ctx.step(id, { fn })`, durable replay) → ms/step
 *   live-10000   10,000 runs live in one engine (global concurrency 64, three priorities, each run sleeping
 *                between two steps) → peak RSS, and whether every run completed
 *   server       the HTTP API and WebSocket feed under load (bench/server.js, its own process)
 *   parse-*      definitions: a 1,000-step workflow parsed and validated; a 10 MB file and an alias bomb
 *                refused (the limits are checked before any parsing work) → ms each
 *   waiting      10,000 runs waiting for approvals and timers in one `weft serve`, killed and restarted
 *                (bench/waiting.js, its own processes; WAITING_RUNS sets the number)
 *   ui           the web UI's runs board over 5,000 runs in Chromium: first render, frame times while 200
 *                events/s arrive, the JavaScript of the first load gzipped (bench/ui.js; UI_RUNS sets the number)
 *   cli          the `weft` command: --version, --help, status and list on 10,000 runs, `weft run` of a 200-step
 *                fan-out against the engine, the time from a run's end to the process's exit (bench/cli.js;
 *                CLI_RUNS sets the number)
 *
 * BENCH_ONLY=<prefix> runs only the scenarios whose name starts with it (BENCH_ONLY=ts: ts-w1; note that `w` also picks `waiting`).
 * BENCH_REPS sets the repetitions (default 5, after one warm-up).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseWorkflow } from "../dist/definition/index.js";
import { defineWorkflow } from "../dist/definition/typescript/define.js";
import { createEngine } from "../dist/engine/engine.js";

import { builtinStepTypes } from "../dist/steps/builtin.js";
import { createSqliteStore } from "../dist/store/sqlite/index.js";

const REPS = Number(process.env.BENCH_REPS ?? 5);
const ONLY = process.env.BENCH_ONLY;
const STEP = process.env.BENCH_STEP === "noop" ? "noop" : "function";
const functions = { nop: async () => null };
const stepTypes = new Map(builtinStepTypes({ functions: new Map(Object.entries(functions)) }).map((t) => [t.type, t]));
const stepYaml = (id, needs) =>
  `  - { id: ${id}, ${STEP === "noop" ? "type: noop" : "function: nop"}${needs ? `, needs: [${needs.join(", ")}]` : ""} }`;

function parse(name, lines) {
  const { workflow: wf, issues } = parseWorkflow(lines.join("\n"), { file: `${name}.yaml`, stepTypes });
  if (!wf) throw new Error(issues.map((i) => i.message).join("\n"));
  return wf;
}

function workflow(name, mode, ids, join) {
  const lines = [`name: ${name}`, `mode: ${mode}`, "steps:", ...ids.map((id) => stepYaml(id))];
  if (join) lines.push(stepYaml(join, ids));
  return parse(name, lines);
}
const ids = (n) => Array.from({ length: n }, (_, i) => `s${i}`);

/**
 * A fresh data dir and SQLite file; `fn(engine)` runs with the clock started, then the clock stops once
 * every file is written. Returns `fn`'s result and the elapsed ms. An engine without `flush()` (a build
 * before issue 14) is closed instead, which waits for what its close() waits for.
 */
async function timed(durability, opts, fn) {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-"));
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability });
  const engine = createEngine({
    store,
    dataDir: dir,
    projectPath: dir,
    globalConcurrency: 1_000_000,
    functions,
    ...opts,
  });
  let closed = false;
  try {
    const t0 = performance.now();
    const result = await fn(engine);
    if (typeof engine.flush === "function") await engine.flush();
    else {
      await engine.close();
      closed = true;
    }
    return { result, ms: performance.now() - t0 };
  } finally {
    if (!closed) await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectCompleted(runs) {
  const bad = runs.find((r) => r.status !== "completed");
  if (bad) throw new Error(`run ${bad.id} ${bad.status}`);
}

async function oneAfterAnother(durability, wf, count, opts = {}) {
  return timed(durability, opts, async (engine) => {
    for (let i = 0; i < count; i++) {
      const { run } = await engine.launch(wf);
      expectCompleted([await engine.execute(run.id)]);
    }
  });
}

const W1 = { runs: 200, steps: 20 };
async function w1(durability) {
  const { ms } = await oneAfterAnother(durability, workflow("w1", "sequential", ids(W1.steps)), W1.runs);
  return { value: ms / (W1.runs * W1.steps) };
}

async function w2(durability) {
  const { ms } = await oneAfterAnother(durability, workflow("w2", "dag", ids(200), "join"), 10);
  return { value: (10 * 201) / (ms / 1000) };
}

async function w3(durability) {
  const wf = workflow("w3", "sequential", ids(5));
  const lat = [];
  const { ms } = await timed(durability, { onStepLogWritten: (x) => lat.push(x) }, async (engine) => {
    const runs = await Promise.all(
      Array.from({ length: 1000 }, async () => engine.execute((await engine.launch(wf)).run.id)),
    );
    expectCompleted(runs);
  });
  return { value: 5000 / (ms / 1000), logLatency: lat };
}

/** W1 as TypeScript workflows: each step a journaled `ctx.step` (an inline `fn`, or a noop with BENCH_STEP=noop). */
async function tsW1(durability) {
  const step = STEP === "noop" ? { type: "noop" } : { fn: async () => null };
  const wf = defineWorkflow({
    name: "ts-w1",
    async execute(ctx) {
      for (let i = 0; i < W1.steps; i++) await ctx.step(`s${i}`, step);
    },
  });
  const { ms } = await oneAfterAnother(durability, wf, W1.runs, { workflows: [wf] });
  return { value: ms / (W1.runs * W1.steps) };
}

/**
 * 10,000 runs live at once: each a step, a 2 s sleep, a step; global concurrency 64 shared by three
 * priorities. Reports the seconds until all ended; throws unless every run completed.
 */
const LIVE = Number(process.env.LIVE_RUNS ?? 10_000);
async function live(durability) {
  const napping = parse("live", [
    "name: live",
    "mode: sequential",
    "steps:",
    stepYaml("a"),
    "  - { id: nap, type: sleep, duration: 2s }",
    stepYaml("b"),
  ]);
  const { ms } = await timed(durability, { globalConcurrency: 64 }, async (engine) => {
    const runs = await Promise.all(
      Array.from({ length: LIVE }, async (_, i) =>
        engine.execute((await engine.launch(napping, { priority: i % 3 })).run.id),
      ),
    );
    expectCompleted(runs);
  });
  return { value: ms / 1000 };
}

const fmt = (x, digits) => x.toFixed(digits);
const SCENARIOS = {
  w1: { fn: w1, unit: "ms/step", digits: 3 },
  w2: { fn: w2, unit: "steps/s", digits: 0 },
  w3: { fn: w3, unit: "steps/s", digits: 0 },
  "ts-w1": { fn: tsW1, unit: "ms/step", digits: 3 },
  // One repetition, no warm-up: it is about memory and progress, not speed.
  "live-10000": { fn: live, unit: "s", digits: 1, reps: 1, warmUp: false },
};

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] : Number.NaN;
};

// Child mode: one scenario, one durability, in a fresh process so its peak RSS is its own.
const child = process.argv.indexOf("--child");
if (child !== -1) {
  const [name, durability] = process.argv.slice(child + 1);
  const { fn, reps = REPS, warmUp = true } = SCENARIOS[name];
  if (warmUp) await fn(durability);
  const xs = [];
  const lat = { p50: [], p99: [], max: [], n: [] };
  for (let i = 0; i < reps; i++) {
    const { value, logLatency } = await fn(durability);
    xs.push(value);
    if (logLatency) {
      lat.p50.push(percentile(logLatency, 50));
      lat.p99.push(percentile(logLatency, 99));
      lat.max.push(Math.max(...logLatency));
      lat.n.push(logLatency.length);
    }
  }
  process.stdout.write(`${JSON.stringify({ xs, lat, rssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
  process.exit(0);
}

const { execFileSync } = await import("node:child_process");
const { cpus } = await import("node:os");
console.log(
  `weft bench — node ${process.version}, ${cpus().length} cores, SQLite store; median of ${REPS} repetitions after a warm-up, each scenario in its own process`,
);
{
  // Context for the `full` figures: what one fsync costs on this disk right now.
  const { openSync, writeSync, fsyncSync, closeSync } = await import("node:fs");
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-"));
  const fd = openSync(join(dir, "f"), "w");
  const xs = [];
  for (let i = 0; i < 50; i++) {
    writeSync(fd, "x".repeat(128));
    const t = performance.now();
    fsyncSync(fd);
    xs.push(performance.now() - t);
  }
  closeSync(fd);
  rmSync(dir, { recursive: true, force: true });
  console.log(`fsync of a small write: median ${median(xs).toFixed(3)} ms`);
}
{
  // Definitions: pure parsing, no store, so in this process and without the durability axis.
  const steps = Array.from(
    { length: 1000 },
    (_, i) =>
      `  - id: s${i}\n    command: echo ${i} {{ steps.s${Math.max(0, i - 1)}.output }}\n${i > 0 ? `    needs: [s${i - 1}]\n` : ""}`,
  );
  let bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  for (const [i, name] of [..."bcdefghi"].entries())
    bomb += `${name}: &${name} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]\n`;
  const texts = {
    "parse-1000-steps": { text: `name: long\nsteps:\n${steps.join("")}`, ok: true },
    "parse-reject-10mb": { text: `name: big\nsteps:\n${"  - { id: a, command: x }\n".repeat(400_000)}`, ok: false },
    "parse-alias-bomb": { text: `${bomb}name: bomb\nsteps: [{ id: s, command: x }]\n`, ok: false },
  };
  for (const [name, { text, ok }] of Object.entries(texts)) {
    if (ONLY && !name.startsWith(ONLY)) continue;
    const xs = [];
    for (let i = 0; i <= REPS; i++) {
      const t0 = performance.now();
      const { workflow: wf } = parseWorkflow(text, { file: `${name}.yaml`, stepTypes });
      const ms = performance.now() - t0;
      if (Boolean(wf) !== ok) throw new Error(`${name}: ${ok ? "refused" : "accepted"}`);
      if (i > 0) xs.push(ms); // the first is a warm-up
    }
    console.log(
      `${name.padEnd(20)} median ${fmt(median(xs), 1).padStart(9)} ms       (min ${fmt(Math.min(...xs), 1)}, max ${fmt(Math.max(...xs), 1)})`,
    );
  }
}
for (const [name, { unit, digits }] of Object.entries(SCENARIOS)) {
  if (ONLY && !name.startsWith(ONLY)) continue;
  for (const durability of ["normal", "full"]) {
    const out = execFileSync(process.execPath, [new URL(import.meta.url).pathname, "--child", name, durability], {
      encoding: "utf8",
      env: process.env,
    });
    const { xs, lat, rssMiB } = JSON.parse(out.trim().split("\n").pop());
    console.log(
      `${name.padEnd(12)} ${durability.padEnd(7)} median ${fmt(median(xs), digits).padStart(9)} ${unit.padEnd(8)} (min ${fmt(Math.min(...xs), digits)}, max ${fmt(Math.max(...xs), digits)})   peak RSS ${rssMiB.toFixed(0)} MiB`,
    );
    if (lat.n.length && !lat.n.some((n) => n > 0)) {
      console.log(`${"".padEnd(20)} step log latency not measured (this build has no onStepLogWritten)`);
    } else if (lat.n.length) {
      // Per repetition p50/p99/max over its steps; the medians of those across repetitions.
      const ms = (k) => `${fmt(median(lat[k]), 1)} ms`;
      const steps = lat.n[0] === median(lat.n) ? lat.n[0] : `~${median(lat.n)}`;
      console.log(
        `${"".padEnd(20)} step log complete after the step's end: p50 ${ms("p50")}, p99 ${ms("p99")}, max ${ms("max")} (${steps} summaries per repetition)`,
      );
    }
  }
}
// Each in its own process, its lines printed as they come.
for (const script of ["server", "waiting", "ui", "cli"]) {
  if (ONLY && !script.startsWith(ONLY)) continue;
  execFileSync(process.execPath, [new URL(`./${script}.js`, import.meta.url).pathname], {
    stdio: ["ignore", "inherit", "inherit"],
    env: process.env,
  });
}
