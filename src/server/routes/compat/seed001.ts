/**
 * Seed 001 (HishamOS)'s REST contract, as thin aliases over weft's own handlers (../../handlers/*): its paths
 * with their trailing slashes exactly as the seed writes them (`/api/v1/workflows/…/`; the same paths without
 * the slash are not routes), its field names, and its status words. Nothing here creates, launches or controls
 * anything itself: it translates the seed's request into weft's, calls the handler weft's route calls, and
 * translates the answer back. docs/compatibility.md has the tables.
 *
 * The seed's shapes live here rather than in schemas.ts and views.ts: they are one concern (this seed's wire
 * contract), and weft's own shapes stay weft's.
 *
 * - `POST /api/v1/workflows/`: the workflow document as JSON — in the seed's `workflow:` wrapper or bare —
 *   or as YAML text (`Content-Type: application/yaml`, `text/yaml` or `application/x-yaml`). A new workflow is a
 *   `draft` (the seed's state machine starts there) unless the JSON body says `"status": "active"`.
 * - `POST /api/v1/workflows/{id}/execute/`: `input_data` becomes the run's `args` (`{{input.x}}` reads them). A
 *   draft executes only with `"test_run": true`; an archived workflow never (409, as weft's launch).
 * - Executions answer seed 001's WorkflowExecution: `status` in its words, `current_step`, `state` (the runtime
 *   variables: `input` and `steps.<id>.output`), `retry_count`, `error_message`, and its steps; `weft_status`
 *   keeps weft's own word where the seed's vocabulary folds two into one.
 */
import type { FastifyPluginAsync, RawServerDefault } from "fastify";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import type { JsonObject } from "../../../core/json.js";
import { DEFINITION_STATUSES } from "../../../core/lifecycle.js";
import {
  isJournalValue,
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  STEP_STATUSES,
  type StepStatus,
} from "../../../core/model.js";
import type { DefinitionRecord } from "../../../store/store.js";
import type { RouteContext, RoutePluginOptions } from "../../context.js";
import { createDefinition, getDefinition } from "../../handlers/definitions.js";
import { cancelRun, getRun, launchRun, pauseRun, resumeRun, runDetail } from "../../handlers/runs.js";
import type { ZodTypeProvider } from "../../validation.js";

// ── seed 001's vocabulary ────────────────────────────────────────────────────────────────────────────────────

/** An execution's status in seed 001's words (its workflow states, less the definition's draft and active). */
const EXECUTION_STATUSES = ["running", "paused", "completed", "failed", "cancelled"] as const;
/** A step's status in seed 001's words. */
const STEP_STATES = ["pending", "running", "completed", "failed", "skipped"] as const;

