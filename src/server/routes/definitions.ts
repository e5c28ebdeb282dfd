/**
 * Workflow definitions (seed 002's WorkflowDefinition: templates) under `/api/workflow-definitions`: list
 * (category, search, sort; a project's own plus the built-in system templates), their categories, detail (steps,
 * edges, phases, args schema, example args, usage stats, recent runs), create / update from `{ source }` (YAML or JSON, validated: 422 with
 * every issue's line and column), clone, delete, validate.
 *
 * A definition's name is its workflow's `name`, unique per project (409). Updates are optimistic: `version`
 * (given, or the one just read) must still be the stored one, else 409. System templates are read-only.
 */
import { randomUUID } from "node:crypto";
import type { FastifyPluginAsync, FastifyRequest, RawServerDefault } from "fastify";
import { parseDocument } from "yaml";
import { z } from "zod";
import { ValidationError, WeftError } from "../../core/errors.js";
import type { Workflow } from "../../core/model.js";
import { parseWorkflow, type StepTypeSchemas, workflowHash } from "../../definition/index.js";
import { ConflictError, type DefinitionRecord, type NewDefinition } from "../../store/store.js";
import { requireRole } from "../access.js";
import { DEFAULT_PROJECT, data, type RoutePluginOptions } from "../context.js";
import {
  cloneDefinitionBody,
  createDefinitionBody,
  definitionCategoriesQuery,
  definitionCategorySchema,
  definitionDetailSchema,
  definitionParams,
  definitionSummarySchema,
  deletedSchema,
  envelope,
  listDefinitionsQuery,
  updateDefinitionBody,
  validateDefinitionBody,
  validationResultSchema,
} from "../schemas.js";
import { requireScripts } from "../scripts.js";
import type { ZodTypeProvider } from "../validation.js";
import { definitionDetailView, definitionSummaryView, issueView } from "../views.js";

type Format = "yaml" | "json";

/** How many of a definition's runs its detail shows. */
const RECENT_RUNS = 5;

function formatOf(source: string, format: Format | undefined): Format {
  return format ?? (source.trimStart().startsWith("{") ? "json" : "yaml");
}

/** Parses a definition's text: the workflow (undefined when an issue is an error) and every issue. */
export function checkSource(source: string, format: Format | undefined, stepTypes: StepTypeSchemas) {
  const fmt = formatOf(source, format);
  const file = fmt === "json" ? "workflow.json" : "workflow.yaml";
  const { workflow, issues } = parseWorkflow(source, { file, format: fmt, stepTypes });
  const valid = workflow !== undefined && !issues.some((i) => i.severity === "error");
  return { workflow: valid ? workflow : undefined, issues, format: fmt };
}

/** The workflow of a definition's text, or a ValidationError (422) with every error's line and column. */
function mustParse(
  source: string,
  format: Format | undefined,
  stepTypes: StepTypeSchemas,
): { workflow: Workflow; format: Format } {
  const r = checkSource(source, format, stepTypes);
  if (!r.workflow) throw new ValidationError(r.issues.filter((i) => i.severity === "error"));
  return { workflow: r.workflow, format: r.format };
}

/** The text with its top-level `name` replaced, comments and layout kept (YAML); undefined if it cannot be. */
function renamedSource(source: string, format: Format, name: string): string | undefined {
  try {
    if (format === "json") {
      const value = JSON.parse(source) as unknown;
      if (!value || typeof value !== "object" || Array.isArray(value)) return undefined;
      return `${JSON.stringify({ ...(value as object), name }, null, 2)}\n`;
    }
    const doc = parseDocument(source);
    if (doc.errors.length) return undefined;
    doc.set("name", name);
    return doc.toString();
  } catch {
    return undefined;
  }
}

/**
 * The definitions a request may list: a named project's (the token must read it: 403 otherwise) or, without one,
 * every project the token reads; both with the built-in templates. A token of every project sees everything.
 */
function visibleTo(
  req: FastifyRequest,
  project: string | undefined,
): { projectId: string | string[] | undefined; includeSystem: true | undefined } {
  if (project !== undefined) requireRole(req, project, "read");
  const readable = req.principal.readable();
  const projectId = project ?? (readable === "*" ? undefined : readable);
  return { projectId, includeSystem: projectId !== undefined ? true : undefined };
}

