/**
 * TypeScript definitions held by the store (created through the API, or read from a definitions folder) are
 * loaded from a file like `weft run file.ts`: their text is written once to
 * `<data dir>/definitions/ts/<sha256 of the text>.ts` (content-addressed), so a run started from it — and any
 * process that takes the run over — reloads the very same text, whatever happens to the definition afterwards.
 * Such a file is self-contained: it may import `weftflow` (or seed 002's `@repo/workflow-engine`), `zod` and Node
 * built-ins; a relative import has nothing next to it.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { type Issue, ValidationError } from "../core/errors.js";
import type { Workflow } from "../core/model.js";
import type { StepTypeSchemas } from "../definition/index.js";
import type { TsWorkflowDefinition } from "../definition/typescript/define.js";
import { loadTypeScriptWorkflow } from "../definition/typescript/load.js";
import { sourceHashOf } from "../engine/ts-code.js";

/** What the issues of a TypeScript definition sent as text name as its file (as `workflow.yaml` for YAML). */
export const TS_SOURCE_NAME = "workflow.ts";

/** The content-addressed file of a TypeScript definition's text (written if it is not there yet). */
export async function definitionCodeFile(dataDir: string, source: string): Promise<string> {
  const dir = join(dataDir, "definitions", "ts");
  const file = join(dir, `${sourceHashOf(source)}.ts`);
  if (!existsSync(file)) {
    await mkdir(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.${randomUUID()}.tmp`;
    await writeFile(tmp, source);
    await rename(tmp, file);
  }
  return file;
}

/**
 * Bundles, imports (its top-level code runs: the caller has checked the `scripts` permission) and checks a
 * TypeScript definition's text exactly as a file's.
 * @throws ValidationError (422) with every issue, located in `workflow.ts` at its line and column.
 */
export async function loadDefinitionCode(
  dataDir: string,
  source: string,
  stepTypes: StepTypeSchemas,
): Promise<{ definition: TsWorkflowDefinition; workflow: Workflow; warnings: Issue[] }> {
  const file = await definitionCodeFile(dataDir, source);
  const named = (i: Issue): Issue =>
    i.location.file === file ? { ...i, location: { ...i.location, file: TS_SOURCE_NAME } } : i;
  try {
    const loaded = await loadTypeScriptWorkflow(file, { stepTypes });
    return { ...loaded, warnings: loaded.warnings.map(named) };
  } catch (err) {
    if (err instanceof ValidationError) throw new ValidationError(err.issues.map(named));
    throw err;
  }
}
