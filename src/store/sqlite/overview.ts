/**
 * Batched reads for the API's run views: many runs' steps, usage and counts (`runs.overview`), the durations
 * of past completed runs (`runs.durations`), and the step runs waiting for something across runs
 * (`steps.waiting`). Each is a fixed number of statements whatever the number of runs: ids go in as one JSON
 * array (`json_each`), so no statement is prepared per call.
 */
import type Database from "better-sqlite3";
import type { RunRecord, StepRunRecord, Workflow } from "../../core/model.js";
import type { OverviewOptions, RunOverview, WaitingFilter } from "../store.js";
import { type RunRow, runFromRow, STEP_COLUMNS, type StepRow, stepFromRow } from "./rows.js";

const IDS = "SELECT value FROM json_each(?)";

interface UsageRow {
  run_id: string;
  input: number;
  output: number;
  cost: number | null;
  calls: number;
}

export function createOverview(db: Database.Database) {
  const stepsOf = db.prepare(`SELECT * FROM step_runs WHERE run_id IN (${IDS}) ORDER BY rowid`);
  // The same rows without the JSON columns (NULL), for `steps: "brief"`.
  const briefColumns = STEP_COLUMNS.map((c) => (c === "input" || c === "output" || c === "error" ? `NULL AS ${c}` : c));
  const briefStepsOf = db.prepare(
    `SELECT ${briefColumns.join(", ")} FROM step_runs WHERE run_id IN (${IDS}) ORDER BY rowid`,
  );
  const usageOf = db.prepare(
    `SELECT run_id, sum(data ->> '$.input_tokens') AS input, sum(data ->> '$.output_tokens') AS output,
            sum(data ->> '$.cost_usd') AS cost, count(*) AS calls
     FROM events INDEXED BY events_usage
     WHERE run_id IN (${IDS}) AND type = 'workflow.step.usage' GROUP BY run_id`,
  );
  const commentCounts = db
    .prepare(`SELECT run_id, count(*) FROM comments WHERE run_id IN (${IDS}) GROUP BY run_id`)
    .raw();
  const artifactCounts = db
    .prepare(`SELECT run_id, count(*) FROM artifacts WHERE run_id IN (${IDS}) GROUP BY run_id`)
    .raw();
  const known = db.prepare(`SELECT id FROM runs WHERE id IN (${IDS})`).pluck();
  const durationsOf = db
    .prepare(
      `SELECT ended_at - started_at FROM runs INDEXED BY runs_durations
       WHERE project_id = ? AND workflow_hash = ? AND status = 'completed'
         AND started_at IS NOT NULL AND ended_at IS NOT NULL
       ORDER BY ended_at DESC LIMIT ?`,
    )
    .pluck();
  const waitingStatements = new Map<string, Database.Statement>();
  const waitingStatement = (project: "one" | "many" | undefined): Database.Statement => {
    const shape = String(project);
    let stmt = waitingStatements.get(shape);
    if (stmt === undefined) {
      const byProject =
        project === "one" ? "AND r.project_id = ?" : project === "many" ? `AND r.project_id IN (${IDS})` : "";
      stmt = db.prepare(
        `SELECT s.* FROM step_runs s INDEXED BY step_runs_waiting JOIN runs r ON r.id = s.run_id
         WHERE s.status = 'waiting' AND s.waiting_for = ?
           AND r.status NOT IN ('completed', 'failed', 'cancelled') ${byProject}
         ORDER BY s.updated_at, s.run_id, s.key LIMIT ?`,
      );
      waitingStatements.set(shape, stmt);
    }
    return stmt;
  };
  const runsById = db.prepare(`SELECT * FROM runs WHERE id IN (${IDS})`);

  return {
    overview(ids: readonly string[], opts: OverviewOptions = {}): Map<string, RunOverview> {
      const out = new Map<string, RunOverview>();
      if (ids.length === 0) return out;
      const json = JSON.stringify(ids);
      for (const id of known.all(json) as string[]) {
        out.set(id, {
          steps: [],
          usage: { inputTokens: 0, outputTokens: 0, costUsd: null, calls: 0 },
          comments: 0,
          artifacts: 0,
        });
      }
      const steps = opts.steps === "brief" ? briefStepsOf : stepsOf;
      for (const row of steps.all(json) as StepRow[]) out.get(row.run_id)?.steps.push(stepFromRow(row));
      for (const u of usageOf.all(json) as UsageRow[]) {
        const o = out.get(u.run_id);
        if (o) o.usage = { inputTokens: u.input ?? 0, outputTokens: u.output ?? 0, costUsd: u.cost, calls: u.calls };
      }
      for (const [runId, n] of commentCounts.all(json) as Array<[string, number]>) {
        const o = out.get(runId);
        if (o) o.comments = n;
      }
      for (const [runId, n] of artifactCounts.all(json) as Array<[string, number]>) {
        const o = out.get(runId);
        if (o) o.artifacts = n;
      }
      return out;
    },

    durations(of: ReadonlyArray<{ projectId: string; workflowHash: string }>, limit: number): number[][] {
      return of.map((k) => durationsOf.all(k.projectId, k.workflowHash, limit) as number[]);
    },

    waiting(filter: WaitingFilter): Array<{ run: RunRecord; step: StepRunRecord }> {
      const p = filter.projectId;
      const project = p === undefined ? undefined : typeof p === "string" ? "one" : "many";
      const params: unknown[] = [filter.waitingFor];
      if (p !== undefined) params.push(typeof p === "string" ? p : JSON.stringify(p));
      params.push(filter.limit ?? -1);
      const steps = (waitingStatement(project).all(params) as StepRow[]).map(stepFromRow);
      const runIds = [...new Set(steps.map((s) => s.runId))];
      const definitions = new Map<string, Workflow>();
      const runs = new Map(
        (runsById.all(JSON.stringify(runIds)) as RunRow[]).map(
          (row) => [row.id, runFromRow(row, definitions)] as const,
        ),
      );
      return steps.flatMap((step) => {
        const run = runs.get(step.runId);
        return run ? [{ run, step }] : [];
      });
    },
  };
}
