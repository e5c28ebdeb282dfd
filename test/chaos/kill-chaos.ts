/**
 * The kill chaos (issue 10, "durability at scale"): random `kill -9`s of real `weft run`, `weft resume` and
 * `weft serve` processes over mixed workflows, each killed process replaced by another, until `kills` kills
 * were dealt and every run has completed; then every run is checked.
 *
 * Each lane is one scenario (a temp dir, a data dir) with three workflows: the crash tests' YAML DAG
 * (sequential chain, fan-out, foreach, a step that fails its first attempt), their TypeScript workflow
 * (durable replay of steps, `ctx.now()`/`ctx.random()`, a loop, a sleep, `ctx.exec`) and `chaos-wait` below
 * (file order, an approval, a durable sleep, a foreach, a retried step). Two slots per lane start processes
 * one after the other: a new run, a resume of an open run, or a server (which drives every run nobody holds);
 * each is killed after a random delay. Meanwhile an approver approves whatever waits for approval, through
 * `weft approve` or the API of the lane's server when one is up. Once the kills are dealt, the slots resume
 * the open runs without killing until each has completed.
 *
 * The checks, per run: the crash tests' `verifyRun` / `verifyTsRun` (completed, every step run completed
 * exactly once, no start after its completion, a re-run only of an attempt cut short in a killed process,
 * announced by the engine, same idempotency key, gapless events and checkpoints, replayed values), and
 * `audit`, which counts the figures independently of them. Any process not killed must exit 0, and no
 * process may print a lock or internal error.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunRecord } from "../../src/core/model.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";
import {
  expectKilled,
  isTerminal,
  pool,
  prng,
  type RunReport,
  type RunShape,
  readTrace,
  type Scenario,
  scenario,
  startWeft,
  verifyRun,
  weft,
  withStore,
} from "../crash/helpers.js";
import { verifyTsRun, workflowTs } from "../crash/ts-helpers.js";
import { LOCK_ERROR } from "./options.js";

/** File order: a → review (approval) → nap (sleep) → fe (foreach over 2) → r (fails its first attempt) → b. */
function waitYaml(dir: string): string {
  const sh = (seconds: number, extra = "") => `sh ${dir}/step.sh "$PPID" ${seconds}${extra}`;
  return `name: chaos-wait
steps:
  - id: a
    command: ${sh(0.05)}
  - id: review
    type: approval
    message: carry on?
  - id: nap
    type: sleep
    duration: 300ms
  - id: fe
    foreach: '["p", "q"]'
    command: ${sh(0.04)}
  - id: r
    retry: { maxAttempts: 3, delay: 50ms }
    command: ${sh(0.03, " flaky")}
  - id: b
    command: ${sh(0.02)}
`;
}

const WAIT_SHAPE: RunShape = {
  keys: ["a", "review", "nap", "fe", "fe[0]", "fe[1]", "r", "b"],
  untraced: ["review", "nap"],
};

type Command = "run" | "resume" | "serve";

/**
 * How long a process may take before it counts as hung (a bound, not a timing): on a loaded 2-core machine
 * loading node alone has taken seconds. A process left to finish its run gets 10 minutes.
 */
const COMMAND_TIMEOUT_MS = 180_000;

export interface KillChaosOptions {
  seed: number;
  /** Kills to deal before the runs are let finish (a few more may land: slots run in parallel). */
  kills: number;
  /** Stop dealing kills after this many minutes even if fewer were dealt (the figures say so). */
  minutes?: number | undefined;
  /** Lanes at once, each its own data dir worked on by two processes at a time. */
  lanes: number;
  /** Prints progress lines. */
  log?: (line: string) => void;
}

export interface KillChaosFigures {
  seed: number;
  /** Whether the time budget (`minutes`) ended the kills before `kills` were dealt. */
  outOfTime: boolean;
  kills: Record<Command, number>;
  /** Processes that were not killed and ended (exit 0). */
  ranToEnd: number;
  approvals: { cli: number; api: number };
  /** Runs by workflow name. */
  runs: Record<string, number>;
  stepRuns: number;
  /** Step runs cut short by a kill and run again (the at-least-once contract allows them). */
  rerunStepRuns: number;
  /** Extra executions of an attempt, all in killed processes. */
  reexecutions: number;
  /** Completions beyond one per step run, starts after a completion, re-runs not explained by a kill. */
  duplicates: string[];
  /** Everything else that went wrong: failed checks, unexpected exits, lock errors printed. */
  violations: string[];
  seconds: number;
}

