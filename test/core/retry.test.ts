import { describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../src/core/errors.js";
import type { RetryPolicy } from "../../src/core/model.js";
import { DEFAULT_RETRY } from "../../src/core/model.js";
import { backoffDelay, shouldRetry } from "../../src/core/retry.js";

const policy = (p: Partial<RetryPolicy> = {}): RetryPolicy => ({ ...DEFAULT_RETRY, maxAttempts: 5, ...p });
const noJitter = policy({ jitter: 0 });
const never = (): number => 0;
const always = (): number => 1;

describe("backoffDelay", () => {
  it.each([
    // nextAttempt, delay: initialDelay × multiplier^(nextAttempt - 2)
    [2, 1000],
    [3, 2000],
    [4, 4000],
    [7, 32_000],
  ])("attempt %i waits %i ms without jitter", (attempt, ms) => {
    expect(backoffDelay(noJitter, attempt, never)).toBe(ms);
    expect(backoffDelay(noJitter, attempt, always)).toBe(ms);
  });

  it("the first attempt and anything below it use the initial delay, never less", () => {
    expect(backoffDelay(noJitter, 1, never)).toBe(1000);
    expect(backoffDelay(noJitter, 0, never)).toBe(1000);
  });

  it("maxDelay caps every delay, the growth and the initial one", () => {
    expect(backoffDelay(noJitter, 8, never)).toBe(60_000); // 64 s uncapped
    expect(backoffDelay(noJitter, 50, never)).toBe(60_000);
    expect(backoffDelay(policy({ jitter: 0, initialDelayMs: 5000, maxDelayMs: 3000 }), 2, never)).toBe(3000);
  });

  it("jitter only shortens a delay, down to (1 - jitter) of it", () => {
    const p = policy({ jitter: 0.5 });
    expect(backoffDelay(p, 3, never)).toBe(2000);
    expect(backoffDelay(p, 3, () => 0.5)).toBe(1500);
    expect(backoffDelay(p, 3, always)).toBe(1000);
    // Jitter applies after the cap: a capped delay never exceeds maxDelay either.
    expect(backoffDelay(p, 20, never)).toBe(60_000);
    expect(backoffDelay(p, 20, always)).toBe(30_000);
  });

  it("stays within [(1 - jitter) × capped, capped] for any random draw", () => {
    for (const jitter of [0, 0.2, 1]) {
      for (const attempt of [2, 5, 9, 30]) {
        for (const r of [0, 0.001, 0.25, 0.5, 0.999, 1]) {
          const capped = Math.min(1000 * 2 ** (attempt - 2), 60_000);
          const d = backoffDelay(policy({ jitter }), attempt, () => r);
          expect(d).toBeLessThanOrEqual(capped);
          expect(d).toBeGreaterThanOrEqual(Math.floor(capped * (1 - jitter)));
        }
      }
    }
  });

  it("rounds to whole milliseconds and never goes negative", () => {
    expect(backoffDelay(policy({ jitter: 0.3, initialDelayMs: 10 }), 2, () => 0.5)).toBe(9); // 8.5 → 9
    expect(backoffDelay(policy({ jitter: 1, initialDelayMs: 10 }), 2, always)).toBe(0);
    expect(backoffDelay(policy({ jitter: 0, initialDelayMs: 0 }), 4, never)).toBe(0);
  });
});

describe("shouldRetry", () => {
  const retryable: ErrorInfo = { code: "WEFT_SCRIPT_EXIT", message: "exit 1", retryable: true };
  const terminal: ErrorInfo = { ...retryable, retryable: false };

  it("retries a retryable error while attempts remain", () => {
    const p = policy({ maxAttempts: 3 });
    expect(shouldRetry(p, 1, retryable)).toBe(true);
    expect(shouldRetry(p, 2, retryable)).toBe(true);
    expect(shouldRetry(p, 3, retryable)).toBe(false);
    expect(shouldRetry(p, 4, retryable)).toBe(false);
  });

  it("never retries a terminal error, nor with maxAttempts 1", () => {
    expect(shouldRetry(policy({ maxAttempts: 3 }), 1, terminal)).toBe(false);
    expect(shouldRetry(policy({ maxAttempts: 3, retryOn: ["*"] }), 1, terminal)).toBe(false);
    expect(shouldRetry(policy({ maxAttempts: 1 }), 1, retryable)).toBe(false);
  });

  it("retryOn limits retries to the codes it names; `*` names all", () => {
    expect(shouldRetry(policy({ retryOn: ["WEFT_TIMEOUT"] }), 1, retryable)).toBe(false);
    expect(shouldRetry(policy({ retryOn: ["WEFT_TIMEOUT", "WEFT_SCRIPT_EXIT"] }), 1, retryable)).toBe(true);
    expect(shouldRetry(policy({ retryOn: ["*"] }), 1, retryable)).toBe(true);
    expect(shouldRetry(policy({ retryOn: [] }), 1, retryable)).toBe(false);
  });
});
