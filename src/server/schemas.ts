/**
 * The wire shapes of the REST API (seed 002's names, snake_case), one zod schema per shape with its type next
 * to it. Requests are validated with them (unknown keys refused; only query strings are coerced); responses
 * are described by them (and checked against them in tests). docs/api.md shows each with an example.
 */
import { z } from "zod";
import { DEFINITION_STATUSES } from "../core/lifecycle.js";
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
  /** The API token, for clients that cannot send headers (EventSource). */
  access_token: z.string().max(500).optional(),
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
    /** The run's budget, over the workflow's: a limit given replaces the workflow's, one left out keeps it. */
    budget: z
      .strictObject({
        tokens: z.number().int().min(1).optional(),
        cost_usd: z.number().positive().optional(),
      })
      .refine((b) => b.tokens !== undefined || b.cost_usd !== undefined, {
        message: "give tokens, cost_usd or both",
      })
      .optional(),
    /** Every agent call of the run answered by the offline mock provider (kept across resume); scripts still run. */
    test_run: z.boolean().optional(),
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

export const listRunsQuery = z
  .strictObject({
    project_id: idString.optional(),
    /** Only runs launched from this stored definition. */
    workflow_definition_id: idString.optional(),
    /** Only the runs rewound (forked) from this run. */
    forked_from: idString.optional(),
    /** One status or several, comma-separated (`running,waiting`). */
    status: statusList.optional(),
    /** `full` (default): each run with its steps and workflow; `summary`: without them, cheap (the board). */
    view: z.enum(["full", "summary"]).default("full"),
    /** At most 200 with `view=full`, 1000 with `view=summary`. */
    limit: z.coerce.number().int().min(1).max(1000).default(50),
    offset: z.coerce.number().int().min(0).max(10_000).default(0),
  })
  .superRefine((q, ctx) => {
    if (q.view === "full" && q.limit > 200) {
      ctx.addIssue({ code: "custom", path: ["limit"], message: "is more than 200; up to 1000 with view=summary" });
    }
  });

