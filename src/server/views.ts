/**
 * Records → wire shapes (schemas.ts). Times become ISO 8601 strings; keys are snake_case like seed 002's. The run
 * views (run, steps, totals, comments) are engine/run-view.ts's, shared with `weft status --format json`.
 */

import type { z } from "zod";
import type { Issue } from "../core/errors.js";
import { WeftError } from "../core/errors.js";
import type { AttemptRecord, RunRecord, StepRunRecord, WorkflowStep } from "../core/model.js";
import { checkpointJson, type ResolvedCheckpoint } from "../engine/checkpoints.js";
import {
  artifactView,
  edgesOf,
  iso,
  isoNow,
  messageOf,
  span,
  stepRunId,
  stepSummary,
  stepView,
} from "../engine/run-view.js";
import type { ArtifactListing, ArtifactRecord, AttachmentRecord, DefinitionRecord, Store } from "../store/store.js";
import { type DefinitionFileState, isFileDefinition } from "./definition-files.js";
import type {
  AgentSessionJson,
  ApprovalJson,
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
  StepDetail,
} from "./schemas.js";

// ── step run ids ──────────────────────────────────────────────────────────────────────────────────────────

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

// ── artifacts ─────────────────────────────────────────────────────────────────────────────────────────────

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

export {
  artifactView,
  commentsOf,
  commentView,
  iso,
  median,
  type RunContext,
  runContexts,
  runDetailView,
  runListItemView,
  runSummaryView,
  runTotalsView,
  runView,
  stepRunId,
} from "../engine/run-view.js";
