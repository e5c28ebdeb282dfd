#!/usr/bin/env node
/**
 * `npm run bench`: engine overhead and throughput on the embedded SQLite store, both durability settings.
 * Prints medians of several repetitions (machines here are noisy: compare ratios within one run).
 *
 *   seq-200      one run of 200 sequential no-op steps → ms of engine time per step
 *   fanout-200   one run of 200 independent no-op steps → steps/s
 *   runs-1000x5  1,000 concurrent runs of 5 sequential no-op steps → steps/s
 *   ts-seq-200   seq-200 as a TypeScript workflow (durable replay journal) → ms of engine time per step
 *   server       the HTTP API and WebSocket feed under load (bench/server.js, its own process)
 *   parse-*      definitions: a 1,000-step workflow parsed and validated; a 10 MB file and an alias bomb
 *                refused (the limits are checked before any parsing work) → ms each
 *   waiting      10,000 runs waiting for approvals and timers in one `weft serve`, killed and restarted
 *                (bench/waiting.js, its own processes; WAITING_RUNS sets the number)
 *   ui           the web UI's runs board over 5,000 runs in Chromium: first render, frame times while 200
 *                events/s arrive, the JavaScript of the first load gzipped (bench/ui.js; UI_RUNS sets the number)
 *
 * BENCH_ONLY=<prefix> runs only the scenarios whose name starts with it (BENCH_ONLY=server: the server's).
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
const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

function workflow(name, n, mode) {
  const lines = [`name: ${name}`, `mode: ${mode}`, "steps:"];
  for (let i = 0; i < n; i++) lines.push(`  - { id: s${i}, type: noop }`);
  const { workflow: wf, issues } = parseWorkflow(lines.join("\n"), { file: `${name}.yaml`, stepTypes });
  if (!wf) throw new Error(issues.map((i) => i.message).join("\n"));
  return wf;
}

async function withEngine(durability, fn) {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-"));
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability });
  const engine = createEngine({ store, dataDir: dir, projectPath: dir, globalConcurrency: 1_000_000 });
  try {
    return await fn(engine);
  } finally {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function seq(durability) {
  const wf = workflow("seq", 200, "sequential");
  return withEngine(durability, async (engine) => {
    const { run } = await engine.launch(wf);
    const t0 = performance.now();
    const done = await engine.execute(run.id);
    if (done.status !== "completed") throw new Error(`seq run ${done.status}`);
    return (performance.now() - t0) / 200;
  });
}

async function fanout(durability) {
  const wf = workflow("fanout", 200, "dag");
  return withEngine(durability, async (engine) => {
    const { run } = await engine.launch(wf);
    const t0 = performance.now();
    const done = await engine.execute(run.id);
    if (done.status !== "completed") throw new Error(`fanout run ${done.status}`);
    return 200 / ((performance.now() - t0) / 1000);
  });
}

async function manyRuns(durability) {
  const wf = workflow("five", 5, "sequential");
  return withEngine(durability, async (engine) => {
    const runs = [];
    for (let i = 0; i < 1000; i++) runs.push((await engine.launch(wf)).run.id);
    const t0 = performance.now();
    const done = await Promise.all(runs.map((id) => engine.execute(id)));
    if (done.some((r) => r.status !== "completed")) throw new Error("a run did not complete");
    return 5000 / ((performance.now() - t0) / 1000);
  });
}

/** The same 200 sequential no-op steps as seq-200, as a TypeScript workflow driven by durable replay. */
async function tsSeq(durability) {
  const wf = defineWorkflow({
    name: "ts-seq",
    async execute(ctx) {
      for (let i = 0; i < 200; i++) await ctx.step(`s${i}`, { type: "noop" });
    },
  });
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-"));
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability });
  const engine = createEngine({ store, dataDir: dir, projectPath: dir, workflows: [wf] });
  try {
    const { run } = await engine.launch(wf);
    const t0 = performance.now();
    const done = await engine.execute(run.id);
    if (done.status !== "completed") throw new Error(`ts-seq run ${done.status}`);
    return (performance.now() - t0) / 200;
  } finally {
    await engine.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const fmt = (x, digits) => x.toFixed(digits);
const SCENARIOS = {
  "seq-200": { fn: seq, unit: "ms/step", digits: 3 },
  "fanout-200": { fn: fanout, unit: "steps/s", digits: 0 },
  "runs-1000x5": { fn: manyRuns, unit: "steps/s", digits: 0 },
  "ts-seq-200": { fn: tsSeq, unit: "ms/step", digits: 3 },
};

// Child mode: one scenario, one durability, in a fresh process so its peak RSS is its own.
const child = process.argv.indexOf("--child");
if (child !== -1) {
  const [name, durability] = process.argv.slice(child + 1);
  const { fn } = SCENARIOS[name];
  await fn(durability); // warm-up
  const xs = [];
  for (let i = 0; i < REPS; i++) xs.push(await fn(durability));
  process.stdout.write(`${JSON.stringify({ xs, rssMiB: process.resourceUsage().maxRSS / 1024 })}\n`);
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
    const { xs, rssMiB } = JSON.parse(out.trim().split("\n").pop());
    console.log(
      `${name.padEnd(12)} ${durability.padEnd(7)} median ${fmt(median(xs), digits).padStart(9)} ${unit.padEnd(8)} (min ${fmt(Math.min(...xs), digits)}, max ${fmt(Math.max(...xs), digits)})   peak RSS ${rssMiB.toFixed(0)} MiB`,
    );
  }
}
// Each in its own process, its lines printed as they come.
for (const script of ["server", "waiting", "ui"]) {
  if (ONLY && !script.startsWith(ONLY)) continue;
  execFileSync(process.execPath, [new URL(`./${script}.js`, import.meta.url).pathname], {
    stdio: ["ignore", "inherit", "inherit"],
    env: process.env,
  });
}
