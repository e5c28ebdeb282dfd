/**
 * Workflow runs ("executions", seed 002): launch, list, detail, pause/resume/cancel, and beyond seed 002:
 * approve/reject a step, retry a step, checkpoints, rewind.
 *
 * Concurrency: every command is one optimistic transaction in the engine (reload and re-apply when the run
 * changed meanwhile), so of two racing commands that exclude each other exactly one wins; the other sees
 * the new state and answers 409. Pause of a paused run and resume of a running run are no-ops (200).
 *
 * The logic lives in ../handlers/runs.ts (shared with the seed aliases in compat/); these routes map HTTP onto it.
 */
import type { FastifyContextConfig, FastifyPluginAsync, RawServerDefault } from "fastify";
import { z } from "zod";
import { WeftError } from "../../core/errors.js";
import { pruneCheckpoints, resolveCheckpoints } from "../../engine/checkpoints.js";
import { data, type RoutePluginOptions } from "../context.js";
import {
  cancelRun,
  carryOn,
  getRun,
  launchRun,
  listRuns,
  pauseRun,
  resumeRun,
  retryStep,
  runDetail,
} from "../handlers/runs.js";
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
import type { ZodTypeProvider } from "../validation.js";
import {
  checkpointDetailView,
  checkpointView,
  controlView,
  runListItemView,
  runSummaryView,
  runView,
  stepKeyOf,
} from "../views.js";

export const runRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  const { engine, store, background } = ctx;
  const read: FastifyContextConfig = { access: { role: "read", scope: { run: "id" } } };
  const operate: FastifyContextConfig = { access: { role: "operate", scope: { run: "id" } } };

  app.post(
    "/workflow-executions",
    {
      config: { access: { role: "operate", scope: "token", scripts: true } },
      schema: { body: launchBody, response: { 200: envelope(runSchema), 201: envelope(runSchema) } },
    },
    async (req, reply) => {
      const { run, created } = await launchRun(ctx, req, req.body);
      // A repeated idempotency key answers the existing run with 200.
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
      const summary = req.query.view === "summary";
      const page = await listRuns(ctx, req, req.query, summary ? "brief" : "full");
      const view = summary ? runSummaryView : runListItemView;
      return data(page.map(({ run, context }) => view(run, context)));
    },
  );

  app.get(
    "/workflow-executions/:id",
    { config: read, schema: { params: runParams, response: { 200: envelope(runDetailSchema) } } },
    async (req) => data(await runDetail(ctx, await getRun(ctx, req.params.id))),
  );

  const control = { params: runParams, response: { 200: envelope(controlResultSchema) } };

  app.post(
    "/workflow-executions/:id/pause",
    { config: operate, schema: { ...control, body: emptyBody } },
    async (req) => data(controlView(await pauseRun(ctx, req.params.id))),
  );

  app.post(
    "/workflow-executions/:id/resume",
    { config: operate, schema: { ...control, body: emptyBody } },
    async (req) => data(controlView(await resumeRun(ctx, req.params.id))),
  );

  app.post("/workflow-executions/:id/cancel", { config: operate, schema: { ...control, body: byBody } }, async (req) =>
    data(controlView(await cancelRun(ctx, req.params.id, req.body?.by))),
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
        carryOn(ctx, run);
        return data(await runDetail(ctx, run));
      },
    );
  }

  app.post(
    "/workflow-executions/:id/steps/:step/retry",
    { config: operate, schema: { params: runStepParams, body: byBody, response: { 200: envelope(runDetailSchema) } } },
    async (req) => {
      const run = await retryStep(ctx, req.params.id, req.params.step, req.body?.by);
      return data(await runDetail(ctx, run));
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
      const run = await getRun(ctx, req.params.id);
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
      const run = await getRun(ctx, req.params.id);
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
      await getRun(ctx, req.params.id);
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
