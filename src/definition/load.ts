/** Reading workflow files from disk. */
import { readFile, stat } from "node:fs/promises";
import { type Issue, ValidationError } from "../core/errors.js";
import type { Workflow } from "../core/model.js";
import { MAX_DEFINITION_BYTES, tooLargeIssue } from "./parse.js";
import { formatOf, parseWorkflow } from "./parse-workflow.js";
import type { StepTypeSchemas } from "./step-config.js";

export interface LoadWorkflowOptions {
  /** Registered step types, to check each step's type and config. */
  stepTypes?: StepTypeSchemas | undefined;
  /** Default: by extension — `.json` is JSON, `.yaml`/`.yml` (and anything else) YAML. */
  format?: "yaml" | "json" | undefined;
}

/**
 * Reads and validates a workflow file (`.yaml`, `.yml` or `.json`). The size is checked before the file is
 * read (2 MiB at most).
 * @throws ValidationError with every issue (errors first, then warnings) when the definition has errors;
 *   the fs error when the file cannot be read.
 */
export async function loadWorkflowFile(
  path: string,
  opts: LoadWorkflowOptions = {},
): Promise<{ workflow: Workflow; warnings: Issue[] }> {
  const info = await stat(path);
  if (info.size > MAX_DEFINITION_BYTES) throw new ValidationError([tooLargeIssue(path, info.size)]);
  const text = await readFile(path, "utf8");
  const { workflow, issues } = parseWorkflow(text, {
    file: path,
    format: opts.format ?? formatOf(path, text),
    stepTypes: opts.stepTypes,
  });
  const errors = issues.filter((i) => i.severity === "error");
  const warnings = issues.filter((i) => i.severity === "warning");
  if (!workflow || errors.length > 0) throw new ValidationError([...errors, ...warnings]);
  return { workflow, warnings };
}
