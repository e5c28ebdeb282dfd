/**
 * A run as the API shows it (`GET /api/workflow-executions/:id`) and `weft status --format json` prints it:
 * records → plain JSON-ready objects. Times become ISO 8601 strings; keys are snake_case like seed 002's. The
 * server's response schemas (server/schemas.ts) describe the same shapes; server/views.ts builds the others.
 */
import type { RunRecord, StepRunRecord, StepStatus, Workflow, WorkflowStep } from "../core/model.js";
import { isJournalValue, STEP_STATUSES, TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES } from "../core/model.js";
import type { ArtifactRecord, CommentRecord, RunOverview, RunUsage, Store } from "../store/store.js";

export function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

export function isoNow(t: number): string {
  return new Date(t).toISOString();
}

export function span(start: number | null, end: number | null): number | null {
  return start !== null && end !== null ? end - start : null;
}

/**
 * A step run's id in the API: `<run id>:<key>` (`3f…e1:build`, `3f…e1:draft[2]`). Run ids never contain a
 * colon, so the first colon splits it. Clients should `encodeURIComponent` it in paths.
 */
export function stepRunId(runId: string, key: string): string {
  return `${runId}:${key}`;
}

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
) {
  const top = visibleTop(steps);
  const byStatus = Object.fromEntries(STEP_STATUSES.map((st) => [st, 0])) as Record<StepStatus, number>;
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
export function messageOf(s: StepRunRecord): string | null {
  const o = s.output;
  if (s.waitingFor !== "approval" || o === null || typeof o !== "object" || Array.isArray(o)) return null;
  return typeof o.message === "string" ? o.message : null;
}

export function runView(run: RunRecord, steps: readonly StepRunRecord[]) {
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

export function workflowView(run: RunRecord) {
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
export function edgesOf(w: Workflow) {
  return w.steps.flatMap((s) => s.needs.map((n) => ({ from: n.step, to: s.id, on: n.on })));
}

export function stepView(run: RunRecord, s: StepRunRecord) {
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
export function runSummaryView(run: RunRecord, c: RunContext) {
  const o = c.overview;
  return {
    ...runView(run, o.steps),
    ...runTotalsView(run, o.steps, o.usage, c.typical, c.now),
    _count: { comments: o.comments, artifacts: o.artifacts },
  };
}

/** A list item: the summary, its steps and its workflow. */
export function runListItemView(run: RunRecord, c: RunContext) {
  return {
    ...runSummaryView(run, c),
    steps: c.overview.steps.filter((s) => !isJournalValue(s.key)).map((s) => stepView(run, s)),
    workflow_definition: workflowView(run),
  };
}

/** The run with its steps and its comments (oldest first; `commentsOf`). */
export function runDetailView(run: RunRecord, c: RunContext, comments: readonly CommentView[]) {
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

export function commentView(c: CommentRecord, artifacts: readonly ArtifactRecord[] = []) {
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
export async function commentsOf(store: Store, runId: string, stepKey?: string): Promise<CommentView[]> {
  const [comments, artifacts] = await Promise.all([
    store.comments.list(runId, { stepKey }),
    store.artifacts.list(runId),
  ]);
  return comments.map((c) => commentView(c, artifacts));
}

export function artifactView(a: ArtifactRecord) {
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

/** A workflow step as run and definition views show it. */
export function stepSummary(s: WorkflowStep) {
  return { id: s.id, name: s.name, type: s.type, phase: s.phase ?? null, needs: s.needs.map((n) => n.step) };
}

export type CommentView = ReturnType<typeof commentView>;
export type RunDetailView = ReturnType<typeof runDetailView>;

/** A run's detail view (its steps, progress, timings and comments) as of `now`; undefined when it vanished. */
export async function runDetailOf(store: Store, run: RunRecord, now: number): Promise<RunDetailView | undefined> {
  const [[one], comments] = await Promise.all([runContexts(store, [run], now), commentsOf(store, run.id)]);
  return one && runDetailView(one.run, one.context, comments);
}