interface Ctx {
  opts: KillChaosOptions;
  figures: KillChaosFigures;
  killPids: number[];
  /** Set when something failed: every loop stops. */
  failed: boolean;
  /** When kills stop at the latest (epoch ms). */
  killsUntil: number;
}

function killing(ctx: Ctx): boolean {
  if (totalKills(ctx) >= ctx.opts.kills) return false;
  if (Date.now() < ctx.killsUntil) return true;
  ctx.figures.outOfTime = true;
  return false;
}

interface Lane {
  no: number;
  s: Scenario;
  rand: () => number;
  store: Store;
  workflows: string[];
  serveUrl: string | undefined;
  serving: boolean;
  /** Runs a slot is resuming. */
  resuming: Set<string>;
  done: boolean;
}

function totalKills(ctx: Ctx): number {
  const k = ctx.figures.kills;
  return k.run + k.resume + k.serve;
}

function violation(ctx: Ctx, text: string): void {
  ctx.figures.violations.push(text);
  ctx.failed = true;
}

async function openRuns(lane: Lane): Promise<RunRecord[]> {
  return (await lane.store.runs.list({ order: "oldest", limit: 10_000 })).filter((r) => !isTerminal(r));
}

/** One process of a slot: started, killed after `killAfterMs` (if given), its exit checked. */
async function runProcess(
  ctx: Ctx,
  lane: Lane,
  args: string[],
  killAfterMs: number | undefined,
  early: boolean,
): Promise<void> {
  const command = args[0] as Command;
  const durability = lane.rand() < 0.5 ? "normal" : "full";
  // A process left to finish waits at most for its run (approvals come within a second or two).
  const p = startWeft(lane.s, args, {
    durability,
    timeoutMs: killAfterMs === undefined ? 600_000 : COMMAND_TIMEOUT_MS,
  });
  if (command === "serve") {
    lane.serving = true;
    let out = "";
    p.child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && lane.serveUrl === undefined) lane.serveUrl = m[1];
    });
  }
  // The delay counts from the process's first output (the run id, "Resuming…", "listening on…"), since on a
  // loaded machine loading node alone may take seconds; an early kill counts from the start.
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    if (killAfterMs !== undefined && timer === undefined)
      timer = setTimeout(() => p.child.kill("SIGKILL"), killAfterMs);
  };
  if (early) arm();
  else p.child.stdout?.once("data", arm);
  const exit = await p.exited.finally(() => {
    clearTimeout(timer);
    if (command === "serve") {
      lane.serving = false;
      lane.serveUrl = undefined;
    }
  });
  const what = `${lane.s.label}: weft ${args.join(" ")}`;
  if (process.env.WEFT_CHAOS_VERBOSE)
    ctx.opts.log?.(`${what}: ${exit.code ?? exit.signal} (kill after ${killAfterMs}${early ? ", early" : ""})`);
  if (LOCK_ERROR.test(exit.stderr)) violation(ctx, `${what} printed a lock or internal error:\n${exit.stderr}`);
  if (exit.signal === "SIGKILL" && killAfterMs !== undefined) {
    expectKilled(lane.s, p, exit, `${what} killed after ${killAfterMs} ms`, ctx.killPids);
    ctx.figures.kills[command]++;
    const n = totalKills(ctx);
    if (n % 100 === 0) ctx.opts.log?.(`chaos: ${n} kills`);
  } else if (exit.code === 0 && exit.signal === null) {
    ctx.figures.ranToEnd++;
  } else {
    violation(ctx, `${what} exited ${exit.code ?? exit.signal}\n${exit.stdout}\n${exit.stderr}`);
  }
}

/** Starts processes one after the other until the kills are dealt and the lane has no open run. */
async function slot(ctx: Ctx, lane: Lane): Promise<void> {
  const { rand } = lane;
  while (!ctx.failed) {
    const kill = killing(ctx);
    const open = await openRuns(lane);
    if (!kill && open.length === 0) return;
    let args: string[];
    const r = rand();
    if (kill && (open.length < 2 || (open.length < 4 && r < 0.25))) {
      args = ["run", lane.workflows[Math.floor(rand() * lane.workflows.length)]!];
    } else if (kill && !lane.serving && r < 0.4) {
      args = ["serve", "--port", "0"];
    } else {
      // Once the kills are dealt, the two slots carry on different runs.
      const free = kill ? open : open.filter((run) => !lane.resuming.has(run.id));
      const run = free[Math.floor(rand() * free.length)];
      if (run === undefined) {
        await sleep(200);
        continue;
      }
      args = ["resume", run.id];
    }
    // A run takes ~1–2 s once its process is up; a server sweeps for runs once a second. One kill in ten comes
    // while the process is still loading or opening the store.
    const early = rand() < 0.1;
    const delay = early ? Math.floor(rand() * 1000) : Math.floor(rand() * (args[0] === "serve" ? 3000 : 1500));
    const runId = args[0] === "resume" ? args[1]! : "";
    lane.resuming.add(runId);
    await runProcess(ctx, lane, args, kill ? delay : undefined, early).finally(() => lane.resuming.delete(runId));
  }
}

