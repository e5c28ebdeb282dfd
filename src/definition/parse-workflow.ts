/**
 * parseWorkflow: definition text (YAML or JSON, any dialect) → the normalised Workflow and every issue found.
 * Never throws for bad input; `workflow` is undefined whenever an issue is an error.
 */
import type { Issue } from "../core/errors.js";
import type { Workflow } from "../core/model.js";
import { checkArgsSchema } from "./args.js";
import { checkExpressions } from "./expressions.js";
import { Issues } from "./issues.js";
import { readWorkflow } from "./normalise.js";
import { type Format, parseSource } from "./parse.js";
import { resolveWorkflow } from "./resolve.js";
import { checkStepConfigs, type StepTypeSchemas } from "./step-config.js";

export interface ParseWorkflowOptions {
  /** Named in every issue and in `workflow.source.file`. */
  file: string;
  /** Default: from the file's extension (`.json` → json), else json when the text starts with `{`, else yaml. */
  format?: Format | undefined;
  /** Registered step types: unknown types and configs their `configSchema` rejects become errors. */
  stepTypes?: StepTypeSchemas | undefined;
}

export interface ParseWorkflowResult {
  workflow: Workflow | undefined;
  /** Errors and warnings, in file order. */
  issues: Issue[];
}

export function formatOf(file: string, text?: string): Format {
  const lower = file.toLowerCase();
  if (lower.endsWith(".json")) return "json";
  if (lower.endsWith(".yaml") || lower.endsWith(".yml")) return "yaml";
  return text?.trimStart().startsWith("{") ? "json" : "yaml";
}

export function parseWorkflow(text: string, opts: ParseWorkflowOptions): ParseWorkflowResult {
  const file = opts.file;
  const format = opts.format ?? formatOf(file, text);
  try {
    const parsed = parseSource(text, file, format);
    if (parsed.value === undefined) return { workflow: undefined, issues: sortIssues(parsed.issues) };
    const iss = new Issues(parsed.map);
    for (const issue of parsed.issues) iss.add(issue);
    const draft = readWorkflow(parsed.value as Record<string, unknown>, iss, (p) => parsed.map.scalarSource(p));
    if (draft.argsSchema && draft.argsSchemaPath) checkArgsSchema(draft.argsSchema, draft.argsSchemaPath, iss);
    const { workflow, drafts } = resolveWorkflow(draft, iss, { file, format, dialect: draft.dialect });
    workflow.steps.forEach((step, i) => {
      const d = drafts[i];
      if (d) step.location = parsed.map.locate(d.path);
    });
    checkExpressions(workflow, drafts, iss);
    checkStepConfigs(workflow, drafts, opts.stepTypes, iss);
    const issues = sortIssues(iss.list);
    return { workflow: iss.hasErrors ? undefined : workflow, issues };
  } catch (err) {
    // A bug of ours, not of the definition: still reported as an issue rather than thrown.
    const message = err instanceof Error ? err.message : String(err);
    return {
      workflow: undefined,
      issues: [
        {
          code: "WEFT_INTERNAL",
          severity: "error",
          message: `weft could not read this definition: ${message}`,
          hint: "please report this with the definition file",
          location: { file, line: 1, column: 1 },
        },
      ],
    };
  }
}

/** File order: by line, then column; the order found for equal positions. */
export function sortIssues(issues: readonly Issue[]): Issue[] {
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort(
      (a, b) =>
        a.issue.location.line - b.issue.location.line || a.issue.location.column - b.issue.location.column || a.i - b.i,
    )
    .map((x) => x.issue);
}
