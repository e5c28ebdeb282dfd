/**
 * Seed 000's wire shapes (its pydantic models, tasks T015–T029): zod schemas of its requests and answers, its
 * status words, and the views that write weft's records in them. Kept beside the seed 000 routes (seed000.ts)
 * rather than in schemas.ts / views.ts: they describe another system's contract, not weft's.
 *
 * Names: a template is a weft workflow definition, an execution a run, an agent job a step run, a node a step;
 * seed 000's workspace is weft's project (a template's `workspace_id`, an execution's `project_id` and
 * `workspace_id` are all the run's project).
 *
 * Status words, both ways (docs/compatibility.md):
 * - execution: pending → pending, running → running, paused and waiting (a review waits for a person; seed 000's
 *   review node pauses its execution) → paused, completed → completed, failed → failed, cancelled → stopped.
 *   A filter takes seed 000's words (`stopped` → cancelled, `paused` → paused and waiting) or weft's.
 * - agent job: pending and ready → pending, running and waiting → running, completed, failed, skipped, cancelled.
 */
import { z } from "zod";
import type { EventRecord } from "../../../core/events.js";
import type { Json, JsonObject } from "../../../core/json.js";
import type { RunRecord, RunStatus, StepRunRecord, StepStatus } from "../../../core/model.js";
import { RUN_STATUSES } from "../../../core/model.js";
import { nodeTypesOf, type Seed000Graph, templateFields } from "../../../definition/dialects/seed000-template.js";
import type { DefinitionRecord } from "../../../store/store.js";
import { iso, type RunContext, runTotalsView, stepRunId } from "../../views.js";

// ── status words ────────────────────────────────────────────────────────────────────────────────────────────

export const SEED000_EXECUTION_STATUSES = ["pending", "running", "paused", "completed", "failed", "stopped"] as const;
export type Seed000ExecutionStatus = (typeof SEED000_EXECUTION_STATUSES)[number];

export const SEED000_JOB_STATUSES = ["pending", "running", "completed", "failed", "skipped", "cancelled"] as const;
export type Seed000JobStatus = (typeof SEED000_JOB_STATUSES)[number];

export const EXECUTION_STATUS: Readonly<Record<RunStatus, Seed000ExecutionStatus>> = {
  pending: "pending",
  running: "running",
  paused: "paused",
  waiting: "paused",
  completed: "completed",
  failed: "failed",
  cancelled: "stopped",
};

export const JOB_STATUS: Readonly<Record<StepStatus, Seed000JobStatus>> = {
  pending: "pending",
  ready: "pending",
  running: "running",
  waiting: "running",
  completed: "completed",
  failed: "failed",
  skipped: "skipped",
  cancelled: "cancelled",
};

/** weft's run statuses a seed 000 status word (or weft's own) stands for. */
export function runStatusesOf(word: string): RunStatus[] | undefined {
  const seed = (Object.keys(EXECUTION_STATUS) as RunStatus[]).filter((s) => EXECUTION_STATUS[s] === word);
  if (seed.length > 0) return seed;
  return (RUN_STATUSES as readonly string[]).includes(word) ? [word as RunStatus] : undefined;
}

// ── requests ────────────────────────────────────────────────────────────────────────────────────────────────

const idString = z.string().min(1, "must not be empty").max(200, "is longer than 200 characters");
const jsonObject = z.record(z.string(), z.unknown());

/**
 * A template as seed 000 sends it (create: `name` and `nodes` required; update: any part). Other keys pass on to
 * the definition, where weft's reader checks them (an unknown key is a 422 naming it); the record's own fields
 * (`id`, `usage_count`, …) are ignored.
 */
const templateFieldsBody = {
  description: z.string().nullable().optional(),
  category: z.string().max(200, "is longer than 200 characters").nullable().optional(),
  edges: z.array(jsonObject).optional(),
  default_params: jsonObject.optional(),
  /** Seed 000's workspace: the weft project the template belongs to (`project_id` says the same). */
  workspace_id: idString.optional(),
  project_id: idString.optional(),
  /** Built-in templates come from weft's template library: a client cannot make one. */
  is_system: z.literal(false, { message: "a client cannot create a system template" }).optional(),
};
export const createTemplateBody = z.looseObject({
  name: z.string().min(1, "must not be empty").max(200, "is longer than 200 characters"),
  nodes: z.array(jsonObject).min(1, "must have at least one node"),
  ...templateFieldsBody,
});
export const updateTemplateBody = z.looseObject({
  name: z.string().min(1, "must not be empty").max(200, "is longer than 200 characters").optional(),
  nodes: z.array(jsonObject).min(1, "must have at least one node").optional(),
  ...templateFieldsBody,
});

