/**
 * Records → wire shapes (schemas.ts). Times become ISO 8601 strings; keys are snake_case like seed 002's.
 */

import type { z } from "zod";
import type { Issue } from "../core/errors.js";
import { WeftError } from "../core/errors.js";
import type { AttemptRecord, RunRecord, StepRunRecord, Workflow, WorkflowStep } from "../core/model.js";
import { isJournalValue, STEP_STATUSES, TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES } from "../core/model.js";
import { checkpointJson, type ResolvedCheckpoint } from "../engine/checkpoints.js";
import type {
  ArtifactListing,
  ArtifactRecord,
  AttachmentRecord,
  CommentRecord,
  DefinitionRecord,
  RunOverview,
  RunUsage,
  Store,
} from "../store/store.js";
import { type DefinitionFileState, isFileDefinition } from "./definition-files.js";
import type {
  AgentSessionJson,
  ApprovalJson,
  ArtifactJson,
  ArtifactListItemJson,
  AttachmentJson,
  attemptSchema,
  CommentJson,
  checkpointDetailSchema,
  checkpointSchema,
  controlResultSchema,
  DefinitionDetail,
  definitionSummarySchema,
  issueSchema,
  RunDetail,
  RunJson,
  RunListItem,
  RunSummary,
  RunTotals,
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

/**
 * `step_id` of a request (a step run id of the run, or a step key) → the step run key in this run; a
 * `WEFT_UNKNOWN_REF` (422) when it names another run's step or the run has no such step.
 */
export async function stepKeyOfRequest(store: Store, run: RunRecord, stepId: string): Promise<string> {
  let key = stepId;
  const colon = stepId.indexOf(":");
  if (colon > 0) {
    const owner = stepId.slice(0, colon);
    if (owner !== run.id) {
      throw new WeftError(
        "WEFT_UNKNOWN_REF",
        `step ${stepId} does not belong to workflow execution ${run.id}; give one of its steps (\`steps[].id\` or a step key)`,
      );
    }
    key = stepId.slice(colon + 1);
  }
  if (run.definition.steps.some((s) => s.id === key)) return key;
  if (await store.steps.get(run.id, key)) return key;
  const known = run.definition.steps.map((s) => s.id).join(", ");
  throw new WeftError(
    "WEFT_UNKNOWN_REF",
    `workflow execution ${run.id} has no step "${key}"${known ? `; its steps are: ${known}` : ""}`,
  );
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

/** How many completed runs of a workflow the remaining-time estimate looks at (the latest ones). */
export const ESTIMATE_HISTORY = 20;

/** The median of durations (ms), or null for none. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * ms left for a run whose workflow's completed runs took `typical` ms (their median): the typical duration
 * less the time spent, but never less than the typical duration's share of the steps not finished yet (a run
 * that is slower than usual is not "almost done" because time passed). 0 once completed; null when failed or
 * cancelled (it will not complete), or with no history.
 */
export function estimateRemaining(
  run: RunRecord,
  progressPercent: number,
  typical: number | null,
  now: number,
): number | null {
  if (run.status === "completed") return 0;
  if (typical === null || run.status === "failed" || run.status === "cancelled") return null;
  const elapsed = run.startedAt === null ? 0 : Math.max(0, now - run.startedAt);
  return Math.round(Math.max(typical - elapsed, (typical * (100 - progressPercent)) / 100, 0));
}

/** The run views' totals (`runTotalsSchema`) from its step runs, usage and the typical duration of its workflow. */
export function runTotalsView(
  run: RunRecord,
  steps: readonly StepRunRecord[],
  usage: RunUsage,
  typical: number | null,
  now: number,
): RunTotals {
  const top = visibleTop(steps);
  const byStatus = Object.fromEntries(STEP_STATUSES.map((st) => [st, 0])) as RunTotals["steps_by_status"];
  for (const s of top) byStatus[s.status] += 1;
  const finished = top.filter((s) => TERMINAL_STEP_STATUSES.has(s.status)).length;
  const progress = run.status === "completed" ? 100 : top.length === 0 ? 0 : Math.floor((100 * finished) / top.length);
  const ordered = orderedTop(run, top);
  const current =
    ordered.find((s) => s.status === "running" || s.status === "waiting") ??
    ordered.find((s) => !TERMINAL_STEP_STATUSES.has(s.status));
  return {
    step_count: top.length,
    steps_by_status: byStatus,
    progress_percent: progress,
    current_step: current ? { key: current.key, name: stepNameOf(run, current.stepId), status: current.status } : null,
    tokens: { input: usage.inputTokens, output: usage.outputTokens, total: usage.inputTokens + usage.outputTokens },
    cost_usd: usage.costUsd,
    waiting_for_person: steps.some((s) => s.status === "waiting" && s.waitingFor === "approval"),
    estimated_remaining_ms: estimateRemaining(run, progress, typical, now),
  };
}

/** Top-level step runs in the workflow's step order (YAML/JSON) or the journal's (TypeScript). */
function orderedTop(run: RunRecord, top: readonly StepRunRecord[]): StepRunRecord[] {
  if (run.definition.source?.format === "ts") return [...top];
  const rank = new Map(run.definition.steps.map((s, i) => [s.id, i]));
  return [...top].sort((a, b) => (rank.get(a.stepId) ?? Infinity) - (rank.get(b.stepId) ?? Infinity));
}

function stepNameOf(run: RunRecord, stepId: string): string {
  return run.definition.steps.find((x) => x.id === stepId)?.name ?? stepId;
}

/** A waiting approval step's message: the engine keeps it as the step's output until the decision. */
function messageOf(s: StepRunRecord): string | null {
  const o = s.output;
  if (s.waitingFor !== "approval" || o === null || typeof o !== "object" || Array.isArray(o)) return null;
  return typeof o.message === "string" ? o.message : null;
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
    test_run: run.testRun === true,
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
    edges: edgesOf(w),
  };
}

/** One edge per dependency of the workflow's steps. */
function edgesOf(w: Workflow) {
  return w.steps.flatMap((s) => s.needs.map((n) => ({ from: n.step, to: s.id, on: n.on })));
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
    message: def?.type === "approval" ? messageOf(s) : null,
    error_message: s.error?.message ?? null,
    error: s.error,
    started_at: iso(s.startedAt),
    completed_at: iso(s.endedAt),
    duration_ms: span(s.startedAt, s.endedAt),
    updated_at: isoNow(s.updatedAt),
  };
}

