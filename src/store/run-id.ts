/**
 * Run ids: UUID version 7 (RFC 9562) — 48 bits of Unix milliseconds, then 74 random bits. Ids made later sort
 * later, so a store keyed by run id (SQLite's `events`, `checkpoints`, `attempts` and `step_runs` all begin
 * their keys with it) adds the rows of new runs near the end of each b-tree, beside the other live runs', instead of
 * at random places all over it: measured on the SQLite store, half the pages written per grouped commit of 64
 * runs (docs/operations.md). Ids made in the same millisecond are in random order; uniqueness rests on the random bits.
 */
import { randomUUID } from "node:crypto";

export function newRunId(nowMs: number = Date.now()): string {
  const ms = Math.max(0, Math.min(Math.trunc(nowMs), 0xffff_ffff_ffff))
    .toString(16)
    .padStart(12, "0");
  // A version 4 UUID supplies the random bits and the variant; its first 48 bits and version digit are replaced.
  return `${ms.slice(0, 8)}-${ms.slice(8)}-7${randomUUID().slice(15)}`;
}
