/**
 * Every workflow this machine knows, for `weft list --workflows` (seed 003's `ax workflow list`): the built-in
 * templates and the stored definitions (created through the API, or kept from a project's definitions folder by
 * `weft serve`), the files of the definitions folders `weft run <name>` looks in, and the workflows that only
 * ran (from a file elsewhere) — each with its description and step count, and the stats of its runs.
 *
 * Runs count for the definition they were launched from (`definitionId`); a run of a file counts for the folder
 * file it was read from (same path), else for a row of its own, by workflow name (`origin: "run"`).
 */
import { resolve } from "node:path";
import type { Issue } from "../core/errors.js";
import type { RunRecord, Workflow } from "../core/model.js";
import { definitionFileNames, readDefinitionFile } from "../definition/folder.js";
import type { StepTypeSchemas } from "../definition/index.js";
import { isFileDefinition } from "../server/definition-files.js";
import type { DefinitionRecord, Store } from "../store/store.js";

export type WorkflowOrigin = "template" | "api" | "file" | "run";

/** One line of `weft list --workflows` (its JSON has these fields, snake_case). */
export interface CatalogueRow {
  name: string;
  description: string | null;
  /** For TypeScript, the steps drawn from the source. */
  step_count: number;
  /** `template` built-in; `api` a stored definition; `file` a definitions folder's file; `run` only its runs. */
  origin: WorkflowOrigin;
  /** The stored definition's id (templates, API and served folder definitions); null otherwise. */
  id: string | null;
  /** The file, for `file` rows (and `run` rows whose file is known). */
  path: string | null;
  format: "yaml" | "json" | "ts" | null;
  /** The workflow's own `version`, if it declares one. */
  version: string | null;
  executions: number;
  successful: number;
  /** completed / finished runs; null when none finished. */
  success_rate: number | null;
  /** Mean duration of its completed runs; null when none completed. */
  average_duration_ms: number | null;
}

export interface CatalogueInput {
  store: Store;
  /** The definitions folders to read (`definitionFolders(dataDir)`), absolute. */
  folders: readonly string[];
  stepTypes: StepTypeSchemas;
}

/** The rows (by name, then origin) and the folder files that could not be listed, with their problems. */
export async function workflowCatalogue(input: CatalogueInput): Promise<{ rows: CatalogueRow[]; problems: Issue[][] }> {
  const { store } = input;
  const defs = await store.definitions.list({ limit: 1_000_000, sort: "name" });
  const runs = await store.runs.list({ limit: 1_000_000 });
  const byDefinition = new Map<string, RunRecord[]>();
  const unlinked: RunRecord[] = [];
  for (const r of runs) {
    const id = r.definitionId ?? undefined;
    if (id !== undefined) listIn(byDefinition, id).push(r);
    else unlinked.push(r);
  }
  // A folder file that `weft serve` keeps as a definition is one row: the file as it is now, with that
  // definition's id and runs.
  const served = new Map(defs.filter((d) => isFileDefinition(d.id)).map((d) => [pathOf(d), d]));
  const problems: Issue[][] = [];
  const files: Array<{ file: string; workflow: Workflow; format: CatalogueRow["format"] }> = [];
  const read = new Set<string>();
  for (const folder of input.folders) {
    for (const name of await definitionFileNames(folder)) {
      const file = resolve(folder, name);
      const r = await readDefinitionFile(file, { stepTypes: input.stepTypes });
      if (r.ok) {
        files.push({ file, workflow: r.workflow, format: r.format });
        read.add(file);
      } else problems.push(r.issues.filter((i) => i.severity === "error"));
    }
  }
  const rows: CatalogueRow[] = defs
    .filter((d) => !read.has(pathOf(d) ?? ""))
    .map((d) => row(d.workflow, originOf(d), d.id, pathOf(d), d.format, byDefinition.get(d.id) ?? []));
  // The runs of files, by file, and the other unlinked runs by workflow name: one pass over the runs.
  const listedFiles = new Set(files.map((f) => f.file));
  const byFile = new Map<string, RunRecord[]>();
  const others = new Map<string, RunRecord[]>();
  for (const r of unlinked) {
    const file = sourceFileOf(r);
    if (file !== undefined && listedFiles.has(file)) listIn(byFile, file).push(r);
    else listIn(others, r.workflowName).push(r);
  }
  for (const f of files) {
    const def = served.get(f.file);
    const linked = def ? (byDefinition.get(def.id) ?? []) : [];
    rows.push(row(f.workflow, "file", def?.id ?? null, f.file, f.format, [...linked, ...(byFile.get(f.file) ?? [])]));
  }
  for (const [, rs] of others) {
    const newest = rs[0] as RunRecord;
    rows.push(
      row(newest.definition, "run", null, sourceFileOf(newest) ?? null, newest.definition.source?.format ?? null, rs),
    );
  }
  rows.sort(
    (a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: "base" }) || ORDER[a.origin] - ORDER[b.origin],
  );
  return { rows, problems };
}

/** The list under `key`, created empty the first time. */
function listIn<T>(map: Map<string, T[]>, key: string): T[] {
  const had = map.get(key);
  if (had) return had;
  const list: T[] = [];
  map.set(key, list);
  return list;
}

const ORDER: Record<WorkflowOrigin, number> = { file: 0, api: 1, template: 2, run: 3 };

function originOf(d: DefinitionRecord): WorkflowOrigin {
  if (d.system) return "template";
  return isFileDefinition(d.id) ? "file" : "api";
}

/** A folder definition's file (absolute); null for others. */
function pathOf(d: DefinitionRecord): string | null {
  const file = d.workflow.source?.file;
  return isFileDefinition(d.id) && file !== undefined ? resolve(file) : null;
}

/** The file a run of a file was read from, absolute; undefined for a run of a stored definition or inline. */
function sourceFileOf(r: RunRecord): string | undefined {
  const file = r.definition.source?.file;
  return file === undefined || file.startsWith("<") ? undefined : resolve(file);
}

function row(
  w: Workflow,
  origin: WorkflowOrigin,
  id: string | null,
  path: string | null,
  format: CatalogueRow["format"],
  runs: readonly RunRecord[],
): CatalogueRow {
  const ended = runs.filter((r) => r.endedAt !== null);
  const ok = runs.filter((r) => r.status === "completed");
  const durations = ok.map((r) => (r.startedAt !== null && r.endedAt !== null ? r.endedAt - r.startedAt : 0));
  return {
    name: w.name,
    description: w.description ?? null,
    step_count: w.steps.length,
    origin,
    id,
    path,
    format,
    version: w.version ?? null,
    executions: runs.length,
    successful: ok.length,
    success_rate: ended.length ? ok.length / ended.length : null,
    average_duration_ms: durations.length ? Math.round(durations.reduce((a, b) => a + b, 0) / durations.length) : null,
  };
}
