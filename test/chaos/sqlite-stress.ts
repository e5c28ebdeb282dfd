/**
 * SQLite under stress (issue 10, "durability at scale"): `processes` real weft processes at once on one data
 * directory, for `seconds`, each slot starting one command after the other at random — `weft run` (drives its
 * run in the foreground), `weft resume`, `weft pause`, `weft approve --no-wait`, `weft cancel`, `weft status`,
 * `weft list`. At most `processes - 2` slots hold a foreground run at once, so commands keep flowing. Then a
 * drain approves and resumes until every run has ended.
 *
 * What must hold: no process prints SQLITE_BUSY, "database is locked" or an internal error, and each exits
 * with a code its command may answer (a conflict, 4, is a correct answer to a race: pausing a run that has
 * just ended); no lost update — every cancel that succeeded is the run's end and no run ended cancelled
 * without one, every approve that succeeded is the one decision recorded for its step (by its unique name), a
 * run paused or un-paused only by a pause or resume that succeeded, every status change follows the previous
 * one, the run's status is its log's last; and the counters agree (events and checkpoints gapless up to the
 * run's `last_seq` / `last_checkpoint`, `PRAGMA integrity_check` ok).
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import type { EventRecord } from "../../src/core/events.js";
import type { RunRecord } from "../../src/core/model.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";
import { type Exit, isTerminal, newScenario, prng, type Scenario, startWeft } from "../crash/helpers.js";
import { LOCK_ERROR } from "./options.js";

const STRESS_YAML = `name: stress
steps:
  - id: a
    command: sleep 0.1
  - id: fan
    foreach: '[1, 2, 3]'
    command: sleep 0.05
  - id: gate
    type: approval
  - id: b
    command: sleep 0.05
`;

type Verb = "run" | "resume" | "pause" | "approve" | "cancel" | "status" | "list";

/** The exit codes each command may answer: 1 is a run that ended cancelled, 4 a conflict lost to a race. */
const ALLOWED: Record<Verb, readonly number[]> = {
  run: [0, 1],
  resume: [0, 1, 4],
  pause: [0, 4],
  approve: [0, 4],
  cancel: [0, 4],
  status: [0],
  list: [0],
};

interface Done {
  verb: Verb;
  runId: string | undefined;
  /** The approver's unique name. */
  by?: string;
  exit: Exit;
}

export interface StressOptions {
  seed: number;
  seconds: number;
  processes: number;
  log?: (line: string) => void;
}

export interface StressFigures {
  seed: number;
  processes: number;
  seconds: number;
  commands: Record<Verb, { ok: number; conflict: number }>;
  runs: { completed: number; cancelled: number; other: number };
  events: number;
  violations: string[];
}

interface Ctx {
  opts: StressOptions;
  s: Scenario;
  store: Store;
  rand: () => number;
  done: Done[];
  foreground: number;
  approvals: number;
  violations: string[];
}

async function command(ctx: Ctx, verb: Verb, runId: string | undefined, extra: string[] = []): Promise<Done> {
  const args = [verb, ...(runId === undefined ? [] : [runId]), ...extra];
  if (verb !== "list" && verb !== "status") args.push("--format", "json");
  if (verb === "run") args.push(join(ctx.s.dir, "stress.yaml"));
  const by = verb === "approve" ? `approver-${++ctx.approvals}` : undefined;
  if (by) args.push("--no-wait", "--by", by);
  // Bounds, not timings: a foreground run may wait for approvals until the drain; a command for a loaded machine.
  const timeoutMs = verb === "run" || verb === "resume" ? 900_000 : 180_000;
  const exit = await startWeft(ctx.s, args, { durability: ctx.rand() < 0.5 ? "normal" : "full", timeoutMs }).exited;
  const what = `stress (seed ${ctx.opts.seed}): weft ${args.join(" ")}`;
  if (LOCK_ERROR.test(exit.stderr) || LOCK_ERROR.test(exit.stdout))
    ctx.violations.push(`${what} printed a lock or internal error:\n${exit.stderr}`);
  if (exit.signal !== null || !ALLOWED[verb].includes(exit.code ?? -1))
    ctx.violations.push(`${what} exited ${exit.code ?? exit.signal}:\n${exit.stderr}`);
  const done: Done = { verb, runId: verb === "run" ? runIdOf(exit) : runId, exit, ...(by ? { by } : {}) };
  ctx.done.push(done);
  return done;
}

