/**
 * Crash-test helpers (STYLE.md practice 7): a workflow whose script steps leave a trace line every time their
 * handler runs, real `weft` processes that are started and killed with SIGKILL (at a fault point, `killedRun`, or
 * at random moments, `killAtRandom`), and `verifyRun`, which checks DESIGN.md's guarantees for one finished run
 * against `weft status`, the store and the trace. ts-helpers.ts uses the same scenarios, kills and per-step checks
 * (`readFinishedRun`, `checkStepRun`) for a TypeScript workflow.
 *
 * The trace: each script step appends `start <key> <attempt> <idempotency key> <epoch ms> <weft pid>` to
 * `<scenario dir>/side-<run id>.log`, sleeps, then appends `end …` (or `fail …`). The weft pid says which process
 * ran the handler. A killed weft leaves its scripts running as orphans; they finish and write their `end` lines
 * on their own.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import type { EventRecord } from "../../src/core/events.js";
import type { AttemptRecord, CheckpointRecord, RunRecord, StepRunRecord } from "../../src/core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../src/core/model.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import type { Durability, Store } from "../../src/store/store.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
let snapshot: string | undefined;

/**
 * The `weft` these tests start: a copy of the build (`bin/`, `dist/`, `package.json`, with `node_modules`
 * linked), taken once. A rebuild while the tests run (another vitest's global setup, `npm run build`) rewrites
 * `dist/` file by file and could otherwise hand a starting child a half-written module.
 */