/** What a run view shows besides the run: `runs.overview`'s record and its workflow's typical duration. */
export interface RunContext {
  overview: RunOverview;
  /** Median duration of the workflow's latest completed runs (`typicalDurations`); null: no history. */
  typical: number | null;
  now: number;
}

/** A summary list item (`view=summary`): the run, its totals, and counts of what hangs off it. */
export function runSummaryView(run: RunRecord, c: RunContext): RunSummary {
  const o = c.overview;
  return {
    ...runView(run, o.steps),
    ...runTotalsView(run, o.steps, o.usage, c.typical, c.now),
    _count: { comments: o.comments, artifacts: o.artifacts },
  };
}

/** A step waiting for approval, with what it reviews: the outputs of the steps it needs (`steps`: its run's). */
export function approvalView(run: RunRecord, s: StepRunRecord, steps: readonly StepRunRecord[]): ApprovalJson {
  const def = run.definition.steps.find((x) => x.id === s.stepId);
  const needs = def?.needs.map((n) => n.step) ?? [];
  const outputOf = (id: string) => steps.find((x) => x.key === id)?.output ?? null;
  return {
    id: stepRunId(run.id, s.key),
    workflow_run_id: run.id,
    run_name: run.name,
    run_status: run.status,
    workflow_name: run.workflowName,
    project_id: run.projectId,
    step_id: s.stepId,
    key: s.key,
    name: def?.name ?? s.stepId,
    phase: def?.phase ?? null,
    message: messageOf(s),
    output_under_review:
      needs.length === 0
        ? null
        : needs.length === 1
          ? outputOf(needs[0] as string)
          : Object.fromEntries(needs.map((id) => [id, outputOf(id)])),
    waiting_since: isoNow(s.updatedAt),
    timeout_at: iso(s.notBefore),
  };
}

