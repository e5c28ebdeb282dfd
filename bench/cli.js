#!/usr/bin/env node
/**
 * The `weft` command as a person meets it (`node bench/cli.js` after `npm run build`), each figure the median of
 * several whole processes (bin/weft.js, no TTY):
 *
 *   node         bare `node -e 0`: the floor every command pays
 *   --version    `weft --version`
 *   --help       `weft --help`
 *   status       `weft status <id>` (table, and --format json) on a data dir with CLI_RUNS runs (default 10,000)
 *   list         `weft list` (the newest 20) on that data dir
 *   run-fanout   `weft run` of a 200-step fan-out of no-op steps: steps/s from the run's own start and end
 *                (`--format json` summary) against the engine in this process on the same workflow; and the
 *                time from the run's end to the process's exit
 *
 * The data dir is made through the real store (`runs.create` and `commit`, durability normal): CLI_RUNS runs
 * of a 6-step workflow, a third completed, some waiting for approval. Machines here are noisy: compare figures
 * within one run.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { newStepRecord } from "../dist/core/model.js";
import { parseWorkflow } from "../dist/definition/index.js";
import { createEngine } from "../dist/engine/engine.js";
import { builtinStepTypes } from "../dist/steps/builtin.js";
import { createSqliteStore } from "../dist/store/sqlite/index.js";

const RUNS = Number(process.env.CLI_RUNS ?? 10_000);
const REPS = Number(process.env.BENCH_REPS ?? 7);
const FANOUT = 200;
const bin = fileURLToPath(new URL("../bin/weft.js", import.meta.url));
const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const BOARD = `name: board
phases: [draft, review, ship]
steps:
  - { id: research, phase: draft, type: noop }
  - { id: outline, phase: draft, needs: research, type: noop }
  - { id: draft, phase: draft, needs: outline, type: noop }
  - { id: review, phase: review, needs: draft, type: approval, message: ok? }
  - { id: publish, phase: ship, needs: review, type: noop }
  - { id: announce, phase: ship, needs: publish, type: noop }
`;

function parse(source, file) {
  const { workflow, issues } = parseWorkflow(source, { file, stepTypes });
  if (!workflow) throw new Error(issues.map((i) => i.message).join("\n"));
  return workflow;
}

/** `runs` runs of the board workflow, created through the store; returns the id of the newest. */
export async function makeRuns(dataDir, runs) {
  const store = createSqliteStore({ path: join(dataDir, "weft.db"), durability: "normal" });
  const workflow = parse(BOARD, "board.yaml");
  const keys = workflow.steps.map((s) => s.id);
  const T0 = Date.now() - 86_400_000;
  let last;
  const pending = [];
  try {
    for (let i = 0; i < runs; i++) {
      const id = randomUUID();
      const done = i % 3 === 0 ? keys.length : i % 5 === 0 ? 3 : i % keys.length;
      const steps = keys.map((k, j) => ({
        ...newStepRecord(id, k, null, T0 + i),
        status: j < done ? "completed" : j === done && k === "review" ? "waiting" : "pending",
        waitingFor: j === done && k === "review" ? "approval" : null,
        output: j < done ? { text: `output of ${k}` } : null,
        startedAt: j < done ? T0 + i : null,
        endedAt: j < done ? T0 + i + 1000 : null,
      }));
      const { run } = await store.runs.create({
        id,
        projectId: "default",
        name: `run ${i}`,
        definition: workflow,
        workflowHash: "h",
        args: { topic: `topic ${i}` },
        priority: 0,
        triggeredBy: "bench",
        idempotencyKey: null,
        parentRunId: null,
        forkedFrom: null,
        steps,
        events: [{ type: "workflow.execution.created", data: { workflow_name: "board", args: {} } }],
        now: T0 + i,
      });
      const finished = done === keys.length;
      pending.push({
        runId: id,
        expectedVersion: run.version,
        now: T0 + i + 1,
        run: finished
          ? { status: "completed", startedAt: T0 + i, endedAt: T0 + i + 60_000 + (i % 7) * 1000 }
          : { status: done === 3 ? "waiting" : "running", startedAt: T0 + i },
      });
      // Their statuses, a thousand runs to a transaction.
      if (pending.length === 1000) await store.commitMany(pending.splice(0));
      last = id;
    }
    if (pending.length) await store.commitMany(pending);
  } finally {
    await store.close();
  }
  return last;
}

