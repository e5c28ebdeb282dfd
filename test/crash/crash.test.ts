/**
 * Crash tests (STYLE.md practice 7, issue 2 §8): real `weft` processes are killed with SIGKILL — at the engine's
 * named fault points and at random moments — and every run must still finish with each step run completed
 * exactly once, never re-run after its completion, an interrupted one re-run with the same idempotency key.
 * See helpers.ts for the workflow, its trace file and the checks (`verifyRun`).
 *
 * `WEFT_CRASH_SEED=<n>` repeats the random kill delays of a failed run (the seed is printed).
 */
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/engine.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import type { Store } from "../../src/store/store.js";
import { until } from "../helpers/engine.js";
import {
  crashLog,
  crashSeed,
  expectKillsAndReruns,
  faultPoints,
  killAtRandom,
  killedRun,
  pool,
  resumeToEnd,
  scenario,
  startWeft,
  verifyRun,
  weft,
} from "./helpers.js";

const log = crashLog();
const { kills, reports } = log;

/** Named fault points (`WEFT_FAULT=point:n`) and the hit counts at which a `weft run` is killed. */
const FAULTS = faultPoints({
  "after-launch": [1],
  "before-commit": [1, 2, 4, 7],
  "after-commit": [1, 2, 3, 4, 5, 6, 9],
  "after-take": [1],
  "after-end": [1],
  "after-start": [1, 3, 7],
  "after-handler": [1, 3, 6],
});

afterAll(() => log.summary("crash tests"));

describe("crash recovery with real weft processes and SIGKILL", () => {
  it(`survives a kill at each named fault point (${FAULTS.length} kills, durability full)`, async () => {
    const before = kills.length;
    await pool(FAULTS, 2, async (fault) => {
      const s = scenario(`WEFT_FAULT=${fault}`);
      let { runId } = await killedRun(s, kills, { fault });
      if (fault.startsWith("after-launch")) {
        // The run is created but the process died before printing its id: find it as a user would.
        expect(runId, s.label).toBeUndefined();
        const list = await weft(s, ["list", "--format", "json"]);
        const runs = JSON.parse(list.stdout) as Array<{ id: string; status: string }>;
        expect(
          runs.map((r) => r.status),
          s.label,
        ).toEqual(["pending"]);
        runId = runs[0]?.id;
      }
      expect(runId, `${s.label}: run id`).toBeDefined();
      await resumeToEnd(s, runId!);
      reports.push(await verifyRun(s, runId!));
      s.cleanup();
    });
    expect(kills.length - before).toBe(FAULTS.length);
    expect(kills.length - before).toBeGreaterThanOrEqual(15);
  }, 120_000);

  it("survives SIGKILLs at random moments (≥ 12 kills, seeded)", async () => {
    const { seed, rand } = crashSeed("crash tests");
    const s = scenario(`random kills, seed ${seed}`);
    const loop = await killAtRandom(s, kills, {
      minKills: 12,
      maxKills: 40,
      rounds: 200,
      delay: () => 30 + Math.floor(rand() * 371),
      start: { durability: "normal" },
    });
    const { runs } = loop;
    let rerun = 0;
    for (const run of runs) {
      const report = await verifyRun(s, run.id);
      rerun += report.rerun.length;
      reports.push(report);
    }
    console.log(
      `crash tests: random kills: ${loop.kills} kills, ${runs.length} run(s), ${loop.completedByProcess} process(es) ran to the end, ${rerun} step runs cut short and re-run`,
    );
    s.cleanup();
  }, 120_000);

  it("lets exactly one of two racing `weft resume` processes drive an interrupted run", async () => {
    for (let round = 0; round < 2; round++) {
      const s = scenario(`double owner, round ${round + 1}`);
      const { p, runId } = await killedRun(s, kills, { fault: "after-commit:2" });
      expect(runId, s.label).toBeDefined();
      const racers = [startWeft(s, ["resume", runId!]), startWeft(s, ["resume", runId!])];
      const exits = await Promise.all(racers.map((r) => r.exited));
      for (const e of exits) {
        expect({ code: e.code, signal: e.signal }, `${s.label}: weft resume\n${e.stderr}`).toEqual({
          code: 0,
          signal: null,
        });
      }
      const following = exits.map((e) => /being driven by another process/.test(e.stderr));
      expect(following.filter(Boolean).length, `${s.label}: one racer follows the other`).toBe(1);
      const driver = racers[following.indexOf(false)]!.pid;
      const report = await verifyRun(s, runId!);
      // The killed `weft run` owned the run first; of the racers only the driver ever took the lease.
      expect(report.owners, s.label).toEqual([p.pid, driver]);
      reports.push(report);
      s.cleanup();
    }
  }, 60_000);

  it("re-runs the interrupted steps when the takeover's first commit conflicts with a pause", async () => {
    // A `weft run` dies with steps running; an engine takes the run over, and right after it took the lease
    // another process pauses the run, so the engine's first commit (the takeover) fails with a conflict and
    // is computed again from the store. The steps the dead owner left running must still run again.
    const s = scenario("takeover racing a pause");
    const { runId } = await killedRun(s, kills, { fault: "after-start:3" });
    expect(runId, s.label).toBeDefined();
    const path = join(s.dataDir, "weft.db");
    const stores = [createSqliteStore({ path }), createSqliteStore({ path })] as const;
    const controller = createEngine({ store: stores[1], dataDir: s.dataDir, projectPath: s.dir });
    let paused = false;
    const racing: Store = {
      ...stores[0],
      // The new owner's first commit (it carries a lease epoch) lands just after another process's pause.
      async commit(t) {
        if (t.epoch !== undefined && !paused) {
          paused = true;
          await controller.pause(t.runId);
        }
        return stores[0].commit(t);
      },
    };
    const engine = createEngine({ store: racing, dataDir: s.dataDir, projectPath: s.dir, pollMs: 20 });
    try {
      const done = engine.execute(runId!);
      const before = await stores[1].steps.list(runId!);
      expect(before.filter((st) => st.status === "running").length, s.label).toBeGreaterThan(0);
      await until(async () => paused && (await stores[1].runs.get(runId!))?.status === "paused", 5000, "the pause");
      await controller.resume(runId!);
      const end = await Promise.race([done, sleep(15_000).then(() => undefined)]);
      expect(end?.status, `${s.label}: the run ended after the conflicting takeover`).toBe("completed");
    } finally {
      await engine.close();
      await controller.close();
      for (const store of stores) await store.close();
    }
    reports.push(await verifyRun(s, runId!));
    s.cleanup();
  }, 60_000);

  it("killed at least 25 real weft processes and saw interrupted steps re-run", () => {
    expectKillsAndReruns(kills, reports);
  });
});
