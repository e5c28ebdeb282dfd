/**
 * Failures of the database file itself — a full disk, a damaged file, one that is not weft's — turned into
 * `WEFT_STORAGE` errors that name the file and say what to do (the CLI exits 2 with the message; the server
 * answers 503). Every other error (SQLITE_BUSY, constraint errors the store maps itself, bugs) passes unchanged.
 *
 * SQLite never half-applies a transaction that fails this way: a commit refused for want of space is rolled
 * back whole, so the store stays consistent and the same write succeeds once there is space.
 */
import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { diskFullError, isDiskFull, WeftError } from "../../core/errors.js";

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** No space left where the database lives: some I/O errors (growing the -shm file) are how a full disk shows. */
function noSpaceLeft(path: string): boolean {
  try {
    return statfsSync(dirname(path)).bavail === 0;
  } catch {
    return false;
  }
}

const WHAT_TO_DO_DAMAGED = (path: string) =>
  `Stop every weft process using it, move it aside with its -wal and -shm files (mv ${path} ${path}.damaged), ` +
  `then restore a backup to ${path} — or start afresh: weft creates a new, empty database there. ` +
  `sqlite3 can often save what is still readable: sqlite3 ${path}.damaged .recover | sqlite3 ${path}`;

/** The database at `path` is damaged: `detail` says how (SQLite's message, or what a check found). */
export function damagedError(path: string, detail: string, cause?: unknown): WeftError {
  return new WeftError(
    "WEFT_STORAGE",
    `the database ${path} is damaged (${detail}); weft will not use it. ${WHAT_TO_DO_DAMAGED(path)}`,
    { cause },
  );
}

/** A `-wal` file that SQLite did not write (its header is not a WAL header). */
export function damagedWalError(wal: string): WeftError {
  return new WeftError(
    "WEFT_STORAGE",
    `the write-ahead log ${wal} is damaged (its header is not SQLite's), so the commits it holds cannot be read; ` +
      "weft will not open the database and let SQLite discard it. Stop every weft process using it, then move " +
      `the log aside (mv ${wal} ${wal}.damaged): the database opens with what it held at its last checkpoint — ` +
      "or restore a backup.",
  );
}

/** Another application's SQLite file where weft expects its own. */
export function notWeftError(path: string): WeftError {
  return new WeftError(
    "WEFT_STORAGE",
    `${path} is a SQLite database, but not weft's: it has tables weft did not create, and weft will not add its ` +
      "own to another application's file. Point weft at another data directory (--data-dir, WEFT_DATA_DIR), " +
      "or move that file away if it is not needed there.",
  );
}

/**
 * The `WEFT_STORAGE` error for a failure of the file at `path`, or undefined when `err` is not one
 * (the caller rethrows it as it is).
 */
export function storageErrorOf(err: unknown, path: string): WeftError | undefined {
  if (err instanceof WeftError) return undefined;
  const code = codeOf(err);
  if (code === undefined) return undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (isDiskFull(err) || (code.startsWith("SQLITE_IOERR") && noSpaceLeft(path))) {
    return diskFullError(
      path,
      err,
      "try again (a run that stopped carries on with `weft resume <run-id>`). The write that failed was rolled back whole: nothing is half-saved.",
    );
  }
  if (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB") {
    return damagedError(path, `SQLite: ${message}`, err);
  }
  if (code.startsWith("SQLITE_IOERR")) {
    return new WeftError(
      "WEFT_STORAGE",
      `reading or writing the database ${path} failed (${code}: ${message}). Check the disk holding it ` +
        "(dmesg, the file system's own check) and that weft may write there, then try again.",
      { retryable: true, cause: err },
    );
  }
  if (code.startsWith("SQLITE_CANTOPEN") || code.startsWith("SQLITE_READONLY") || code === "SQLITE_PERM") {
    return new WeftError(
      "WEFT_STORAGE",
      `weft cannot open the database ${path} for writing (${code}: ${message}). Check that the file and its ` +
        "folder exist and that this user may write both (weft also writes the -wal and -shm files next to it).",
      { cause: err },
    );
  }
  return undefined;
}

function mapped(err: unknown, path: string): unknown {
  return storageErrorOf(err, path) ?? err;
}

/**
 * The same object with every method (one level of entity groups deep) reporting failures of the file as
 * `storageErrorOf` does. Synchronous methods stay synchronous.
 */
export function withStorageErrors<T extends object>(path: string, target: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(target)) {
    if (typeof value === "function") {
      out[key] = (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (err) {
          throw mapped(err, path);
        }
        return result instanceof Promise ? result.catch((err: unknown) => Promise.reject(mapped(err, path))) : result;
      };
    } else if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      out[key] = withStorageErrors(path, value as object);
    } else out[key] = value;
  }
  return out as T;
}
