/**
 * Workflow runs ("executions", seed 002): launch, list, detail, pause/resume/cancel, and beyond seed 002:
 * approve/reject a step, retry a step, checkpoints, rewind.
 *
 * Concurrency: every command is one optimistic transaction in the engine (reload and re-apply when the run
 * changed meanwhile), so of two racing commands that exclude each other exactly one wins; the other sees
 * the new state and answers 409. Pause of a paused run and resume of a running run are no-ops (200).
 */
import type { FastifyContextConfig, FastifyPluginAsync, FastifyRequest, RawServerDefault } from "fastify";
import { z } from "zod";
import { ValidationError, WeftError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import type { RunRecord, Workflow } from "../../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import { parseWorkflow, type StepTypeSchemas } from "../../definition/index.js";
import type { TsWorkflowDefinition } from "../../definition/typescript/define.js";
import { pruneCheckpoints, resolveCheckpoints } from "../../engine/checkpoints.js";
import { requireRole } from "../access.js";
import { DEFAULT_PROJECT, data, type RoutePluginOptions } from "../context.js";
import {
  budgetBody,
  byBody,
  checkpointDetailSchema,
  checkpointParams,
  checkpointSchema,
  checkpointsQuery,
  controlResultSchema,
  decisionBody,
  emptyBody,
  envelope,
  type inlineWorkflowSchema,
  launchBody,
  listRunsQuery,
  pruneBody,
  pruneResultSchema,
  rewindBody,
  runDetailSchema,
  runListItemSchema,
  runParams,
  runSchema,
  runStepParams,
  runSummarySchema,
} from "../schemas.js";
import { requireScripts } from "../scripts.js";
import type { ZodTypeProvider } from "../validation.js";
import {
  checkpointDetailView,
  checkpointView,
  commentsOf,
  controlView,
  runContexts,
  runDetailView,
  runListItemView,
  runSummaryView,
  runView,
  stepKeyOf,
} from "../views.js";

/** An inline workflow's text → the workflow, or a ValidationError (422) with every error's line and column. */
export function parseInlineWorkflow(w: z.infer<typeof inlineWorkflowSchema>, stepTypes: StepTypeSchemas): Workflow {
  const json = w.format === "json" || (w.format === undefined && w.source.trimStart().startsWith("{"));
  const file = w.file ?? (json ? "workflow.json" : "workflow.yaml");
  const { workflow, issues } = parseWorkflow(w.source, { file, format: json ? "json" : "yaml", stepTypes });
  const errors = issues.filter((i) => i.severity === "error");
  if (!workflow || errors.length) throw new ValidationError(errors);
  return workflow;
}

export const runRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  const { engine, store, background } = ctx;
  const read: FastifyContextConfig = { access: { role: "read", scope: { run: "id" } } };
  const operate: FastifyContextConfig = { access: { role: "operate", scope: { run: "id" } } };

  const mustGet = async (id: string): Promise<RunRecord> => {
    const run = await engine.getRun(id);
    if (!run) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${id}`);
    return run;
  };
  const detail = async (run: RunRecord) => {
    const [[one], comments] = await Promise.all([runContexts(store, [run], Date.now()), commentsOf(store, run.id)]);
    if (!one) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${run.id}`);
    return runDetailView(one.run, one.context, comments);
  };

  /** After a command that lets the run go on: drive it here unless a live process already does. */
  const carryOn = (run: RunRecord) => {
    if (TERMINAL_RUN_STATUSES.has(run.status) || run.status === "paused" || engine.ownedElsewhere(run)) return;
    background.drive(run.id);
  };

  /** The workflow of a launch, its project, and the definition it comes from (null for an inline workflow). */
  const workflowOf = async (
    req: FastifyRequest,
    body: z.infer<typeof launchBody>,
  ): Promise<{
    workflow: Workflow;
    code?: TsWorkflowDefinition | undefined;
    projectId: string | undefined;
    definitionId: string | undefined;
  }> => {
    if (body.workflow) {
      return {
        workflow: parseInlineWorkflow(body.workflow, ctx.stepTypes),
        projectId: body.project_id,
        definitionId: undefined,
      };
    }
    const id = body.workflow_definition_id as string;
    const def = await ctx.resolveDefinition(id);
    // A project's definitions are launched in that project; built-in (system) ones in any. A definition of a
    // project the token cannot read is as unknown as a missing one.
    const visible = def !== undefined && (def.system || req.principal.can(def.projectId, "read"));
    if (!def || !visible || (body.project_id !== undefined && !def.system && def.projectId !== body.project_id)) {
      const where = body.project_id === undefined ? "" : ` in project ${body.project_id}`;
      throw new WeftError("WEFT_NOT_FOUND", `no workflow definition has id ${id}${where}`);
    }
    return {
      workflow: def.workflow,
      code: def.code,
      projectId: body.project_id ?? (def.system ? undefined : def.projectId),
      definitionId: id,
    };
  };

  app.post(
    "/workflow-executions",
    {
      config: { access: { role: "operate", scope: "token", scripts: true } },
      schema: { body: launchBody, response: { 200: envelope(runSchema), 201: envelope(runSchema) } },
    },
    async (req, reply) => {
      const body = req.body;
      const { workflow, code, projectId, definitionId } = await workflowOf(req, body);
      requireRole(req, projectId ?? DEFAULT_PROJECT, "operate");
      // An inline workflow is code sent now; a stored definition's code was allowed when it was stored.
      if (definitionId === undefined) {
        requireScripts(req, projectId ?? DEFAULT_PROJECT, workflow, "launching an inline workflow");
      }
      const { run, created } = await engine.launch(workflow, {
        args: (body.args ?? {}) as JsonObject,
        name: body.name,
        projectId,
        definitionId,
        priority: body.priority,
        triggeredBy: body.triggered_by ?? "api",
        idempotencyKey: body.idempotency_key,
        code,
        budget: body.budget && { tokens: body.budget.tokens, costUsd: body.budget.cost_usd },
        testRun: body.test_run,
      });
      // A repeated idempotency key answers the existing run with 200; the sweep drives it if nobody does.
      if (created) background.drive(run.id);
      void reply.status(created ? 201 : 200);
      return data(runView(run, await store.steps.list(run.id)));
    },
  );

  app.get(
    "/workflow-executions",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: {
        querystring: listRunsQuery,
        response: { 200: envelope(z.union([z.array(runListItemSchema), z.array(runSummarySchema)])) },
      },
    },
    async (req) => {
      const q = req.query;
      if (q.project_id !== undefined) requireRole(req, q.project_id, "read");
      const readable = req.principal.readable();
      const runs = await store.runs.list({
        projectId: q.project_id ?? (readable === "*" ? undefined : readable),
        definitionId: q.workflow_definition_id,
        forkedFrom: q.forked_from,
        status: q.status,
        limit: q.offset + q.limit,
      });
      // Two store calls for the whole page (runs.overview, runs.durations), whatever its length.
      const summary = q.view === "summary";
      const page = await runContexts(store, runs.slice(q.offset), Date.now(), summary ? "brief" : "full");
      const view = summary ? runSummaryView : runListItemView;
      return data(page.map(({ run, context }) => view(run, context)));
    },
  );

  app.get(
    "/workflow-executions/:id",
    { config: read, schema: { params: runParams, response: { 200: envelope(runDetailSchema) } } },
    async (req) => data(await detail(await mustGet(req.params.id))),
  );

  const control = { params: runParams, response: { 200: envelope(controlResultSchema) } };

  app.post(
    "/workflow-executions/:id/pause",
    { config: operate, schema: { ...control, body: emptyBody } },
    async (req) => data(controlView(await engine.pause(req.params.id))),
  );

  app.post(
    "/workflow-executions/:id/resume",
    { config: operate, schema: { ...control, body: emptyBody } },
    async (req) => {
      const run = await engine.resume(req.params.id);
      carryOn(run);
      return data(controlView(run));
    },
  );

  app.post("/workflow-executions/:id/cancel", { config: operate, schema: { ...control, body: byBody } }, async (req) =>
    data(controlView(await engine.cancel(req.params.id, req.body?.by ?? "api"))),
  );

  for (const verb of ["approve", "reject"] as const) {
    app.post(
      `/workflow-executions/:id/steps/:step/${verb}`,
      {
        config: operate,
        schema: { params: runStepParams, body: decisionBody, response: { 200: envelope(runDetailSchema) } },
      },
      async (req) => {
        const { id, step } = req.params;
        // The decider recorded is the token; what the client says in `by` is kept as `claimed_by`.
        const run = await engine[verb](id, stepKeyOf(id, step), {
          by: req.principal.name,
          comment: req.body?.comment,
          claimedBy: req.body?.by,
        });
        carryOn(run);
        return data(await detail(run));
      },
    );
  }

  app.post(
    "/workflow-executions/:id/steps/:step/retry",
    { config: operate, schema: { params: runStepParams, body: byBody, response: { 200: envelope(runDetailSchema) } } },
    async (req) => {
      const { id, step } = req.params;
      const run = await engine.retryStep(id, stepKeyOf(id, step), req.body?.by ?? "api");
      carryOn(run);
      return data(await detail(run));
    },
  );

  app.post(
    "/workflow-executions/:id/budget",
    { config: operate, schema: { ...control, body: budgetBody } },
    async (req) => {
      const { id } = req.params;
      const b = req.body;
      const run = await engine.setBudget(
        id,
        {
          tokens: b.tokens ?? null,
          costUsd: b.cost_usd ?? null,
          step: b.step_id === undefined ? undefined : stepKeyOf(id, b.step_id),
        },
        b.by ?? "api",
      );
      return data(controlView(run));
    },
  );

  app.get(
    "/workflow-executions/:id/checkpoints",
    {
      config: read,
      schema: {
        params: runParams,
        querystring: checkpointsQuery,
        response: { 200: envelope(z.array(checkpointSchema)) },
      },
    },
    async (req) => {
      const run = await mustGet(req.params.id);
      const cps = await store.checkpoints.list(run.id, req.query.limit);
      return data((await resolveCheckpoints(store, run, cps)).map(checkpointView));
    },
  );

  app.get(
    "/workflow-executions/:id/checkpoints/:number",
    {
      config: read,
      schema: { params: checkpointParams, response: { 200: envelope(checkpointDetailSchema) } },
    },
    async (req) => {
      const run = await mustGet(req.params.id);
      const cp = await store.checkpoints.get(run.id, req.params.number);
      if (!cp)
        throw new WeftError(
          "WEFT_NOT_FOUND",
          `run ${run.id} has no checkpoint ${req.params.number} (pruned, or not taken yet); GET …/checkpoints lists them`,
        );
      const [resolved] = await resolveCheckpoints(store, run, [cp], { results: true });
      return data(checkpointDetailView(resolved!));
    },
  );

  app.post(
    "/workflow-executions/:id/checkpoints/prune",
    {
      config: operate,
      schema: { params: runParams, body: pruneBody, response: { 200: envelope(pruneResultSchema) } },
    },
    async (req) => {
      await mustGet(req.params.id);
      const res = await pruneCheckpoints(store, ctx.dataDir, req.params.id, req.body.keep, {
        dryRun: req.body.dry_run,
      });
      return data({ dry_run: req.body.dry_run === true, removed: res.removed, kept: res.kept });
    },
  );

  app.post(
    "/workflow-executions/:id/rewind",
    { config: operate, schema: { params: runParams, body: rewindBody, response: { 201: envelope(runSchema) } } },
    async (req, reply) => {
      const run = await engine.rewind(req.params.id, req.body.checkpoint, { triggeredBy: req.body.triggered_by });
      background.drive(run.id);
      void reply.status(201);
      return data(runView(run, await store.steps.list(run.id)));
    },
  );
};
