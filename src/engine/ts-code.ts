/**
 * Where the engine finds a TypeScript workflow's code for a run: definitions registered in memory (tests,
 * embedders: `createEngine({ workflows })`, or `launch(definition)`), else the run's source file, loaded again
 * — and refused when its text changed since the run started, unless the caller allows it.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { Issue } from "../core/errors.js";
import { ValidationError, WeftError } from "../core/errors.js";
import type { JsonObject } from "../core/json.js";
import type { Workflow } from "../core/model.js";
import type { TsWorkflowDefinition } from "../definition/typescript/define.js";
import { parseArgsWithZod, tsWorkflowModel } from "../definition/typescript/model.js";
import { isZodSchema } from "../definition/typescript/normalise.js";

export const INLINE_FILE = "<inline>";

export type TsLoader = (file: string) => Promise<{ definition: TsWorkflowDefinition; workflow: Workflow }>;

export function sourceHashOf(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** The model of a definition given in memory (no file, so no static graph: steps appear as they run). */
export function inlineWorkflow(def: TsWorkflowDefinition): Workflow {
  const sourceHash = sourceHashOf(String(def.execute));
  const { workflow, issues } = tsWorkflowModel({
    definition: def,
    file: INLINE_FILE,
    text: "",
    sourceHash,
    wf: undefined,
    steps: [],
  });
  const errors = issues.filter((i) => i.severity === "error");
  if (!workflow || errors.length) throw new ValidationError(errors);
  return workflow;
}

/**
 * With a zod argsSchema: the parsed args (defaults applied) or issues naming `args.<path>`. Undefined when
 * the definition has no zod schema (its JSON Schema, if any, is checked like a YAML workflow's).
 */
export function parseZodArgs(
  def: TsWorkflowDefinition,
  args: JsonObject,
  file: string,
): { args: JsonObject; issues: Issue[] } | undefined {
  if (!isZodSchema(def.argsSchema)) return undefined;
  const res = parseArgsWithZod(def, args, file);
  return "issues" in res ? { args, issues: res.issues } : { args: res.args, issues: [] };
}

export class TsCode {
  private bySource = new Map<string, TsWorkflowDefinition>();

  constructor(
    private readonly load: TsLoader | undefined,
    initial: readonly TsWorkflowDefinition[],
  ) {
    for (const def of initial) this.register(def);
  }

  /** Registers an in-memory definition; returns its model. */
  register(def: TsWorkflowDefinition, workflow: Workflow = inlineWorkflow(def)): Workflow {
    const hash = workflow.source?.sourceHash;
    if (hash) this.bySource.set(hash, def);
    return workflow;
  }

  /** The code for a run of `workflow`, loaded from its file when not registered. */
  async codeFor(workflow: Workflow, runId: string, allowChangedSource: boolean): Promise<TsWorkflowDefinition> {
    const source = workflow.source;
    const hash = source?.sourceHash;
    const known = hash ? this.bySource.get(hash) : undefined;
    if (known) return known;
    if (!source || source.file === INLINE_FILE || !this.load) {
      throw new WeftError(
        "WEFT_NOT_FOUND",
        `run ${runId}: the TypeScript workflow \`${workflow.name}\` is not registered in this process; pass it to createEngine({ workflows: [...] })`,
      );
    }
    let text: string;
    try {
      text = await readFile(source.file, "utf8");
    } catch {
      throw new WeftError("WEFT_NOT_FOUND", `run ${runId}: its workflow file ${source.file} cannot be read any more`);
    }
    const now = sourceHashOf(text);
    if (hash && now !== hash && !allowChangedSource) {
      throw new WeftError(
        "WEFT_SOURCE_CHANGED",
        `run ${runId}: ${source.file} changed since the run started (source ${hash.slice(0, 12)}…, now ${now.slice(0, 12)}…); replaying different code against its recorded steps can go wrong — restore the file, start a new run, or resume with --allow-changed-source`,
      );
    }
    const { definition } = await this.load(source.file);
    if (hash && now === hash) this.bySource.set(hash, definition);
    return definition;
  }
}
