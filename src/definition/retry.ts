/**
 * Retry settings. Canonical `retry` is a number (max attempts) or `{ maxAttempts, delay, backoff, maxDelay,
 * jitter, retryOn }`; seed 003's `retryPolicy` is `{ maxRetries, retryDelayMs, retryBackoffMultiplier,
 * retryableErrors }`, where maxRetries n means n + 1 attempts. Both become a partial RetryPolicy that is laid
 * over the workflow's defaults and `DEFAULT_RETRY`.
 */
import type { RetryPolicy } from "../core/model.js";
import { checkKeys, type Field, field, readDuration, readInteger, readNumber, readStringList } from "./fields.js";
import { describe, type Issues } from "./issues.js";

export type RetryPatch = Partial<RetryPolicy>;

export const RETRY_KEYS = ["maxAttempts", "delay", "backoff", "maxDelay", "jitter", "retryOn"] as const;
export const RETRY_POLICY_KEYS = [
  "maxRetries",
  "retryDelayMs",
  "retryBackoffMultiplier",
  "retryableErrors",
  "maxDelayMs",
] as const;

/** Canonical `retry`. */
export function readRetry(f: Field, iss: Issues): RetryPatch | undefined {
  if (typeof f.value === "number") {
    const n = readInteger(f, iss, 1, 100);
    return n === undefined ? undefined : { maxAttempts: n };
  }
  if (typeof f.value !== "object" || f.value === null || Array.isArray(f.value)) {
    iss.error(
      "WEFT_SCHEMA",
      f.path,
      `\`retry\` must be a number of attempts or a mapping, got ${describe(f.value)}`,
      "write `retry: 3` or `retry: { maxAttempts: 3, delay: 1s, backoff: 2 }`",
    );
    return undefined;
  }
  const obj = f.value as Record<string, unknown>;
  checkKeys(obj, f.path, RETRY_KEYS, iss, "`retry`");
  const out: RetryPatch = {};
  const get = (key: string) => field(obj, key, f.path);
  const attempts = get("maxAttempts");
  if (attempts) assign(out, "maxAttempts", readInteger(attempts, iss, 1, 100));
  const delay = get("delay");
  if (delay) assign(out, "initialDelayMs", readDuration(delay, iss, { allowZero: true }));
  const backoff = get("backoff");
  if (backoff) assign(out, "backoffMultiplier", readNumber(backoff, iss, 1, 100));
  const maxDelay = get("maxDelay");
  if (maxDelay) assign(out, "maxDelayMs", readDuration(maxDelay, iss, { allowZero: true }));
  const jitter = get("jitter");
  if (jitter) assign(out, "jitter", readNumber(jitter, iss, 0, 1));
  const retryOn = get("retryOn");
  if (retryOn) assign(out, "retryOn", readStringList(retryOn, iss));
  return out;
}

/** Seed 003's `retryPolicy`. */
export function readRetryPolicy(f: Field, iss: Issues): RetryPatch | undefined {
  if (typeof f.value !== "object" || f.value === null || Array.isArray(f.value)) {
    iss.error(
      "WEFT_SCHEMA",
      f.path,
      `\`retryPolicy\` must be a mapping, got ${describe(f.value)}`,
      "write `retryPolicy: { maxRetries: 3, retryDelayMs: 1000, retryBackoffMultiplier: 2 }`",
    );
    return undefined;
  }
  const obj = f.value as Record<string, unknown>;
  checkKeys(obj, f.path, RETRY_POLICY_KEYS, iss, "`retryPolicy`");
  const out: RetryPatch = {};
  const get = (key: string) => field(obj, key, f.path);
  const retries = get("maxRetries");
  if (retries) {
    const n = readInteger(retries, iss, 0, 99);
    if (n !== undefined) out.maxAttempts = n + 1;
  }
  const delay = get("retryDelayMs");
  if (delay) assign(out, "initialDelayMs", readNumber(delay, iss, 0));
  const backoff = get("retryBackoffMultiplier");
  if (backoff) assign(out, "backoffMultiplier", readNumber(backoff, iss, 1, 100));
  const maxDelay = get("maxDelayMs");
  if (maxDelay) assign(out, "maxDelayMs", readNumber(maxDelay, iss, 0));
  const errors = get("retryableErrors");
  if (errors) assign(out, "retryOn", readStringList(errors, iss));
  return out;
}

function assign<K extends keyof RetryPolicy>(out: RetryPatch, key: K, value: RetryPolicy[K] | undefined): void {
  if (value !== undefined) out[key] = value;
}
