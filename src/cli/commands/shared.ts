import { stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Issue } from "../../core/errors.js";
import { ValidationError, WeftError } from "../../core/errors.js";
import type { Workflow } from "../../core/model.js";
import { PROJECT_DEFINITIONS } from "../../definition/folder.js";
import { loadWorkflowFile } from "../../definition/index.js";
import type { TsWorkflowDefinition } from "../../definition/typescript/define.js";
import { loadTypeScriptWorkflow } from "../../definition/typescript/index.js";
import { stepTypeSchemas } from "../context.js";

/**
 * Why `file` cannot be read as a workflow (missing, a directory, not readable), as an issue at its 1:1;
 * undefined when it is a readable regular file. The definition loader reports fs errors as they come, so
 * the CLI turns them into the same `file:line:column` form as every other problem.
 */
export async function unreadableFile(file: string): Promise<Issue | undefined> {
  const at = { file, line: 1, column: 1 };
  try {
    const info = await stat(file);
    if (info.isFile()) return undefined;
    return {
      code: "WEFT_NOT_FOUND",
      message: info.isDirectory() ? `${file} is a directory, not a workflow file` : `${file} is not a regular file`,
      location: at,
      hint: "pass the path of a workflow file (.yaml, .yml, .json, or a .ts/.js defineWorkflow module)",
      severity: "error",
    };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : (code ?? String(err));
    return {
      code: "WEFT_NOT_FOUND",
      message: `cannot read ${file}: ${why}`,
      location: at,
      hint: "check the path",
      severity: "error",
    };
  }
}

const TYPESCRIPT = /\.(ts|mts|js|mjs)$/i;
const EXTENSIONS = [".yaml", ".yml", ".json", ".ts", ".mts", ".js", ".mjs"];

/** Folders a bare workflow name is looked up in: the data directory's, then seed 002's project layout. */
export function definitionFolders(dataDir: string): string[] {
  return [join(dataDir, "definitions"), resolve(...PROJECT_DEFINITIONS)];
}

/**
 * `weft run <file>` also takes a bare name (`implement-feature`): when no such file exists, the definitions
 * folders are searched for `<name>.yaml|.yml|.json|.ts|.mts|.js|.mjs`. Anything else is returned unchanged
 * (and reported as unreadable by the caller).
 */
export async function resolveWorkflowFile(arg: string, dataDir: string): Promise<string> {
  if (arg.includes("/") || arg.includes("\\") || (await exists(arg))) return arg;
  const names = EXTENSIONS.some((e) => arg.endsWith(e)) ? [arg] : EXTENSIONS.map((e) => `${arg}${e}`);
  for (const dir of definitionFolders(dataDir)) {
    for (const name of names) {
      const candidate = join(dir, name);
      if (await exists(candidate)) return candidate;
    }
  }
  return arg;
}

async function exists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Loads and validates a workflow file for `run`, `graph` and `validate`: YAML/JSON, or a TypeScript/JavaScript
 * module (`defineWorkflow`), whose code comes back as `code`. Throws ValidationError (exit 2) on any problem.
 */
export async function loadWorkflow(
  file: string,
  dataDir?: string,
): Promise<{ workflow: Workflow; warnings: Issue[]; code?: TsWorkflowDefinition | undefined }> {
  const asked = file;
  if (dataDir !== undefined) file = await resolveWorkflowFile(file, dataDir);
  const problem = await unreadableFile(file);
  if (problem && dataDir !== undefined && file === asked && !/[\\/]/.test(asked)) {
    problem.hint = `no file by that name here, and no ${asked}.yaml/.json/.ts/… in ${definitionFolders(dataDir).join(" or ")}`;
  }
  if (problem) throw new ValidationError([problem]);
  try {
    if (TYPESCRIPT.test(file)) {
      const { definition, workflow, warnings } = await loadTypeScriptWorkflow(file, { stepTypes: stepTypeSchemas() });
      return { workflow, warnings, code: definition };
    }
    return await loadWorkflowFile(file, { stepTypes: stepTypeSchemas() });
  } catch (err) {
    if (err instanceof WeftError) throw err;
    // The file vanished or became unreadable between the check and the read.
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ValidationError([
      {
        code: "WEFT_NOT_FOUND",
        message: `cannot read ${file}: ${code}`,
        location: { file, line: 1, column: 1 },
        hint: "check the path",
        severity: "error",
      },
    ]);
  }
}
