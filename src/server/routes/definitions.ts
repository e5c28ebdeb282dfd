/**
 * Workflow definitions (seed 002's WorkflowDefinition: templates) under `/api/workflow-definitions`: list
 * (category, search, sort; a project's own plus the built-in system templates), their categories, detail (steps,
 * edges, phases, args schema, example args, usage stats, recent runs), create / update from `{ source }` (YAML,
 * JSON, or TypeScript with `format: "ts"`: validated, 422 with every issue's line and column), clone, delete,
 * validate; and the project's definitions folder that `weft serve` keeps listed (`…/files`, definition-files.ts).
 *
 * A definition has a lifecycle status (draft, active, archived: src/core/lifecycle.ts), changed by activate and
 * archive; the list hides archived ones unless `status` asks for them.
 *
 * A definition's name is its workflow's `name`, unique per project (409). Updates are optimistic: `version`
 * (given, or the one just read) must still be the stored one, else 409. System templates are read-only.
 *
 * The logic lives in ../handlers/definitions.ts (shared with the seed aliases in compat/); these routes map HTTP onto it.
 */
import type { FastifyPluginAsync, RawServerDefault } from "fastify";
import { z } from "zod";
import { WeftError } from "../../core/errors.js";
import { requireRole } from "../access.js";
import { data, type RoutePluginOptions } from "../context.js";
import {
  checkSource,
  cloneDefinition,
  createDefinition,
  definitionDetail,
  deleteDefinition,
  getDefinition,
  listDefinitions,
  setDefinitionStatus,
  updateDefinition,
  visibleTo,
} from "../handlers/definitions.js";
import {
  cloneDefinitionBody,
  createDefinitionBody,
  definitionCategoriesQuery,
  definitionCategorySchema,
  definitionDetailSchema,
  definitionFilesSchema,
  definitionParams,
  definitionStatusBody,
  definitionSummarySchema,
  deletedSchema,
  envelope,
  listDefinitionsQuery,
  updateDefinitionBody,
  validateDefinitionBody,
  validationResultSchema,
} from "../schemas.js";
import type { ZodTypeProvider } from "../validation.js";
import { definitionSummaryView, issueView } from "../views.js";

export const definitionRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  app.get(
    "/workflow-definitions",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { querystring: listDefinitionsQuery, response: { 200: envelope(z.array(definitionSummarySchema)) } },
    },
    async (req) =>
      data(
        (await listDefinitions(ctx, req, req.query)).map((d) =>
          definitionSummaryView(d, ctx.definitionFiles?.fileOf(d.id)),
        ),
      ),
  );

  app.get(
    "/workflow-definitions/files",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { response: { 200: envelope(definitionFilesSchema) } },
    },
    async (req) => {
      const files = ctx.definitionFiles;
      if (!files) {
        throw new WeftError(
          "WEFT_NOT_FOUND",
          "this server watches no definitions folder (`weft serve` watches .agent/workflows/definitions/ in the folder it starts in)",
        );
      }
      requireRole(req, files.projectId, "read");
      return data({
        folder: files.folder,
        project_id: files.projectId,
        files: files.files().map((f) => ({
          name: f.name,
          path: f.path,
          definition_id: f.definitionId,
          issues: f.issues.map(issueView),
        })),
      });
    },
  );

  app.get(
    "/workflow-definitions/categories",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: {
        querystring: definitionCategoriesQuery,
        response: { 200: envelope(z.array(definitionCategorySchema)) },
      },
    },
    async (req) =>
      data(
        await ctx.store.definitions.categories({ ...visibleTo(req, req.query.project_id), status: req.query.status }),
      ),
  );

  app.post(
    "/workflow-definitions/validate",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { body: validateDefinitionBody, response: { 200: envelope(validationResultSchema) } },
    },
    async (req) => {
      const r = checkSource(req.body.source, req.body.format, ctx.stepTypes);
      return data({ valid: r.workflow !== undefined, issues: r.issues.map(issueView) });
    },
  );

  app.get(
    "/workflow-definitions/:id",
    {
      config: { access: { role: "read", scope: { definition: "id" } } },
      schema: { params: definitionParams, response: { 200: envelope(definitionDetailSchema) } },
    },
    async (req) => data(await definitionDetail(ctx, req, await getDefinition(ctx, req.params.id))),
  );

  app.post(
    "/workflow-definitions",
    {
      config: { access: { role: "admin", scope: "token", scripts: true } },
      schema: { body: createDefinitionBody, response: { 201: envelope(definitionDetailSchema) } },
    },
    async (req, reply) => {
      const def = await createDefinition(ctx, req, req.body);
      void reply.status(201);
      return data(await definitionDetail(ctx, req, def));
    },
  );

  app.put(
    "/workflow-definitions/:id",
    {
      config: { access: { role: "admin", scope: { definition: "id" }, scripts: true } },
      schema: {
        params: definitionParams,
        body: updateDefinitionBody,
        response: { 200: envelope(definitionDetailSchema) },
      },
    },
    async (req) => data(await definitionDetail(ctx, req, await updateDefinition(ctx, req, req.params.id, req.body))),
  );

  app.post(
    "/workflow-definitions/:id/clone",
    {
      // Reading the original is enough here; the handler checks admin in the project the copy goes to.
      config: { access: { role: "read", scope: { definition: "id" }, targetRole: "admin" } },
      schema: {
        params: definitionParams,
        body: cloneDefinitionBody,
        response: { 201: envelope(definitionDetailSchema) },
      },
    },
    async (req, reply) => {
      const def = await cloneDefinition(ctx, req, req.params.id, req.body);
      void reply.status(201);
      return data(await definitionDetail(ctx, req, def));
    },
  );

  // The lifecycle (src/core/lifecycle.ts): draft or archived → active, draft or active → archived.
  for (const [verb, to] of [
    ["activate", "active"],
    ["archive", "archived"],
  ] as const) {
    app.post(
      `/workflow-definitions/:id/${verb}`,
      {
        config: { access: { role: "admin", scope: { definition: "id" } } },
        schema: {
          params: definitionParams,
          body: definitionStatusBody,
          response: { 200: envelope(definitionDetailSchema) },
        },
      },
      async (req) =>
        data(await definitionDetail(ctx, req, await setDefinitionStatus(ctx, req.params.id, to, req.body?.version))),
    );
  }

  app.delete(
    "/workflow-definitions/:id",
    {
      config: { access: { role: "admin", scope: { definition: "id" } } },
      schema: { params: definitionParams, response: { 200: envelope(deletedSchema) } },
    },
    async (req) => data(await deleteDefinition(ctx, req.params.id)),
  );
};
