/**
 * Applies pending migrations at open time.
 *
 * Each migration runs in its own `BEGIN IMMEDIATE` transaction that first re-reads what is applied, so two
 * processes opening the same new file at once serialise on the write lock: the first applies, the second
 * finds it done and applies nothing. A database already up to date is only read (no write lock taken).
 */
import type Database from "better-sqlite3";
import { WeftError } from "../../core/errors.js";
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from "./migrations/index.js";
import { notWeftError } from "./storage-errors.js";

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  applied_at INTEGER NOT NULL
)`;

/** The highest applied migration, 0 for a new database. Reads only. */
export function schemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const max = db.prepare("SELECT max(version) FROM schema_migrations").pluck().get();
  return typeof max === "number" ? max : 0;
}

/**
 * Brings the schema up to date.
 *
 * Throws a `WeftError` (`WEFT_STORAGE`) without changing anything when the database was written by a newer
 * weftflow (its schema version is higher than this code knows), or is not weft's: another application's
 * tables, and no record of weft's first migration. A failing migration is rolled back whole and
 * its error is thrown; migrations before it stay applied.
 */
export function migrate(db: Database.Database, path: string, now: () => number = Date.now): void {
  const current = identify(db, path);
  checkNotNewer(current, path);
  if (current === LATEST_SCHEMA_VERSION) return;

  for (const migration of MIGRATIONS) {
    db.transaction(() => {
      db.exec(CREATE_TABLE);
      const applied = schemaVersion(db);
      checkNotNewer(applied, path);
      if (applied >= migration.version) return;
      db.exec(migration.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        now(),
      );
    }).immediate();
  }
}

/**
 * The schema version of a weft database; throws for another application's file. Read in one transaction: a
 * process migrating the same new file at this moment is seen either not at all or committed.
 */
function identify(db: Database.Database, path: string): number {
  return db.transaction(() => {
    const objects = db.prepare("SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    if (objects.pluck().get() === 0) return 0; // a new file (SQLite creates it empty)
    let first: unknown;
    try {
      first = db.prepare("SELECT name FROM schema_migrations WHERE version = 1").pluck().get();
    } catch {
      first = undefined; // no such table, or not weft's shape
    }
    if (first !== MIGRATIONS[0]?.name) throw notWeftError(path);
    return schemaVersion(db);
  })();
}

function checkNotNewer(version: number, path: string): void {
  if (version > LATEST_SCHEMA_VERSION) {
    throw new WeftError(
      "WEFT_STORAGE",
      `database ${path} has schema version ${version}, newer than this weftflow knows (${LATEST_SCHEMA_VERSION}): ` +
        "it was written by a newer weftflow. Upgrade weftflow, or point it at another database file.",
    );
  }
}
