/**
 * The wire shapes of the REST API (seed 002's names, snake_case), one zod schema per shape with its type next
 * to it. Requests are validated with them (unknown keys refused; only query strings are coerced); responses
 * are described by them (and checked against them in tests). docs/api.md shows each with an example.
 */
import { z } from "zod";
import { RUN_STATUSES, STEP_STATUSES } from "../core/model.js";

// ── shared pieces ─────────────────────────────────────────────────────────────────────────────────────────

const idString = z.string().min(1, "must not be empty").max(200, "is longer than 200 characters");
const label = (max: number) => z.string().min(1, "must not be empty").max(max, `is longer than ${max} characters`);
const isoTime = z.string();
const nullableTime = isoTime.nullable();

export const errorInfoSchema = z.object({
  code: z.string(),
  message: z.string(),
  retryable: z.boolean(),
  location: z.object({ file: z.string(), line: z.number(), column: z.number() }).optional(),
});

// ── requests ──────────────────────────────────────────────────────────────────────────────────────────────

export const runParams = z.strictObject({ id: idString });

/** `:step` is a step key (`build`, `draft[2]`) or a step run id (`<run id>:<key>`). */
export const runStepParams = z.strictObject({ id: idString, step: label(300) });

export const stepParams = z.strictObject({ id: label(500) });

export const LOG_TYPES = ["input", "output", "events", "summary"] as const;
export type LogType = (typeof LOG_TYPES)[number];

export const stepLogParams = z.strictObject({ id: label(500), type: z.enum(LOG_TYPES) });

const flag = z.enum(["1", "true", "0", "false", ""]).transform((v) => v === "1" || v === "true" || v === "");

export const stepLogQuery = z.strictObject({
  /** Stream events.jsonl as Server-Sent Events until the step ends. */
  follow: flag.optional(),
  /** Byte offset to start from (a reconnecting follower passes its last event id). */
  offset: z.coerce.number().int().min(0).optional(),
});

/** The inline form of a launch while stored definitions are being built: the workflow's YAML or JSON text. */
export const inlineWorkflowSchema = z.strictObject({
  source: z.string().min(1, "must not be empty"),
  /** Default: JSON when the text starts with `{`, else YAML. */
  format: z.enum(["yaml", "json"]).optional(),
  /** The name issues are reported against. Default `workflow.yaml` / `workflow.json`. */
  file: label(200).optional(),
});

export const launchBody = z
  .strictObject({
    project_id: idString.optional(),
    workflow_definition_id: idString.optional(),
    workflow: inlineWorkflowSchema.optional(),
    name: label(500).optional(),
    args: z.record(z.string(), z.unknown()).optional(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional(),
    idempotency_key: label(500).optional(),
    triggered_by: label(500).optional(),
  })
  .refine((b) => (b.workflow === undefined) !== (b.workflow_definition_id === undefined), {
    message: "give exactly one of `workflow_definition_id` or `workflow: { source }`",
    path: ["workflow_definition_id"],
  });
export type LaunchBody = z.infer<typeof launchBody>;

const statusList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(",")).map((s) => s.trim()))
  .pipe(z.array(z.enum(RUN_STATUSES)));