/** Median wall ms of `node <args>` over REPS runs (one warm-up); throws when it fails. */
function timeProcess(args) {
  const ms = [];
  for (let r = 0; r <= REPS; r++) {
    const t = performance.now();
    const res = spawnSync(process.execPath, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const took = performance.now() - t;
    if (res.status !== 0) throw new Error(`node ${args.join(" ")}: exit ${res.status}\n${res.stderr}`);
    if (r > 0) ms.push(took);
  }
  return median(ms);
}

/** One `weft run --format json` of the fan-out: steps/s over the run's own span, and run end → process exit. */
function cliRun(file, dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [bin, "--data-dir", dataDir, "--durability", "full", "run", file, "--format", "json"],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      err += d;
    });
    child.on("exit", (code) => {
      const exitedAt = Date.now();
      if (code !== 0) return reject(new Error(`weft run: exit ${code}\n${err}`));
      const summary = out
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .find((l) => l.type === "summary");
      if (!summary) return reject(new Error(`weft run printed no summary:\n${out.slice(-500)}`));
      const started = Date.parse(summary.started_at);
      const ended = Date.parse(summary.ended_at);
      resolve({ stepsPerS: (FANOUT * 1000) / Math.max(1, ended - started), exitMs: exitedAt - ended });
    });
  });
}

/** The same run in this process: the engine's own steps/s (launch to end, as the CLI's figure counts it). */
async function engineRun(workflow, dataDir) {
  const store = createSqliteStore({ path: join(dataDir, "weft.db"), durability: "full" });
  const engine = createEngine({ store, dataDir, projectPath: dataDir });
  try {
    const { run } = await engine.launch(workflow, {});
    const done = await engine.execute(run.id);
    return (FANOUT * 1000) / Math.max(1, done.endedAt - done.startedAt);
  } finally {
    await engine.close();
    await store.close();
  }
}

export async function cliBench() {
  const dir = mkdtempSync(join(tmpdir(), "weft-bench-cli-"));
  try {
    const floor = timeProcess(["-e", "0"]);
    const version = timeProcess([bin, "--version"]);
    const help = timeProcess([bin, "--help"]);
    const data = join(dir, "data");
    const t = performance.now();
    const newest = await makeRuns(data, RUNS);
    const made = performance.now() - t;
    const status = timeProcess([bin, "--data-dir", data, "status", newest]);
    const statusJson = timeProcess([bin, "--data-dir", data, "status", newest, "--format", "json"]);
    const list = timeProcess([bin, "--data-dir", data, "list"]);

    const lines = ["name: fanout", "mode: dag", "steps:"];
    for (let i = 0; i < FANOUT; i++) lines.push(`  - { id: s${i}, type: noop }`);
    const source = lines.join("\n");
    const file = join(dir, "fanout.yaml");
    writeFileSync(file, source);
    const workflow = parse(source, file);
    const cli = [];
    const engine = [];
    for (let r = 0; r < Math.min(REPS, 5); r++) {
      cli.push(await cliRun(file, mkdtempSync(join(dir, "run-"))));
      engine.push(await engineRun(workflow, mkdtempSync(join(dir, "engine-"))));
    }
    const cliRate = median(cli.map((c) => c.stepsPerS));
    const engineRate = median(engine);

    console.log(
      `weft command (median of ${REPS} processes; data dir of ${RUNS} runs made in ${(made / 1000).toFixed(1)} s)`,
    );
    const line = (name, ms, extra = "") => console.log(`  ${name.padEnd(14)}${ms.toFixed(0).padStart(6)} ms${extra}`);
    line("node -e 0", floor);
    line("--version", version);
    line("--help", help);
    line("status", status);
    line("status json", statusJson);
    line("list", list);
    console.log(
      `  ${"run-fanout".padEnd(14)}${cliRate.toFixed(0).padStart(6)} steps/s through weft run, ${engineRate.toFixed(0)} in process (${(engineRate / cliRate).toFixed(2)}×)`,
    );
    console.log(
      `  ${"run-exit".padEnd(14)}${median(cli.map((c) => c.exitMs))
        .toFixed(0)
        .padStart(6)} ms from the run's end to the process's exit`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await cliBench();
