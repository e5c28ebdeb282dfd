/**
 * Crash-test helpers for TypeScript workflows (issue 3 §7): the same real `weft` processes, SIGKILLs and trace
 * file as helpers.ts (whose process helpers this reuses), with a `defineWorkflow` file instead of a YAML one, and
 * `verifyTsRun`, which checks a finished run of it against `weft status`, the store, the trace and the values
 * the replays saw.
 *
 * The workflow (positions are the journal's `input.pos`):
 *
 *   0 a                       script
 *   1 $now-1, 2 $random-2     ctx.now(), ctx.random()
 *   3 p1, 4 p2, 5 p3          Promise.all of three scripts; p3 fails its first attempt ever and is retried
 *   6 item-0 … 8 item-2       a loop with computed ids
 *   9 $sleep-9                ctx.sleep("200ms")
 *  10 $exec-10                ctx.exec(script)
 *  11 values                  a script whose command carries the now/random values; it appends them to
 *                             `values-<run id>.log` each time it runs and prints them (its recorded output)
 *
 * `execute` returns `{ now, random, seen }` (seen: the values step's stdout). Every script appends
 * `start|end|fail <key> <attempt> <idempotency key> <epoch ms> <weft pid>` to `side-<run id>.log`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "vitest";
import type { EventRecord } from "../../src/core/events.js";
import type { RunReport, Scenario } from "./helpers.js";
import { weft, withStore } from "./helpers.js";

/** Step runs whose handler runs a script (and leaves trace lines). */
export const TS_TRACED = ["a", "p1", "p2", "p3", "item-0", "item-1", "item-2", "$exec-10", "values"];
/** Step runs that run a handler: the scripts and the sleep. */
export const TS_EXECUTED = [...TS_TRACED, "$sleep-9"];
/** Every journal entry of a finished run, sorted. */
export const TS_KEYS = [...TS_EXECUTED, "$now-1", "$random-2"].sort();
/** Each entry's call position. */
export const TS_POSITIONS: Readonly<Record<string, number>> = {
  a: 0,
  "$now-1": 1,
  "$random-2": 2,
  p1: 3,
  p2: 4,
  p3: 5,
  "item-0": 6,
  "item-1": 7,
  "item-2": 8,
  "$sleep-9": 9,
  "$exec-10": 10,
  values: 11,
};

const stepSh = (dir: string) => `#!/bin/sh
# $1: the caller's $PPID; $2: seconds to sleep; $3 = flaky: fail the first attempt ever
owner="\${WEFT_OWNER_PID:-$1}"
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

function workflowTs(dir: string): string {
  return `import { defineWorkflow } from "weftflow";

const sh = (seconds: number, extra = "") => \`sh ${dir}/step.sh "$PPID" \${seconds}\${extra}\`;

export default defineWorkflow({
  name: "ts-crash",
  async execute(ctx) {
    await ctx.step("a", { type: "script", command: sh(0.05) });
    const now = ctx.now();
    const random = ctx.random();
    await Promise.all([
      ctx.step("p1", { type: "script", command: sh(0.12) }),
      ctx.step("p2", { type: "script", command: sh(0.03) }),
      ctx.step("p3", { type: "script", command: sh(0.02, " flaky"), retry: { maxAttempts: 3, delay: "50ms" } }),
    ]);
    for (let i = 0; i < 3; i++) {
      await ctx.step(\`item-\${i}\`, { type: "script", command: sh(0.04) });
    }
    await ctx.sleep("200ms");
    await ctx.exec(sh(0.02));
    const seen = await ctx.step("values", {
      type: "script",
      command: \`\${sh(0.02)} && echo "\${now} \${random}" >> ${dir}/values-$WEFT_RUN_ID.log && echo "\${now} \${random}"\`,
    });
    return { now, random, seen: seen.data?.stdout ?? null };
  },
});
`;
}

/** A scenario (helpers.ts's shape) whose `workflow` is the TypeScript workflow above. */
export function tsScenario(label: string): Scenario {
  const dir = mkdtempSync(join(tmpdir(), "weft-crash-ts-"));
  writeFileSync(join(dir, "step.sh"), stepSh(dir), { mode: 0o755 });
  const workflow = join(dir, "wf.ts");
  writeFileSync(workflow, workflowTs(dir));
  return {
    label: `${label} (${dir})`,
    dir,
    dataDir: join(dir, "data"),
    workflow,
    killed: new Set(),
    cleanup: () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }),
  };
}