export const approvalsQuery = z.strictObject({
  /** Only this project's (the token must read it). */
  project_id: idString.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
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

/** `POST …/:id/budget`: the run's (or a step run's) new limits; null removes one. */
export const budgetBody = z
  .strictObject({
    tokens: z.number().int().min(1).nullable().optional(),
    cost_usd: z.number().positive().nullable().optional(),
    /** A step of the run (key or step run id): set its budget instead of the run's. */
    step_id: label(300).optional(),
    by: label(200).optional(),
  })
  .refine((b) => b.tokens !== undefined || b.cost_usd !== undefined, {
    message: "give tokens, cost_usd or both (null removes a limit)",
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
  /** A waiting approval step's message (rendered); null for other steps and once decided. */
  message: z.string().nullable(),
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

/** A dependency between two steps of a workflow. */
const edgeSchema = z.object({ from: z.string(), to: z.string(), on: z.enum(["success", "failure", "always"]) });

/** A workflow step as run and definition views show it. */
const workflowStepSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  phase: z.string().nullable(),
  needs: z.array(z.string()),
});

export const workflowSnapshotSchema = z.object({
  /** The stored definition the run was launched from; null for an inline workflow. */
  id: z.string().nullable(),
  name: z.string(),
  description: z.string().nullable(),
  version: z.string().nullable(),
  phases: z.array(z.string()),
  args_schema: z.record(z.string(), z.unknown()).nullable(),
  steps: z.array(workflowStepSchema),
  /** One per dependency: `to` runs after `from` ends `on` success, failure or always. */
  edges: z.array(edgeSchema),
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
  /** Launched with `test_run: true`: every agent call answered by the offline mock provider. */
  test_run: z.boolean(),
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

const countsByStatus = z.object(
  Object.fromEntries(STEP_STATUSES.map((st) => [st, z.number().int()])) as Record<
    (typeof STEP_STATUSES)[number],
    z.ZodNumber
  >,
);

/** What the run views add to a run: progress, usage, whether a person is needed, and a time estimate. */
export const runTotalsSchema = z.object({
  /** Top-level steps (a foreach step counts once; a TypeScript workflow's steps as its code asked for them). */
  step_count: z.number().int(),
  /** Those steps by status (every status, 0 when none). */
  steps_by_status: countsByStatus,
  /** 0–100: finished steps (completed, failed, skipped, cancelled) / `step_count`, rounded down; 100 once completed. */
  progress_percent: z.number().int().min(0).max(100),
  /** The first running or waiting step, else the first unfinished one (in the workflow's order); null when none. */
  current_step: z.object({ key: z.string(), name: z.string(), status: z.enum(STEP_STATUSES) }).nullable(),
  /** Tokens of every provider call of the run. */
  tokens: z.object({ input: z.number().int(), output: z.number().int(), total: z.number().int() }),
  /** USD of the calls whose price is known; null when none is. */
  cost_usd: z.number().nullable(),
  /** A step waits for a person's approval. */
  waiting_for_person: z.boolean(),
  /**
   * ms left, from the median duration of the latest completed runs of the same workflow (project and
   * `workflow_hash`): 0 once completed; null when failed or cancelled, or with no such run.
   */
  estimated_remaining_ms: z.number().int().nullable(),
});
export type RunTotals = z.infer<typeof runTotalsSchema>;

/** `view=summary`: a list item without its steps and workflow (the board). */
export const runSummarySchema = runSchema.extend(runTotalsSchema.shape).extend({ _count: counts });
export type RunSummary = z.infer<typeof runSummarySchema>;

export const runListItemSchema = runSummarySchema.extend({
  steps: z.array(stepSummarySchema),
  workflow_definition: workflowSnapshotSchema,
});
export type RunListItem = z.infer<typeof runListItemSchema>;

/** `GET /api/approvals`: a step waiting for a person (the review inbox). */
export const approvalSchema = z.object({
  /** The step run's id (`<run id>:<key>`): decide it with `POST …/:run/steps/:id/approve` or `reject`. */
  id: z.string(),
  workflow_run_id: z.string(),
  run_name: z.string(),
  run_status: z.enum(RUN_STATUSES),
  workflow_name: z.string(),
  project_id: z.string(),
  step_id: z.string(),
  key: z.string(),
  name: z.string(),
  phase: z.string().nullable(),
  /** The step's message, rendered; null when it has none. */
  message: z.string().nullable(),
  /**
   * The output of the step it needs (the work under review); with several, an object of their outputs by step
   * id; null when it needs none.
   */
  output_under_review: z.unknown(),
  /** When it began to wait. */
  waiting_since: isoTime,
  /** When its `timeout` decides it (`on_timeout`); null without one. */
  timeout_at: nullableTime,
});
export type ApprovalJson = z.infer<typeof approvalSchema>;

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
  /** `automatic`: taken at a step run's end; `manual`: `ctx.checkpoint()` or a label. */
  created_by: z.enum(["automatic", "manual"]),
  /** The run's status at that point, and the same in seed 003's words (`executing`, `awaiting_completion`…). */
  status: z.enum(RUN_STATUSES),
  state: z.string(),
  current_phase: z.string().nullable(),
  /** Step runs ended (completed, failed, skipped) by then: the index of the next one (seed 002). */
  current_step_index: z.number().int(),
  completed_step_ids: z.array(z.string()),
  /** The workflow's steps not ended by then. */
  pending_step_ids: z.array(z.string()),
  /** Bytes of its seed 002 document (`checkpoints/step-N.json`). */
  size_bytes: z.number().int(),
});

/** Seed 002's `StepResult`; `ref` (the step's output.json in the run folder) replaces a large `data`. */
export const checkpointResultSchema = z.object({
  stepId: z.string(),
  status: z.enum(["completed", "failed", "skipped"]),
  data: z.unknown().optional(),
  ref: z.string().optional(),
  error: z.string().optional(),
});

export const checkpointDetailSchema = checkpointSchema.extend({
  execution_id: z.string(),
  step_results: z.record(z.string(), checkpointResultSchema),
});

/** `POST …/checkpoints/prune`: keep the newest `keep` (the latest and forked-from ones always stay). */
export const pruneBody = z.strictObject({
  keep: z.number().int("must be a whole number").min(1, "must be at least 1 (the latest checkpoint is always kept)"),
  dry_run: z.boolean().optional(),
});

export const pruneResultSchema = z.object({
  dry_run: z.boolean(),
  /** Removed (or, dry run, to be removed), oldest first. */
  removed: z.array(z.number().int()),
  /** Kept, newest first, with why. */
  kept: z.array(z.object({ number: z.number().int(), why: z.enum(["latest", "newest", "forked"]) })),
});

export const checkpointParams = z.strictObject({
  id: idString,
  number: z.coerce.number().int("must be a checkpoint number (1, 2, …)").min(1, "checkpoints are numbered from 1"),
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
  /** `WEFT_ARGS`: the argument it is about (`topic`, `channels[1]`, `brand.voice`); null for the args as a whole and for workflow issues. */
  field: z.string().nullable(),
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

// ── workflow definitions (templates) ──────────────────────────────────────────────────────────────────────

export const definitionParams = z.strictObject({ id: idString });

const sourceText = z
  .string()
  .min(1, "must not be empty")
  .max(2 * 1024 * 1024, "is longer than 2 MiB");
const tagList = z.array(label(100)).max(50, "has more than 50 tags");

/** `?status=`: lifecycle statuses, comma-separated or repeated, or `all`; absent: every status but archived. */
const definitionStatusFilter = z
  .union([z.string(), z.array(z.string())])
  .optional()
  .transform((v) => (v === undefined ? ["draft", "active"] : Array.isArray(v) ? v : [v]))
  .transform((v) => v.flatMap((s) => s.split(",")).map((s) => s.trim()))
  .transform((v) => (v.includes("all") ? [...DEFINITION_STATUSES] : v))
  .pipe(z.array(z.enum(DEFINITION_STATUSES)));

export const listDefinitionsQuery = z.strictObject({
  /** A project's definitions, plus the built-in (system) templates. Absent: every definition. */
  project_id: idString.optional(),
  /** Exact category. */
  category: label(200).optional(),
  /** Case-insensitive substring of the name, the description or a tag. */
  search: z.string().max(200, "is longer than 200 characters").optional(),
  /** `usage` (most runs first), `newest`, `name`. */
  sort: z.enum(["usage", "newest", "name"]).default("usage"),
  /** Lifecycle statuses, comma-separated (`draft,active`), or `all`. Default: `draft,active` (archived hidden). */
  status: definitionStatusFilter,
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

export const definitionCategoriesQuery = z.strictObject({
  /** A project's definitions plus the built-in templates, as the list counts them. Absent: every readable one. */
  project_id: idString.optional(),
  /** As the list's: the statuses counted. Default `draft,active`. */
  status: definitionStatusFilter,
});

/** `GET /api/workflow-definitions/categories`: each category and how many definitions have it. */
export const definitionCategorySchema = z.object({ category: z.string(), count: z.number().int() });

export const createDefinitionBody = z.strictObject({
  /** The workflow's YAML or JSON text, or a TypeScript `defineWorkflow` module; its `name` names the definition. */
  source: sourceText,
  /**
   * Default: JSON when the text starts with `{`, else YAML. `ts`: a TypeScript module, bundled and checked as a
   * file is (needs the `scripts` permission: loading it runs its top-level code).
   */
  format: z.enum(["yaml", "json", "ts"]).optional(),
  project_id: idString.optional(),
  /** Default: the workflow's `category`. */
  category: label(200).nullable().optional(),
  /** Default: the workflow's `tags`. */
  tags: tagList.optional(),
  /** `draft` (launches only as a test run until activated) or `active` (default). */
  status: z.enum(["draft", "active"]).optional(),
});

export const updateDefinitionBody = z.strictObject({
  source: sourceText,
  format: z.enum(["yaml", "json", "ts"]).optional(),
  /** The `version` the change was made from: another change since then answers 409. */
  version: z.number().int().min(1).optional(),
  category: label(200).nullable().optional(),
  tags: tagList.optional(),
});

export const cloneDefinitionBody = z
  .strictObject({
    /** Default: `<name> (copy)` (then `(copy 2)`, … while taken). */
    name: label(200).optional(),
    /** Default: the original's project (`default` for a system template). */
    project_id: idString.optional(),
  })
  .optional();

export const validateDefinitionBody = z.strictObject({
  source: sourceText,
  format: z.enum(["yaml", "json"]).optional(),
});

export const definitionSummarySchema = z.object({
  id: z.string(),
  project_id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  category: z.string().nullable(),
  tags: z.array(z.string()),
  /** `yaml`, `json` or `ts` (seed 002's `type`). */
  format: z.enum(["yaml", "json", "ts"]),
  /** A built-in template: cannot be changed or deleted, only cloned. */
  system: z.boolean(),
  /** +1 on every update: send it back with `PUT` to refuse a lost update. */
  version: z.number().int(),
  /** Lifecycle: `draft` (launches only as a test run), `active` (launches), `archived` (never launches). */
  status: z.enum(DEFINITION_STATUSES),
  workflow_hash: z.string(),
  phases: z.array(z.string()),
  step_count: z.number().int(),
  times_used: z.number().int(),
  average_duration_ms: z.number().nullable(),
  success_rate: z.number().nullable(),
  last_used_at: nullableTime,
  created_at: isoTime,
  updated_at: isoTime,
  /**
   * Where it comes from: `template` (built-in), `api` (created through the API), `file` (a file of the project's
   * `.agent/workflows/definitions/` that `weft serve` keeps listed: read-only here, edit the file).
   */
  origin: z.enum(["template", "api", "file"]),
  /** A `file` definition's file, relative to the project's folder (seed 002's `path`); null otherwise. */
  path: z.string().nullable(),
  /**
   * A `file` definition's current problems: with errors the definition is its file's last good version and is not
   * launched until the file is fixed. Empty otherwise.
   */
  issues: z.array(issueSchema),
});

/** `GET /api/workflow-definitions/files`: the project's definitions folder, file by file. */
export const definitionFilesSchema = z.object({
  /** The folder, absolute. */
  folder: z.string(),
  project_id: z.string(),
  files: z.array(
    z.object({
      name: z.string(),
      /** Relative to the project's folder. */
      path: z.string(),
      /** The definition it defines (its last good version while it has errors); null when it never loaded. */
      definition_id: z.string().nullable(),
      issues: z.array(issueSchema),
    }),
  ),
});

/** A run in a definition's detail (`recent_runs`). */
export const recentRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(RUN_STATUSES),
  created_at: isoTime,
  /** `completed_at - started_at`; null until it ended. */
  duration_ms: z.number().nullable(),
});

export const definitionDetailSchema = definitionSummarySchema.extend({
  source: z.string(),
  args_schema: z.record(z.string(), z.unknown()).nullable(),
  /**
   * Arguments to show as an example: the args schema's first `examples` entry (an object), else each property's
   * `default`; null when the schema has neither.
   */
  example_args: z.record(z.string(), z.unknown()).nullable(),
  /**
   * `declared` (YAML, JSON): the steps are the workflow's. `code` (TypeScript): they are drawn from the source
   * before any run — the engine creates the real ones as the code runs, so `dynamic` marks the steps that may
   * run otherwise than drawn.
   */
  graph: z.enum(["declared", "code"]),
  steps: z.array(
    workflowStepSchema.extend({
      if: z.string().nullable(),
      foreach: z.string().nullable(),
      optional: z.boolean(),
      /**
       * A TypeScript step drawn from code that only the run can settle: `conditional` (inside an `if`, `?:`,
       * `catch`…: it may not run), `loop` (it may run several times), `callback` (inside another function), `id`
       * (its id is computed at run time). Null: it runs as drawn (always null for YAML and JSON).
       */
      dynamic: z.enum(["conditional", "loop", "callback", "id"]).nullable(),
    }),
  ),
  /** One per dependency: `to` runs after `from` ends `on` success, failure or always. */
  edges: z.array(edgeSchema),
  /** The newest runs launched from it that the token may read, at most 5, newest first. */
  recent_runs: z.array(recentRunSchema),
});
export type DefinitionDetail = z.infer<typeof definitionDetailSchema>;

export const deletedSchema = z.object({ id: z.string(), deleted: z.literal(true) });

/** activate, archive: optionally the `version` the change was decided on (another change since: 409). */
export const definitionStatusBody = z.strictObject({ version: z.number().int().min(1).optional() }).optional();

export const validationResultSchema = z.object({
  valid: z.boolean(),
  /** Errors and warnings, in file order. */
  issues: z.array(issueSchema),
});

// ── step types (editors' palettes and config forms) ───────────────────────────────────────────────────────

export const stepTypeSchema = z.object({
  type: z.string(),
  title: z.string(),
  description: z.string(),
  /** One of weft's own step types (not a plugin's). */
  builtin: z.boolean(),
  /** JSON Schema (draft 2020-12) of the type's config, derived from the zod schema the engine validates with. */
  config_schema: z.record(z.string(), z.unknown()),
  /** The keys that make a step of this type when it has no `type:`. */
  inferred_from: z.array(z.string()),
});

export const seed000NodeTypeSchema = z.object({
  /** Seed 000's `node_type`. */
  name: z.string(),
  label: z.string(),
  /** The weft step type it becomes. */
  type: z.string(),
  description: z.string(),
  /** The weft config a new step of this kind starts with. */
  config: z.record(z.string(), z.unknown()),
});

export const stepTypesSchema = z.object({
  types: z.array(stepTypeSchema),
  node_types: z.array(seed000NodeTypeSchema),
});
export type StepTypesView = z.infer<typeof stepTypesSchema>;

// ── comments ──────────────────────────────────────────────────────────────────────────────────────────────

export const createCommentBody = z.strictObject({
  text: z.string().min(1, "must not be empty").max(10_000, "is longer than 10000 characters"),
  /** A step run id of the run (`<run id>:<key>`, as in `steps[].id`) or a step key (`build`, `draft[2]`). */
  step_id: label(500).nullable().optional(),
  // `system` comments are weft's own: a client cannot write one.
  comment_type: z
    .enum(["user", "agent"], { error: 'must be "user" or "agent" ("system" comments are written by weft only)' })
    .default("user"),
  /** Who the client says wrote it: kept as `claimed_by`; `created_by` records the token. */
  created_by: label(200).optional(),
});

export const listCommentsQuery = z.strictObject({
  /** Only this step's comments: a step run id or a step key. */
  step_id: label(500).optional(),
});

export const commentSchema = z.object({
  id: z.string(),
  workflow_run_id: z.string(),
  /** The step run's id (`<run id>:<key>`), null for a run-level comment. */
  workflow_run_step_id: z.string().nullable(),
  /** The step run's key, null for a run-level comment. */
  step_key: z.string().nullable(),
  text: z.string(),
  comment_type: z.enum(["user", "system", "agent"]),
  /** Who wrote it: the token's name (`token ci`; `local user` when the server has no tokens). */
  created_by: z.string().nullable(),
  /** Who the client said wrote it (`created_by` of the request), null when it said nothing. */
  claimed_by: z.string().nullable(),
  creator: z.null(),
  created_at: isoTime,
  updated_at: isoTime,
  /** The artifacts attached to it. */
  artifacts: z.array(z.unknown()),
});
export type CommentJson = z.infer<typeof commentSchema>;

// ── artifacts (seed 002's WorkflowArtifact) and document attachments (seed 000) ──────────────────────────

export const ARTIFACT_TYPES = ["image", "video", "document", "code", "other"] as const;

export const artifactParams = z.strictObject({ id: idString });
export const attachmentParams = z.strictObject({ id: idString, imageId: idString });

/** The text fields of an upload's multipart form (the file is the `file` part). */
export const uploadFields = z.strictObject({
  /** A step key of the run (`build`, `draft[2]`) or its step run id (`<run id>:build`). Default: the run itself. */
  step_id: label(300).optional(),
  /** Display name. Default: the uploaded file's name. */
  name: label(1000).optional(),
  /** Default: guessed from the MIME type, then the name's extension. */
  file_type: z.enum(ARTIFACT_TYPES).optional(),
});

/** `GET /api/artifacts/:id`: the bytes. */
export const artifactContentQuery = z.strictObject({
  /** Serve a raster image (PNG, JPEG, GIF, WebP) `inline` (thumbnails); anything else stays an attachment. */
  inline: flag.optional(),
});

export const attachCommentBody = z.strictObject({ comment_id: idString });

export const attachImagesBody = z.strictObject({
  image_ids: z.array(idString).min(1, "must name at least one image").max(20, "at most 20 images"),
});

export const artifactSchema = z.object({
  id: z.string(),
  workflow_run_id: z.string(),
  /** The step run's id (`<run id>:<key>`), or null for a run-level artifact. */
  workflow_run_step_id: z.string().nullable(),
  workflow_comment_id: z.string().nullable(),
  /** The name given at upload (display only; downloads use it in Content-Disposition). */
  name: z.string(),
  /** Where the bytes are, relative to the data directory (server-generated; never the name). */
  file_path: z.string(),
  file_type: z.enum(ARTIFACT_TYPES),
  mime_type: z.string(),
  size_bytes: z.number().int(),
  sha256: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
});
export type ArtifactJson = z.infer<typeof artifactSchema>;

/** `GET /api/artifacts`: artifacts across runs (the attachments picker, the launch form's documents). */
export const searchArtifactsQuery = z.strictObject({
  /** Only this project's runs (the token must read it). Absent: every project the token may read. */
  project_id: idString.optional(),
  file_type: z.enum(ARTIFACT_TYPES).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(10_000).default(0),
});

/** An artifact of `GET /api/artifacts`: where it came from too. */
export const artifactListItemSchema = artifactSchema.extend({
  project_id: z.string(),
  /** The name of the run it belongs to (`workflow_run_id`). */
  run_name: z.string(),
  workflow_name: z.string(),
});
export type ArtifactListItemJson = z.infer<typeof artifactListItemSchema>;

export const attachmentSchema = z.object({
  document_id: z.string(),
  image_id: z.string(),
  is_primary: z.boolean(),
  attachment_order: z.number().int(),
  created_at: isoTime,
  /** The image artifact; null only if it vanished between two reads. */
  image: artifactSchema.nullable(),
});
export type AttachmentJson = z.infer<typeof attachmentSchema>;

/** `GET /api/health`: the server answers (no token needed). */
export const healthSchema = z.object({ status: z.literal("ok"), version: z.string() });

/** `GET /api/session`: who the request's token is, and what it may do (the web UI hides what it may not). */
export const sessionSchema = z.object({
  /** `open`: a loopback server without tokens, where the local user may do everything. */
  mode: z.enum(["open", "token"]),
  name: z.string(),
  token_id: z.string().nullable(),
  scopes: z.array(
    z.object({ project_id: z.string(), role: z.enum(["read", "operate", "admin"]), scripts: z.boolean() }),
  ),
  version: z.string(),
});

// ── details (after the comment and artifact shapes they embed) ───────────────────────────────────────────────

/**
 * An agent step's transcript, from its log folder's `session.jsonl`: one exchange per provider call (every
 * attempt, every fallback model, every re-ask after an answer outside the output schema), oldest first.
 */
export const agentSessionSchema = z.object({
  exchanges: z.array(
    z.object({
      attempt: z.number().int().nullable(),
      agent: z.string().nullable(),
      provider: z.string().nullable(),
      model: z.string().nullable(),
      /** When the exchange was written (ISO 8601). */
      at: z.string().nullable(),
      /** The provider's session id, when it has one. */
      session_id: z.string().nullable(),
      /** The exchange as the provider recorded it: JSON objects, each with a `type` (`request`, `response`, …). */
      entries: z.array(z.record(z.string(), z.unknown())),
    }),
  ),
  /** The file's size. */
  size_bytes: z.number().int(),
  /** The file is larger than a response carries: its first exchanges are left out. */
  truncated: z.boolean(),
});
export type AgentSessionJson = z.infer<typeof agentSessionSchema>;

export const stepDetailSchema = stepSummarySchema.extend({
  /** The step run's log folder, relative to the data directory. */
  log_directory_path: z.string(),
  output: z.unknown(),
  attempts: z.array(attemptSchema),
  /** An agent step's transcript; null for other steps and before its first exchange. */
  session: agentSessionSchema.nullable(),
  /** The artifacts the step produced (or that were uploaded for it), oldest first. */
  artifacts: z.array(artifactSchema),
  /** The step's comments, oldest first. */
  comments: z.array(commentSchema),
});
export type StepDetail = z.infer<typeof stepDetailSchema>;

export const runDetailSchema = runListItemSchema.extend({
  /** The run's comments, run- and step-level, oldest first. */
  comments: z.array(commentSchema),
});
export type RunDetail = z.infer<typeof runDetailSchema>;

/** `GET /api/workflow-executions/:id/artifacts`. */
export const listArtifactsQuery = z.strictObject({
  /** Only this step's artifacts: a step run id or a step key. */
  step_id: label(500).optional(),
});
