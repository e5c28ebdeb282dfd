/**
 * What the definition routes do, as plain functions: weft's own routes (routes/definitions.ts) and the seed
 * aliases (routes/compat/*) call these, so that a definition is created, changed and checked one way only.
 *
 * Each takes the route context and the request (its principal decides access; its method and path name the
 * operation in a 403), weft-shaped input (the body's fields as weft's routes accept them), and returns stored
 * records or views — or throws a WeftError (404 unknown id, 403 role or scripts, 409 name or version
 * conflict, 422 invalid workflow).
 */
import { randomUUID } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { ValidationError, WeftError } from "../../core/errors.js";
import type { DefinitionStatus } from "../../core/lifecycle.js";
import type { Workflow } from "../../core/model.js";
import { parseWorkflow, type StepTypeSchemas, workflowHash } from "../../definition/index.js";
import { ConflictError, type DefinitionRecord, type NewDefinition } from "../../store/store.js";
import { requireRole } from "../access.js";
import { DEFAULT_PROJECT, type RouteContext } from "../context.js";
import { loadDefinitionCode } from "../definition-code.js";
import { isFileDefinition } from "../definition-files.js";
import type {
  cloneDefinitionBody,
  createDefinitionBody,
  listDefinitionsQuery,
  updateDefinitionBody,
} from "../schemas.js";
import { requireCode, requireScripts, TS_CODE } from "../scripts.js";
import { definitionDetailView } from "../views.js";

type Format = "yaml" | "json";
/** The formats a definition is created or updated from: YAML, JSON, or a TypeScript `defineWorkflow` module. */
type SourceFormat = Format | "ts";

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

/**
 * The workflow of a definition's text in any format, or a 422 with every error's line and column. TypeScript is
 * bundled and checked as a file is (definition-code.ts) — after the `scripts` permission in `projectId` is
 * checked, since loading it runs its top-level code.
 */
async function mustParseAny(
  ctx: RouteContext,
  req: FastifyRequest,
  projectId: string,
  source: string,
  format: SourceFormat | undefined,
  what: string,
): Promise<{ workflow: Workflow; format: SourceFormat }> {
  if (format !== "ts") return mustParse(source, format, ctx.stepTypes);
  requireCode(req, projectId, [TS_CODE], what);
  const { workflow } = await loadDefinitionCode(ctx.dataDir, source, ctx.stepTypes);
  return { workflow, format };
}

