/**
 * The chaos suite's options, read once from the environment (`npm run chaos` sets them from its flags,
 * scripts/chaos.js). Without them the files run their short in-suite versions (`npm test`).
 *
 * | variable                    | in-suite | what                                                               |
 * | --------------------------- | -------- | ------------------------------------------------------------------ |
 * | `WEFT_CHAOS_SEED`           | random   | the seed of every random choice and delay (printed; repeats them)  |
 * | `WEFT_CHAOS_KILLS`          | 24       | kill -9s to deal before the runs are let finish                    |
 * | `WEFT_CHAOS_MINUTES`        | none     | stop dealing kills after this long, however many were dealt        |
 * | `WEFT_CHAOS_CONCURRENCY`    | 2        | data directories under attack at once (two weft processes each)    |
 * | `WEFT_CHAOS_STRESS_SECONDS` | 20       | how long the SQLite stress sends random commands                   |
 * | `WEFT_CHAOS_PROCESSES`      | 8        | weft processes at once on the stress's one data directory          |
 */

export interface ChaosOptions {
  seed: number;
  kills: number;
  minutes: number | undefined;
  concurrency: number;
  stressSeconds: number;
  stressProcesses: number;
}

function intOf(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return n;
}

export function chaosOptions(): ChaosOptions {
  return {
    seed: intOf("WEFT_CHAOS_SEED", Math.floor(Math.random() * 2 ** 31), 0, 2 ** 31 - 1),
    kills: intOf("WEFT_CHAOS_KILLS", 24, 1, 1_000_000),
    minutes: process.env.WEFT_CHAOS_MINUTES ? intOf("WEFT_CHAOS_MINUTES", 0, 1, 10_000) : undefined,
    concurrency: intOf("WEFT_CHAOS_CONCURRENCY", 2, 1, 32),
    stressSeconds: intOf("WEFT_CHAOS_STRESS_SECONDS", 20, 1, 86_400),
    stressProcesses: intOf("WEFT_CHAOS_PROCESSES", 8, 2, 64),
  };
}

/** A pattern of what must never reach a user: SQLite's lock errors and internal errors. */
export const LOCK_ERROR = /SQLITE_BUSY|database is locked|SQLITE_LOCKED|WEFT_INTERNAL|SqliteError/i;
