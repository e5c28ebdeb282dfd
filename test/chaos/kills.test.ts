/**
 * The kill chaos, short (issue 10, "durability at scale"): random `kill -9`s of real `weft run`, `weft resume`
 * and `weft serve` processes over mixed workflows until every run completes; each step run must be recorded
 * exactly once and re-run only when a kill cut it short. See kill-chaos.ts. `npm run chaos` runs it with
 * 1,000 kills; `WEFT_CHAOS_SEED=<n>` repeats a failed run's choices and delays (the seed is printed).
 */
import { afterAll, describe, expect, it } from "vitest";
import { removeBuildSnapshot } from "../crash/helpers.js";
import { formatKillFigures, killChaos } from "./kill-chaos.js";
import { chaosOptions } from "./options.js";

const opts = chaosOptions();

afterAll(() => removeBuildSnapshot());

describe("kill chaos: weft run / resume / serve killed at random, every run completes, nothing twice", () => {
  // A bound, not a timed assertion: room for a loaded 2-core machine (a process may need seconds to load).
  const budgetMs =
    600_000 + Math.min(Math.ceil((opts.kills * 10_000) / opts.concurrency), (opts.minutes ?? 1e9) * 60_000);
  it(
    `deals ${opts.kills} kills over ${opts.concurrency} data dirs (seed ${opts.seed})`,
    async () => {
      console.log(`kill chaos: seed ${opts.seed} (WEFT_CHAOS_SEED=${opts.seed} repeats it)`);
      const figures = await killChaos({
        seed: opts.seed,
        kills: opts.kills,
        minutes: opts.minutes,
        lanes: opts.concurrency,
        log: (line) => console.log(line),
      });
      console.log(formatKillFigures(figures));
      const seed = `seed ${opts.seed}`;
      expect(figures.violations, `${seed}: violations`).toEqual([]);
      expect(figures.duplicates, `${seed}: duplicates`).toEqual([]);
      const kills = figures.kills.run + figures.kills.resume + figures.kills.serve;
      // Only a time budget (`WEFT_CHAOS_MINUTES`) may end the kills early; the figures then say so.
      if (figures.outOfTime) expect(kills, `${seed}: kills dealt`).toBeGreaterThan(0);
      else expect(kills, `${seed}: kills dealt`).toBeGreaterThanOrEqual(opts.kills);
      expect(
        Object.values(figures.runs).reduce((a, b) => a + b, 0),
        `${seed}: runs`,
      ).toBeGreaterThan(0);
    },
    budgetMs,
  );
});
