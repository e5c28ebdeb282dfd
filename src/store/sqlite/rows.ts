/**
 * Row ↔ record mapping. Column names are the snake_case of the record fields; JSON columns hold JSON text
 * and map SQL NULL to `null`.
 */
import type { ErrorInfo } from "../../core/errors.js";
import type { EventRecord } from "../../core/events.js";
import type { Json, JsonObject } from "../../core/json.js";
import type {
  AttemptRecord,
  CheckpointRecord,
  Owner,
  RunRecord,
  RunStatus,
  StepRunRecord,
  StepStatus,
  Workflow,
} from "../../core/model.js";

export interface RunRow {
  id: string;
  version: number;
  status: string;
  lease_epoch: number;
  lease_expires_at: number | null;
  lease_owner: string | null;
  last_seq: number;
  last_checkpoint: number;
  priority: number;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  ended_at: number | null;
  paused_at: number | null;
  cancelled_at: number | null;
  current_phase: string | null;
  project_id: string;
  name: string;
  workflow_name: string;
  workflow_hash: string;
  triggered_by: string | null;
  idempotency_key: string | null;
  idempotency_fingerprint: string | null;
  parent_run_id: string | null;
  forked_from_run_id: string | null;
  forked_from_checkpoint: number | null;
  definition_id: string | null;
  test_run: number;
  error: string | null;
  output: string | null;
  args: string;
  definition: string;
}

export interface StepRow {
  run_id: string;
  key: string;
  step_id: string;
  iteration: number | null;
  status: string;
  attempt: number;
  not_before: number | null;
  waiting_for: string | null;
  items: number | null;
  started_at: number | null;
  ended_at: number | null;
  updated_at: number;
  error: string | null;
  input: string | null;
  output: string | null;
}

export interface AttemptRow {
  run_id: string;
  key: string;
  attempt: number;
  status: string;
  started_at: number;
  ended_at: number;
  error: string | null;
  output: string | null;
}

export interface EventRow {
  run_id: string;
  seq: number;
  type: string;
  at: number;
  data: string;
}

export interface CheckpointRow {
  run_id: string;
  number: number;
  step_key: string | null;
  event_seq: number;
  label: string;
  created_at: number;
}

/** JSON text for a nullable JSON column: `null`/`undefined` become SQL NULL. */
export function toJsonText(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

function parse<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

/**
 * `definitions`: a cache for a list of rows — runs with the same workflow snapshot (text) then share one parsed
 * `definition` object instead of parsing it once per run (a board lists thousands of runs of a few workflows).
 * Records are read-only, so sharing is safe.
 */
export function runFromRow(r: RunRow, definitions?: Map<string, Workflow>): RunRecord {
  let definition = definitions?.get(r.definition);
  if (definition === undefined) {
    definition = JSON.parse(r.definition) as Workflow;
    definitions?.set(r.definition, definition);
  }
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    workflowName: r.workflow_name,
    workflowHash: r.workflow_hash,
    definition,
    args: JSON.parse(r.args) as JsonObject,
    status: r.status as RunStatus,
    currentPhase: r.current_phase,
    error: parse<ErrorInfo>(r.error),
    output: parse<Json>(r.output),
    priority: r.priority,
    triggeredBy: r.triggered_by,
    idempotencyKey: r.idempotency_key,
    parentRunId: r.parent_run_id,
    forkedFrom:
      r.forked_from_run_id === null ? null : { runId: r.forked_from_run_id, checkpoint: r.forked_from_checkpoint ?? 0 },
    definitionId: r.definition_id,
    testRun: r.test_run === 1,
    createdAt: r.created_at,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    pausedAt: r.paused_at,
    cancelledAt: r.cancelled_at,
    updatedAt: r.updated_at,
    version: r.version,
    lease:
      r.lease_owner === null
        ? null
        : {
            runId: r.id,
            owner: JSON.parse(r.lease_owner) as Owner,
            epoch: r.lease_epoch,
            expiresAt: r.lease_expires_at ?? 0,
          },
    leaseEpoch: r.lease_epoch,
  };
}

export function stepFromRow(r: StepRow): StepRunRecord {
  return {
    runId: r.run_id,
    key: r.key,
    stepId: r.step_id,
    iteration: r.iteration,
    status: r.status as StepStatus,
    attempt: r.attempt,
    input: parse<Json>(r.input),
    output: parse<Json>(r.output),
    error: parse<ErrorInfo>(r.error),
    notBefore: r.not_before,
    waitingFor: r.waiting_for as StepRunRecord["waitingFor"],
    items: r.items,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    updatedAt: r.updated_at,
  };
}

/** Parameters of the step upsert, in `STEP_COLUMNS` order. */
export function stepParams(s: StepRunRecord): unknown[] {
  return [
    s.runId,
    s.key,
    s.stepId,
    s.iteration,
    s.status,
    s.attempt,
    s.notBefore,
    s.waitingFor,
    s.items,
    s.startedAt,
    s.endedAt,
    s.updatedAt,
    toJsonText(s.error),
    toJsonText(s.input),
    toJsonText(s.output),
  ];
}

export const STEP_COLUMNS = [
  "run_id",
  "key",
  "step_id",
  "iteration",
  "status",
  "attempt",
  "not_before",
  "waiting_for",
  "items",
  "started_at",
  "ended_at",
  "updated_at",
  "error",
  "input",
  "output",
] as const;

export function attemptFromRow(r: AttemptRow): AttemptRecord {
  return {
    runId: r.run_id,
    key: r.key,
    attempt: r.attempt,
    status: r.status as AttemptRecord["status"],
    output: parse<Json>(r.output),
    error: parse<ErrorInfo>(r.error),
    startedAt: r.started_at,
    endedAt: r.ended_at,
  };
}

/** Parameters of the attempt insert, in `ATTEMPT_COLUMNS` order. */
export function attemptParams(a: AttemptRecord): unknown[] {
  return [a.runId, a.key, a.attempt, a.status, a.startedAt, a.endedAt, toJsonText(a.error), toJsonText(a.output)];
}

export const ATTEMPT_COLUMNS = ["run_id", "key", "attempt", "status", "started_at", "ended_at", "error", "output"];

export function eventFromRow(r: EventRow): EventRecord {
  return { runId: r.run_id, seq: r.seq, type: r.type, data: JSON.parse(r.data), at: r.at } as EventRecord;
}

export function checkpointFromRow(r: CheckpointRow): CheckpointRecord {
  return {
    runId: r.run_id,
    number: r.number,
    stepKey: r.step_key,
    eventSeq: r.event_seq,
    label: r.label,
    createdAt: r.created_at,
  };
}
