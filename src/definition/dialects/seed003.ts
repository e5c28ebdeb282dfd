/**
 * Seed 003's top-level `config` block: `timeout` (run timeout, ms), `maxRetries` (every step's default: n
 * retries = n + 1 attempts), `parallelism`, `continueOnError` (steps are optional by default), and
 * `checkpointInterval` (accepted, informational: weft checkpoints after every step).
 */
import { checkKeys, type Field, field, readBoolean, readDuration, readInteger, readMapping } from "../fields.js";
import type { Issues } from "../issues.js";
import type { RetryPatch } from "../retry.js";
import { SEED003_CONFIG_KEYS } from "./keys.js";

export interface Seed003Config {
  timeoutMs?: number | undefined;
  parallelism?: number | undefined;
  retry?: RetryPatch | undefined;
  optional?: boolean | undefined;
  /** Paths of the settings, for "given twice" errors. */
  paths: { timeout?: Field; parallelism?: Field };
}

export function readSeed003Config(f: Field, iss: Issues): Seed003Config {
  const out: Seed003Config = { paths: {} };
  const obj = readMapping(f, iss, "write `config: { timeout: 300000, maxRetries: 2, parallelism: 3 }`");
  if (!obj) return out;
  checkKeys(obj, f.path, SEED003_CONFIG_KEYS, iss, "`config`");
  const timeout = field(obj, "timeout", f.path);
  if (timeout) {
    out.timeoutMs = readDuration(timeout, iss);
    out.paths.timeout = timeout;
  }
  const retries = field(obj, "maxRetries", f.path);
  if (retries) {
    const n = readInteger(retries, iss, 0, 99);
    if (n !== undefined) out.retry = { maxAttempts: n + 1 };
  }
  const interval = field(obj, "checkpointInterval", f.path);
  if (interval) readDuration(interval, iss, { allowZero: true });
  const parallelism = field(obj, "parallelism", f.path);
  if (parallelism) {
    out.parallelism = readInteger(parallelism, iss, 1);
    out.paths.parallelism = parallelism;
  }
  const continueOnError = field(obj, "continueOnError", f.path);
  if (continueOnError) out.optional = readBoolean(continueOnError, iss);
  return out;
}
