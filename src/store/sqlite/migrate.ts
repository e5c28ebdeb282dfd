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
 * Throws a `WeftError` (`WEFT_INTERNAL`) without changing anything when the database was written by a newer
 * weftflow (its schema version is higher than this code knows). A failing migration is rolled back whole and
 * its error is thrown; migrations before it stay applied.
 */
export function migrate(db: Database.Database, path: string, now: () => number = Date.now): void {
  const current = schemaVersion(db);
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

function checkNotNewer(version: number, path: string): void {
  if (version > LATEST_SCHEMA_VERSION) {
    throw new WeftError(
      "WEFT_INTERNAL",
      `database ${path} has schema version ${version}, newer than this weftflow knows (${LATEST_SCHEMA_VERSION}): ` +
        "it was written by a newer weftflow. Upgrade weftflow, or point it at another database file.",
    );
  }
}
