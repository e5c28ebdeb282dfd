/**
 * Opening the database file: pragmas, then migrations.
 *
 * Several processes may open one new file at the same moment. Two steps of set-up can then fail with
 * SQLITE_BUSY at once, without SQLite's busy handler waiting: switching a new file to WAL (SQLite upgrades a
 * read lock to a write lock there, and refuses rather than risk a deadlock), and the first read of a WAL file
 * whose last connection is just closing. Both are idempotent, so set-up is retried until `busyTimeoutMs`.
 */
import { closeSync, mkdirSync, openSync, readSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import type { Durability } from "../store.js";
import { migrate } from "./migrate.js";
import { damagedError, damagedWalError, storageErrorOf } from "./storage-errors.js";

export interface OpenOptions {
  path: string;
  durability: Durability;
  busyTimeoutMs: number;
  /** `quick`: read every page once (`PRAGMA quick_check`) and refuse a damaged file. Default `none`. */
  check?: "none" | "quick" | undefined;
}

export function isInMemory(path: string): boolean {
  return path === ":memory:" || path === "";
}

/**
 * Opens the file (creating it and its parent directories), sets the pragmas and applies pending migrations.
 * Throws what the last try threw: SQLITE_BUSY when another process kept the file locked for `busyTimeoutMs`;
 * `WEFT_STORAGE` for a file that is damaged, not a database, another application's, of a schema newer than this
 * code, or that cannot be written (full disk, permissions); other errors as they are.
 *
 * A damaged page deep in the file is not noticed by opening (SQLite reads pages when a query needs them) unless
 * `check` is `quick`; a query that reads it later fails with `WEFT_STORAGE` (see storage-errors.ts).
 */
export function openDatabase(opts: OpenOptions): Database.Database {
  try {
    return open(opts);
  } catch (err) {
    throw storageErrorOf(err, opts.path) ?? err;
  }
}

function open(opts: OpenOptions): Database.Database {
  const inMemory = isInMemory(opts.path);
  if (!inMemory) {
    mkdirSync(dirname(opts.path), { recursive: true });
    checkWalHeader(opts.path);
  }
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
      // Temporary files in memory: `commitMany` runs each transition in a SAVEPOINT, whose statement journal (the
      // pages' prior contents) outgrows its 64 KiB in-memory start and would otherwise be written to a temp file:
      // measured, 5.2 of 18.3 write calls per step of a grouped commit of 64 runs (docs/operations.md).
      db.pragma("temp_store = MEMORY");
      migrate(db, opts.path);
    });
    if (opts.check === "quick") quickCheck(db, opts.path);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * SQLite ignores a WAL whose header is invalid and overwrites it on the next write: the commits in it would
 * vanish without a word. A WAL header is written whole, with its magic number first, so a `-wal` file of 32
 * bytes or more that starts with anything else (zeros excepted: what a power loss leaves of a file that was
 * never synced) was not written by SQLite; refuse it before SQLite discards it. A torn or truncated tail, by
 * contrast, is SQLite's business: frames after the last valid commit are ignored, those before are kept.
 */
function checkWalHeader(path: string): void {
  const wal = `${path}-wal`;
  let fd: number;
  try {
    fd = openSync(wal, "r");
  } catch {
    return; // no WAL: nothing to check
  }
  const head = Buffer.alloc(32);
  let n: number;
  try {
    n = readSync(fd, head, 0, 32, 0);
  } finally {
    closeSync(fd);
  }
  if (n < 32) return;
  const magic = head.readUInt32BE(0);
  if (magic === 0x377f0682 || magic === 0x377f0683 || magic === 0) return;
  throw damagedWalError(wal);
}

/** Cost: reads the whole file, about 3 ms per MB on a 2-core dev box (600 ms for 175 MB). */
function quickCheck(db: Database.Database, path: string): void {
  const problems = db.pragma("quick_check(5)", { simple: false }) as Array<{ quick_check: string }>;
  const found = problems.map((p) => p.quick_check.replace(/\s+/g, " ").trim()).filter((p) => p !== "ok");
  if (found.length > 0) throw damagedError(path, `PRAGMA quick_check: ${found.join("; ")}`);
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