/** A list item: the summary, its steps and its workflow. */
export function runListItemView(run: RunRecord, c: RunContext): RunListItem {
  return {
    ...runSummaryView(run, c),
    steps: c.overview.steps.filter((s) => !isJournalValue(s.key)).map((s) => stepView(run, s)),
    workflow_definition: workflowView(run),
  };
}

/** The run with its steps and its comments (oldest first; `commentsOf`). */
export function runDetailView(run: RunRecord, c: RunContext, comments: readonly CommentJson[]): RunDetail {
  return { ...runListItemView(run, c), comments: [...comments] };
}

/**
 * The typical duration (median of the latest `ESTIMATE_HISTORY` completed runs) of each unfinished run's
 * workflow, by run id: one store call for any number of runs. Finished runs need none.
 */
export async function typicalDurations(store: Store, runs: readonly RunRecord[]): Promise<Map<string, number | null>> {
  const keyOf = (r: RunRecord) => `${r.projectId}\u0000${r.workflowHash}`;
  const open = runs.filter((r) => !TERMINAL_RUN_STATUSES.has(r.status));
  const keys = [
    ...new Map(open.map((r) => [keyOf(r), { projectId: r.projectId, workflowHash: r.workflowHash }])).entries(),
  ];
  const durations =
    keys.length === 0
      ? []
      : await store.runs.durations(
          keys.map(([, k]) => k),
          ESTIMATE_HISTORY,
        );
  const byKey = new Map(keys.map(([k], i) => [k, median(durations[i] ?? [])]));
  return new Map(runs.map((r) => [r.id, byKey.get(keyOf(r)) ?? null]));
}

/**
 * The contexts of many runs: two store calls whatever their number. Runs that vanished meanwhile are left out.
 * `brief` steps (no input, output, error) are enough for `runSummaryView`, not for the others.
 */
export async function runContexts(
  store: Store,
  runs: readonly RunRecord[],
  now: number,
  steps: "full" | "brief" = "full",
): Promise<Array<{ run: RunRecord; context: RunContext }>> {
  const [overviews, typical] = await Promise.all([
    store.runs.overview(
      runs.map((r) => r.id),
      { steps },
    ),
    typicalDurations(store, runs),
  ]);
  return runs.flatMap((run) => {
    const overview = overviews.get(run.id);
    return overview ? [{ run, context: { overview, typical: typical.get(run.id) ?? null, now } }] : [];
  });
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

/** What a step's detail shows besides its record: its log folder, transcript, artifacts and comments. */
export interface StepExtras {
  logDirectory: string;
  session: AgentSessionJson | null;
  artifacts: readonly ArtifactRecord[];
  comments: readonly CommentJson[];
}

export function stepDetailView(
  run: RunRecord,
  s: StepRunRecord,
  attempts: readonly AttemptRecord[],
  x: StepExtras,
): StepDetail {
  return {
    ...stepView(run, s),
    log_directory_path: x.logDirectory,
    output: s.output,
    attempts: attempts.map(attemptView),
    session: x.session,
    artifacts: x.artifacts.map(artifactView),
    comments: [...x.comments],
  };
}

/** The same JSON as `weft checkpoints --format json`. */
export function checkpointView(r: ResolvedCheckpoint): z.infer<typeof checkpointSchema> {
  return checkpointJson(r);
}

export function checkpointDetailView(r: ResolvedCheckpoint): z.infer<typeof checkpointDetailSchema> {
  return { ...checkpointJson(r), execution_id: r.record.runId, step_results: r.results ?? {} };
}

export function issueView(i: Issue): z.infer<typeof issueSchema> {
  return {
    code: i.code,
    severity: i.severity,
    message: i.message,
    hint: i.hint ?? null,
    field: i.field ?? null,
    file: i.location.file,
    line: i.location.line,
    column: i.location.column,
  };
}

// ── workflow definitions ──────────────────────────────────────────────────────────────────────────────────

/** Where a definition comes from (`origin`); `file`: its file as the definitions folder last read it, if known. */
function originOf(d: DefinitionRecord, file: DefinitionFileState | undefined) {
  if (d.system) return { origin: "template" as const, path: null, issues: [] };
  if (!isFileDefinition(d.id)) return { origin: "api" as const, path: null, issues: [] };
  return {
    origin: "file" as const,
    path: file?.path ?? d.workflow.source?.file ?? null,
    issues: (file?.issues ?? []).map(issueView),
  };
}

export function definitionSummaryView(
  d: DefinitionRecord,
  file?: DefinitionFileState,
): z.infer<typeof definitionSummarySchema> {
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
    status: d.status,
    workflow_hash: d.workflowHash,
    phases: d.workflow.phases,
    step_count: d.workflow.steps.length,
    times_used: d.timesUsed,
    average_duration_ms: d.averageDurationMs,
    success_rate: d.successRate,
    last_used_at: iso(d.lastUsedAt),
    created_at: isoNow(d.createdAt),
    updated_at: isoNow(d.updatedAt),
    ...originOf(d, file),
  };
}

