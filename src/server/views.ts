/**
 * Records → wire shapes (schemas.ts). Times become ISO 8601 strings; keys are snake_case like seed 002's.
 */

import type { z } from "zod";
import type { Issue } from "../core/errors.js";
import { WeftError } from "../core/errors.js";
import type { AttemptRecord, CheckpointRecord, RunRecord, StepRunRecord, WorkflowStep } from "../core/model.js";
import { isJournalValue, TERMINAL_STEP_STATUSES } from "../core/model.js";
import type { ArtifactRecord, AttachmentRecord, CommentRecord, DefinitionRecord, Store } from "../store/store.js";
import type {
  ArtifactJson,
  AttachmentJson,
  attemptSchema,
  CommentJson,
  checkpointSchema,
  controlResultSchema,
  DefinitionDetail,
  definitionSummarySchema,
  issueSchema,
  RunDetail,
  RunJson,
  StepDetail,
  StepSummary,
  workflowSnapshotSchema,
} from "./schemas.js";

export function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

function isoNow(t: number): string {
  return new Date(t).toISOString();
}

function span(start: number | null, end: number | null): number | null {
  return start !== null && end !== null ? end - start : null;
}

// ── step run ids ──────────────────────────────────────────────────────────────────────────────────────────

/**
 * A step run's id in the API: `<run id>:<key>` (`3f…e1:build`, `3f…e1:draft[2]`). Run ids never contain a
 * colon, so the first colon splits it. Clients should `encodeURIComponent` it in paths.
 */
export function stepRunId(runId: string, key: string): string {
  return `${runId}:${key}`;
}

export function parseStepRunId(id: string): { runId: string; key: string } {
  const at = id.indexOf(":");
  if (at <= 0 || at === id.length - 1) {
    throw new WeftError(
      "WEFT_NOT_FOUND",
      `no step run has id "${id}"; step run ids look like <run id>:<step key>, as in a run's \`steps[].id\``,
    );
  }
  return { runId: id.slice(0, at), key: id.slice(at + 1) };
}

/** `:step` of the run routes: a key (`build`) or a full step run id of that run (`<run id>:build`). */
export function stepKeyOf(runId: string, step: string): string {
  return step.startsWith(`${runId}:`) ? step.slice(runId.length + 1) : step;
}

// ── runs ──────────────────────────────────────────────────────────────────────────────────────────────────

/** The steps a person follows: top-level step runs, without a TypeScript workflow's journaled values. */
function visibleTop(steps: readonly StepRunRecord[]): StepRunRecord[] {
  return steps.filter((s) => s.iteration === null && !isJournalValue(s.key));
}

export function currentStepIndex(run: RunRecord, steps: readonly StepRunRecord[]): number {
  const top = visibleTop(steps);
  const byKey = new Map(top.map((s) => [s.key, s]));
  // YAML/JSON: the workflow's step order. TypeScript: the journal's (the order the code asked for steps).
  const order = run.definition.source?.format === "ts" ? top.map((s) => s.key) : run.definition.steps.map((s) => s.id);
  const i = order.findIndex((key) => {
    const rec = byKey.get(key);
    return rec === undefined || !TERMINAL_STEP_STATUSES.has(rec.status);
  });
  return i === -1 ? order.length : i;
}

export function runView(run: RunRecord, steps: readonly StepRunRecord[]): RunJson {
  return {
    id: run.id,
    project_id: run.projectId,
    user_id: null,
    workflow_definition_id: run.definitionId ?? null,
    name: run.name,
    workflow_name: run.workflowName,
    workflow_hash: run.workflowHash,
    args: run.args,
    status: run.status,
    current_phase: run.currentPhase,
    current_step_index: currentStepIndex(run, steps),
    priority: run.priority,
    triggered_by: run.triggeredBy,
    idempotency_key: run.idempotencyKey,
    parent_run_id: run.parentRunId,
    forked_from: run.forkedFrom ? { run_id: run.forkedFrom.runId, checkpoint: run.forkedFrom.checkpoint } : null,
    error_message: run.error?.message ?? null,
    error: run.error,
    output: run.output,
    started_at: iso(run.startedAt),
    completed_at: iso(run.endedAt),
    paused_at: iso(run.pausedAt),
    cancelled_at: iso(run.cancelledAt),
    created_at: isoNow(run.createdAt),
    updated_at: isoNow(run.updatedAt),
    duration_ms: span(run.startedAt, run.endedAt),
  };
}