/** Approves every step that waits for approval, by `weft approve` or through the lane's server. */
async function approver(ctx: Ctx, lane: Lane): Promise<void> {
  try {
    await approveLoop(ctx, lane);
  } catch (err) {
    violation(ctx, `${lane.s.label}: approver: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function approveLoop(ctx: Ctx, lane: Lane): Promise<void> {
  const rand = prng(ctx.opts.seed ^ (lane.no * 104_729));
  while (!lane.done && !ctx.failed) {
    await sleep(150 + Math.floor(rand() * 300));
    for (const run of await openRuns(lane)) {
      if (run.status !== "waiting") continue;
      for (const step of await lane.store.steps.list(run.id)) {
        if (step.status !== "waiting" || step.waitingFor !== "approval") continue;
        const url = lane.serveUrl;
        if (url !== undefined && rand() < 0.6) {
          const status = await approveByApi(url, run.id, step.key);
          if (status === 200) ctx.figures.approvals.api++;
          // undefined: the server was killed meanwhile; the next round sees whether the approval landed.
          else if (status !== undefined)
            violation(ctx, `${lane.s.label}: API approve of ${run.id} ${step.key} answered ${status}`);
        } else {
          const args = ["approve", run.id, step.key, "--no-wait", "--by", "chaos-cli"];
          const exit = await weft(lane.s, args, { timeoutMs: COMMAND_TIMEOUT_MS });
          if (exit.code === 0) ctx.figures.approvals.cli++;
          else
            violation(ctx, `${lane.s.label}: weft approve ${run.id} ${step.key} exited ${exit.code}\n${exit.stderr}`);
        }
      }
    }
  }
}

async function approveByApi(url: string, runId: string, key: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/api/workflow-executions/${runId}/steps/${encodeURIComponent(key)}/approve`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ by: "chaos-api" }),
      signal: AbortSignal.timeout(30_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return undefined;
  }
}

/**
 * Counts, independently of the crash tests' checks, what the figures report: step runs, extra executions of
 * an attempt (each must be in a killed process but one), completions beyond one per step run and starts
 * after a step run's completion.
 */
async function audit(s: Scenario, runId: string): Promise<{ stepRuns: number; reexecutions: number; dups: string[] }> {
  const { steps, events } = await withStore(s, async (st) => ({
    steps: await st.steps.list(runId),
    events: await st.events.list(runId, 0, 100_000),
  }));
  const trace = readTrace(s, runId);
  const dups: string[] = [];
  let reexecutions = 0;
  for (const step of steps) {
    const what = `${s.label}, run ${runId}, step run ${step.key}`;
    const done = events.filter((e) => e.type === "workflow.step.completed" && e.data.key === step.key).length;
    if (done !== 1) dups.push(`${what}: ${done} completion events`);
    const starts = trace.filter((l) => l.kind === "start" && l.key === step.key);
    const late = starts.filter((l) => step.endedAt === null || l.at > step.endedAt).length;
    if (late) dups.push(`${what}: ${late} start(s) after its completion`);
    for (const attempt of new Set(starts.map((l) => l.attempt))) {
      const same = starts.filter((l) => l.attempt === attempt);
      reexecutions += same.length - 1;
      const notKilled = same.filter((l) => !s.killed.has(l.pid)).length;
      if (notKilled > 1) dups.push(`${what}: attempt ${attempt} ran ${notKilled} times in processes never killed`);
    }
  }
  return { stepRuns: steps.length, reexecutions, dups };
}

