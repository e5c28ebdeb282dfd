import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Issue } from "../../src/core/errors.js";
import type { Workflow } from "../../src/core/model.js";
import { type ParseWorkflowOptions, parseWorkflow } from "../../src/definition/index.js";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The seeds' example workflows, kept verbatim in the repository (a test checks them against ../shared). */
export const seedDir = path.resolve(repoRoot, "examples/seed-dialects");
export const fixtureDir = path.join(repoRoot, "test/fixtures/workflows");

export function parseFile(file: string, opts: Partial<ParseWorkflowOptions> = {}) {
  return parseWorkflow(readFileSync(file, "utf8"), { file, ...opts });
}

/** Parses YAML text given as lines (so tests can state exact line numbers). */
export function parseYaml(text: string, opts: Partial<ParseWorkflowOptions> = {}) {
  return parseWorkflow(text, { file: "wf.yaml", ...opts });
}

export const errorsOf = (issues: readonly Issue[]) => issues.filter((i) => i.severity === "error");
export const warningsOf = (issues: readonly Issue[]) => issues.filter((i) => i.severity === "warning");

/** Issues as `line:col CODE` strings, for compact assertions. */
export const where = (issues: readonly Issue[]) =>
  issues.map((i) => `${i.location.line}:${i.location.column} ${i.code}`);

/** The workflow without where it came from, for comparing dialects. */
export function withoutSource(workflow: Workflow | undefined): unknown {
  if (!workflow) return undefined;
  const { source: _source, ...rest } = workflow;
  return { ...rest, steps: rest.steps.map(({ location: _location, ...s }) => s) };
}

/** Asserts a successful parse and returns the workflow. */
export function mustParse(result: ReturnType<typeof parseWorkflow>): Workflow {
  const errors = errorsOf(result.issues);
  if (!result.workflow || errors.length > 0) {
    throw new Error(
      `expected no errors, got:\n${errors.map((i) => `${i.location.line}:${i.location.column} ${i.code} ${i.message}`).join("\n")}`,
    );
  }
  return result.workflow;
}
