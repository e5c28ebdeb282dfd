/**
 * Crash-test helpers for TypeScript workflows (issue 3 §7): the same real `weft` processes, SIGKILLs, trace
 * script and per-step checks as helpers.ts (which this reuses), with a `defineWorkflow` file instead of a YAML
 * one, and `verifyTsRun`, which checks a finished run of it against `weft status`, the store, the trace and the
 * values the replays saw.
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
import { join } from "node:path";
import { expect } from "vitest";
import { isJournalValue } from "../../src/core/model.js";
import type { RunReport, Scenario } from "./helpers.js";
import { checkStepRun, expectNoGaps, newScenario, readFinishedRun, readLines } from "./helpers.js";

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

export function workflowTs(dir: string): string {
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

/** A scenario (helpers.ts's) whose `workflow` is the TypeScript workflow above. */
export function tsScenario(label: string): Scenario {
  return newScenario(label, "weft-crash-ts-", "wf.ts", workflowTs);
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
 * journal entry completed at its position and none a placeholder of the static graph; `checkStepRun` for each
 * step run (a journal value: its completion event only; the sleep: its attempt records too; a script: its
 * trace as well), and only the scripts leave trace lines; one checkpoint per step run that ran; the now/random
 * values the `values` step and the run's output saw are the recorded ones; event seqs 1..n and checkpoints
 * 1..m without gaps.
 */
export async function verifyTsRun(s: Scenario, runId: string): Promise<TsRunReport> {
  const r = await readFinishedRun(s, runId);
  const { label, run, steps, events, completions, owners } = r;
  expect(
    r.statusSteps
      .filter((st) => !isPlaceholder(st))
      .map((st) => [st.key, st.status])
      .sort(),
    `${label}: weft status steps`,
  ).toEqual(TS_KEYS.filter((k) => !isJournalValue(k)).map((k) => [k, "completed"]));
  expect(steps.filter(isPlaceholder), `${label}: placeholders of the static graph became steps`).toEqual([]);
  expect(steps.map((st) => st.key).sort(), label).toEqual(TS_KEYS);
  for (const st of steps) {
    expect(st.status, `${label}, ${st.key}`).toBe("completed");
    const input = st.input as { pos?: unknown } | null;
    // Every journal entry records the position of the call that made it.
    expect(input?.pos, `${label}, ${st.key}: position`).toBe(TS_POSITIONS[st.key]);
  }

  expectNoGaps(r);
  expect(
    r.checkpoints
      .map((c) => c.stepKey)
      .filter((k) => k !== null)
      .sort(),
    `${label}: one checkpoint per step run that ran`,
  ).toEqual([...TS_EXECUTED].sort());

  expect([...new Set(r.trace.map((l) => l.key))].sort(), `${label}: only the script steps leave trace lines`).toEqual(
    [...TS_TRACED].sort(),
  );
  const rerun: string[] = [];
  for (const step of steps) {
    const check = {
      handler: TS_EXECUTED.includes(step.key), // else a journal value: recorded, nothing ran
      traced: TS_TRACED.includes(step.key),
      idempotencyKey: `${runId}:${step.stepId}:0`,
    };
    if (checkStepRun(s, r, step, check)) rerun.push(step.key);
  }

  // The values: recorded once; every replay (and the step that ran after them) saw the recorded ones.
  const byKey = new Map(steps.map((st) => [st.key, st]));
  const now = byKey.get("$now-1")?.output;
  const random = byKey.get("$random-2")?.output;
  expect(typeof now, `${label}: $now-1 recorded`).toBe("number");
  // A time of this run: not before it was created, not after the value was recorded (however long kills and
  // restarts delayed that).
  expect(now as number, `${label}: $now-1 before the run was created`).toBeGreaterThanOrEqual(run?.createdAt ?? 0);
  expect(now as number, `${label}: $now-1 after it was recorded`).toBeLessThanOrEqual(
    byKey.get("$now-1")?.endedAt ?? Number.NaN,
  );
  expect(typeof random, `${label}: $random-2 recorded`).toBe("number");
  expect(random as number, label).toBeGreaterThanOrEqual(0);
  expect(random as number, label).toBeLessThan(1);
  const valueLines = readLines(join(s.dir, `values-${runId}.log`));
  expect(valueLines.length, `${label}: the values step ran`).toBeGreaterThanOrEqual(1);
  for (const line of valueLines) {
    const [seenNow, seenRandom] = line.split(" ").map(Number);
    expect([seenNow, seenRandom], `${label}: values the values step saw`).toEqual([now, random]);
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
