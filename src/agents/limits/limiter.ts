/**
 * One rate-limit key (`anthropic`, `openai/gpt-4o`): requests per minute and tokens per minute over a sliding
 * window of 60 s, and a FIFO queue of the requests that do not fit yet.
 *
 * - A request is admitted when, counting every request admitted in the last 60 s, one more stays within
 *   `requestsPerMinute` and its token estimate stays within `tokensPerMinute`. A request whose estimate alone
 *   is over `tokensPerMinute` is admitted when the window holds no tokens (it would never fit otherwise).
 * - Admission is strictly first in, first out: a small request does not overtake a large one at the head.
 * - A waiter whose signal aborts leaves the queue at once and rejects with the signal's reason.
 * - `blockUntil` (a provider's Retry-After) holds every request of the key until then.
 * - An admitted request's tokens are an estimate until its permit is settled with what the call really used.
 */
import { WeftError } from "../../core/errors.js";
import type { LimiterClock } from "./clock.js";

/** The limits of one key. Absent: no limit of that kind. */
export interface RateLimit {
  requestsPerMinute?: number | undefined;
  tokensPerMinute?: number | undefined;
}

/** An admitted request's place in the window. */
export interface Permit {
  /** Replaces the token estimate with the tokens the call really used (input + output). Once. */
  settle(tokens: number): void;
  /** Takes the request out of the window: it was never sent. Once; a no-op after `settle`. */
  cancel(): void;
}

export interface KeyLimiter {
  readonly key: string;
  readonly limit: Readonly<RateLimit>;
  /**
   * Resolves when a request of `tokens` (estimated) tokens may go. Queues behind earlier requests (or, with
   * `front`, ahead of them: a request that was already admitted once and must wait again).
   * @throws the signal's reason when it aborts while queued (a `WeftError` `WEFT_CANCELLED` when the reason
   *   is not an Error).
   */
  acquire(tokens: number, signal: AbortSignal, opts?: { front?: boolean }): Promise<Permit>;
  /** How long a request of `tokens` tokens queued now would wait, in ms, if nothing else changed. */
  expectedWait(tokens: number): number;
  /** Holds every request until `until` (epoch ms); an earlier time than a current block changes nothing. */
  blockUntil(until: number): void;
  /** Requests waiting now. */
  readonly queued: number;
}

export const WINDOW_MS = 60_000;

interface Entry {
  at: number;
  tokens: number;
}

interface Waiter {
  tokens: number;
  signal: AbortSignal;
  resolve(permit: Permit): void;
  onAbort(): void;
}

export function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new WeftError("WEFT_CANCELLED", "the agent call was cancelled while waiting for a rate limit");
}

export function createKeyLimiter(key: string, limit: RateLimit, clock: LimiterClock): KeyLimiter {
  const rpm = limit.requestsPerMinute;
  const tpm = limit.tokensPerMinute;
  const counts = rpm !== undefined || tpm !== undefined;
  let entries: Entry[] = [];
  const queue: Waiter[] = [];
  let blockedUntil = Number.NEGATIVE_INFINITY;
  let cancelTimer: (() => void) | undefined;

  /** The earliest time ≥ `from` at which a request of `tokens` fits, given the admitted `list` (sorted by time). */
  const earliestStart = (list: readonly Entry[], tokens: number, from: number): number => {
    let t = Math.max(from, blockedUntil);
    const active = list.filter((e) => e.at + WINDOW_MS > t);
    if (rpm !== undefined && active.length >= rpm) {
      t = Math.max(t, (active[active.length - rpm] as Entry).at + WINDOW_MS);
    }
    if (tpm !== undefined) {
      let sum = active.reduce((n, e) => n + e.tokens, 0);
      for (let i = 0; sum > 0 && sum + tokens > tpm && i < active.length; i++) {
        const e = active[i] as Entry;
        t = Math.max(t, e.at + WINDOW_MS);
        sum -= e.tokens;
      }
    }
    return t;
  };

  const admit = (tokens: number, now: number): Permit => {
    if (!counts) return { settle: () => {}, cancel: () => {} };
    const entry: Entry = { at: now, tokens };
    entries.push(entry);
    let done = false;
    return {
      settle(actual) {
        if (done) return;
        done = true;
        entry.tokens = Math.max(0, actual);
        pump();
      },
      cancel() {
        if (done) return;
        done = true;
        entries = entries.filter((e) => e !== entry);
        pump();
      },
    };
  };

  function pump(): void {
    cancelTimer?.();
    cancelTimer = undefined;
    const now = clock.now();
    entries = entries.filter((e) => e.at + WINDOW_MS > now);
    while (queue.length > 0) {
      const head = queue[0] as Waiter;
      const start = earliestStart(entries, head.tokens, now);
      if (start > now) {
        cancelTimer = clock.setTimer(start - now, pump);
        return;
      }
      queue.shift();
      head.signal.removeEventListener("abort", head.onAbort);
      head.resolve(admit(head.tokens, now));
    }
  }

  return {
    key,
    limit: { ...limit },
    get queued() {
      return queue.length;
    },
    acquire(tokens, signal, opts = {}) {
      if (signal.aborted) return Promise.reject(abortReason(signal));
      return new Promise<Permit>((resolve, reject) => {
        const waiter: Waiter = {
          tokens: Math.max(0, tokens),
          signal,
          resolve,
          onAbort: () => {
            const at = queue.indexOf(waiter);
            if (at >= 0) queue.splice(at, 1);
            reject(abortReason(signal));
            pump();
          },
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
        if (opts.front) queue.unshift(waiter);
        else queue.push(waiter);
        pump();
      });
    },
    expectedWait(tokens) {
      const now = clock.now();
      const simulated = entries.filter((e) => e.at + WINDOW_MS > now).map((e) => ({ ...e }));
      let t = now;
      for (const next of [...queue.map((w) => w.tokens), Math.max(0, tokens)]) {
        t = earliestStart(simulated, next, t);
        if (counts) simulated.push({ at: t, tokens: next });
      }
      return t - now;
    },
    blockUntil(until) {
      if (until <= blockedUntil) return;
      blockedUntil = until;
      pump();
    },
  };
}
