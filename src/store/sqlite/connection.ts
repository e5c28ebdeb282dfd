/**
 * Opening the database file: pragmas, then migrations.
 *
 * Several processes may open one new file at the same moment. Two steps of set-up can then fail with
 * SQLITE_BUSY at once, without SQLite's busy handler waiting: switching a new file to WAL (SQLite upgrades a
 * read lock to a write lock there, and refuses rather than risk a deadlock), and the first read of a WAL file
 * whose last connection is just closing. Both are idempotent, so set-up is retried until `busyTimeoutMs`.
 */
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Durability } from "../store.js";
import { migrate } from "./migrate.js";

export interface OpenOptions {
  path: string;
  durability: Durability;
  busyTimeoutMs: number;
}

export function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

/**
 * Opens the file (creating it and its parent directories), sets the pragmas and applies pending migrations.
 * Throws what the last try threw: SQLITE_BUSY when another process kept the file locked for `busyTimeoutMs`,
 * `WEFT_INTERNAL` for a schema newer than this code, or the I/O error.
 */
export function openDatabase(opts: OpenOptions): Database.Database {
  const inMemory = isInMemory(opts.path);
  if (!inMemory) mkdirSync(dirname(opts.path), { recursive: true });
  const busyTimeoutMs = Math.max(0, Math.trunc(opts.busyTimeoutMs));
  const db = new Database(opts.path, { timeout: busyTimeoutMs });
  try {
    retryWhileBusy(busyTimeoutMs, () => {
      // journal_mode first: switching to WAL resets `synchronous` to the build's WAL default.
      if (!inMemory) db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${opts.durability === "full" ? "FULL" : "NORMAL"}`);
      db.pragma("foreign_keys = ON");
      // Keep the WAL file from growing without bound after a burst of writes (bytes).
      db.pragma("journal_size_limit = 67108864");
      migrate(db, opts.path);
    });
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" && code.startsWith("SQLITE_BUSY");
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function retryWhileBusy(timeoutMs: number, fn: () => void): void {
  const deadline = Date.now() + timeoutMs;
  for (let delayMs = 1; ; delayMs = Math.min(delayMs * 2, 50)) {
    try {
      fn();
      return;
    } catch (err) {
      if (!isBusy(err) || Date.now() >= deadline) throw err;
      // Synchronous like the driver itself; jittered so racing processes spread out.
      Atomics.wait(sleeper, 0, 0, delayMs * (0.5 + Math.random()));
    }
  }
}