function runIdOf(exit: Exit): string | undefined {
  const first = exit.stdout.split("\n")[0];
  try {
    return (JSON.parse(first ?? "") as { id?: string }).id;
  } catch {
    return undefined;
  }
}

const pick = <T>(rand: () => number, items: readonly T[]): T | undefined => items[Math.floor(rand() * items.length)];

async function openRuns(ctx: Ctx): Promise<RunRecord[]> {
  return (await ctx.store.runs.list({ order: "oldest", limit: 100_000 })).filter((r) => !isTerminal(r));
}

/** The key of a step of `run` that waits for approval, if any. */
async function waitingApproval(ctx: Ctx, runId: string): Promise<string | undefined> {
  const steps = await ctx.store.steps.list(runId);
  return steps.find((st) => st.status === "waiting" && st.waitingFor === "approval")?.key;
}

/** One slot: a command after the other until the deadline. */
async function slot(ctx: Ctx, deadline: number): Promise<void> {
  const { rand } = ctx;
  const cap = ctx.opts.processes - 2;
  while (Date.now() < deadline) {
    const open = await openRuns(ctx);
    const r = rand();
    const canHold = ctx.foreground < cap;
    let verb: Verb;
    let runId: string | undefined;
    if (canHold && (open.length < 3 || r < 0.15)) verb = "run";
    else if (r < 0.4) [verb, runId] = ["pause", pick(rand, open)?.id];
    else if (r < 0.55 && canHold)
      [verb, runId] = [
        "resume",
        pick(
          rand,
          open.filter((x) => x.status === "paused"),
        )?.id,
      ];
    else if (r < 0.85) {
      const candidates = open.filter((x) => x.status === "waiting" || x.status === "paused");
      runId = pick(rand, candidates)?.id;
      const step = runId === undefined ? undefined : await waitingApproval(ctx, runId);
      verb = step === undefined ? "status" : "approve";
      if (step !== undefined) {
        await command(ctx, verb, runId, [step]);
        continue;
      }
    } else if (r < 0.92) [verb, runId] = ["cancel", pick(rand, open)?.id];
    else verb = rand() < 0.5 ? "list" : "status";
    if (verb !== "run" && verb !== "list" && runId === undefined) verb = "list";
    if (verb === "status" && runId === undefined) verb = "list";
    const holds = verb === "run" || verb === "resume";
    if (holds) ctx.foreground++;
    try {
      await command(ctx, verb, verb === "run" || verb === "list" ? undefined : runId);
    } finally {
      if (holds) ctx.foreground--;
    }
  }
}

/** After the deadline: approves what waits and resumes every open run (once each) until all have ended. */
async function drain(ctx: Ctx, slots: Promise<void>): Promise<void> {
  let slotsDone = false;
  void slots.finally(() => {
    slotsDone = true;
  });
  const resumed = new Map<string, Promise<Done>>();
  const limit = Date.now() + 900_000;
  for (;;) {
    const open = await openRuns(ctx);
    if (open.length === 0 && slotsDone) break;
    if (Date.now() > limit) {
      ctx.violations.push(`stress (seed ${ctx.opts.seed}): runs still open after the drain: ${open.map((x) => x.id)}`);
      break;
    }
    for (const run of open) {
      const step = await waitingApproval(ctx, run.id);
      if (step !== undefined) await command(ctx, "approve", run.id, [step]);
      if (!resumed.has(run.id)) resumed.set(run.id, command(ctx, "resume", run.id));
    }
    await sleep(300);
  }
  await Promise.all([slots, ...resumed.values()]);
}

const count = <T>(items: readonly T[], pred: (x: T) => boolean) => items.filter(pred).length;

