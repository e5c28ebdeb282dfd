/**
 * SQLite under stress, short (issue 10, "durability at scale"): 8 real weft processes at once on one data
 * directory launching, pausing, resuming, approving and cancelling at random; no lock error ever reaches a
 * user and no update is lost. See sqlite-stress.ts. `npm run chaos` runs it for minutes;
 * `WEFT_CHAOS_SEED=<n>` repeats a failed run's choices (the seed is printed).
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeBuildSnapshot } from "../crash/helpers.js";
import { chaosOptions } from "./options.js";
import { formatStressFigures, sqliteStress } from "./sqlite-stress.js";

const opts = chaosOptions();

afterAll(() => removeBuildSnapshot());

describe("SQLite under stress: many weft processes on one data dir", () => {
  // A bound, not a timed assertion: the drain waits for every run to end on a loaded machine.
  const budgetMs = opts.stressSeconds * 1000 + 1_200_000;
  it(
    `${opts.stressProcesses} processes for ${opts.stressSeconds} s: no lock error, no lost update (seed ${opts.seed})`,
    async () => {
      console.log(`sqlite stress: seed ${opts.seed} (WEFT_CHAOS_SEED=${opts.seed} repeats it)`);
      const figures = await sqliteStress({
        seed: opts.seed,
        seconds: opts.stressSeconds,
        processes: opts.stressProcesses,
        log: (line) => console.log(line),
      });
      console.log(formatStressFigures(figures));
      expect(figures.violations, `seed ${opts.seed}: lock errors and lost updates`).toEqual([]);
      const c = figures.commands;
      expect(c.run.ok + c.run.conflict, `seed ${opts.seed}: runs launched`).toBeGreaterThan(0);
      expect(c.pause.ok + c.approve.ok + c.cancel.ok, `seed ${opts.seed}: commands that changed runs`).toBeGreaterThan(
        0,
      );
    },
    budgetMs,
  );
});