/** weft's run status → seed 001's: launched-but-not-started and waiting-for-a-person both count as running. */
export const SEED001_EXECUTION_STATUS: Record<RunStatus, (typeof EXECUTION_STATUSES)[number]> = {
  pending: "running",
  running: "running",
  waiting: "running",
  paused: "paused",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

/** weft's step status → seed 001's: ready is still pending, waiting is still running, cancelled never ran. */
export const SEED001_STEP_STATUS: Record<StepStatus, (typeof STEP_STATES)[number]> = {
  pending: "pending",
  ready: "pending",
  running: "running",
  waiting: "running",
  completed: "completed",
  failed: "failed",
  skipped: "skipped",
  cancelled: "skipped",
};

// ── shapes ───────────────────────────────────────────────────────────────────────────────────────────────────

const id = z.string().min(1, "must not be empty").max(200, "is longer than 200 characters");
const params = z.strictObject({ id });

const yamlText = z.string().min(1, "must not be empty");
const jsonDocument = z.looseObject({
  /** Default `draft`; `active` makes it executable at once. */
  status: z.enum(["draft", "active"]).optional(),
  /** weft's project (default `default`). */
  project_id: id.optional(),
});

/**
 * The workflow document as YAML text, or as JSON (wrapped in `workflow:` or bare) with weft's two extras. A body
 * that fits neither is refused with what is wrong in the form it came in (text: empty; JSON: which field).
 */
const createBody = z.union([yamlText, jsonDocument], {
  error: (issue) => {
    const branches = (issue as { errors?: Array<Array<{ path: PropertyKey[]; message: string }>> }).errors ?? [];
    const problems = branches[typeof issue.input === "string" ? 0 : 1] ?? [];
    const said = problems.map((p) => (p.path.length ? `${p.path.map(String).join(".")}: ${p.message}` : p.message));
    return said.join("; ") || "must be the workflow as YAML text (Content-Type: application/yaml) or a JSON object";
  },
});

const executeBody = z
  .strictObject({
    /** The run's arguments: `{{input.<name>}}` in the workflow reads them. */
    input_data: z.record(z.string(), z.unknown()).optional(),
    /** weft's: every agent answered by the offline mock provider; the only way a draft executes. */
    test_run: z.boolean().optional(),
  })
  .optional();

const workflowSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  /** The workflow's own `version` ("1.0"), as its document says; null when it says none. */
  version: z.string().nullable(),
  /** Lifecycle: draft, active, archived. */
  status: z.enum(DEFINITION_STATUSES),
  /** The document as it was sent (JSON, or the YAML parsed); null for a TypeScript definition. */
  definition: z.unknown(),
  project_id: z.string(),
  /** weft's change counter (`version` in weft's own API). */
  revision: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

const stepSchema = z.object({
  step_id: z.string(),
  /** `step_id`, or `step_id[i]` for an item of a foreach step. */
  key: z.string(),
  status: z.enum(STEP_STATES),
  weft_status: z.enum(STEP_STATUSES),
  retry_count: z.number().int(),
  error_message: z.string().nullable(),
  output: z.unknown(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
});

const executionSchema = z.object({
  id: z.string(),
  /** The workflow it was executed from. */
  workflow: z.string().nullable(),
  workflow_name: z.string(),
  status: z.enum(EXECUTION_STATUSES),
  weft_status: z.enum(RUN_STATUSES),
  /** The step running (or waiting) now, else the next one to run; null once none is left. */
  current_step: z.string().nullable(),
  /** The runtime variables: `input` (the input_data) and `steps.<key>.output` of every step that has one. */
  state: z.object({ input: z.record(z.string(), z.unknown()), steps: z.record(z.string(), z.unknown()) }),
  /** Retries of every step together (attempts beyond each step's first). */
  retry_count: z.number().int(),
  error_message: z.string().nullable(),
  test_run: z.boolean(),
  steps: z.array(stepSchema),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

// ── views ────────────────────────────────────────────────────────────────────────────────────────────────────

/** The document of a definition as its author sent it, parsed; null for TypeScript (or text that no longer parses). */
function documentOf(def: DefinitionRecord): unknown {
  if (def.format === "ts") return null;
  try {
    return def.format === "json" ? JSON.parse(def.source) : parseYaml(def.source);
  } catch {
    return null;
  }
}

function workflowView(def: DefinitionRecord): z.infer<typeof workflowSchema> {
  return {
    id: def.id,
    name: def.name,
    description: def.description,
    version: def.workflow.version ?? null,
    status: def.status,
    definition: documentOf(def),
    project_id: def.projectId,
    revision: def.version,
    created_at: new Date(def.createdAt).toISOString(),
    updated_at: new Date(def.updatedAt).toISOString(),
  };
}

/** Seed 001's WorkflowExecution of a run: weft's run detail and its steps' outputs, in the seed's words. */
async function executionView(ctx: RouteContext, run: RunRecord): Promise<z.infer<typeof executionSchema>> {
  const [detail, records] = await Promise.all([runDetail(ctx, run), ctx.store.steps.list(run.id)]);
  const outputs = new Map(records.filter((r) => !isJournalValue(r.key)).map((r) => [r.key, r.output]));
  const steps = detail.steps.map((s) => ({
    step_id: s.step_id,
    key: s.key,
    status: SEED001_STEP_STATUS[s.status],
    weft_status: s.status,
    retry_count: Math.max(0, s.attempt - 1),
    error_message: s.error_message,
    output: outputs.get(s.key) ?? null,
    started_at: s.started_at,
    completed_at: s.completed_at,
  }));
  const produced = steps.filter((s) => s.output !== null).map((s) => [s.key, { output: s.output }]);
  return {
    id: run.id,
    workflow: run.definitionId ?? null,
    workflow_name: run.workflowName,
    status: SEED001_EXECUTION_STATUS[run.status],
    weft_status: run.status,
    current_step: detail.current_step?.key ?? null,
    state: { input: run.args, steps: Object.fromEntries(produced) },
    retry_count: steps.reduce((n, s) => n + s.retry_count, 0),
    error_message: detail.error_message,
    test_run: detail.test_run,
    steps,
    started_at: detail.started_at,
    completed_at: detail.completed_at,
    created_at: detail.created_at,
    updated_at: detail.updated_at,
  };
}

// ── routes ───────────────────────────────────────────────────────────────────────────────────────────────────

/** What a YAML body may be sent as; read as text here only (weft's own routes take JSON alone). */
const YAML_TYPES = ["application/yaml", "text/yaml", "application/x-yaml"];

export const seed001Routes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  app.addContentTypeParser(YAML_TYPES, { parseAs: "string" }, (_req, body, done) => done(null, body));

  app.post(
    "/v1/workflows/",
    {
      config: { access: { role: "admin", scope: "token", scripts: true } },
      schema: { body: createBody, response: { 201: workflowSchema } },
    },
    async (req, reply) => {
      const body = req.body;
      let created: DefinitionRecord;
      if (typeof body === "string") {
        created = await createDefinition(ctx, req, { source: body, format: "yaml", status: "draft" });
      } else {
        const { status, project_id, ...document } = body;
        const source = `${JSON.stringify(document, null, 2)}\n`;
        created = await createDefinition(ctx, req, { source, format: "json", project_id, status: status ?? "draft" });
      }
      void reply.status(201);
      return workflowView(created);
    },
  );

  app.get(
    "/v1/workflows/:id/",
    {
      config: { access: { role: "read", scope: { definition: "id" } } },
      schema: { params, response: { 200: workflowSchema } },
    },
    async (req) => workflowView(await getDefinition(ctx, req.params.id)),
  );

  app.post(
    "/v1/workflows/:id/execute/",
    {
      config: { access: { role: "operate", scope: { definition: "id" } } },
      schema: { params, body: executeBody, response: { 201: executionSchema } },
    },
    async (req, reply) => {
      const { run } = await launchRun(ctx, req, {
        workflow_definition_id: req.params.id,
        args: (req.body?.input_data ?? {}) as JsonObject,
        test_run: req.body?.test_run,
        triggered_by: "api",
      });
      void reply.status(201);
      return executionView(ctx, run);
    },
  );

  const read = { access: { role: "read", scope: { run: "id" } } } as const;
  const operate = { access: { role: "operate", scope: { run: "id" } } } as const;
  const empty = z.strictObject({}).optional();

  app.get(
    "/v1/workflows/executions/:id/",
    { config: read, schema: { params, response: { 200: executionSchema } } },
    async (req) => executionView(ctx, await getRun(ctx, req.params.id)),
  );

  const commands = {
    pause: (runId: string) => pauseRun(ctx, runId),
    resume: (runId: string) => resumeRun(ctx, runId),
    cancel: (runId: string) => cancelRun(ctx, runId, "api"),
  };
  for (const [verb, command] of Object.entries(commands)) {
    app.post(
      `/v1/workflows/executions/:id/${verb}/`,
      { config: operate, schema: { params, body: empty, response: { 200: executionSchema } } },
      async (req) => executionView(ctx, await command(req.params.id)),
    );
  }
};