/** The lost-update and counter checks of one ended run. */
async function checkRun(ctx: Ctx, run: RunRecord, db: Database.Database): Promise<number> {
  const v = (text: string) => ctx.violations.push(`stress (seed ${ctx.opts.seed}), run ${run.id}: ${text}`);
  const events: EventRecord[] = await ctx.store.events.list(run.id, 0, 1_000_000);
  const steps = await ctx.store.steps.list(run.id);
  const mine = ctx.done.filter((d) => d.runId === run.id);
  const ok = (verb: Verb) => mine.filter((d) => d.verb === verb && d.exit.code === 0);

  if (run.status !== "completed" && run.status !== "cancelled") v(`ended ${run.status}`);
  // Cancel: the run ended cancelled exactly when one cancel succeeded.
  const cancels = ok("cancel").length;
  if ((run.status === "cancelled" ? 1 : 0) !== cancels) v(`${run.status} after ${cancels} successful cancel(s)`);
  // Approve: each success is the one decision of its step, and every decision is a success's.
  const decided = events.filter(
    (e): e is Extract<EventRecord, { type: "workflow.approval.decided" }> => e.type === "workflow.approval.decided",
  );
  const approvers = ok("approve").map((d) => d.by);
  const deciders = decided.map((e) => e.data.by);
  if ([...approvers].sort().join() !== [...deciders].sort().join())
    v(`successful approves ${approvers.join(",") || "none"}, decisions recorded ${deciders.join(",") || "none"}`);
  if (new Set(decided.map((e) => e.data.key)).size !== decided.length) v("a step was decided twice");
  // Status changes: a chain (each from the previous one), the last one the run's status, and every pause or
  // un-pause the work of a pause or resume that succeeded (an un-paused run does not pause again by itself).
  const changes = events.filter(
    (e): e is Extract<EventRecord, { type: "workflow.execution.status_changed" }> =>
      e.type === "workflow.execution.status_changed",
  );
  changes.forEach((e, i) => {
    const before = i === 0 ? undefined : changes[i - 1]!.data.status;
    if (before !== undefined && e.data.previous !== before)
      v(`status change ${e.seq} from ${e.data.previous}, but the one before went to ${before}`);
  });
  if (changes.at(-1)?.data.status !== run.status)
    v(`status ${run.status}, last status change ${changes.at(-1)?.data.status}`);
  const pauses = count(changes, (e) => e.data.status === "paused");
  if (pauses > ok("pause").length) v(`paused ${pauses} times by ${ok("pause").length} successful pause(s)`);
  if (ok("pause").length > 0 && pauses === 0) v("pause succeeded but the run never paused");
  for (const d of ok("pause")) {
    if (!d.exit.stdout.includes('"status":"paused"')) v(`a successful pause answered ${d.exit.stdout.trim()}`);
  }
  const unpaused = count(changes, (e) => e.data.previous === "paused" && e.data.status !== "cancelled");
  const resumes = count(mine, (d) => d.verb === "resume" && d.exit.code !== 4);
  if (unpaused > resumes) v(`un-paused ${unpaused} times by ${resumes} resume(s)`);
  // Steps: none left unfinished; a completed run's steps each completed once.
  for (const st of steps) {
    if (["pending", "ready", "running", "waiting"].includes(st.status)) v(`step ${st.key} left ${st.status}`);
    const completions = events.filter((e) => e.type === "workflow.step.completed" && e.data.key === st.key);
    if (run.status === "completed" && (st.status !== "completed" || completions.length !== 1))
      v(`step ${st.key} ${st.status} with ${completions.length} completion event(s) in a completed run`);
    if (completions.length > 1) v(`step ${st.key} completed ${completions.length} times`);
  }
  // Counters: events 1..last_seq and checkpoints 1..last_checkpoint without gaps.
  const row = db
    .prepare(
      `SELECT last_seq, last_checkpoint,
              (SELECT count(*) FROM events WHERE run_id = runs.id) AS n_events,
              (SELECT coalesce(max(seq), 0) FROM events WHERE run_id = runs.id) AS max_seq,
              (SELECT count(*) FROM checkpoints WHERE run_id = runs.id) AS n_checkpoints,
              (SELECT coalesce(max(number), 0) FROM checkpoints WHERE run_id = runs.id) AS max_checkpoint
         FROM runs WHERE id = ?`,
    )
    .get(run.id) as Record<string, number>;
  if (row.last_seq !== row.n_events || row.last_seq !== row.max_seq) v(`counters ${JSON.stringify(row)}`);
  if (row.last_checkpoint !== row.n_checkpoints || row.last_checkpoint !== row.max_checkpoint)
    v(`checkpoint counters ${JSON.stringify(row)}`);
  return events.length;
}

