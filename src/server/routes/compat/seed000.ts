/**
 * Seed 000's REST paths (creative workflows, tasks T035–T038, T057–T064, T082–T085) as thin aliases: each
 * translates seed 000's path, fields and status words (seed000-shapes.ts) and calls the same handler functions
 * as weft's own routes (handlers/definitions.ts, handlers/runs.ts, the attachment functions of artifacts.ts).
 *
 * - templates ↔ workflow definitions: a template's `nodes` / `edges` / `default_params` are read and written
 *   with the seed 000 dialect (definition/dialects/seed000-template.ts). A template created or updated here is
 *   stored as its seed 000 JSON, so it reads back as sent; any other definition is written as nodes and edges
 *   on the way out (a TypeScript one cannot be: it is left out of the list, and its detail is a 422).
 * - executions ↔ runs, agent jobs ↔ step runs; `stop` is cancel, `retry-node` is retry-step.
 * - documents' attachments ↔ document artifacts' attachments.
 *
 * Answers are bare objects and arrays, as seed 000's FastAPI server sent them and its axios client reads them
 * (`response.data` is the template); errors keep weft's `{ "error": { code, message } }` body and status codes.
 */
import type { FastifyPluginAsync, FastifyRequest, RawServerDefault } from "fastify";
import { z } from "zod";
import { WeftError } from "../../../core/errors.js";
import type { RunRecord } from "../../../core/model.js";
import {
  describeProblems,
  type Seed000Graph,
  templateFields,
  templateGraph,
  templateSource,
} from "../../../definition/dialects/seed000-template.js";
import type { DefinitionRecord } from "../../../store/store.js";
import type { RouteContext, RoutePluginOptions } from "../../context.js";
import {
  cloneDefinition,
  createDefinition,
  getDefinition,
  listDefinitions,
  updateDefinition,
} from "../../handlers/definitions.js";
import {
  cancelRun,
  carryOn,
  getRun,
  launchRun,
  listRuns,
  pauseRun,
  resumeRun,
  retryStep,
} from "../../handlers/runs.js";
import { attachImagesBody, listDefinitionsQuery } from "../../schemas.js";
import { RequestError, type ZodTypeProvider } from "../../validation.js";
import { runContexts } from "../../views.js";
import { attachImages, detachImage, documentAttachments, setPrimaryImage } from "../artifacts.js";
import {
  cloneTemplateBody,
  createTemplateBody,
  documentAttachmentSchema,
  documentImageParams,
  documentParams,
  executionParams,
  executionSchema,
  executionView,
  jobUsage,
  launchExecutionBody,
  listExecutionsQuery,
  listTemplatesQuery,
  retryNodeBody,
  runStatusesOf,
  SEED000_EXECUTION_STATUSES,
  templateParams,
  templateSchema,
  templateView,
  updateTemplateBody,
} from "./seed000-shapes.js";

/**
 * How many definitions' nodes and edges are kept once written (by id, version and update time): writing them
 * reads the workflow back, a few milliseconds each, and a gallery lists every template.
 */
const GRAPH_CACHE_SIZE = 500;