interface TraceLine {
  kind: "start" | "end" | "fail";
  key: string;
  attempt: number;
  idempotencyKey: string;
  at: number;
  pid: number;
}

function readLines(file: string): string[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}

function readTrace(s: Scenario, runId: string): TraceLine[] {
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

/**
 * The statically drawn placeholders of a run's dynamic parts (`item-*@14`, `$sleep@15`…): they belong to the
 * pre-run graph only and must never become step records of a run.
 */
export function isPlaceholder(rec: { key: string; status: string; attempt: number }): boolean {
  return /@\d+$/.test(rec.key) && rec.status === "skipped" && rec.attempt === 0;
}

export interface TsRunReport extends RunReport {
  /** Whether a process that took the run over did so while `$sleep-9` was sleeping. */
  sleptAcrossTakeover: boolean;
}

/**
 * Checks one finished run of the workflow above: completed (`weft status --format json` and the store), every
 * journal entry completed at its position; per step run exactly one completion event, and for the ones that
 * run a handler exactly one completed attempt record and one checkpoint; no trace line of a step starts after
 * its recorded completion; one idempotency key per step run; the completed attempt ran exactly once in the
 * process that committed it and any other run of it was in a killed process (an interruption the engine
 * announced); the now/random values the `values` step and the run's output saw are the recorded ones; event
 * seqs 1..n and checkpoints 1..m without gaps.
 */
export async function verifyTsRun(s: Scenario, runId: string): Promise<TsRunReport> {
  const label = `${s.label}, run ${runId}`;
  const status = await weft(s, ["status", runId, "--format", "json"]);
  expect(status.code, `${label}: weft status\n${status.stderr}`).toBe(0);
  const json = JSON.parse(status.stdout) as {
    status: string;
    steps: Array<{ key: string; status: string; attempt: number }>;
  };
  expect(json.status, `${label}: weft status`).toBe("completed");
  expect(
    json.steps
      .filter((st) => !isPlaceholder(st))
      .map((st) => [st.key, st.status])
      .sort(),
    `${label}: weft status steps`,
  ).toEqual(TS_KEYS.map((k) => [k, "completed"]));

  const { run, all, attempts, events, checkpoints } = await withStore(s, async (store) => ({
    run: await store.runs.get(runId),
    all: await store.steps.list(runId),
    attempts: await store.steps.attempts(runId),
    events: await store.events.list(runId),
    checkpoints: await store.checkpoints.list(runId),
  }));
  expect(run?.status, label).toBe("completed");
  expect(all.filter(isPlaceholder), `${label}: placeholders of the static graph became steps`).toEqual([]);
  const steps = all;
  expect(steps.map((st) => st.key).sort(), label).toEqual(TS_KEYS);
  for (const st of steps) {
    expect(st.status, `${label}, ${st.key}`).toBe("completed");
    const input = st.input as { pos?: unknown } | null;
    // Every journal entry records the position of the call that made it.
    expect(input?.pos, `${label}, ${st.key}: position`).toBe(TS_POSITIONS[st.key]);
  }

  expect(
    events.map((e) => e.seq),
    `${label}: event seqs`,
  ).toEqual(events.map((_, i) => i + 1));
  expect(
    checkpoints.map((c) => c.number).sort((x, y) => x - y),
    `${label}: checkpoint numbers`,
  ).toEqual(checkpoints.map((_, i) => i + 1));
  expect(
    checkpoints
      .map((c) => c.stepKey)
      .filter((k) => k !== null)
      .sort(),
    `${label}: one checkpoint per step run that ran`,
  ).toEqual([...TS_EXECUTED].sort());

  const owners: Array<{ seq: number; pid: number }> = [];
  for (const e of events)
    if (e.type === "workflow.execution.lease_acquired") owners.push({ seq: e.seq, pid: e.data.pid });
  const ownerAt = (seq: number) => owners.filter((o) => o.seq <= seq).at(-1)?.pid;
  const completions = events.filter(
    (e): e is Extract<EventRecord, { type: "workflow.step.completed" }> => e.type === "workflow.step.completed",
  );
  const interruptions = events.filter(
    (e) => e.type === "workflow.step.progress" && e.data.stream === "info" && / was interrupted /.test(e.data.output),
  );

  const trace = readTrace(s, runId);
  expect([...new Set(trace.map((l) => l.key))].sort(), `${label}: only the script steps leave trace lines`).toEqual(
    [...TS_TRACED].sort(),
  );
  const rerun: string[] = [];
  for (const step of steps) {
    const key = step.key;
    const what = `${label}, step run ${key}`;
    const done = completions.filter((e) => e.data.key === key);
    expect(
      done.map((e) => e.data.status),
      `${what}: exactly one completion event`,
    ).toEqual(["completed"]);
    if (!TS_EXECUTED.includes(key)) continue; // a journal value: recorded, nothing ran

    const completedAttempts = attempts.filter((a) => a.key === key && a.status === "completed");
    expect(completedAttempts.length, `${what}: exactly one completed attempt record`).toBe(1);
    const attempt = completedAttempts[0]!.attempt;
    expect(done[0]!.data.attempt, `${what}: completion event's attempt`).toBe(attempt);
    expect(step.attempt, `${what}: step record's attempt`).toBe(attempt);
    const numbers = attempts.filter((a) => a.key === key).map((a) => a.attempt);
    expect(new Set(numbers).size, `${what}: one attempt record per attempt number`).toBe(numbers.length);
    if (!TS_TRACED.includes(key)) continue;

    const lines = trace.filter((l) => l.key === key);
    const idem = `${runId}:${step.stepId}:0`;
    expect(new Set(lines.map((l) => l.idempotencyKey)), `${what}: idempotency keys`).toEqual(new Set([idem]));
    const starts = lines.filter((l) => l.kind === "start");
    const endedAt = step.endedAt ?? Number.NaN;
    for (const l of starts)
      expect(l.at, `${what}: a start line after its completion (re-run)`).toBeLessThanOrEqual(endedAt);
    const committer = ownerAt(done[0]!.seq);
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
      rerun.push(key);
      expect(
        interruptions.some((e) => e.type === "workflow.step.progress" && e.data.key === key),
        `${what}: the engine announced the interruption`,
      ).toBe(true);
    }
    for (const l of starts.filter((x) => x.attempt < attempt)) {
      const failed = attempts.some((a) => a.key === key && a.attempt === l.attempt && a.status === "failed");
      expect(failed || s.killed.has(l.pid), `${what}: attempt ${l.attempt} neither failed nor was killed`).toBe(true);
    }
  }

  // The values: recorded once; every replay (and the step that ran after them) saw the recorded ones.
  const byKey = new Map(steps.map((st) => [st.key, st]));
  const now = byKey.get("$now-1")?.output;
  const random = byKey.get("$random-2")?.output;
  expect(typeof now, `${label}: $now-1 recorded`).toBe("number");
  expect(Math.abs((now as number) - (run?.createdAt ?? 0)), `${label}: $now-1 is a time of this run`).toBeLessThan(
    120_000,
  );
  expect(typeof random, `${label}: $random-2 recorded`).toBe("number");
  expect(random as number, label).toBeGreaterThanOrEqual(0);
  expect(random as number, label).toBeLessThan(1);
  const valueLines = readLines(join(s.dir, `values-${runId}.log`));
  expect(valueLines.length, `${label}: the values step ran`).toBeGreaterThanOrEqual(1);
  for (const line of valueLines) {
    const [n, r] = line.split(" ").map(Number);
    expect([n, r], `${label}: values the values step saw`).toEqual([now, random]);
  }
  const output = run?.output as { now: number; random: number; seen: string } | null;
  expect(output?.now, `${label}: run output`).toBe(now);
  expect(output?.random, `${label}: run output`).toBe(random);
  const seen = (output?.seen ?? "").trim().split(" ").map(Number);
  expect(seen, `${label}: the values step's recorded stdout`).toEqual([now, random]);
  expect((byKey.get("values")?.output as { stdout?: string } | null)?.stdout, label).toBe(output?.seen);

  // Did a takeover happen while the sleep was sleeping?
  const waitingAt = events.find((e) => e.type === "workflow.step.waiting" && e.data.key === "$sleep-9")?.seq;
  const sleptAt = completions.find((e) => e.data.key === "$sleep-9")?.seq;
  const sleptAcrossTakeover =
    waitingAt !== undefined && sleptAt !== undefined && owners.some((o) => o.seq > waitingAt && o.seq < sleptAt);
  return { rerun, owners: owners.map((o) => o.pid), sleptAcrossTakeover };
}
