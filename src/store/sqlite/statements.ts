/**
 * Every fixed statement, prepared once per connection. Statements whose shape depends on the call (a run
 * patch, a list filter) are prepared on first use and cached by shape in the modules that build them.
 */
import type Database from "better-sqlite3";
import { ATTEMPT_COLUMNS, STEP_COLUMNS } from "./rows.js";

/** A prepared statement; named here so declaration emit can refer to it. */
export type Stmt = Database.Statement;
export interface Statements {
  dataVersion: Stmt;
  runHead: Stmt;
  runById: Stmt;
  runByKey: Stmt;
  runVersion: Stmt;
  runInsert: Stmt;
  runsActive: Stmt;
  runsActiveAfter: Stmt;
  runAppend: Stmt;
  definitionExists: Stmt;
  stepUpsert: Stmt;
  stepGet: Stmt;
  stepList: Stmt;
  attemptInsert: Stmt;
  attemptsByRun: Stmt;
  attemptsByKey: Stmt;
  eventInsert: Stmt;
  eventList: Stmt;
  checkpointInsert: Stmt;
  checkpointGet: Stmt;
  checkpointList: Stmt;
  checkpointDelete: Stmt;
  leaseRow: Stmt;
  leaseTake: Stmt;
  leaseExtendOwn: Stmt;
  leaseRenew: Stmt;
  leaseRelease: Stmt;
}

const placeholders = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

const RUN_INSERT_COLUMNS = [
  "id",
  "version",
  "status",
  "priority",
  "created_at",
  "updated_at",
  "project_id",
  "name",
  "workflow_name",
  "workflow_hash",
  "triggered_by",
  "idempotency_key",
  "idempotency_fingerprint",
  "parent_run_id",
  "forked_from_run_id",
  "forked_from_checkpoint",
  "last_seq",
  "definition_id",
  "test_run",
  "args",
  "definition",
];

export function prepareStatements(db: Database.Database): Statements {
  const stepUpdates = STEP_COLUMNS.filter((c) => c !== "run_id" && c !== "key")
    .map((c) => `${c} = excluded.${c}`)
    .join(", ");
  return {
    dataVersion: db.prepare("PRAGMA data_version").pluck(),

    runHead: db.prepare("SELECT version, lease_epoch, last_seq, last_checkpoint FROM runs WHERE id = ?").raw(),
    runById: db.prepare("SELECT * FROM runs WHERE id = ?"),
    runByKey: db.prepare("SELECT * FROM runs WHERE project_id = ? AND idempotency_key = ?"),
    runVersion: db.prepare("SELECT version FROM runs WHERE id = ?").pluck(),
    runInsert: db.prepare(
      `INSERT INTO runs (${RUN_INSERT_COLUMNS.join(", ")}) VALUES (${placeholders(RUN_INSERT_COLUMNS.length)})`,
    ),
    runsActive: db.prepare(
      // INDEXED BY: without statistics the planner may pick runs_status_created and sort every active run.
      `SELECT * FROM runs INDEXED BY runs_active WHERE status IN ('pending', 'running', 'waiting')
       ORDER BY priority DESC, created_at, id LIMIT ?`,
    ),
    runsActiveAfter: db.prepare(
      `SELECT * FROM runs INDEXED BY runs_active WHERE status IN ('pending', 'running', 'waiting')
         AND (priority < @priority OR (priority = @priority
              AND (created_at > @createdAt OR (created_at = @createdAt AND id > @id))))
       ORDER BY priority DESC, created_at, id LIMIT @limit`,
    ),

    // Events appended outside `commit` (comments, artifacts): a new version and last seq, nothing else.
    runAppend: db.prepare("UPDATE runs SET version = ?, last_seq = ? WHERE id = ?"),
    definitionExists: db.prepare("SELECT 1 FROM workflow_definitions WHERE id = ?").pluck(),

    stepUpsert: db.prepare(
      `INSERT INTO step_runs (${STEP_COLUMNS.join(", ")}) VALUES (${placeholders(STEP_COLUMNS.length)})
       ON CONFLICT (run_id, key) DO UPDATE SET ${stepUpdates}`,
    ),
    stepGet: db.prepare("SELECT * FROM step_runs WHERE run_id = ? AND key = ?"),
    stepList: db.prepare("SELECT * FROM step_runs WHERE run_id = ? ORDER BY rowid"),

    attemptInsert: db.prepare(
      `INSERT INTO attempts (${ATTEMPT_COLUMNS.join(", ")}) VALUES (${placeholders(ATTEMPT_COLUMNS.length)})`,
    ),
    attemptsByRun: db.prepare("SELECT * FROM attempts WHERE run_id = ? ORDER BY ended_at, key, attempt"),
    attemptsByKey: db.prepare("SELECT * FROM attempts WHERE run_id = ? AND key = ? ORDER BY attempt"),

    eventInsert: db.prepare("INSERT INTO events (run_id, seq, type, at, data) VALUES (?, ?, ?, ?, ?)"),
    eventList: db.prepare("SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?"),

    checkpointInsert: db.prepare(
      "INSERT INTO checkpoints (run_id, number, step_key, event_seq, label, created_at) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    checkpointGet: db.prepare("SELECT * FROM checkpoints WHERE run_id = ? AND number = ?"),
    checkpointList: db.prepare("SELECT * FROM checkpoints WHERE run_id = ? ORDER BY number DESC LIMIT ?"),
    checkpointDelete: db.prepare("DELETE FROM checkpoints WHERE run_id = ? AND number = ?"),

    leaseRow: db.prepare("SELECT version, lease_owner, lease_epoch, lease_expires_at FROM runs WHERE id = ?"),
    leaseTake: db.prepare(
      "UPDATE runs SET lease_owner = ?, lease_epoch = ?, lease_expires_at = ?, version = ? WHERE id = ?",
    ),
    leaseExtendOwn: db.prepare("UPDATE runs SET lease_owner = ?, lease_expires_at = ? WHERE id = ?"),
    leaseRenew: db.prepare(
      "UPDATE runs SET lease_expires_at = ? WHERE id = ? AND lease_epoch = ? AND lease_owner ->> '$.id' = ?",
    ),
    leaseRelease: db
      .prepare(
        `UPDATE runs SET lease_owner = NULL, lease_expires_at = NULL, version = version + 1
         WHERE id = ? AND lease_epoch = ? AND lease_owner IS NOT NULL RETURNING version`,
      )
      .pluck(),
  };
}
