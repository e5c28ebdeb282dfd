/**
 * loadTypeScriptWorkflow: a `.ts`/`.mts`/`.js`/`.mjs` workflow file → its `defineWorkflow` definition (the
 * code the engine runs) and the normalised Workflow (metadata, args JSON Schema, the statically drawn steps),
 * plus warnings (the determinism lint, ignored keys). Every error names the file, line and column.
 */
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Issue, type SourceLocation, ValidationError } from "../../core/errors.js";
import type { Workflow } from "../../core/model.js";
import { closest } from "../issues.js";
import { MAX_DEFINITION_BYTES, tooLargeIssue } from "../parse.js";
import { sortIssues } from "../parse-workflow.js";
import type { StepTypeSchemas } from "../step-config.js";
import { findWorkflow, locOf, parseModule, type WorkflowAst } from "./ast.js";
import { bundleWorkflow, cacheBundle, prepareCacheDir } from "./bundle.js";
import { isTsWorkflow, type TsWorkflowDefinition } from "./define.js";
import { extractSteps } from "./extract.js";
import { lintDeterminism } from "./lint.js";
import { tsWorkflowModel } from "./model.js";

export const TS_WORKFLOW_EXTENSIONS = [".ts", ".mts", ".js", ".mjs"] as const;

/** Whether `path` names a workflow module (by extension) rather than a YAML/JSON definition. */
export const isTypeScriptWorkflowFile = (path: string): boolean =>
  (TS_WORKFLOW_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());

export interface LoadTypeScriptOptions {
  /** Registered step types: a step type written in the code that none provides is an error. */
  stepTypes?: StepTypeSchemas | undefined;
  /** Where bundles are written and imported from. Default: `<os tmpdir>/weft-ts-cache`. */
  cacheDir?: string | undefined;
}

export interface LoadedTsWorkflow {
  /** The module's default export: the code the engine runs. */
  definition: TsWorkflowDefinition;
  /** The normalised model; its `steps` are the statically drawn ones (for graphs and the UI). */
  workflow: Workflow;
  warnings: Issue[];
}

const DEFAULT_EXPORT_MESSAGE = "the default export must be `defineWorkflow({ … })`";

/**
 * Bundles, imports and checks a workflow module. Importing runs the module's top-level code (not `execute`).
 * @throws ValidationError (errors first, then warnings) for a syntax or import error, a module that throws
 *   while it is imported, a missing or wrong default export, or a bad name/phases/argsSchema; the fs error
 *   when the file cannot be read.
 */
export async function loadTypeScriptWorkflow(
  path: string,
  opts: LoadTypeScriptOptions = {},
): Promise<LoadedTsWorkflow> {
  const file = resolve(path);
  const at = (location?: Partial<SourceLocation>): SourceLocation => ({ file, line: 1, column: 1, ...location });
  if (!isTypeScriptWorkflowFile(file)) {
    throw new ValidationError([
      {
        code: "WEFT_PARSE",
        severity: "error",
        message: `${extname(file) || "a file without extension"} is not a workflow module`,
        hint: `TypeScript/JavaScript workflows end in ${TS_WORKFLOW_EXTENSIONS.join(", ")}`,
        location: at(),
      },
    ]);
  }
  const info = await stat(file);
  if (info.size > MAX_DEFINITION_BYTES) throw new ValidationError([tooLargeIssue(file, info.size)]);
  const text = await readFile(file, "utf8");
  const sourceHash = createHash("sha256").update(text).digest("hex");

  const cacheDir = await prepareCacheDir(opts.cacheDir);
  const bundle = await bundleWorkflow(file, cacheDir);
  if ("issues" in bundle) throw new ValidationError(bundle.issues);
  const moduleFile = await cacheBundle(bundle.code, cacheDir);
  enableSourceMaps();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(moduleFile).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ValidationError([importIssue(err, file, moduleFile)]);
  }

  const parsed = await parseModule(text, file);
  const wf = "ast" in parsed ? findWorkflow(parsed.ast, file) : undefined;
  const warnings: Issue[] = [];
  if ("error" in parsed) {
    warnings.push({
      code: "WEFT_PARSE",
      severity: "warning",
      message: `the steps cannot be drawn before the workflow runs: ${parsed.error.message}`,
      hint: "the workflow still runs; its graph fills in as it runs",
      location: parsed.error.location,
    });
  }
  const definition = mod.default;
  if (!isTsWorkflow(definition)) throw new ValidationError([defaultExportIssue(mod, wf, at)]);
  const steps = wf ? extractSteps(wf) : [];
  const { workflow, issues } = tsWorkflowModel({ definition, file, text, sourceHash, wf, steps });
  issues.push(...(wf ? lintDeterminism(wf) : []), ...warnings, ...unknownTypes(workflow?.steps ?? [], opts.stepTypes));
  const errors = sortIssues(issues.filter((i) => i.severity === "error"));
  const rest = sortIssues(issues.filter((i) => i.severity === "warning"));
  if (!workflow || errors.length > 0) throw new ValidationError([...errors, ...rest]);
  return { definition, workflow, warnings: rest };
}