function weftBin(): string {
  if (!snapshot) {
    const dir = mkdtempSync(join(tmpdir(), "weft-crash-build-"));
    for (const part of ["bin", "dist", "package.json"]) cpSync(join(REPO, part), join(dir, part), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"), "dir");
    snapshot = dir;
  }
  return join(snapshot, "bin", "weft.js");
}

/** The root of the build snapshot `weft` runs from (its `dist/` for scripts that use the library directly). */
export function buildSnapshot(): string {
  return join(weftBin(), "..", "..");
}

/** Removes the build snapshot (call once, after the last weft process ended). */
export function removeBuildSnapshot(): void {
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  snapshot = undefined;
}

/** Every step run of the workflow below, in a stable order. */
export const STEP_KEYS = ["a", "b", "c", "d", "e", "f", "fe", "fe[0]", "fe[1]", "fe[2]", "g"];

const stepSh = (dir: string) => `#!/bin/sh
# $1: the caller's $PPID; $2: seconds to sleep; $3 = flaky: fail the first attempt ever
# The weft pid: CRASH_OWNER_PID where startWeft set it ($PPID reads 1 when weft died before the shell started).
owner="\${CRASH_OWNER_PID:-$1}"
log="${dir}/side-$WEFT_RUN_ID.log"
trace() { echo "$1 $WEFT_STEP_KEY $WEFT_ATTEMPT $WEFT_IDEMPOTENCY_KEY $(date +%s%3N) $owner" >> "$log"; }
trace start
sleep "$2"
if [ "$3" = flaky ] && [ ! -e "${dir}/flag-$WEFT_RUN_ID" ]; then
  : > "${dir}/flag-$WEFT_RUN_ID"
  trace fail
  exit 1
fi
trace end
`;

/** a → (b, c, d) → e → fe (foreach over 3 items) → f → g; d fails its first attempt and is retried. */
export function workflowYaml(dir: string): string {
  const sh = (seconds: number, extra = "") => `sh ${dir}/step.sh "$PPID" ${seconds}${extra}`;
  return `name: crash
mode: dag
steps:
  - id: a
    command: ${sh(0.05)}
  - id: b
    needs: a
    command: ${sh(0.12)}
  - id: c
    needs: a
    command: ${sh(0.03)}
  - id: d
    needs: a
    retry: { maxAttempts: 3, delay: 50ms }
    command: ${sh(0.02, " flaky")}
  - id: e
    needs: [b, c, d]
    command: ${sh(0.04)}
  - id: fe
    needs: e
    foreach: '["x", "y", "z"]'
    command: ${sh(0.06)}
  - id: f
    needs: fe
    command: ${sh(0.03)}
  - id: g
    needs: f
    command: ${sh(0.02)}
`;
}

export interface Scenario {
  label: string;
  dir: string;
  dataDir: string;
  workflow: string;
  /** Pids of the weft processes this scenario killed. */
  killed: Set<number>;
  /** Removes the temp dir (call it only when the scenario passed, so a failure leaves its evidence). */
  cleanup(): void;
}

/**
 * A scenario in a fresh temp dir (`<prefix>XXXXXX`): the trace script `step.sh` and the workflow file `file`,
 * whose text `workflowText(dir)` gives.
 */
export function newScenario(
  label: string,
  prefix: string,
  file: string,
  workflowText: (dir: string) => string,
): Scenario {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(dir, "step.sh"), stepSh(dir), { mode: 0o755 });
  const workflow = join(dir, file);
  writeFileSync(workflow, workflowText(dir));
  return {
    label: `${label} (${dir})`,
    dir,
    dataDir: join(dir, "data"),
    workflow,
    killed: new Set(),
    cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}

/** A scenario whose `workflow` is the YAML workflow above. */
export function scenario(label: string): Scenario {
  return newScenario(label, "weft-crash-", "wf.yaml", workflowYaml);
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface WeftProcess {
  child: ChildProcess;
  pid: number;
  exited: Promise<Exit>;
}

export interface StartOptions {
  /** `WEFT_FAULT` for this process. */
  fault?: string;
  durability?: Durability;
  /** A process still running after this long is killed and its `exited` rejects (a hang fails fast). Default 30 s. */
  timeoutMs?: number;
}

/** Starts `weft <args> --data-dir <scenario's>` (the built CLI, in its own process). */
export function startWeft(s: Scenario, args: string[], opts: StartOptions = {}): WeftProcess {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ["WEFT_FAULT", "WEFT_DATA_DIR", "WEFT_DURABILITY", "WEFT_MOCK_FIXTURES", "CRASH_OWNER_PID"]) {
    delete env[name];
  }
  // Not a WEFT_* name: steps never inherit weft's own variables; `weft serve` passes it on only when told.
  env.WEFT_PASS_ENV = "CRASH_OWNER_PID";
  if (opts.fault) env.WEFT_FAULT = opts.fault;
  const flags = ["--data-dir", s.dataDir, ...(opts.durability ? ["--durability", opts.durability] : [])];
  // The shell hands its pid to its environment and then becomes node (exec): the scripts of this weft learn its
  // pid from CRASH_OWNER_PID, and `child.pid` is weft's pid.
  const argv = [process.execPath, weftBin(), ...args, ...flags];
  const child = spawn("/bin/sh", ["-c", 'CRASH_OWNER_PID=$$ exec "$0" "$@"', ...argv], {
    cwd: s.dir,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`could not start weft ${args.join(" ")}`);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let hung = false;
  const deadline = setTimeout(() => {
    hung = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  const exited = new Promise<Exit>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => {
      clearTimeout(deadline);
      if (hung) reject(new Error(`${s.label}: weft ${args.join(" ")} did not end within ${timeoutMs} ms\n${stderr}`));
      else resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, pid: child.pid, exited };
}

/** Runs a weft command to its end. */
export function weft(s: Scenario, args: string[], opts: StartOptions = {}): Promise<Exit> {
  return startWeft(s, args, opts).exited;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The run id `weft run` printed on its first line, or undefined when it died before printing it. */
export function printedRunId(exit: Exit): string | undefined {
  const first = exit.stdout.split("\n")[0]?.trim() ?? "";
  return UUID.test(first) ? first : undefined;
}

/** Opens the scenario's store for a few reads; only while none of its weft processes runs. */
export async function withStore<T>(s: Scenario, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = createSqliteStore({ path: join(s.dataDir, "weft.db") });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The scenario's runs, oldest first ([] before the database exists). */
export async function listRuns(s: Scenario): Promise<RunRecord[]> {
  if (!existsSync(join(s.dataDir, "weft.db"))) return [];
  return withStore(s, (store) => store.runs.list({ order: "oldest", limit: 1000 }));
}

export function isTerminal(run: RunRecord | undefined): boolean {
  return run !== undefined && TERMINAL_RUN_STATUSES.has(run.status);
}

/** `weft resume <id>` (no fault) until the run has ended; each resume must exit 0. */
export async function resumeToEnd(s: Scenario, runId: string, durability?: Durability): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const run = await withStore(s, (store) => store.runs.get(runId));
    expect(run, `${s.label}: run ${runId} exists`).toBeDefined();
    if (isTerminal(run)) return;
    const exit = await weft(s, ["resume", runId], durability ? { durability } : {});
    expect({ code: exit.code, signal: exit.signal }, `${s.label}: weft resume\n${exit.stderr}`).toEqual({
      code: 0,
      signal: null,
    });
  }
  const run = await withStore(s, (store) => store.runs.get(runId));
  expect(run?.status, `${s.label}: run ended after 3 resumes`).toBe("completed");
}

/** Asserts that `p` died by SIGKILL and records its pid in the scenario's `killed` and in `kills`. */
export function expectKilled(s: Scenario, p: WeftProcess, exit: Exit, why: string, kills: number[]): void {
  expect(exit.signal, `${s.label}: ${why}: weft should have died by SIGKILL\n${exit.stdout}\n${exit.stderr}`).toBe(
    "SIGKILL",
  );
  s.killed.add(p.pid);
  kills.push(p.pid);
}

/** `weft run <the scenario's workflow>` with `opts` (a fault point, say), which must die by SIGKILL. */
export async function killedRun(
  s: Scenario,
  kills: number[],
  opts: StartOptions,
): Promise<{ p: WeftProcess; exit: Exit; runId: string | undefined }> {
  const p = startWeft(s, ["run", s.workflow], opts);
  const exit = await p.exited;
  expectKilled(s, p, exit, "weft run", kills);
  return { p, exit, runId: printedRunId(exit) };
}

/** The seed of a file's random kills (`WEFT_CRASH_SEED`, else a new one, printed) and its PRNG. */
export function crashSeed(prefix: string): { seed: number; rand: () => number } {
  const seed = Number(process.env.WEFT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  console.log(`${prefix}: random kills with seed ${seed} (WEFT_CRASH_SEED=${seed} repeats the delays)`);
  return { seed, rand: prng(seed) };
}

export interface RandomKillOptions {
  /** The loop goes on until it has killed this many processes (and every run has ended). */
  minKills: number;
  /** Past this many kills the loop lets its processes finish, so it always ends. */
  maxKills: number;
  /** How many processes it starts at the most. */
  rounds: number;
  /** The delay (ms) after which a process is killed. */
  delay: () => number;
  /** `startWeft` options of every process. */
  start: StartOptions;
}

/**
 * Starts weft processes one after the other in one scenario and kills each after a random delay: each carries on
 * an unfinished run (one whose `weft run` died before printing its id included), or starts a run when none is
 * open. A process that is not killed must exit 0. Ends once at least `minKills` processes were killed and every
 * run has ended; returns the runs, how many kills it made and how many processes ran to their end.
 */
export async function killAtRandom(
  s: Scenario,
  kills: number[],
  opts: RandomKillOptions,
): Promise<{ runs: RunRecord[]; kills: number; completedByProcess: number }> {
  let loopKills = 0;
  let completedByProcess = 0;
  for (let i = 0; i < opts.rounds; i++) {
    const runs = await listRuns(s);
    const open = runs.filter((r) => !isTerminal(r));
    if (runs.length > 0 && open.length === 0 && loopKills >= opts.minKills) break;
    const args = open[0] ? ["resume", open[0].id] : ["run", s.workflow];
    const delay = opts.delay();
    const p = startWeft(s, args, opts.start);
    const timer = loopKills < opts.maxKills ? setTimeout(() => p.child.kill("SIGKILL"), delay) : undefined;
    const exit = await p.exited;
    clearTimeout(timer);
    if (exit.signal === "SIGKILL") {
      expectKilled(s, p, exit, `weft ${args[0]} killed after ${delay} ms`, kills);
      loopKills++;
    } else {
      expect({ code: exit.code, signal: exit.signal }, `${s.label}: weft ${args.join(" ")}\n${exit.stderr}`).toEqual({
        code: 0,
        signal: null,
      });
      completedByProcess++;
    }
  }
  expect(loopKills, s.label).toBeGreaterThanOrEqual(opts.minKills);
  const runs = await listRuns(s);
  expect(runs.length, s.label).toBeGreaterThan(0);
  return { runs, kills: loopKills, completedByProcess };
}

/** `WEFT_FAULT` values: each fault point with each of its hit counts (`point:n`), in order. */
export function faultPoints(hits: Record<string, number[]>): string[] {
  return Object.entries(hits).flatMap(([point, counts]) => counts.map((n) => `${point}:${n}`));
}

/** What one crash-test file killed and checked. */
export interface CrashLog<R extends RunReport> {
  /** Every weft process the file killed, by pid. */
  kills: number[];
  /** The report of every run it checked. */
  reports: R[];
  /** For its `afterAll`: removes the build snapshot and prints `<prefix>: <what was killed and checked>`. */
  summary(prefix: string, extra?: string[]): void;
}

export function crashLog<R extends RunReport = RunReport>(): CrashLog<R> {
  const started = Date.now();
  const kills: number[] = [];
  const reports: R[] = [];
  return {
    kills,
    reports,
    summary(prefix, extra = []) {
      removeBuildSnapshot();
      const rerun = reports.flatMap((r) => r.rerun).length;
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const parts = [
        `${kills.length} weft processes killed`,
        `${reports.length} runs checked`,
        `${rerun} step runs cut short and re-run`,
        ...extra,
        `${seconds} s`,
      ];
      console.log(`${prefix}: ${parts.join(", ")}`);
    },
  };
}

/**
 * The last test of a crash-test file: it killed at least 25 distinct weft processes and saw step runs cut short
 * and re-run (without one, the checks would prove nothing).
 */
export function expectKillsAndReruns(kills: readonly number[], reports: readonly RunReport[]): void {
  expect(kills.length).toBeGreaterThanOrEqual(25);
  expect(new Set(kills).size).toBe(kills.length);
  expect(reports.flatMap((r) => r.rerun).length).toBeGreaterThan(0);
}

/** One line of a scenario's trace file. */
export interface TraceLine {
  kind: "start" | "end" | "fail";
  key: string;
  attempt: number;
  idempotencyKey: string;
  at: number;
  pid: number;
}

/** The non-empty lines of a file, or [] when it does not exist (yet). */
export function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}

/** The trace lines the scripts of one run left (`<scenario dir>/side-<run id>.log`). */
export function readTrace(s: Scenario, runId: string): TraceLine[] {
  return readLines(join(s.dir, `side-${runId}.log`)).map((line) => {
    const [kind, key, attempt, idempotencyKey, at, pid, ...rest] = line.split(" ");
    if (!kind || !key || !idempotencyKey || rest.length || !["start", "end", "fail"].includes(kind))
      throw new Error(`${s.label}: malformed trace line "${line}"`);
    return {
      kind: kind as TraceLine["kind"],
      key,
      attempt: Number(attempt),
      idempotencyKey,
      at: Number(at),
      pid: Number(pid),
    };
  });
}

type Completion = Extract<EventRecord, { type: "workflow.step.completed" }>;

/** A finished run as `weft status`, the store and the trace show it, read once for the checks below. */
export interface FinishedRun {
  /** `<scenario label>, run <id>`: the start of every check's message. */
  label: string;
  /** The steps `weft status --format json` listed. */
  statusSteps: Array<{ key: string; status: string; attempt: number }>;
  run: RunRecord | undefined;
  steps: StepRunRecord[];
  attempts: AttemptRecord[];
  events: EventRecord[];
  checkpoints: CheckpointRecord[];
  trace: TraceLine[];
  /** Every lease the run's owners took, in order (the event's seq, the owner's pid). */
  owners: Array<{ seq: number; pid: number }>;
  completions: Completion[];
  /** The engine's announcements that a step run was interrupted (a dead owner left it running). */
  interruptions: EventRecord[];
}

/**
 * Reads a run after its scenario and checks that it completed, per `weft status --format json` (which must exit
 * 0) and per the store.
 */
export async function readFinishedRun(s: Scenario, runId: string): Promise<FinishedRun> {
  const label = `${s.label}, run ${runId}`;
  const status = await weft(s, ["status", runId, "--format", "json"]);
  expect(status.code, `${label}: weft status\n${status.stderr}`).toBe(0);
  const json = JSON.parse(status.stdout) as { status: string; steps: FinishedRun["statusSteps"] };
  expect(json.status, `${label}: weft status`).toBe("completed");
  const stored = await withStore(s, async (store) => ({
    run: await store.runs.get(runId),
    steps: await store.steps.list(runId),
    attempts: await store.steps.attempts(runId),
    events: await store.events.list(runId),
    checkpoints: await store.checkpoints.list(runId),
  }));
  expect(stored.run?.status, label).toBe("completed");
  // The commit that ended the run gave its lease back: a kill after it leaves no owner behind.
  expect(stored.run?.lease, `${label}: lease of the finished run`).toBeNull();
  const { events } = stored;
  const owners: FinishedRun["owners"] = [];
  for (const e of events)
    if (e.type === "workflow.execution.lease_acquired") owners.push({ seq: e.seq, pid: e.data.pid });
  return {
    label,
    statusSteps: json.steps,
    ...stored,
    trace: readTrace(s, runId),
    owners,
    completions: events.filter((e): e is Completion => e.type === "workflow.step.completed"),
    interruptions: events.filter(
      (e) => e.type === "workflow.step.progress" && e.data.stream === "info" && / was interrupted /.test(e.data.output),
    ),
  };
}

/** Event seqs 1..n and checkpoint numbers 1..m, without gaps. */
export function expectNoGaps(r: FinishedRun): void {
  expect(
    r.events.map((e) => e.seq),
    `${r.label}: event seqs`,
  ).toEqual(r.events.map((_, i) => i + 1));
  expect(
    r.checkpoints.map((c) => c.number).sort((x, y) => x - y),
    `${r.label}: checkpoint numbers`,
  ).toEqual(r.checkpoints.map((_, i) => i + 1));
}

export interface StepRunCheck {
  /** Whether a handler ran for the step run (attempt records); else only its completion event is checked. */
  handler: boolean;
  /** Whether its handler is a script of the scenario (trace lines). */
  traced: boolean;
  /** The idempotency key its script must have seen. */
  idempotencyKey: string;
}

/**
 * The checks of one step run of a finished run: exactly one completion event; for a step run whose handler ran,
 * exactly one completed attempt record, whose attempt the completion event and the step record name, and one
 * attempt record per attempt number; for a traced one, one idempotency key, no start line after its recorded
 * completion, the completed attempt ran exactly once in the process that committed it and any other run of it
 * was in a process the scenario killed (an interruption the engine announced), and each earlier attempt either
 * failed or was killed. Returns whether the step run was cut short by a kill and ran again.
 */
export function checkStepRun(s: Scenario, r: FinishedRun, step: StepRunRecord, check: StepRunCheck): boolean {
  const key = step.key;
  const what = `${r.label}, step run ${key}`;
  const done = r.completions.filter((e) => e.data.key === key);
  expect(
    done.map((e) => e.data.status),
    `${what}: exactly one completion event`,
  ).toEqual(["completed"]);
  if (!check.handler) return false;

  const attempts = r.attempts.filter((a) => a.key === key);
  const completedAttempts = attempts.filter((a) => a.status === "completed");
  expect(completedAttempts.length, `${what}: exactly one completed attempt record`).toBe(1);
  const attempt = completedAttempts[0]!.attempt;
  expect(done[0]!.data.attempt, `${what}: completion event's attempt`).toBe(attempt);
  expect(step.attempt, `${what}: step record's attempt`).toBe(attempt);
  const numbers = attempts.map((a) => a.attempt);
  expect(new Set(numbers).size, `${what}: one attempt record per attempt number`).toBe(numbers.length);
  if (!check.traced) return false;

  const lines = r.trace.filter((l) => l.key === key);
  expect(new Set(lines.map((l) => l.idempotencyKey)), `${what}: idempotency keys`).toEqual(
    new Set([check.idempotencyKey]),
  );
  const starts = lines.filter((l) => l.kind === "start");
  const endedAt = step.endedAt ?? Number.NaN;
  for (const l of starts)
    expect(l.at, `${what}: a start line after its completion (re-run)`).toBeLessThanOrEqual(endedAt);

  // The attempt that completed ran once in the process that committed it; any other run of it was cut short.
  const committer = r.owners.filter((o) => o.seq <= done[0]!.seq).at(-1)?.pid;
  const same = starts.filter((l) => l.attempt === attempt);
  expect(
    same.filter((l) => l.pid === committer).length,
    `${what}: attempt ${attempt} ran once in the committing process ${committer}`,
  ).toBe(1);
  expect(
    starts.filter((l) => l.attempt > attempt),
    `${what}: no attempt after the completed one`,
  ).toEqual([]);
  const cut = same.filter((l) => l.pid !== committer);
  for (const l of cut) expect(s.killed.has(l.pid), `${what}: ran in ${l.pid}, which was not killed`).toBe(true);
  if (cut.length) {
    expect(starts.length, `${what}: interrupted, so started at least twice`).toBeGreaterThanOrEqual(2);
    expect(
      r.interruptions.some((e) => e.type === "workflow.step.progress" && e.data.key === key),
      `${what}: the engine announced the interruption`,
    ).toBe(true);
  }
  // Earlier attempts either failed (a recorded failure) or were cut short by a kill.
  for (const l of starts.filter((x) => x.attempt < attempt)) {
    const failed = attempts.some((a) => a.attempt === l.attempt && a.status === "failed");
    expect(failed || s.killed.has(l.pid), `${what}: attempt ${l.attempt} neither failed nor was killed`).toBe(true);
  }
  return cut.length > 0;
}

export interface RunReport {
  /** Step runs whose handler was cut short by a kill and then ran again (same attempt, same idempotency key). */
  rerun: string[];
  /** Every weft pid that took the run's lease and committed, in order. */
  owners: number[];
}

/** What `verifyRun` expects of a finished run of a YAML workflow. */
export interface RunShape {
  /** Every step run's key, sorted. */
  keys: readonly string[];
  /** Step runs whose handler is not a script of the scenario (approvals, sleeps): they leave no trace lines. */
  untraced?: readonly string[];
}

/** The shape of a run of the YAML workflow above. */
export const CRASH_SHAPE: RunShape = { keys: STEP_KEYS };

/**
 * Checks one run of a YAML workflow (by default the one above) after its scenario: completed per `weft status
 * --format json` and the store; every step run of `shape` completed; a foreach parent runs no handler;
 * `checkStepRun` for each step run; one checkpoint per step run; event seqs 1..n and checkpoints 1..m without
 * gaps.
 */
export async function verifyRun(s: Scenario, runId: string, shape: RunShape = CRASH_SHAPE): Promise<RunReport> {
  const r = await readFinishedRun(s, runId);
  const { label, steps } = r;
  const keys = [...shape.keys].sort();
  expect(r.statusSteps.map((st) => [st.key, st.status]).sort(), `${label}: weft status steps`).toEqual(
    keys.map((k) => [k, "completed"]),
  );
  expect(steps.map((st) => st.key).sort(), label).toEqual(keys);
  expectNoGaps(r);
  expect(r.checkpoints.map((c) => c.stepKey).sort(), `${label}: one checkpoint per step run`).toEqual(keys);

  const rerun: string[] = [];
  for (const step of steps) {
    const what = `${label}, step run ${step.key}`;
    expect(step.status, what).toBe("completed");
    const handler = step.items === null;
    const lines = r.trace.filter((l) => l.key === step.key);
    if (!handler) expect(lines, `${what}: a foreach parent runs no handler`).toEqual([]);
    const traced = handler && !shape.untraced?.includes(step.key);
    if (!traced) expect(lines, `${what}: not a script, so no trace lines`).toEqual([]);
    const idempotencyKey = `${runId}:${step.stepId}:${step.iteration ?? 0}`;
    if (checkStepRun(s, r, step, { handler, traced, idempotencyKey })) rerun.push(step.key);
  }
  return { rerun, owners: r.owners.map((o) => o.pid) };
}

/** mulberry32: a small seeded PRNG, so a failing random schedule can be repeated. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Runs `fn` over `items`, at most `n` at a time. After a failure no further item starts; the ones under way end
 * before the first error is thrown (so no weft process outlives the test).
 */
export async function pool<T>(items: readonly T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length && errors.length === 0) {
      try {
        await fn(items[next++]!);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  if (errors.length) throw errors[0];
}