export function workflowView(run: RunRecord): z.infer<typeof workflowSnapshotSchema> {
  const w = run.definition;
  return {
    id: run.definitionId ?? null,
    name: w.name,
    description: w.description ?? null,
    version: w.version ?? null,
    phases: w.phases,
    args_schema: w.argsSchema ?? null,
    steps: w.steps.map(stepSummary),
  };
}

export function stepView(run: RunRecord, s: StepRunRecord): StepSummary {
  const def = run.definition.steps.find((x) => x.id === s.stepId);
  return {
    id: stepRunId(run.id, s.key),
    workflow_run_id: run.id,
    step_id: s.stepId,
    key: s.key,
    iteration: s.iteration,
    name: def?.name ?? s.stepId,
    phase: def?.phase ?? null,
    type: def?.type ?? null,
    status: s.status,
    attempt: s.attempt,
    waiting_for: s.waitingFor,
    error_message: s.error?.message ?? null,
    error: s.error,
    started_at: iso(s.startedAt),
    completed_at: iso(s.endedAt),
    duration_ms: span(s.startedAt, s.endedAt),
    updated_at: isoNow(s.updatedAt),
  };
}

/** A list item: the run, its steps, its workflow, and counts of what hangs off it. */
export function runListItemView(
  run: RunRecord,
  steps: readonly StepRunRecord[],
  counts: { comments: number; artifacts: number } = { comments: 0, artifacts: 0 },
) {
  return {
    ...runView(run, steps),
    steps: steps.filter((s) => !isJournalValue(s.key)).map((s) => stepView(run, s)),
    workflow_definition: workflowView(run),
    _count: counts,
  };
}

/** The run with its steps and its comments (oldest first; `commentsOf`). */
export function runDetailView(
  run: RunRecord,
  steps: readonly StepRunRecord[],
  comments: readonly CommentJson[] = [],
  counts?: { comments: number; artifacts: number },
): RunDetail {
  return {
    ...runListItemView(run, steps, counts ?? { comments: comments.length, artifacts: 0 }),
    comments: [...comments],
  };
}

export function controlView(run: RunRecord): z.infer<typeof controlResultSchema> {
  return {
    id: run.id,
    status: run.status,
    paused_at: iso(run.pausedAt),
    cancelled_at: iso(run.cancelledAt),
    updated_at: isoNow(run.updatedAt),
  };
}

export function attemptView(a: AttemptRecord): z.infer<typeof attemptSchema> {
  return {
    attempt: a.attempt,
    status: a.status,
    error: a.error,
    started_at: isoNow(a.startedAt),
    completed_at: isoNow(a.endedAt),
    duration_ms: a.endedAt - a.startedAt,
  };
}

export function stepDetailView(
  run: RunRecord,
  s: StepRunRecord,
  attempts: readonly AttemptRecord[],
  logDirectory: string,
): StepDetail {
  return {
    ...stepView(run, s),
    log_directory_path: logDirectory,
    output: s.output,
    attempts: attempts.map(attemptView),
    session: null,
    artifacts: [],
    comments: [],
  };
}

export function checkpointView(c: CheckpointRecord): z.infer<typeof checkpointSchema> {
  return {
    number: c.number,
    step_key: c.stepKey,
    label: c.label,
    event_seq: c.eventSeq,
    created_at: isoNow(c.createdAt),
  };
}

export function issueView(i: Issue): z.infer<typeof issueSchema> {
  return {
    code: i.code,
    severity: i.severity,
    message: i.message,
    hint: i.hint ?? null,
    file: i.location.file,
    line: i.location.line,
    column: i.location.column,
  };
}