export const seed000Routes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  const graphs = new Map<string, ReturnType<typeof templateGraph>>();
  const graphOf = (def: DefinitionRecord) => {
    const key = `${def.id}:${def.version}:${def.updatedAt}`;
    let g = graphs.get(key);
    if (!g) {
      g = templateGraph(def.source, def.format, def.workflow, ctx.stepTypes);
      if (graphs.size >= GRAPH_CACHE_SIZE) graphs.clear();
      graphs.set(key, g);
    }
    return g;
  };
  /** The definition's template, or a 422 naming what its nodes and edges cannot carry. */
  const mustGraph = (def: DefinitionRecord): Seed000Graph => {
    const g = graphOf(def);
    if (g.problems) {
      throw new WeftError(
        "WEFT_SCHEMA",
        `workflow definition ${def.id} cannot be written as a seed 000 template: ${describeProblems(g.problems)}`,
      );
    }
    return g.graph;
  };
  const template = (def: DefinitionRecord) => templateView(def, mustGraph(def));

  const execution = async (runId: string) => {
    const run = await getRun(ctx, runId);
    const [one] = await runContexts(ctx.store, [run], Date.now());
    if (!one) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${runId}`);
    return executionView(one.run, one.context, jobUsage(await ctx.store.events.list(runId)));
  };

  // ── templates ──

  app.get(
    "/workflows/templates",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { querystring: listTemplatesQuery, response: { 200: z.array(templateSchema) } },
    },
    async (req) => {
      const q = req.query;
      const defs = await listDefinitions(
        ctx,
        req,
        listDefinitionsQuery.parse({
          project_id: q.project_id ?? q.workspace_id,
          category: q.category,
          search: q.search,
          limit: String(q.limit),
          offset: String(q.offset),
        }),
        q.include_system ? undefined : { system: false },
      );
      // A definition seed 000's nodes cannot hold (a TypeScript workflow: code) is not listed here;
      // GET /api/workflow-definitions has it.
      return defs.flatMap((def) => {
        const g = graphOf(def);
        return g.problems ? [] : [templateView(def, g.graph)];
      });
    },
  );

  app.post(
    "/workflows/templates",
    {
      config: { access: { role: "admin", scope: "token", scripts: true } },
      schema: { body: createTemplateBody, response: { 201: templateSchema } },
    },
    async (req, reply) => {
      const body = req.body as Record<string, unknown>;
      const def = await createDefinition(ctx, req, {
        source: templateSource(body),
        format: "json",
        project_id: req.body.project_id ?? req.body.workspace_id,
      });
      void reply.status(201);
      return template(def);
    },
  );

  app.get(
    "/workflows/templates/:id",
    {
      config: { access: { role: "read", scope: { definition: "id" } } },
      schema: { params: templateParams, response: { 200: templateSchema } },
    },
    async (req) => template(await getDefinition(ctx, req.params.id)),
  );

  app.put(
    "/workflows/templates/:id",
    {
      config: { access: { role: "admin", scope: { definition: "id" }, scripts: true } },
      schema: { params: templateParams, body: updateTemplateBody, response: { 200: templateSchema } },
    },
    async (req) => {
      const current = await getDefinition(ctx, req.params.id);
      // Seed 000 sends the fields it changes: the others are the template's as it is.
      const fields = current.system ? {} : templateFields(mustGraph(current));
      if (req.body.workspace_id !== undefined || req.body.project_id !== undefined) {
        throw new RequestError("a template's workspace cannot be changed: clone it into the other workspace");
      }
      const def = await updateDefinition(ctx, req, current.id, {
        source: templateSource({ ...fields, ...(req.body as Record<string, unknown>) }),
        format: "json",
        version: current.version,
      });
      return template(def);
    },
  );

  app.post(
    "/workflows/templates/:id/clone",
    {
      config: { access: { role: "read", scope: { definition: "id" }, targetRole: "admin" } },
      schema: { params: templateParams, body: cloneTemplateBody, response: { 201: templateSchema } },
    },
    async (req, reply) => {
      const b = req.body;
      // A definition seed 000 cannot show (a TypeScript one) is refused before a copy is made.
      mustGraph(await getDefinition(ctx, req.params.id));
      const def = await cloneDefinition(ctx, req, req.params.id, {
        name: b?.name,
        project_id: b?.project_id ?? b?.workspace_id,
      });
      void reply.status(201);
      return template(def);
    },
  );

  // ── executions ──

  app.post(
    "/workflows/executions/launch",
    {
      config: { access: { role: "operate", scope: "token" } },
      schema: { body: launchExecutionBody, response: { 201: executionSchema } },
    },
    async (req, reply) => {
      const b = req.body;
      const { run } = await launchRun(ctx, req, {
        workflow_definition_id: b.template_id,
        project_id: b.project_id ?? b.workspace_id,
        args: b.config ?? b.params ?? {},
        name: b.name,
        triggered_by: "api",
      });
      void reply.status(201);
      return execution(run.id);
    },
  );

  app.get(
    "/workflows/executions",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { querystring: listExecutionsQuery, response: { 200: z.array(executionSchema) } },
    },
    async (req) => {
      const q = req.query;
      const page = await listRuns(ctx, req, {
        project_id: q.project_id ?? q.workspace_id,
        workflow_definition_id: q.template_id,
        forked_from: undefined,
        status: q.status === undefined ? undefined : statusFilter(q.status),
        limit: q.limit,
        offset: q.offset,
      });
      return Promise.all(
        page.map(async ({ run, context }) =>
          executionView(run, context, jobUsage(await ctx.store.events.list(run.id))),
        ),
      );
    },
  );

  app.get(
    "/workflows/executions/:id",
    {
      config: { access: { role: "read", scope: { run: "id" } } },
      schema: { params: executionParams, response: { 200: executionSchema } },
    },
    async (req) => execution(req.params.id),
  );

  const operate = { access: { role: "operate", scope: { run: "id" } } } as const;
  const control = { params: executionParams, response: { 200: executionSchema } };
  const commands: Record<string, (req: FastifyRequest<{ Params: { id: string } }>) => Promise<unknown>> = {
    pause: (req) => pauseRun(ctx, req.params.id),
    resume: (req) => resumeExecution(ctx, req.params.id, req.principal.name),
    stop: (req) => cancelRun(ctx, req.params.id, req.principal.name),
  };
  for (const [verb, command] of Object.entries(commands)) {
    app.post(`/workflows/executions/:id/${verb}`, { config: operate, schema: control }, async (req) => {
      await command(req);
      return execution(req.params.id);
    });
  }

  app.post(
    "/workflows/executions/:id/retry-node",
    { config: operate, schema: { ...control, body: retryNodeBody } },
    async (req) => {
      await retryStep(ctx, req.params.id, req.body.node_id, req.principal.name);
      return execution(req.params.id);
    },
  );

  // ── document attachments ──

  const attachments = async (docId: string, list: Promise<Awaited<ReturnType<typeof documentAttachments>>>) =>
    (await list).map((a) => ({ id: `${docId}:${a.image_id}`, ...a, created_by_workflow_id: null }));
  const attachmentList = { 200: z.array(documentAttachmentSchema) };
  const readDoc = { access: { role: "read", scope: { artifact: "docId" } } } as const;
  const operateDoc = { access: { role: "operate", scope: { artifact: "docId" } } } as const;

  app.get(
    "/documents/:docId/attachments",
    { config: readDoc, schema: { params: documentParams, response: attachmentList } },
    async (req) => attachments(req.params.docId, documentAttachments(ctx.store, req.params.docId)),
  );

  app.post(
    "/documents/:docId/attachments",
    {
      config: operateDoc,
      schema: {
        params: documentParams,
        body: attachImagesBody,
        response: attachmentList,
      },
    },
    async (req) => attachments(req.params.docId, attachImages(ctx.store, req, req.params.docId, req.body.image_ids)),
  );

  app.delete(
    "/documents/:docId/attachments/:imageId",
    { config: operateDoc, schema: { params: documentImageParams, response: attachmentList } },
    async (req) => attachments(req.params.docId, detachImage(ctx.store, req.params.docId, req.params.imageId)),
  );

  app.put(
    "/documents/:docId/attachments/:imageId/primary",
    { config: operateDoc, schema: { params: documentImageParams, response: attachmentList } },
    async (req) => attachments(req.params.docId, setPrimaryImage(ctx.store, req.params.docId, req.params.imageId)),
  );
};

/** `status=running,paused` in seed 000's words (or weft's) → weft's run statuses; an unknown word is a 400. */
function statusFilter(text: string) {
  const out = new Set<string>();
  for (const word of text.split(",").map((w) => w.trim())) {
    const statuses = runStatusesOf(word);
    if (!statuses) {
      throw new RequestError(
        `invalid request: query.status: unknown status "${word}"; seed 000's statuses are ${SEED000_EXECUTION_STATUSES.join(", ")}`,
        [{ path: "query.status", message: `unknown status "${word}"` }],
      );
    }
    for (const s of statuses) out.add(s);
  }
  return [...out] as ReturnType<typeof runStatusesOf> & object;
}

/**
 * Seed 000's resume. Its review node pauses the execution until a person lets it go on, and resume is how
 * (T052, T083): a run waiting for a person's approval has those steps approved, by the token; any other run is
 * resumed as weft resumes it.
 */
async function resumeExecution(ctx: RouteContext, runId: string, by: string): Promise<RunRecord> {
  const run = await getRun(ctx, runId);
  if (run.status !== "waiting") return resumeRun(ctx, runId);
  const reviews = (await ctx.store.steps.list(runId)).filter(
    (s) => s.status === "waiting" && s.waitingFor === "approval",
  );
  let last = run;
  for (const s of reviews) last = await ctx.engine.approve(runId, s.key, { by });
  carryOn(ctx, last);
  return last;
}
