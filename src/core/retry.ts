import type { ErrorInfo } from "./errors.js";
import type { RetryPolicy } from "./model.js";

/**
 * Delay before attempt `nextAttempt` (2, 3, …): initialDelay × multiplier^(nextAttempt-2), capped at maxDelay,
 * scaled by a random factor in [1 - jitter, 1]. `random` is injected so the rule is testable.
 */
export function backoffDelay(policy: RetryPolicy, nextAttempt: number, random: () => number): number {
  const base = policy.initialDelayMs * policy.backoffMultiplier ** Math.max(0, nextAttempt - 2);
  const capped = Math.min(base, policy.maxDelayMs);
  const factor = 1 - policy.jitter * random();
  return Math.max(0, Math.round(capped * factor));
}

/** Whether a failed attempt should be retried: the error is retryable, allowed by `retryOn`, and attempts remain. */
export function shouldRetry(policy: RetryPolicy, attempt: number, error: ErrorInfo): boolean {
  if (!error.retryable || attempt >= policy.maxAttempts) return false;
  return policy.retryOn === undefined || policy.retryOn.includes(error.code) || policy.retryOn.includes("*");
}
