/**
 * The read side. Reads run outside explicit transactions: each statement sees one consistent snapshot (WAL),
 * never waits for writers, and returns records shaped exactly like the port's types.
 */
import type Database from "better-sqlite3";
import type { EventRecord } from "../../core/events.js";
import type { AttemptRecord, CheckpointRecord, RunRecord, StepRunRecord, Workflow } from "../../core/model.js";
import type { ActiveCursor, RunFilter } from "../store.js";
import {
  type AttemptRow,
  attemptFromRow,
  type CheckpointRow,
  checkpointFromRow,
  type EventRow,
  eventFromRow,
  type RunRow,
  runFromRow,
  type StepRow,
  stepFromRow,
} from "./rows.js";
import type { Statements } from "./statements.js";

/** SQLite's "no limit". */
const ALL = -1;

export function createReads(db: Database.Database, st: Statements) {
  const listStatements = new Map<string, Database.Statement>();

  function listStatement(
    statuses: number,
    project: "one" | "many" | undefined,
    definition: boolean,
    forked: boolean,
    order: "newest" | "oldest",
  ): Database.Statement {
    const shape = `${statuses}|${project}|${definition}|${forked}|${order}`;
    let stmt = listStatements.get(shape);
    if (stmt === undefined) {
      const where: string[] = [];
      if (statuses > 0) where.push(`status IN (${Array.from({ length: statuses }, () => "?").join(", ")})`);
      if (project === "one") where.push("project_id = ?");
      if (project === "many") where.push("project_id IN (SELECT value FROM json_each(?))");
      if (definition) where.push("definition_id = ?");
      // parent_run_id is indexed; a fork's parent is the run it was forked from.
      if (forked) where.push("parent_run_id = ? AND forked_from_run_id = parent_run_id");
      const dir = order === "newest" ? "DESC" : "ASC";
      stmt = db.prepare(
        `SELECT * FROM runs ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY created_at ${dir}, rowid ${dir} LIMIT ?`,
      );
      listStatements.set(shape, stmt);
    }
    return stmt;
  }

  return {
    run(id: string): RunRecord | undefined {
      const row = st.runById.get(id) as RunRow | undefined;
      return row === undefined ? undefined : runFromRow(row);
    },

    /** An empty or absent `status` list does not filter by status. */
    runs(filter: RunFilter = {}): RunRecord[] {
      const statuses = filter.status ?? [];
      const params: unknown[] = [...statuses];
      const p = filter.projectId;
      if (p !== undefined) params.push(typeof p === "string" ? p : JSON.stringify(p));
      if (filter.definitionId !== undefined) params.push(filter.definitionId);
      if (filter.forkedFrom !== undefined) params.push(filter.forkedFrom);
      params.push(filter.limit ?? ALL);
      const project = p === undefined ? undefined : typeof p === "string" ? "one" : "many";
      const stmt = listStatement(
        statuses.length,
        project,
        filter.definitionId !== undefined,
        filter.forkedFrom !== undefined,
        filter.order ?? "newest",
      );
      const definitions = new Map<string, Workflow>();
      return (stmt.all(params) as RunRow[]).map((row) => runFromRow(row, definitions));
    },

    active(limit: number, after?: ActiveCursor): RunRecord[] {
      const rows = after === undefined ? st.runsActive.all(limit) : st.runsActiveAfter.all({ ...after, limit });
      return (rows as RunRow[]).map((row) => runFromRow(row));
    },

    steps(runId: string): StepRunRecord[] {
      return (st.stepList.all(runId) as StepRow[]).map(stepFromRow);
    },

    step(runId: string, key: string): StepRunRecord | undefined {
      const row = st.stepGet.get(runId, key) as StepRow | undefined;
      return row === undefined ? undefined : stepFromRow(row);
    },

    /** Oldest first: by `endedAt`, then key and attempt number; for one step run, by attempt number. */
    attempts(runId: string, key?: string): AttemptRecord[] {
      const rows = key === undefined ? st.attemptsByRun.all(runId) : st.attemptsByKey.all(runId, key);
      return (rows as AttemptRow[]).map(attemptFromRow);
    },

    events(runId: string, afterSeq = 0, limit?: number): EventRecord[] {
      return (st.eventList.all(runId, afterSeq, limit ?? ALL) as EventRow[]).map(eventFromRow);
    },

    checkpoints(runId: string, limit?: number): CheckpointRecord[] {
      return (st.checkpointList.all(runId, limit ?? ALL) as CheckpointRow[]).map(checkpointFromRow);
    },

    checkpoint(runId: string, number: number): CheckpointRecord | undefined {
      const row = st.checkpointGet.get(runId, number) as CheckpointRow | undefined;
      return row === undefined ? undefined : checkpointFromRow(row);
    },
  };
}
