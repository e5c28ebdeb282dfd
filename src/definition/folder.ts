/**
 * A definitions folder — seed 002's `.agent/workflows/definitions/` in a project, or `<data dir>/definitions/` —
 * and what each of its files defines. `weft serve` keeps the project's folder listed as definitions
 * (server/definition-files.ts); `weft list --workflows` reads the folders directly.
 *
 * Only the folder itself is read (no sub-folders), only the files ending in `.yaml`, `.yml`, `.json`, `.ts` or
 * `.mts` (not `.d.ts`). A file that cannot be read or does not validate gives its issues, each at its file, line
 * and column; it never throws for bad content.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { extname } from "node:path";
import { type Issue, ValidationError } from "../core/errors.js";
import type { Workflow } from "../core/model.js";
import { MAX_DEFINITION_BYTES, tooLargeIssue } from "./parse.js";
import { parseWorkflow } from "./parse-workflow.js";
import type { StepTypeSchemas } from "./step-config.js";
import { loadTypeScriptWorkflow } from "./typescript/load.js";

export type DefinitionFileFormat = "yaml" | "json" | "ts";

/** Seed 002's definitions folder, relative to a project's folder. */
export const PROJECT_DEFINITIONS = [".agent", "workflows", "definitions"] as const;

const FORMATS: Record<string, DefinitionFileFormat> = {
  ".yaml": "yaml",
  ".yml": "yaml",
  ".json": "json",
  ".ts": "ts",
  ".mts": "ts",
};

/** The format a definitions folder reads `name` as, or undefined when the folder ignores it. */
export function definitionFileFormat(name: string): DefinitionFileFormat | undefined {
  if (name.startsWith(".") || name.toLowerCase().endsWith(".d.ts")) return undefined;
  return FORMATS[extname(name).toLowerCase()];
}

/** The workflow files of `folder`, by name (sorted); empty when the folder does not exist. */
export async function definitionFileNames(folder: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(folder);
  } catch {
    return [];
  }
  return names.filter((n) => definitionFileFormat(n) !== undefined).sort();
}

export type DefinitionFileResult =
  | { ok: true; format: DefinitionFileFormat; text: string; workflow: Workflow; warnings: Issue[] }
  | { ok: false; format: DefinitionFileFormat; text: string | undefined; issues: Issue[] };

export interface ReadDefinitionFileOptions {
  stepTypes?: StepTypeSchemas | undefined;
  /** The bundle cache of TypeScript files (loadTypeScriptWorkflow's `cacheDir`). */
  cacheDir?: string | undefined;
}

/**
 * Reads and checks one file of a definitions folder: YAML/JSON parsed and validated, TypeScript bundled,
 * imported (its top-level code runs, not `execute`) and checked exactly as `weft run file.ts` does. `text` is the
 * text the workflow was read from (for a TypeScript file, the text its `sourceHash` names).
 */
export async function readDefinitionFile(
  file: string,
  opts: ReadDefinitionFileOptions = {},
): Promise<DefinitionFileResult> {
  const format = definitionFileFormat(file) ?? "yaml";
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      return { ok: false, format, text: undefined, issues: [unreadable(file, "it is not a regular file")] };
    }
    if (info.size > MAX_DEFINITION_BYTES) {
      return { ok: false, format, text: undefined, issues: [tooLargeIssue(file, info.size)] };
    }
    text = await readFile(file, "utf8");
  } catch (err) {
    return { ok: false, format, text: undefined, issues: [unreadable(file, errnoOf(err))] };
  }
  if (format !== "ts") {
    const { workflow, issues } = parseWorkflow(text, { file, format, stepTypes: opts.stepTypes });
    const errors = issues.filter((i) => i.severity === "error");
    if (!workflow || errors.length) return { ok: false, format, text, issues };
    return { ok: true, format, text, workflow, warnings: issues };
  }
  try {
    const loaded = await loadTypeScriptWorkflow(file, { stepTypes: opts.stepTypes, cacheDir: opts.cacheDir });
    // The loader read the file again: if it changed in between, the model is of that newer text.
    const hash = createHash("sha256").update(text).digest("hex");
    if (loaded.workflow.source?.sourceHash !== hash) text = await readFile(file, "utf8");
    return { ok: true, format, text, workflow: loaded.workflow, warnings: loaded.warnings };
  } catch (err) {
    if (err instanceof ValidationError) return { ok: false, format, text, issues: err.issues };
    return { ok: false, format, text, issues: [unreadable(file, errnoOf(err))] };
  }
}

function errnoOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file (it was removed)";
  if (code === "EACCES") return "permission denied";
  return code ?? (err instanceof Error ? err.message : String(err));
}

function unreadable(file: string, why: string): Issue {
  return {
    code: "WEFT_NOT_FOUND",
    severity: "error",
    message: `cannot read ${file}: ${why}`,
    hint: "a definitions folder holds workflow files (.yaml, .yml, .json, .ts) that weft can read",
    location: { file, line: 1, column: 1 },
  };
}
