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
import type { Exit, Scenario, WeftProcess } from "./helpers.js";
import {
  isTerminal,
  listRuns,
  pool,
  printedRunId,
  prng,
  removeBuildSnapshot,
  resumeToEnd,
  startWeft,
  weft,
} from "./helpers.js";
import type { TsRunReport } from "./ts-helpers.js";
import { tsScenario, verifyTsRun } from "./ts-helpers.js";

const kills: number[] = [];
const reports: TsRunReport[] = [];
const started = Date.now();

function killed(s: Scenario, p: WeftProcess, exit: Exit, why: string): void {
  expect(exit.signal, `${s.label}: ${why}: weft should have died by SIGKILL\n${exit.stdout}\n${exit.stderr}`).toBe(
    "SIGKILL",
  );
  s.killed.add(p.pid);
  kills.push(p.pid);
}

/**
 * Named fault points and the hit counts at which a `weft run` of the TS workflow is killed. A run passes
 * `after-start` and `after-handler` about 11 times (10 handlers, p3 twice) and `after-commit` about 25 times.
 */
const FAULTS = [
  "after-commit:1",
  "after-commit:2",
  "after-commit:3",
  "after-commit:5",
  "after-commit:8",
  "after-commit:12",
  "after-commit:17",
  "after-start:1",
  "after-start:2",
  "after-start:4",
  "after-start:7",
  "after-start:10",
  "after-handler:1",
  "after-handler:3",
  "after-handler:6",
  "after-handler:9",
];

afterAll(() => {
  removeBuildSnapshot();
  const rerun = reports.flatMap((r) => r.rerun).length;
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `TS crash tests: ${kills.length} weft processes killed, ${reports.length} runs checked, ${rerun} step runs cut short and re-run, ${reports.filter((r) => r.sleptAcrossTakeover).length} sleeps spanning a takeover, ${seconds} s`,
  );
});

describe("TypeScript workflows: crash recovery with real weft processes and SIGKILL", () => {
  it(`survives a kill at each named fault point (${FAULTS.length} kills)`, async () => {
    const before = kills.length;
    await pool(FAULTS, 4, async (fault) => {
      const s = tsScenario(`TS, WEFT_FAULT=${fault}`);
      const p = startWeft(s, ["run", s.workflow], { fault, durability: "normal" });
      const exit = await p.exited;
      killed(s, p, exit, "weft run");
      const runId = printedRunId(exit);
      expect(runId, `${s.label}: run id`).toBeDefined();
      await resumeToEnd(s, runId!, "normal");
      reports.push(await verifyTsRun(s, runId!));
      s.cleanup();
    });
    expect(kills.length - before).toBe(FAULTS.length);
  }, 90_000);

  it("survives SIGKILLs at random moments (≥ 8 kills, seeded)", async () => {
    const seed = Number(process.env.WEFT_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`TS crash tests: random kills with seed ${seed} (WEFT_CRASH_SEED=${seed} repeats the delays)`);
    const rand = prng(seed);
    const s = tsScenario(`TS, random kills, seed ${seed}`);
    const minKills = 8;
    const maxKills = 30;
    let loopKills = 0;
    for (let i = 0; i < 150; i++) {
      const runs = await listRuns(s);
      const open = runs.filter((r) => !isTerminal(r));
      if (runs.length > 0 && open.length === 0 && loopKills >= minKills) break;
      const args = open[0] ? ["resume", open[0].id] : ["run", s.workflow];
      // A weft process needs ~250 ms to load before its first commit; the run itself takes ~0.8 s.
      const delay = 250 + Math.floor(rand() * 600);
      const p = startWeft(s, args, { durability: "normal" });
      const timer = loopKills < maxKills ? setTimeout(() => p.child.kill("SIGKILL"), delay) : undefined;
      const exit = await p.exited;
      clearTimeout(timer);
      if (exit.signal === "SIGKILL") {
        killed(s, p, exit, `weft ${args[0]} killed after ${delay} ms`);
        loopKills++;
      } else {
        expect({ code: exit.code, signal: exit.signal }, `${s.label}: weft ${args.join(" ")}\n${exit.stderr}`).toEqual({
          code: 0,
          signal: null,
        });
      }
    }
    expect(loopKills, s.label).toBeGreaterThanOrEqual(minKills);
    const runs = await listRuns(s);
    expect(runs.length, s.label).toBeGreaterThan(0);
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
    killed(s, p, exit, "weft run, mid-sleep");
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
    expect(kills.length).toBeGreaterThanOrEqual(25);
    expect(new Set(kills).size).toBe(kills.length);
    expect(reports.flatMap((r) => r.rerun).length).toBeGreaterThan(0);
  });
});