export const listTemplatesQuery = z.strictObject({
  category: z.string().max(200, "is longer than 200 characters").optional(),
  /** Case-insensitive substring of the name, description or a tag (seed 000's gallery search). */
  search: z.string().max(200, "is longer than 200 characters").optional(),
  workspace_id: idString.optional(),
  project_id: idString.optional(),
  /** Also the built-in templates (default true). */
  include_system: z
    .enum(["1", "true", "0", "false"])
    .transform((v) => v === "1" || v === "true")
    .default(true),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const templateParams = z.strictObject({ id: idString });

export const cloneTemplateBody = z
  .strictObject({
    name: z.string().min(1, "must not be empty").max(200, "is longer than 200 characters").optional(),
    workspace_id: idString.optional(),
    project_id: idString.optional(),
  })
  .optional();

export const launchExecutionBody = z
  .strictObject({
    template_id: idString,
    project_id: idString.optional(),
    workspace_id: idString.optional(),
    /** The launch form's values (seed 000's `config_json`): the run's args. `params` says the same. */
    config: jsonObject.optional(),
    params: jsonObject.optional(),
    name: z.string().min(1).max(500).optional(),
  })
  .refine((b) => b.config === undefined || b.params === undefined, {
    message: "give the launch values as `config` or as `params`, not both",
    path: ["params"],
  });

export const listExecutionsQuery = z.strictObject({
  /** Seed 000's words (`running,paused`, `stopped`) or weft's (`cancelled`, `waiting`), comma-separated. */
  status: z.string().max(200).optional(),
  template_id: idString.optional(),
  project_id: idString.optional(),
  workspace_id: idString.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const executionParams = z.strictObject({ id: idString });

export const retryNodeBody = z.strictObject({ node_id: z.string().min(1, "must not be empty").max(300) });

export const documentParams = z.strictObject({ docId: idString });
export const documentImageParams = z.strictObject({ docId: idString, imageId: idString });

// ── answers ─────────────────────────────────────────────────────────────────────────────────────────────────

/** A template: seed 000's fields, then weft's keys it carries (`argsSchema`, `phases`, …) when set. */
export const templateSchema = z.looseObject({
  id: z.string(),
  workspace_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  nodes: z.array(jsonObject),
  edges: z.array(jsonObject),
  default_params: jsonObject,
  is_system: z.boolean(),
  usage_count: z.number().int(),
  node_count: z.number().int(),
  /** Seconds, the mean of its completed runs; null before any. */
  avg_execution_time: z.number().nullable(),
  /** completed / (completed + failed) runs, 0–1 (the preview's "success rate", T116); null before any. */
  success_rate: z.number().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const agentJobSchema = z.object({
  /** The step run's id (`<execution id>:<key>`). */
  id: z.string(),
  execution_id: z.string(),
  node_id: z.string(),
  /** A foreach item's index; null for the node itself. */
  iteration: z.number().int().nullable(),
  job_type: z.string(),
  status: z.enum(SEED000_JOB_STATUSES),
  /** The step run's own status (weft's word). */
  weft_status: z.string(),
  attempt: z.number().int(),
  input_data: z.unknown(),
  output_data: z.unknown(),
  error_message: z.string().nullable(),
  /** A node's job: the tokens and cost of all its items (a foreach); an item's: its own. */
  tokens_used: z.number().int(),
  cost: z.number().nullable(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});

export const executionSchema = z.object({
  id: z.string(),
  template_id: z.string().nullable(),
  template_name: z.string(),
  project_id: z.string(),
  workspace_id: z.string(),
  user_id: z.null(),
  status: z.enum(SEED000_EXECUTION_STATUSES),
  /** The run's own status (weft's word: `waiting`, `cancelled`, …). */
  weft_status: z.enum(RUN_STATUSES),
  /** The launch values (the run's args). */
  config: jsonObject,
  progress_percent: z.number().int(),
  progress: z.number().int(),
  current_node_id: z.string().nullable(),
  current_node: z.object({ node_id: z.string(), label: z.string(), status: z.enum(SEED000_JOB_STATUSES) }).nullable(),
  error_message: z.string().nullable(),
  /** US dollars; null when no provider reported a cost. */
  total_cost: z.number().nullable(),
  tokens_used: z.number().int(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  agent_jobs: z.array(agentJobSchema),
});

export const documentAttachmentSchema = z.object({
  /** `<document id>:<image id>`: an attachment is the pair. */
  id: z.string(),
  document_id: z.string(),
  image_id: z.string(),
  is_primary: z.boolean(),
  attachment_order: z.number().int(),
  created_at: z.string(),
  /** weft does not record which run attached an image: always null. */
  created_by_workflow_id: z.null(),
  /** The image artifact (weft's artifact view); null only if it vanished between two reads. */
  image: z.unknown(),
});

// ── views ───────────────────────────────────────────────────────────────────────────────────────────────────

const isoAlways = (t: number) => new Date(t).toISOString();

/** A stored definition with its nodes and edges as a seed 000 template. */
export function templateView(def: DefinitionRecord, graph: Seed000Graph): z.infer<typeof templateSchema> {
  const fields = templateFields(graph);
  return {
    id: def.id,
    workspace_id: def.projectId,
    ...fields,
    name: def.name,
    description: def.description,
    category: def.category,
    nodes: graph.nodes,
    edges: graph.edges,
    default_params: graph.default_params,
    is_system: def.system,
    usage_count: def.timesUsed,
    node_count: graph.nodes.length,
    avg_execution_time: def.averageDurationMs === null ? null : def.averageDurationMs / 1000,
    success_rate: def.successRate,
    created_at: isoAlways(def.createdAt),
    updated_at: isoAlways(def.updatedAt),
  };
}

type Usage = { tokens: number; cost: number | null };

/**
 * Tokens and cost from the run's `workflow.step.usage` events: by step key (one foreach item's job) and by step
 * id (a node's job: all of its items).
 */
export interface JobUsage {
  byKey: Map<string, Usage>;
  byStep: Map<string, Usage>;
}

export function jobUsage(events: readonly EventRecord[]): JobUsage {
  const out: JobUsage = { byKey: new Map(), byStep: new Map() };
  const add = (map: Map<string, Usage>, key: string, tokens: number, cost: number | null) => {
    const had = map.get(key) ?? { tokens: 0, cost: null };
    map.set(key, { tokens: had.tokens + tokens, cost: cost === null ? had.cost : (had.cost ?? 0) + cost });
  };
  for (const e of events) {
    if (e.type !== "workflow.step.usage") continue;
    const u = e.data;
    add(out.byKey, u.key, u.input_tokens + u.output_tokens, u.cost_usd);
    add(out.byStep, u.step_id, u.input_tokens + u.output_tokens, u.cost_usd);
  }
  return out;
}

function jobView(
  run: RunRecord,
  s: StepRunRecord,
  types: Map<string, string>,
  usage: JobUsage,
): z.infer<typeof agentJobSchema> {
  const u = s.iteration === null ? usage.byStep.get(s.stepId) : usage.byKey.get(s.key);
  return {
    id: stepRunId(run.id, s.key),
    execution_id: run.id,
    node_id: s.stepId,
    iteration: s.iteration,
    job_type: types.get(s.stepId) ?? "unknown",
    status: JOB_STATUS[s.status],
    weft_status: s.status,
    attempt: s.attempt,
    input_data: s.input as Json,
    output_data: s.output as Json,
    error_message: s.error?.message ?? null,
    tokens_used: u?.tokens ?? 0,
    cost: u?.cost ?? null,
    started_at: iso(s.startedAt),
    completed_at: iso(s.endedAt),
  };
}

/** A run as a seed 000 execution: progress, the node it is at, and one agent job per step run. */
export function executionView(run: RunRecord, c: RunContext, usage: JobUsage): z.infer<typeof executionSchema> {
  const totals = runTotalsView(run, c.overview.steps, c.overview.usage, c.typical, c.now);
  const types = nodeTypesOf(run.definition);
  const current = totals.current_step;
  const jobs = c.overview.steps
    .filter((s) => run.definition.steps.some((d) => d.id === s.stepId))
    .map((s) => jobView(run, s, types, usage));
  return {
    id: run.id,
    template_id: run.definitionId ?? null,
    template_name: run.workflowName,
    project_id: run.projectId,
    workspace_id: run.projectId,
    user_id: null,
    status: EXECUTION_STATUS[run.status],
    weft_status: run.status,
    config: run.args as JsonObject,
    progress_percent: totals.progress_percent,
    progress: totals.progress_percent,
    current_node_id: current?.key ?? null,
    current_node: current ? { node_id: current.key, label: current.name, status: JOB_STATUS[current.status] } : null,
    error_message: run.error?.message ?? null,
    total_cost: totals.cost_usd,
    tokens_used: totals.tokens.total,
    started_at: iso(run.startedAt),
    completed_at: iso(run.endedAt),
    created_at: isoAlways(run.createdAt),
    updated_at: isoAlways(run.updatedAt),
    agent_jobs: jobs,
  };
}
