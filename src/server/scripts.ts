/**
 * The `scripts` permission: sending code to the server is a permission of its own, on top of the role.
 *
 * Code is what runs as the server's user whatever its arguments: a script step, an agent step that lets a CLI
 * agent run any command (`permission: bypassPermissions`), a TypeScript workflow. Sending a workflow holding
 * code — launching it inline, creating or updating a definition with it — needs `scripts` in the project.
 * Launching a stored definition that already holds code does not: its arguments reach scripts as values
 * (environment variables), never as code.
 *
 * Who has it: tokens created with `weft token create --scripts` (in the projects they name), the operator's
 * `WEFT_API_TOKENS` tokens, and the local user of a loopback server without tokens (access.ts).
 */
import type { FastifyRequest } from "fastify";
import type { Workflow } from "../core/model.js";
import { forbidden } from "./access.js";

/** How a TypeScript workflow is named in a 403. */
export const TS_CODE = "the workflow itself (TypeScript)";

/** What in `workflow` is code, for messages: "step `build` (script)"; empty when nothing is. */
export function codeIn(workflow: Workflow): string[] {
  const found: string[] = [];
  if (workflow.source?.format === "ts") found.push(TS_CODE);
  for (const step of workflow.steps) {
    if (step.type === "script") found.push(`step \`${step.id}\` (script)`);
    else if (step.type === "agent" && step.config.permission === "bypassPermissions") {
      found.push(`step \`${step.id}\` (agent with permission bypassPermissions)`);
    }
  }
  return found;
}

/**
 * Throws a 403 (`WEFT_FORBIDDEN`) naming the permission unless the caller may send `workflow`'s code to
 * `projectId`; `what` says what was attempted ("launching an inline workflow").
 */
export function requireScripts(req: FastifyRequest, projectId: string, workflow: Workflow, what: string): void {
  requireCode(req, projectId, codeIn(workflow), what);
}

/**
 * Throws the same 403 unless the caller may send `code` (what is code, for the message; empty: nothing is) to
 * `projectId`. A TypeScript definition is checked with this BEFORE it is bundled: loading it runs its top level.
 */
export function requireCode(req: FastifyRequest, projectId: string, code: readonly string[], what: string): void {
  if (code.length === 0 || req.principal.mayRunCode(projectId)) return;
  const shown = code.slice(0, 3).join(", ") + (code.length > 3 ? ` and ${code.length - 3} more` : "");
  throw forbidden(
    `${what} with code (${shown}) needs the scripts permission in project "${projectId}", which this token lacks: ` +
      "this permission can run code as the server's user. Launch a stored definition instead, or use a token " +
      `created with \`weft token create --project ${projectId}:<role> --scripts\``,
  );
}