/** A definition a definitions folder defines is changed by editing its file (definition-files.ts). */
function refuseFileDefinition(def: DefinitionRecord, what: "changed" | "deleted"): void {
  if (!isFileDefinition(def.id)) return;
  const file = def.workflow.source?.file ?? "its file";
  throw new WeftError(
    "WEFT_CONFLICT",
    `workflow definition ${def.id} comes from the project's definitions folder (${file}) and cannot be ${what} through the API; ${what === "changed" ? "edit" : "delete"} the file${what === "changed" ? `, or clone it (POST /api/workflow-definitions/${def.id}/clone) and change the copy` : ""}`,
  );
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
export function visibleTo(
  req: FastifyRequest,
  project: string | undefined,
): { projectId: string | string[] | undefined; includeSystem: true | undefined } {
  if (project !== undefined) requireRole(req, project, "read");
  const readable = req.principal.readable();
  const projectId = project ?? (readable === "*" ? undefined : readable);
  return { projectId, includeSystem: projectId !== undefined ? true : undefined };
}

/** A 409 for a stale `version`: the definition changed since the client read it. */
function changedSince(def: DefinitionRecord, version: number): WeftError {
  return new WeftError(
    "WEFT_CONFLICT",
    `workflow definition ${def.id} changed since version ${version} (now version ${def.version}); reload it and apply your change again`,
  );
}

/** A 409 for a write that lost a race: another change was stored meanwhile. */
function changedMeanwhile(id: string, err: ConflictError): WeftError {
  return new WeftError(
    "WEFT_CONFLICT",
    `workflow definition ${id} changed meanwhile (version ${err.expected}, now ${err.actual ?? "deleted"}); reload it and apply your change again`,
  );
}

function nameTaken(projectId: string, name: string): WeftError {
  return new WeftError(
    "WEFT_CONFLICT",
    `project ${projectId} already has a workflow definition named "${name}"; rename the workflow (its \`name\`) or update that definition`,
  );
}

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

/** The definitions the request may see, filtered and sorted as `GET /api/workflow-definitions` takes them. */
/** `only.system`: only built-in (true) or only user (false) definitions, filtered by the store before paging. */
export async function listDefinitions(
  ctx: RouteContext,
  req: FastifyRequest,
  q: z.infer<typeof listDefinitionsQuery>,
  only?: { system?: boolean },
): Promise<DefinitionRecord[]> {
  return ctx.store.definitions.list({
    ...visibleTo(req, q.project_id),
    system: only?.system,
    category: q.category,
    status: q.status,
    search: q.search || undefined,
    sort: q.sort,
    limit: q.limit,
    offset: q.offset,
  });
}

/** The stored definition with this id, or a 404. (The route's access hook has checked the request may read it.) */
export async function getDefinition(ctx: RouteContext, id: string): Promise<DefinitionRecord> {
  const def = await ctx.store.definitions.get(id);
  if (!def) throw new WeftError("WEFT_NOT_FOUND", `no workflow definition has id ${id}`);
  return def;
}

/** The definition's detail view, with the newest runs launched from it that the request's token may read. */
export async function definitionDetail(ctx: RouteContext, req: FastifyRequest, def: DefinitionRecord) {
  const readable = req.principal.readable();
  const recent = await ctx.store.runs.list({
    definitionId: def.id,
    projectId: readable === "*" ? undefined : readable,
    limit: RECENT_RUNS,
  });
  return definitionDetailView(def, recent, ctx.definitionFiles?.fileOf(def.id));
}

/** Stores a new definition from its text (admin and, for code, scripts in its project; its name unique there). */
export async function createDefinition(
  ctx: RouteContext,
  req: FastifyRequest,
  body: z.infer<typeof createDefinitionBody>,
): Promise<DefinitionRecord> {
  const projectId = body.project_id ?? DEFAULT_PROJECT;
  // TypeScript runs when it is loaded: who sends it must be allowed to, before that.
  if (body.format === "ts") requireRole(req, projectId, "admin");
  const what = "creating a workflow definition";
  const { workflow, format } = await mustParseAny(ctx, req, projectId, body.source, body.format, what);
  requireRole(req, projectId, "admin");
  requireScripts(req, projectId, workflow, what);
  if (await ctx.store.definitions.getByName(projectId, workflow.name)) throw nameTaken(projectId, workflow.name);
  return ctx.store.definitions.create(
    userDefinition({
      projectId,
      name: workflow.name,
      description: workflow.description ?? null,
      category: body.category !== undefined ? body.category : (workflow.category ?? null),
      tags: body.tags ?? workflow.tags,
      format,
      source: body.source,
      workflow,
      status: body.status ?? "active",
    }),
  );
}

/** Replaces a user definition's text (optimistic: `version`, given or the one read now, must still be stored). */
export async function updateDefinition(
  ctx: RouteContext,
  req: FastifyRequest,
  id: string,
  body: z.infer<typeof updateDefinitionBody>,
): Promise<DefinitionRecord> {
  const { store } = ctx;
  const current = await getDefinition(ctx, id);
  if (current.system) {
    throw new WeftError(
      "WEFT_CONFLICT",
      `workflow definition ${current.id} is a built-in template and cannot be changed; clone it (POST /api/workflow-definitions/${current.id}/clone) and change the copy`,
    );
  }
  refuseFileDefinition(current, "changed");
  if (body.version !== undefined && body.version !== current.version) throw changedSince(current, body.version);
  const what = "updating a workflow definition";
  // A TypeScript definition stays one unless the body says otherwise (its text is not YAML).
  const asked = body.format ?? (current.format === "ts" ? "ts" : undefined);
  const { workflow, format } = await mustParseAny(ctx, req, current.projectId, body.source, asked, what);
  requireScripts(req, current.projectId, workflow, what);
  if (workflow.name !== current.name) {
    const other = await store.definitions.getByName(current.projectId, workflow.name);
    if (other && other.id !== current.id) throw nameTaken(current.projectId, workflow.name);
  }
  try {
    return await store.definitions.update(
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
  } catch (err) {
    throw err instanceof ConflictError ? changedMeanwhile(current.id, err) : err;
  }
}

/**
 * Moves a user definition to `active` (from draft or archived) or `archived` (src/core/lifecycle.ts); a move to
 * the status it has changes nothing. 409 for a built-in template or a stale `version`.
 */
export async function setDefinitionStatus(
  ctx: RouteContext,
  id: string,
  to: Exclude<DefinitionStatus, "draft">,
  version: number | undefined,
): Promise<DefinitionRecord> {
  const current = await getDefinition(ctx, id);
  if (current.system) {
    throw new WeftError(
      "WEFT_CONFLICT",
      `workflow definition ${current.id} is a built-in template and always active; clone it (POST /api/workflow-definitions/${current.id}/clone) to archive or change a copy`,
    );
  }
  if (version !== undefined && version !== current.version) throw changedSince(current, version);
  if (current.status === to) return current;
  try {
    return await ctx.store.definitions.update(current.id, { status: to, now: Date.now() }, current.version);
  } catch (err) {
    throw err instanceof ConflictError ? changedMeanwhile(current.id, err) : err;
  }
}

/** Copies a definition into a project the request administers, under a free name (`<name> (copy)` by default). */
export async function cloneDefinition(
  ctx: RouteContext,
  req: FastifyRequest,
  id: string,
  body: z.infer<typeof cloneDefinitionBody>,
): Promise<DefinitionRecord> {
  const { store } = ctx;
  const original = await getDefinition(ctx, id);
  const projectId = body?.project_id ?? (original.system ? DEFAULT_PROJECT : original.projectId);
  requireRole(req, projectId, "admin");
  let name = body?.name;
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
  return store.definitions.create(
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
}

/** Deletes a user definition (a built-in template: 409); answers the deleted definition's id. */
export async function deleteDefinition(ctx: RouteContext, id: string): Promise<{ id: string; deleted: true }> {
  const def = await getDefinition(ctx, id);
  if (def.system) {
    throw new WeftError("WEFT_CONFLICT", `workflow definition ${def.id} is a built-in template and cannot be deleted`);
  }
  refuseFileDefinition(def, "deleted");
  await ctx.store.definitions.delete(def.id);
  return { id: def.id, deleted: true as const };
}