/** A step type spelt out in the code that no registered step type provides fails at run time: say so now. */
function unknownTypes(steps: Workflow["steps"], stepTypes: StepTypeSchemas | undefined): Issue[] {
  if (!stepTypes) return [];
  const known = [...stepTypes.keys()];
  return steps
    .filter((s) => s.type !== "?" && !stepTypes.has(s.type) && s.location)
    .map((s) => {
      const near = closest(s.type, known);
      return {
        code: "WEFT_UNKNOWN_STEP_TYPE" as const,
        severity: "error" as const,
        message: `step \`${s.id}\` has type \`${s.type}\`, which no registered step type provides`,
        hint: near ? `did you mean \`${near}\`?` : `registered types: ${known.join(", ")}`,
        location: s.location as SourceLocation,
      };
    });
}

function defaultExportIssue(
  mod: Record<string, unknown>,
  wf: WorkflowAst | undefined,
  at: (l?: Partial<SourceLocation>) => SourceLocation,
): Issue {
  const location = wf?.exportNode ? locOf(wf.exportNode, at().file) : at();
  const value = mod.default;
  const named = Object.keys(mod).find((k) => k !== "default" && isTsWorkflow(mod[k]));
  let detail: string;
  let hint: string;
  if (!("default" in mod)) {
    detail = "the module has no default export";
    hint = named
      ? `export it as the default: \`export default ${named}\` (or \`export default defineWorkflow({ … })\`)`
      : 'write `export default defineWorkflow({ … })` with defineWorkflow imported from "weftflow"';
  } else {
    const kind =
      typeof value === "function"
        ? "a function"
        : typeof value === "object" && value !== null
          ? "an object that defineWorkflow did not make"
          : `${value === null ? "null" : typeof value}`;
    detail = `the default export is ${kind}`;
    hint =
      typeof value === "object" && value !== null && typeof (value as { execute?: unknown }).execute === "function"
        ? 'wrap the object in defineWorkflow({ … }), imported from "weftflow"'
        : 'write `export default defineWorkflow({ … })` with defineWorkflow imported from "weftflow"';
  }
  return { code: "WEFT_SCHEMA", severity: "error", message: `${DEFAULT_EXPORT_MESSAGE}: ${detail}`, hint, location };
}

let sourceMapsEnabled = false;

/** Stack traces of workflow code then name the user's files and lines (the bundle has an inline source map). */
function enableSourceMaps(): void {
  if (sourceMapsEnabled) return;
  sourceMapsEnabled = true;
  process.setSourceMapsEnabled?.(true);
}

const FRAME = /(?:\(|\s|^)((?:file:\/\/)?\/?[^\s()]+?):(\d+):(\d+)\)?\s*$/;

/** The first stack frame in the user's own code: the workflow file, else another file that is not a package. */
export function userFrame(stack: string | undefined, file: string, bundle?: string): SourceLocation | undefined {
  const frames: SourceLocation[] = [];
  for (const line of (stack ?? "").split("\n").slice(1)) {
    const m = FRAME.exec(line.trim());
    if (!m) continue;
    let path = m[1] as string;
    if (path.startsWith("file://")) {
      try {
        path = fileURLToPath(path);
      } catch {
        continue;
      }
    }
    if (path.startsWith("node:") || path === bundle) continue;
    frames.push({ file: path, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames.find((f) => f.file === file) ?? frames.find((f) => !/[\\/]node_modules[\\/]/.test(f.file));
}

function importIssue(err: unknown, file: string, bundle: string): Issue {
  const e = err instanceof Error ? err : new Error(String(err));
  const frame = userFrame(e.stack, file, bundle);
  return {
    code: "WEFT_PARSE",
    severity: "error",
    message: `the module threw while it was imported: ${e.message}`,
    hint: "the module's top level runs whenever the workflow is loaded; keep work inside execute or a step",
    location: frame ?? { file, line: 1, column: 1 },
  };
}
