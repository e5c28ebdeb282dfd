/** The time source of the rate limiters: injectable so tests move time by hand and never sleep. */

export interface LimiterClock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once, after `ms` milliseconds; the returned function cancels the call. */
  setTimer(ms: number, fn: () => void): () => void;
}

/** Real time: `Date.now()` and `setTimeout`. */
export const systemLimiterClock: LimiterClock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(timer);
  },
};
