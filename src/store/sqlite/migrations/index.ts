/**
 * The SQLite schema's migrations, oldest first. Append only: a released migration is never edited (a
 * database that already applied it would not see the change); change the schema with a new, higher number.
 */
import { sql as initial } from "./001_initial.js";
import { sql as server } from "./002_server.js";
import { sql as scopedKeysAndActors } from "./003_scoped_keys_and_actors.js";
import { sql as runViews } from "./004_run_views.js";
import { sql as artifactSearch } from "./005_artifact_search.js";
import { sql as testRuns } from "./006_test_runs.js";
import { sql as definitionStatus } from "./007_definition_status.js";
import { sql as attemptsWithoutRowid } from "./008_attempts_without_rowid.js";

export interface Migration {
  /** 1, 2, 3… with no gaps; recorded in `schema_migrations.version`. */
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: "initial", sql: initial },
  { version: 2, name: "server", sql: server },
  { version: 3, name: "scoped_keys_and_actors", sql: scopedKeysAndActors },
  { version: 4, name: "run_views", sql: runViews },
  { version: 5, name: "artifact_search", sql: artifactSearch },
  { version: 6, name: "test_runs", sql: testRuns },
  { version: 7, name: "definition_status", sql: definitionStatus },
  { version: 8, name: "attempts_without_rowid", sql: attemptsWithoutRowid },
];

/** The schema version this code writes and understands. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.at(-1)?.version ?? 0;