export const definitionRoutes: FastifyPluginAsync<RoutePluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx },
) => {
  const { store } = ctx;

  /** The definition's detail, with the newest runs launched from it that the request's token may read. */
  const detail = async (req: FastifyRequest, def: DefinitionRecord) => {
    const readable = req.principal.readable();
    const recent = await store.runs.list({
      definitionId: def.id,
      projectId: readable === "*" ? undefined : readable,
      limit: RECENT_RUNS,
    });
    return data(definitionDetailView(def, recent));
  };

  const mustGet = async (id: string): Promise<DefinitionRecord> => {
    const def = await store.definitions.get(id);
    if (!def) throw new WeftError("WEFT_NOT_FOUND", `no workflow definition has id ${id}`);
    return def;
  };

  const nameTaken = (projectId: string, name: string) =>
    new WeftError(
      "WEFT_CONFLICT",
      `project ${projectId} already has a workflow definition named "${name}"; rename the workflow (its \`name\`) or update that definition`,
    );

  app.get(
    "/workflow-definitions",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { querystring: listDefinitionsQuery, response: { 200: envelope(z.array(definitionSummarySchema)) } },
    },
    async (req) => {
      const q = req.query;
      const defs = await store.definitions.list({
        ...visibleTo(req, q.project_id),
        category: q.category,
        search: q.search || undefined,
        sort: q.sort,
        limit: q.limit,
        offset: q.offset,
      });
      return data(defs.map(definitionSummaryView));
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
    async (req) => data(await store.definitions.categories(visibleTo(req, req.query.project_id))),
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
    async (req) => detail(req, await mustGet(req.params.id)),
  );

  app.post(
    "/workflow-definitions",
    {
      config: { access: { role: "admin", scope: "token", scripts: true } },
      schema: { body: createDefinitionBody, response: { 201: envelope(definitionDetailSchema) } },
    },
    async (req, reply) => {
      const body = req.body;
      const { workflow, format } = mustParse(body.source, body.format, ctx.stepTypes);
      const projectId = body.project_id ?? DEFAULT_PROJECT;
      requireRole(req, projectId, "admin");
      requireScripts(req, projectId, workflow, "creating a workflow definition");
      if (await store.definitions.getByName(projectId, workflow.name)) throw nameTaken(projectId, workflow.name);
      const def = await store.definitions.create(
        userDefinition({
          projectId,
          name: workflow.name,
          description: workflow.description ?? null,
          category: body.category !== undefined ? body.category : (workflow.category ?? null),
          tags: body.tags ?? workflow.tags,
          format,
          source: body.source,
          workflow,
        }),
      );
      void reply.status(201);
      return detail(req, def);
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
    async (req) => {
      const body = req.body;
      const current = await mustGet(req.params.id);
      if (current.system) {
        throw new WeftError(
          "WEFT_CONFLICT",
          `workflow definition ${current.id} is a built-in template and cannot be changed; clone it (POST /api/workflow-definitions/${current.id}/clone) and change the copy`,
        );
      }
      if (body.version !== undefined && body.version !== current.version) {
        throw new WeftError(
          "WEFT_CONFLICT",
          `workflow definition ${current.id} changed since version ${body.version} (now version ${current.version}); reload it and apply your change again`,
        );
      }
      const { workflow, format } = mustParse(body.source, body.format, ctx.stepTypes);
      requireScripts(req, current.projectId, workflow, "updating a workflow definition");
      if (workflow.name !== current.name) {
        const other = await store.definitions.getByName(current.projectId, workflow.name);
        if (other && other.id !== current.id) throw nameTaken(current.projectId, workflow.name);
      }
      try {
        const def = await store.definitions.update(
          current.id,
          {
            name: workflow.name,
            description: workflow.description ?? null,
            ...(body.category !== undefined ? { category: body.category } : {}),
            ...(body.tags !== undefined ? { tags: body.tags } : {}),
            format,
            source: body.source,
            workflow,
            workflowHash: workflowHash(workflow),
            now: Date.now(),
          },
          body.version ?? current.version,
        );
        return detail(req, def);
      } catch (err) {
        if (err instanceof ConflictError) {
          throw new WeftError(
            "WEFT_CONFLICT",
            `workflow definition ${current.id} changed meanwhile (version ${err.expected}, now ${err.actual ?? "deleted"}); reload it and apply your change again`,
          );
        }
        throw err;
      }
    },
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
      const original = await mustGet(req.params.id);
      const projectId = req.body?.project_id ?? (original.system ? DEFAULT_PROJECT : original.projectId);
      requireRole(req, projectId, "admin");
      let name = req.body?.name;
      if (name !== undefined) {
        if (await store.definitions.getByName(projectId, name)) throw nameTaken(projectId, name);
      } else {
        const base = original.name;
        name = `${base} (copy)`;
        for (let n = 2; await store.definitions.getByName(projectId, name); n++) name = `${base} (copy ${n})`;
      }
      // The copy's text names it too, so that an update from that text keeps its name.
      let { source, workflow, format } = original;
      if (name !== original.workflow.name && format !== "ts") {
        const renamed = renamedSource(source, format, name);
        const reparsed = renamed === undefined ? undefined : checkSource(renamed, format, ctx.stepTypes).workflow;
        if (renamed !== undefined && reparsed?.name === name) {
          source = renamed;
          workflow = reparsed;
        } else {
          workflow = { ...workflow, name };
        }
      } else if (name !== workflow.name) {
        workflow = { ...workflow, name };
      }
      const def = await store.definitions.create(
        userDefinition({
          projectId,
          name,
          description: original.description,
          category: original.category,
          tags: [...original.tags],
          format,
          source,
          workflow,
        }),
      );
      void reply.status(201);
      return detail(req, def);
    },
  );

  app.delete(
    "/workflow-definitions/:id",
    {
      config: { access: { role: "admin", scope: { definition: "id" } } },
      schema: { params: definitionParams, response: { 200: envelope(deletedSchema) } },
    },
    async (req) => {
      const def = await mustGet(req.params.id);
      if (def.system) {
        throw new WeftError(
          "WEFT_CONFLICT",
          `workflow definition ${def.id} is a built-in template and cannot be deleted`,
        );
      }
      await store.definitions.delete(def.id);
      return data({ id: def.id, deleted: true as const });
    },
  );
};

/** A user's (not a system) definition with a new id, its workflow's hash and the current time. */
function userDefinition(fields: Omit<NewDefinition, "id" | "workflowHash" | "system" | "now">): NewDefinition {
  return {
    ...fields,
    id: randomUUID(),
    workflowHash: workflowHash(fields.workflow),
    system: false,
    now: Date.now(),
  };
}