const DYNAMIC = new Set(["conditional", "loop", "callback", "id"] as const);
type Dynamic = typeof DYNAMIC extends Set<infer T> ? T : never;

/** Why a TypeScript step drawn from code may run otherwise (extract.ts's `config.$static.dynamic`), or null. */
function dynamicOf(s: WorkflowStep): Dynamic | null {
  const info = (s.config as { $static?: { dynamic?: unknown } } | undefined)?.$static;
  const d = info?.dynamic;
  return typeof d === "string" && DYNAMIC.has(d as Dynamic) ? (d as Dynamic) : null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** The args schema's first object in `examples`, else its properties' defaults; null when it has neither. */
export function exampleArgsOf(schema: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!schema) return null;
  const examples = schema.examples;
  if (Array.isArray(examples)) {
    const first = examples.find(isObject);
    if (first) return first;
  }
  const props = schema.properties;
  if (!isObject(props)) return null;
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(props)) {
    if (isObject(prop) && "default" in prop) out[key] = prop.default;
  }
  return Object.keys(out).length > 0 ? out : null;
}

/** A definition with its steps and edges; `recent` = the newest runs launched from it the caller may read. */
export function definitionDetailView(
  d: DefinitionRecord,
  recent: readonly RunRecord[],
  file?: DefinitionFileState,
): DefinitionDetail {
  const w = d.workflow;
  return {
    ...definitionSummaryView(d, file),
    source: d.source,
    args_schema: w.argsSchema ?? null,
    example_args: exampleArgsOf(w.argsSchema),
    graph: d.format === "ts" ? "code" : "declared",
    steps: w.steps.map((s) => ({
      ...stepSummary(s),
      if: s.if ?? null,
      foreach: s.foreach ?? null,
      optional: s.optional,
      dynamic: d.format === "ts" ? dynamicOf(s) : null,
    })),
    edges: edgesOf(w),
    recent_runs: recent.map((r) => ({
      id: r.id,
      name: r.name,
      status: r.status,
      created_at: isoNow(r.createdAt),
      duration_ms: span(r.startedAt, r.endedAt),
    })),
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

/** An artifact with its run (`GET /api/artifacts`). */
export function artifactListItemView({ artifact, run }: ArtifactListing): ArtifactListItemJson {
  return { ...artifactView(artifact), project_id: run.projectId, run_name: run.name, workflow_name: run.workflowName };
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
