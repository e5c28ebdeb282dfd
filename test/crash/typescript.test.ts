/**
 * Crash tests for TypeScript workflows (issue 3 §7, STYLE.md practice 7): real `weft` processes running a
 * `defineWorkflow` file are killed with SIGKILL — at the engine's named fault points, at random moments and
 * in the middle of a `ctx.sleep` — and every run must still finish with each step run completed exactly once,
 * never re-run after its completion, an interrupted one re-run with the same idempotency key, and the
 * `ctx.now()` / `ctx.random()` values replayed as recorded. See ts-helpers.ts for the workflow and the checks.
 *
 * `WEFT_CRASH_SEED=<n>` repeats the random kill delays of a failed run (the seed is printed).
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  crashLog,
  crashSeed,
  expectKilled,
  expectKillsAndReruns,
  faultPoints,
  killAtRandom,
  killedRun,
  pool,
  printedRunId,
  resumeToEnd,
  startWeft,
  weft,
} from "./helpers.js";
import type { TsRunReport } from "./ts-helpers.js";
import { tsScenario, verifyTsRun } from "./ts-helpers.js";

const log = crashLog<TsRunReport>();
const { kills, reports } = log;

/**
 * Named fault points and the hit counts at which a `weft run` of the TS workflow is killed. A run passes
 * `after-start` and `after-handler` about 11 times (10 handlers, p3 twice), `after-commit` about 14 times (a
 * step's end and the next step's start are one commit) and `after-settle` about 8 times.
 */
const FAULTS = faultPoints({
  "after-commit": [1, 2, 3, 5, 8, 10, 12],
  "after-start": [1, 2, 4, 7, 10],
  "after-handler": [1, 3, 6, 9],
  "after-settle": [1, 3, 6],
  "after-take": [1],
  "after-end": [1],
});

afterAll(() => {
  const sleeps = reports.filter((r) => r.sleptAcrossTakeover).length;
  log.summary("TS crash tests", [`${sleeps} sleeps spanning a takeover`]);
});

describe("TypeScript workflows: crash recovery with real weft processes and SIGKILL", () => {
  it(`survives a kill at each named fault point (${FAULTS.length} kills)`, async () => {
    const before = kills.length;
    await pool(FAULTS, 4, async (fault) => {
      const s = tsScenario(`TS, WEFT_FAULT=${fault}`);
      const { runId } = await killedRun(s, kills, { fault, durability: "normal" });
      expect(runId, `${s.label}: run id`).toBeDefined();
      await resumeToEnd(s, runId!, "normal");
      reports.push(await verifyTsRun(s, runId!));
      s.cleanup();
    });
    expect(kills.length - before).toBe(FAULTS.length);
    // 32 weft processes (a killed one and a resuming one per fault), each bundling the workflow: about 60 s on an
    // idle 2-core machine, more beside the rest of the suite.
  }, 240_000);

  it("survives SIGKILLs at random moments (≥ 8 kills, seeded)", async () => {
    const { seed, rand } = crashSeed("TS crash tests");
    const s = tsScenario(`TS, random kills, seed ${seed}`);
    const { runs } = await killAtRandom(s, kills, {
      minKills: 8,
      maxKills: 30,
      rounds: 150,
      // A weft process needs ~250 ms to load before its first commit; the run itself takes ~0.8 s.
      delay: () => 250 + Math.floor(rand() * 600),
      start: { durability: "normal" },
    });
    for (const run of runs) reports.push(await verifyTsRun(s, run.id));
    s.cleanup();
  }, 90_000);

  it("a ctx.sleep spans a kill: the process that takes over wakes it once, the steps after it run once", async () => {
    const s = tsScenario("TS, killed while sleeping");
    const p = startWeft(s, ["run", s.workflow], { durability: "normal" });
    // The live line is printed after the sleep's `waiting` is committed: kill right then, mid-sleep.
    let printed = "";
    p.child.stdout?.on("data", (d: Buffer) => {
      printed += d.toString();
      if (/\$sleep-9\s+sleeping/.test(printed)) p.child.kill("SIGKILL");
    });
    const exit = await p.exited;
    expectKilled(s, p, exit, "weft run, mid-sleep", kills);
    expect(exit.stdout).toMatch(/\$sleep-9\s+sleeping/);
    expect(exit.stdout).not.toMatch(/\$exec-10\s+running/);
    const runId = printedRunId(exit);
    expect(runId, s.label).toBeDefined();
    const status = JSON.parse((await weft(s, ["status", runId!, "--format", "json"])).stdout) as {
      status: string;
      steps: Array<{ key: string; status: string; waiting_for: string | null }>;
    };
    expect(status.status).toBe("waiting");
    expect(status.steps.find((st) => st.key === "$sleep-9")).toMatchObject({ status: "waiting", waiting_for: "timer" });
    await resumeToEnd(s, runId!, "normal");
    const report = await verifyTsRun(s, runId!);
    expect(report.sleptAcrossTakeover, `${s.label}: the takeover came while the sleep slept`).toBe(true);
    expect(report.rerun, s.label).toEqual([]);
    reports.push(report);
    s.cleanup();
  }, 30_000);

  it("killed at least 25 real weft processes and saw interrupted steps re-run", () => {
    expectKillsAndReruns(kills, reports);
  });
});
