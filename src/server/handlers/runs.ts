/**
 * What the run routes do, as plain functions: weft's own routes (routes/runs.ts) and the seed aliases
 * (routes/compat/*) call these, so that a run is launched and controlled one way only.
 *
 * Each takes the route context (and, where access depends on it, the request: its principal), weft-shaped
 * input, and returns run records or views — or throws a WeftError (404 unknown id, 403 role or scripts, 409 a
 * command the run's state refuses, 422 invalid workflow or args). Commands that let a run go on drive it in
 * this process (the background driver) unless a live process already owns it.
 */
import type { FastifyRequest } from "fastify";
import type { z } from "zod";
import { ValidationError, WeftError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { launchRefusal } from "../../core/lifecycle.js";
import type { RunRecord, Workflow } from "../../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import { parseWorkflow, type StepTypeSchemas } from "../../definition/index.js";
import type { TsWorkflowDefinition } from "../../definition/typescript/define.js";
import { runDetailOf } from "../../engine/run-view.js";
import { requireRole } from "../access.js";
import { DEFAULT_PROJECT, type RouteContext } from "../context.js";
import type { inlineWorkflowSchema, LaunchBody, listRunsQuery } from "../schemas.js";
import { requireScripts } from "../scripts.js";
import { runContexts, stepKeyOf } from "../views.js";

/** An inline workflow's text → the workflow, or a ValidationError (422) with every error's line and column. */
export function parseInlineWorkflow(w: z.infer<typeof inlineWorkflowSchema>, stepTypes: StepTypeSchemas): Workflow {
  const json = w.format === "json" || (w.format === undefined && w.source.trimStart().startsWith("{"));
  const file = w.file ?? (json ? "workflow.json" : "workflow.yaml");
  const { workflow, issues } = parseWorkflow(w.source, { file, format: json ? "json" : "yaml", stepTypes });
  const errors = issues.filter((i) => i.severity === "error");
  if (!workflow || errors.length) throw new ValidationError(errors);
  return workflow;
}

/** The workflow of a launch, its project, and the definition it comes from (undefined for an inline workflow). */
async function workflowOf(
  ctx: RouteContext,
  req: FastifyRequest,
  body: LaunchBody,
): Promise<{
  workflow: Workflow;
  code?: TsWorkflowDefinition | undefined;
  projectId: string | undefined;
  definitionId: string | undefined;
}> {
  if (body.workflow) {
    return {
      workflow: parseInlineWorkflow(body.workflow, ctx.stepTypes),
      projectId: body.project_id,
      definitionId: undefined,
    };
  }
  const id = body.workflow_definition_id as string;
  const unknown = () => {
    const where = body.project_id === undefined ? "" : ` in project ${body.project_id}`;
    return new WeftError("WEFT_NOT_FOUND", `no workflow definition has id ${id}${where}`);
  };
  // Whether the token may see it comes first: resolving refuses a definitions-folder file with errors (422 with
  // its problems) and loads a TypeScript definition (its top-level code runs) — neither for another project.
  const stored = await ctx.store.definitions.get(id);
  if (stored && !stored.system && !req.principal.can(stored.projectId, "read")) throw unknown();
  const def = await ctx.resolveDefinition(id);
  // A project's definitions are launched in that project; built-in (system) ones in any. A definition of a
  // project the token cannot read is as unknown as a missing one.
  const visible = def !== undefined && (def.system || req.principal.can(def.projectId, "read"));
  if (!def || !visible || (body.project_id !== undefined && !def.system && def.projectId !== body.project_id)) {
    throw unknown();
  }
  const status = def.status ?? "active";
  const refused = launchRefusal(status, body.test_run === true);
  if (refused !== undefined) {
    const how =
      status === "draft"
        ? `activate it (POST /api/workflow-definitions/${id}/activate) or launch it as a test run (test_run: true)`
        : `re-activate it first (POST /api/workflow-definitions/${id}/activate)`;
    throw new WeftError("WEFT_CONFLICT", `workflow definition ${id} cannot be launched: ${refused}; ${how}`);
  }
  return {
    workflow: def.workflow,
    code: def.code,
    projectId: body.project_id ?? (def.system ? undefined : def.projectId),
    definitionId: id,
  };
}

/**
 * Launches a run of a stored definition or an inline workflow (operate, and scripts for inline code) and drives
 * it in the background; a repeated `idempotency_key` answers the existing run with `created: false`.
 */
export async function launchRun(
  ctx: RouteContext,
  req: FastifyRequest,
  body: LaunchBody,
): Promise<{ run: RunRecord; created: boolean }> {
  const { workflow, code, projectId, definitionId } = await workflowOf(ctx, req, body);
  requireRole(req, projectId ?? DEFAULT_PROJECT, "operate");
  // An inline workflow is code sent now; a stored definition's code was allowed when it was stored.
  if (definitionId === undefined) {
    requireScripts(req, projectId ?? DEFAULT_PROJECT, workflow, "launching an inline workflow");
  }
  const { run, created } = await ctx.engine.launch(workflow, {
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
  // A repeated idempotency key answers the existing run; the sweep drives it if nobody does.
  if (created) ctx.background.drive(run.id);
  return { run, created };
}

/** The run with this id, or a 404. (The route's access hook has checked the request may read it.) */
export async function getRun(ctx: RouteContext, id: string): Promise<RunRecord> {
  const run = await ctx.engine.getRun(id);
  if (!run) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${id}`);
  return run;
}

/** The run's detail view: its steps, progress, timings and comments. */
export async function runDetail(ctx: RouteContext, run: RunRecord) {
  const view = await runDetailOf(ctx.store, run, Date.now());
  if (!view) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${run.id}`);
  return view;
}

/** A page of the runs the request may read, each with its context (`brief`: without steps, for summaries). */
export async function listRuns(
  ctx: RouteContext,
  req: FastifyRequest,
  q: Omit<z.infer<typeof listRunsQuery>, "view">,
  mode: "full" | "brief" = "full",
) {
  if (q.project_id !== undefined) requireRole(req, q.project_id, "read");
  const readable = req.principal.readable();
  const runs = await ctx.store.runs.list({
    projectId: q.project_id ?? (readable === "*" ? undefined : readable),
    definitionId: q.workflow_definition_id,
    forkedFrom: q.forked_from,
    status: q.status,
    limit: q.offset + q.limit,
  });
  // Two store calls for the whole page (runs.overview, runs.durations), whatever its length.
  return runContexts(ctx.store, runs.slice(q.offset), Date.now(), mode);
}

/** After a command that lets the run go on: drive it here unless a live process already does. */
export function carryOn(ctx: RouteContext, run: RunRecord): void {
  if (TERMINAL_RUN_STATUSES.has(run.status) || run.status === "paused" || ctx.engine.ownedElsewhere(run)) return;
  ctx.background.drive(run.id);
}

/** Pauses the run (a paused run: no-op); 409 when its state refuses. */
export async function pauseRun(ctx: RouteContext, id: string): Promise<RunRecord> {
  return ctx.engine.pause(id);
}

/** Resumes the run and drives it (a running run: no-op); 409 when its state refuses. */
export async function resumeRun(ctx: RouteContext, id: string): Promise<RunRecord> {
  const run = await ctx.engine.resume(id);
  carryOn(ctx, run);
  return run;
}

/** Cancels the run, recording who (`by`, default `api`); 409 when it has ended. */
export async function cancelRun(ctx: RouteContext, id: string, by: string | undefined): Promise<RunRecord> {
  return ctx.engine.cancel(id, by ?? "api");
}

/** Retries a failed step run (`step`: its id or step-run id) and drives the run; 409 when it cannot be. */
export async function retryStep(
  ctx: RouteContext,
  id: string,
  step: string,
  by: string | undefined,
): Promise<RunRecord> {
  const run = await ctx.engine.retryStep(id, stepKeyOf(id, step), by ?? "api");
  carryOn(ctx, run);
  return run;
}
