/**
 * The idempotency rule every store applies in `runs.create` (see `Store.runs.create`): a key names at most
 * one run per project, and a repeat must be the same request. Kept here so that every backend refuses the
 * same repeats with the same error.
 */
import { WeftError } from "../core/errors.js";
import type { NewRun } from "./store.js";

/** What a store keeps of the run a key already names. */
export interface KeyedRun {
  id: string;
  workflowHash: string;
  /** Null for a run created before fingerprints were stored. */
  fingerprint: string | null;
}

/**
 * Throws `WEFT_IDEMPOTENCY_MISMATCH` when `request` reuses the key of `existing` (same project) with another
 * workflow, or with another fingerprint when both are known. Says nothing of the existing run's arguments.
 */
export function checkIdempotentRepeat(existing: KeyedRun, request: NewRun): void {
  const fingerprint = request.idempotencyFingerprint ?? null;
  let what: string | undefined;
  if (existing.workflowHash !== request.workflowHash) what = "another workflow (its definition differs)";
  else if (existing.fingerprint !== null && fingerprint !== null && existing.fingerprint !== fingerprint)
    what = "other arguments";
  if (what === undefined) return;
  throw new WeftError(
    "WEFT_IDEMPOTENCY_MISMATCH",
    `idempotency key "${request.idempotencyKey}" of project ${request.projectId} already names run ${existing.id}, ` +
      `launched with ${what}: repeat the same request to get that run, or use a new key`,
  );
}