// ── workflow definitions ──────────────────────────────────────────────────────────────────────────────────

export function definitionSummaryView(d: DefinitionRecord): z.infer<typeof definitionSummarySchema> {
  return {
    id: d.id,
    project_id: d.projectId,
    name: d.name,
    description: d.description,
    category: d.category,
    tags: d.tags,
    format: d.format,
    system: d.system,
    version: d.version,
    workflow_hash: d.workflowHash,
    phases: d.workflow.phases,
    step_count: d.workflow.steps.length,
    times_used: d.timesUsed,
    average_duration_ms: d.averageDurationMs,
    success_rate: d.successRate,
    last_used_at: iso(d.lastUsedAt),
    created_at: isoNow(d.createdAt),
    updated_at: isoNow(d.updatedAt),
  };
}

export function definitionDetailView(d: DefinitionRecord): DefinitionDetail {
  const w = d.workflow;
  return {
    ...definitionSummaryView(d),
    source: d.source,
    args_schema: w.argsSchema ?? null,
    steps: w.steps.map((s) => ({
      ...stepSummary(s),
      if: s.if ?? null,
      foreach: s.foreach ?? null,
      optional: s.optional,
    })),
    edges: w.steps.flatMap((s) => s.needs.map((n) => ({ from: n.step, to: s.id, on: n.on }))),
  };
}

// ── comments ──────────────────────────────────────────────────────────────────────────────────────────────

export function commentView(c: CommentRecord, artifacts: readonly ArtifactRecord[] = []): CommentJson {
  return {
    id: c.id,
    workflow_run_id: c.runId,
    workflow_run_step_id: c.stepKey === null ? null : stepRunId(c.runId, c.stepKey),
    step_key: c.stepKey,
    text: c.text,
    comment_type: c.commentType,
    created_by: c.createdBy,
    claimed_by: c.claimedBy,
    creator: null,
    created_at: isoNow(c.createdAt),
    updated_at: isoNow(c.updatedAt),
    // The artifact routes' shape (artifactView), so that a client reads one artifact format.
    artifacts: artifacts.filter((a) => a.commentId === c.id).map(artifactView),
  };
}

/** A run's comments (oldest first) with their attached artifacts, from the store. */
export async function commentsOf(store: Store, runId: string, stepKey?: string): Promise<CommentJson[]> {
  const [comments, artifacts] = await Promise.all([
    store.comments.list(runId, { stepKey }),
    store.artifacts.list(runId),
  ]);
  return comments.map((c) => commentView(c, artifacts));
}

/** `_count` of a run: its comments and artifacts. */
export async function countsOf(store: Store, runId: string): Promise<{ comments: number; artifacts: number }> {
  const [comments, artifacts] = await Promise.all([store.comments.list(runId), store.artifacts.list(runId)]);
  return { comments: comments.length, artifacts: artifacts.length };
}

// ── artifacts ─────────────────────────────────────────────────────────────────────────────────────────────

export function artifactView(a: ArtifactRecord): ArtifactJson {
  return {
    id: a.id,
    workflow_run_id: a.runId,
    workflow_run_step_id: a.stepKey === null ? null : stepRunId(a.runId, a.stepKey),
    workflow_comment_id: a.commentId,
    name: a.name,
    file_path: a.storageKey,
    file_type: a.fileType,
    mime_type: a.mimeType,
    size_bytes: a.sizeBytes,
    sha256: a.sha256,
    created_at: isoNow(a.createdAt),
    updated_at: isoNow(a.updatedAt),
  };
}

export function attachmentView(x: AttachmentRecord, image: ArtifactRecord | undefined): AttachmentJson {
  return {
    document_id: x.documentId,
    image_id: x.imageId,
    is_primary: x.primary,
    attachment_order: x.position,
    created_at: isoNow(x.createdAt),
    image: image ? artifactView(image) : null,
  };
}

/** A workflow step as run and definition views show it. */
function stepSummary(s: WorkflowStep) {
  return { id: s.id, name: s.name, type: s.type, phase: s.phase ?? null, needs: s.needs.map((n) => n.step) };
}
