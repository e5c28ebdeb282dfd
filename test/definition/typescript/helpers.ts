import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Issue, ValidationError } from "../../../src/core/errors.js";
import type { WorkflowStep } from "../../../src/core/model.js";
import { findWorkflow, parseModule } from "../../../src/definition/typescript/ast.js";
import { extractSteps } from "../../../src/definition/typescript/extract.js";
import { lintDeterminism } from "../../../src/definition/typescript/lint.js";
import { type LoadTypeScriptOptions, loadTypeScriptWorkflow } from "../../../src/definition/typescript/load.js";

/** One cache folder per test process, so tests never share bundles with other runs. */
export const cacheDir = mkdtempSync(path.join(tmpdir(), "weft-ts-cache-test-"));

const created: string[] = [cacheDir];

/** Removes the folders tempDir made and the cache: `afterAll(removeTempDirs)`. */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Writes files (relative path → text) into a fresh temporary folder with no node_modules; returns the folder. */
export function tempDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "weft-ts-wf-"));
  created.push(dir);
  for (const [name, text] of Object.entries(files)) {
    const file = path.join(dir, name);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text);
  }
  return dir;
}

export const load = (file: string, opts: LoadTypeScriptOptions = {}) =>
  loadTypeScriptWorkflow(file, { cacheDir, ...opts });

/** The issues of a load that must fail. */
export async function loadIssues(file: string, opts: LoadTypeScriptOptions = {}): Promise<Issue[]> {
  try {
    await load(file, opts);
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
  throw new Error(`expected ${file} to fail loading`);
}

/** `line:col CODE` of each issue. */
export const where = (issues: readonly Issue[]) =>
  issues.map((i) => `${i.location.line}:${i.location.column} ${i.code}`);

/** Source text of a workflow whose execute body is `body` (lines given separately so tests can count them). */
export function workflowSource(body: string[], head: string[] = []): string {
  return [
    'import { defineWorkflow } from "weftflow";',
    ...head,
    "export default defineWorkflow({",
    '  name: "t",',
    "  async execute(ctx) {",
    ...body.map((l) => `    ${l}`),
    "  },",
    "});",
    "",
  ].join("\n");
}

/** Line of `body[i]` in workflowSource(body, head). */
export const bodyLine = (i: number, head: string[] = []) => i + 5 + head.length;

async function workflowAst(text: string, file: string) {
  const parsed = await parseModule(text, file);
  if ("error" in parsed) throw new Error(parsed.error.message);
  return findWorkflow(parsed.ast, file);
}

export async function extract(text: string, file = "/w/wf.ts"): Promise<WorkflowStep[]> {
  return extractSteps(await workflowAst(text, file));
}

export async function lint(text: string, file = "/w/wf.ts"): Promise<Issue[]> {
  return lintDeterminism(await workflowAst(text, file));
}

/** Each step as `id <- needs` with its dynamic reason, for compact assertions. */
export const shape = (steps: readonly WorkflowStep[]) =>
  steps.map((s) => {
    const info = s.config.$static as { dynamic?: string } | undefined;
    const deps = s.needs.map((d) => d.step).join(",");
    return `${s.id}${deps ? ` <- ${deps}` : ""}${info?.dynamic ? ` (${info.dynamic})` : ""}`;
  });
