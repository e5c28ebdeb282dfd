import type { Command } from "commander";
import { ValidationError, WeftError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { isJsonObject } from "../../core/json.js";
import { findTemplate, templateFile } from "../../templates/library.js";
import { formatOf } from "../args.js";
import { openEngine } from "../context.js";
import { driveInForeground, spawnDetached } from "../drive.js";
import { EXIT } from "../exit.js";
import { stdoutOut } from "../output.js";
import type { GlobalOptions } from "../store.js";
import { dataDirOf, openStore } from "../store.js";
import { loadWorkflow } from "./shared.js";
import { ensureTemplates } from "./templates.js";

interface RunOptions extends GlobalOptions {
  context?: string;
  args?: string;
  arg?: string[];
  triggeredBy?: string;
  priority?: string;
  name?: string;
  idempotencyKey?: string;
  detach?: boolean;
  verbose?: boolean;
  format?: string;
}

export function parseArgs(o: RunOptions): JsonObject {
  let args: JsonObject = {};
  const text = o.context ?? o.args;
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new WeftError(
        "WEFT_ARGS",
        `--context is not valid JSON: ${(err as Error).message}. Example: --context '{"filePath":"src/app.ts"}'`,
      );
    }
    if (!isJsonObject(parsed as never)) {
      throw new WeftError(
        "WEFT_ARGS",
        `--context must be a JSON object like '{"key":"value"}', not ${describeJson(parsed)}`,
      );
    }
    args = parsed as JsonObject;
  }
  for (const pair of o.arg ?? []) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new WeftError("WEFT_ARGS", `--arg must look like key=value, got "${pair}"`);
    args[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return args;
}

function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "string" ? `a string (${JSON.stringify(value)})` : `a ${typeof value} (${String(value)})`;
}

function parsePriority(text: string | undefined): number {
  if (text === undefined) return 0;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new WeftError("WEFT_ARGS", `--priority must be an integer, got "${text}"`);
  return n;
}

/**
 * A workflow file (or a name in the definitions folders) — else a built-in template by slug or name, installed
 * into the store first and launched linked to it (its usage counts).
 */
async function loadWorkflowOrTemplate(file: string, o: GlobalOptions) {
  try {
    return { ...(await loadWorkflow(file, dataDirOf(o))), definitionId: undefined };
  } catch (err) {
    const missing =
      err instanceof ValidationError && err.issues.length === 1 && err.issues[0]?.code === "WEFT_NOT_FOUND";
    if (!missing || /[\\/]/.test(file) || /\.(ya?ml|json|m?[jt]s)$/i.test(file)) throw err;
    const store = openStore(o);
    try {
      await ensureTemplates(store);
      const def = await findTemplate(store, file);
      if (!def) {
        const issue = (err as ValidationError).issues[0];
        if (issue) issue.hint = `${issue.hint ?? ""}; nor is it a built-in template (\`weft templates\` lists them)`;
        throw err;
      }
      if (def.format === "ts") {
        const slug = def.id.replace(/^weft-template-/, "");
        const t = templateFile(slug);
        if (!t) throw err;
        return { ...(await loadWorkflow(t.file)), definitionId: def.id };
      }
      return { workflow: def.workflow, warnings: [], code: undefined, definitionId: def.id };
    } finally {
      await store.close();
    }
  }
}

/** `weft run <file>`. */
export async function runCommand(file: string, _o: RunOptions, cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<RunOptions>();
  const format = formatOf(o.format);
  const out = stdoutOut();
  const args = parseArgs(o);
  const priority = parsePriority(o.priority);
  const { workflow, warnings, code, definitionId } = await loadWorkflowOrTemplate(file, o);
  for (const w of warnings) out.err(`warning: ${w.message} (${w.location.file}:${w.location.line})`);
  const engine = openEngine(o);
  try {
    const { run, created } = await engine.launch(workflow, {
      code,
      definitionId,
      args,
      priority,
      name: o.name,
      triggeredBy: o.triggeredBy,
      idempotencyKey: o.idempotencyKey,
    });
    if (format === "json") out.line(JSON.stringify({ type: "run", id: run.id, created, workflow: run.workflowName }));
    else out.line(run.id);
    if (!created) out.err(`a run with idempotency key "${o.idempotencyKey}" exists already: ${run.id}`);
    if (o.detach) {
      const pid = spawnDetached(run.id, dataDirOf(o), o.sandbox);
      if (format === "table") out.err(`running in the background (pid ${pid}); \`weft status ${run.id}\` shows it`);
      process.exitCode = EXIT.ok;
      return;
    }
    process.exitCode = await driveInForeground(engine, run.id, out, { output: Boolean(o.verbose), format });
  } finally {
    await engine.close();
    await engine.store.close();
  }
}