async function verifyLane(ctx: Ctx, lane: Lane): Promise<void> {
  const { s } = lane;
  const runs = await withStore(s, (st) => st.runs.list({ order: "oldest", limit: 100_000 }));
  const f = ctx.figures;
  await pool(runs, 2, async (run) => {
    f.runs[run.workflowName] = (f.runs[run.workflowName] ?? 0) + 1;
    try {
      let report: RunReport;
      if (run.workflowName === "ts-crash") report = await verifyTsRun(s, run.id);
      else if (run.workflowName === "chaos-wait") report = await verifyRun(s, run.id, WAIT_SHAPE);
      else report = await verifyRun(s, run.id);
      f.rerunStepRuns += report.rerun.length;
    } catch (err) {
      f.violations.push(err instanceof Error ? err.message : String(err));
    }
    const a = await audit(s, run.id);
    f.stepRuns += a.stepRuns;
    f.reexecutions += a.reexecutions;
    f.duplicates.push(...a.dups);
  });
}

/** Runs the chaos and returns its figures; a scenario that passed is removed, a failed one kept. */
export async function killChaos(opts: KillChaosOptions): Promise<KillChaosFigures> {
  const started = Date.now();
  const ctx: Ctx = {
    opts,
    killPids: [],
    failed: false,
    killsUntil: opts.minutes === undefined ? Number.POSITIVE_INFINITY : started + opts.minutes * 60_000,
    figures: {
      seed: opts.seed,
      outOfTime: false,
      kills: { run: 0, resume: 0, serve: 0 },
      ranToEnd: 0,
      approvals: { cli: 0, api: 0 },
      runs: {},
      stepRuns: 0,
      rerunStepRuns: 0,
      reexecutions: 0,
      duplicates: [],
      violations: [],
      seconds: 0,
    },
  };
  const lanes: Lane[] = Array.from({ length: opts.lanes }, (_, no) => {
    const s = scenario(`chaos lane ${no}, seed ${opts.seed}`);
    writeFileSync(join(s.dir, "wf.ts"), workflowTs(s.dir));
    writeFileSync(join(s.dir, "wait.yaml"), waitYaml(s.dir));
    return {
      no,
      s,
      rand: prng(opts.seed + no * 7919),
      // Created before any weft starts; the chaos reads it while processes write.
      store: createSqliteStore({ path: join(s.dataDir, "weft.db") }),
      workflows: [s.workflow, join(s.dir, "wf.ts"), join(s.dir, "wait.yaml")],
      serveUrl: undefined,
      serving: false,
      resuming: new Set(),
      done: false,
    };
  });
  try {
    const settled = await Promise.allSettled(
      lanes.map(async (lane) => {
        const approving = approver(ctx, lane);
        const slots = await Promise.allSettled([slot(ctx, lane), slot(ctx, lane)]);
        lane.done = true;
        await approving;
        for (const r of slots) if (r.status === "rejected") throw r.reason;
      }),
    );
    for (const r of settled)
      if (r.status === "rejected") violation(ctx, r.reason instanceof Error ? r.reason.message : String(r.reason));
  } finally {
    for (const lane of lanes) await lane.store.close();
  }
  if (!ctx.failed) {
    opts.log?.(`chaos: ${totalKills(ctx)} kills dealt, every run ended; checking the runs`);
    for (const lane of lanes) await verifyLane(ctx, lane);
  }
  const f = ctx.figures;
  f.seconds = Math.round((Date.now() - started) / 1000);
  if (f.violations.length === 0 && f.duplicates.length === 0) for (const lane of lanes) lane.s.cleanup();
  return f;
}

/** The figures as the lines `npm run chaos` prints. */
export function formatKillFigures(f: KillChaosFigures): string {
  const kills = f.kills.run + f.kills.resume + f.kills.serve;
  const runs = Object.values(f.runs).reduce((a, b) => a + b, 0);
  const byWorkflow = Object.entries(f.runs)
    .map(([name, n]) => `${name} ${n}`)
    .join(", ");
  return [
    `kill chaos, seed ${f.seed} (WEFT_CHAOS_SEED=${f.seed} repeats its choices and delays), ${f.seconds} s:`,
    `  kills:               ${kills} (weft run ${f.kills.run}, weft resume ${f.kills.resume}, weft serve ${f.kills.serve})${f.outOfTime ? ", stopped by the time budget" : ""}`,
    `  processes that ran to their end: ${f.ranToEnd}`,
    `  approvals:           ${f.approvals.cli} by weft approve, ${f.approvals.api} through the API`,
    `  runs:                ${runs} (${byWorkflow})`,
    `  step runs:           ${f.stepRuns}`,
    `  re-executions allowed (cut short by a kill, run again): ${f.reexecutions} executions of ${f.rerunStepRuns} step runs`,
    `  duplicates found:    ${f.duplicates.length}`,
    `  violations:          ${f.violations.length}`,
  ].join("\n");
}