export const listRunsQuery = z.strictObject({
  project_id: idString.optional(),
  /** Only runs launched from this stored definition. */
  workflow_definition_id: idString.optional(),
  /** One status or several, comma-separated (`running,waiting`). */
  status: statusList.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const checkpointsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** pause, resume: no body (or `{}`). */
export const emptyBody = z.strictObject({}).optional();

/** cancel, retry: who did it (recorded in the run's events). */
export const byBody = z.strictObject({ by: label(200).optional() }).optional();

export const decisionBody = z
  .strictObject({
    comment: z.string().max(10_000, "is longer than 10000 characters").optional(),
    by: label(200).optional(),
  })
  .optional();

export const rewindBody = z.strictObject({
  checkpoint: z.number().int().min(1, "checkpoints are numbered from 1"),
  triggered_by: label(500).optional(),
});

// ── responses ─────────────────────────────────────────────────────────────────────────────────────────────

export const stepSummarySchema = z.object({
  /** The step run's id: `<run id>:<key>` (URL-encode it in paths). */
  id: z.string(),
  workflow_run_id: z.string(),
  step_id: z.string(),
  /** `step_id`, or `step_id[i]` for a foreach item. */
  key: z.string(),
  iteration: z.number().int().nullable(),
  name: z.string(),
  phase: z.string().nullable(),
  type: z.string().nullable(),
  status: z.enum(STEP_STATUSES),
  attempt: z.number().int(),
  waiting_for: z.enum(["approval", "timer"]).nullable(),
  error_message: z.string().nullable(),
  error: errorInfoSchema.nullable(),
  started_at: nullableTime,
  completed_at: nullableTime,
  duration_ms: z.number().nullable(),
  updated_at: isoTime,
});
export type StepSummary = z.infer<typeof stepSummarySchema>;

export const attemptSchema = z.object({
  attempt: z.number().int(),
  status: z.enum(["completed", "failed", "cancelled"]),
  error: errorInfoSchema.nullable(),
  started_at: isoTime,
  completed_at: isoTime,
  duration_ms: z.number(),
});

export const stepDetailSchema = stepSummarySchema.extend({
  /** The step run's log folder, relative to the data directory. */
  log_directory_path: z.string(),
  output: z.unknown(),
  attempts: z.array(attemptSchema),
  session: z.null(),
  artifacts: z.array(z.unknown()),
  comments: z.array(z.unknown()),
});
export type StepDetail = z.infer<typeof stepDetailSchema>;

export const workflowSnapshotSchema = z.object({
  /** The stored definition the run was launched from; null for an inline workflow. */
  id: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string().nullable(),
  phases: z.array(z.string()),
  args_schema: z.record(z.string(), z.unknown()).nullable(),
  steps: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      type: z.string(),
      phase: z.string().nullable(),
      needs: z.array(z.string()),
    }),
  ),
});

export const runSchema = z.object({
  id: z.string(),
  project_id: z.string(),
  user_id: z.string().nullable(),
  workflow_definition_id: z.string().nullable(),
  name: z.string(),
  workflow_name: z.string(),
  workflow_hash: z.string(),
  args: z.record(z.string(), z.unknown()),
  status: z.enum(RUN_STATUSES),
  current_phase: z.string().nullable(),
  /** Index (in the workflow's step order) of the first step not finished; the step count once all are. */
  current_step_index: z.number().int(),
  priority: z.number().int(),
  triggered_by: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  parent_run_id: z.string().nullable(),
  forked_from: z.object({ run_id: z.string(), checkpoint: z.number().int() }).nullable(),
  error_message: z.string().nullable(),
  error: errorInfoSchema.nullable(),
  output: z.unknown(),
  started_at: nullableTime,
  completed_at: nullableTime,
  paused_at: nullableTime,
  cancelled_at: nullableTime,
  created_at: isoTime,
  updated_at: isoTime,
  duration_ms: z.number().nullable(),
});
export type RunJson = z.infer<typeof runSchema>;

const counts = z.object({ comments: z.number().int(), artifacts: z.number().int() });

export const runListItemSchema = runSchema.extend({
  steps: z.array(stepSummarySchema),
  workflow_definition: workflowSnapshotSchema,
  _count: counts,
});

export const runDetailSchema = runListItemSchema.extend({
  comments: z.array(z.unknown()),
});
export type RunDetail = z.infer<typeof runDetailSchema>;

export const controlResultSchema = z.object({
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  paused_at: nullableTime,
  cancelled_at: nullableTime,
  updated_at: isoTime,
});

export const checkpointSchema = z.object({
  number: z.number().int(),
  step_key: z.string().nullable(),
  label: z.string(),
  event_seq: z.number().int(),
  created_at: isoTime,
});

export const stepLogSchema = z.object({
  type: z.enum(LOG_TYPES),
  step_id: z.string(),
  content: z.string(),
  size_bytes: z.number().int(),
  /** True when the file is larger than what one response carries: `content` is its end. */
  truncated: z.boolean(),
});

export const issueSchema = z.object({
  code: z.string(),
  severity: z.enum(["error", "warning"]),
  message: z.string(),
  hint: z.string().nullable(),
  file: z.string(),
  line: z.number().int(),
  column: z.number().int(),
});

export const errorResponse = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Workflow and args problems (422), each with its position. */
    issues: z.array(issueSchema).optional(),
    /** Request fields that do not match the route (400). */
    fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});
export type ErrorResponse = z.infer<typeof errorResponse>;

/** `{ data: … }`, seed 002's envelope of every successful response. */
export const envelope = <T extends z.ZodType>(schema: T) => z.object({ data: schema });