/** Runs the stress and returns its figures; the scenario is removed when nothing was violated. */
export async function sqliteStress(opts: StressOptions): Promise<StressFigures> {
  const started = Date.now();
  const s = newScenario(`sqlite stress, seed ${opts.seed}`, "weft-stress-", "stress.yaml", () => STRESS_YAML);
  const ctx: Ctx = {
    opts,
    s,
    store: createSqliteStore({ path: join(s.dataDir, "weft.db") }),
    rand: prng(opts.seed),
    done: [],
    foreground: 0,
    approvals: 0,
    violations: [],
  };
  const figures: StressFigures = {
    seed: opts.seed,
    processes: opts.processes,
    seconds: 0,
    commands: {
      run: { ok: 0, conflict: 0 },
      resume: { ok: 0, conflict: 0 },
      pause: { ok: 0, conflict: 0 },
      approve: { ok: 0, conflict: 0 },
      cancel: { ok: 0, conflict: 0 },
      status: { ok: 0, conflict: 0 },
      list: { ok: 0, conflict: 0 },
    },
    runs: { completed: 0, cancelled: 0, other: 0 },
    events: 0,
    violations: ctx.violations,
  };
  try {
    const deadline = Date.now() + opts.seconds * 1000;
    const slots = Promise.all(Array.from({ length: opts.processes }, () => slot(ctx, deadline))).then(() => {});
    await sleep(opts.seconds * 1000);
    opts.log?.(`stress: ${opts.seconds} s of random commands sent; draining`);
    await drain(ctx, slots);
    const db = new Database(join(s.dataDir, "weft.db"), { readonly: true });
    try {
      const integrity = db.pragma("integrity_check", { simple: true });
      if (integrity !== "ok") ctx.violations.push(`stress (seed ${opts.seed}): integrity_check: ${integrity}`);
      for (const run of await ctx.store.runs.list({ order: "oldest", limit: 100_000 })) {
        figures.events += await checkRun(ctx, run, db);
        if (run.status === "completed" || run.status === "cancelled") figures.runs[run.status]++;
        else figures.runs.other++;
      }
    } finally {
      db.close();
    }
  } finally {
    await ctx.store.close();
  }
  for (const d of ctx.done) {
    if (d.exit.code === 0) figures.commands[d.verb].ok++;
    else if (d.exit.code === 4) figures.commands[d.verb].conflict++;
  }
  figures.seconds = Math.round((Date.now() - started) / 1000);
  if (ctx.violations.length === 0) s.cleanup();
  return figures;
}

export function formatStressFigures(f: StressFigures): string {
  const cmds = Object.entries(f.commands)
    .map(([verb, c]) => `${verb} ${c.ok}${c.conflict ? ` (+${c.conflict} conflicts)` : ""}`)
    .join(", ");
  const total = Object.values(f.commands).reduce((a, c) => a + c.ok + c.conflict, 0);
  return [
    `sqlite stress, seed ${f.seed} (WEFT_CHAOS_SEED=${f.seed}), ${f.processes} processes on one data dir, ${f.seconds} s:`,
    `  commands:   ${total} (${cmds})`,
    `  runs:       ${f.runs.completed} completed, ${f.runs.cancelled} cancelled, ${f.runs.other} other; ${f.events} events`,
    `  lock errors or lost updates: ${f.violations.length}`,
  ].join("\n");
}
