/**
 * The built-in template library: the workflow files under the package's `templates/` folder, installed into
 * the store as system workflow definitions (`system: true`, project `system`) with a stable id per file
 * (`weft-template-<slug>`), so that installing again is a no-op and a new version of a template updates
 * its definition in place — its usage counts (computed from the runs linked to it) carry over, and users'
 * clones (their own definitions) are never touched. A template whose file no longer exists is left alone:
 * runs may refer to it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { formatIssue } from "../core/errors.js";
import type { Workflow } from "../core/model.js";
import { parseWorkflow, type StepTypeSchemas, workflowHash } from "../definition/index.js";
import { loadTypeScriptWorkflow } from "../definition/typescript/load.js";
import type { DefinitionRecord, Store } from "../store/store.js";

/** The package's template folder. */
export const TEMPLATES_DIR = fileURLToPath(new URL("../../templates/", import.meta.url));

/** The project system definitions belong to. */
export const SYSTEM_PROJECT = "system";

export interface TemplateFile {
  /** The file name without its extension: what `weft run <slug>` takes. */
  slug: string;
  file: string;
  format: "yaml" | "json" | "ts";
}

const FORMATS: Record<string, TemplateFile["format"]> = {
  ".yaml": "yaml",
  ".yml": "yaml",
  ".json": "json",
  ".ts": "ts",
  ".mts": "ts",
};

/** The library's files, sorted by path. Slugs are unique (a second file with the same slug is an error). */
export function templateFiles(dir: string = TEMPLATES_DIR): TemplateFile[] {
  const out: TemplateFile[] = [];
  const walk = (d: string) => {
    let entries: import("node:fs").Dirent[];
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && FORMATS[extname(e.name).toLowerCase()] && !e.name.endsWith(".d.ts")) {
        out.push({ slug: basename(e.name, extname(e.name)), file: p, format: FORMATS[extname(e.name).toLowerCase()]! });
      }
    }
  };
  walk(dir);
  const seen = new Map<string, string>();
  for (const t of out) {
    const other = seen.get(t.slug);
    if (other)
      throw new Error(`two templates are named ${t.slug}: ${relative(dir, other)} and ${relative(dir, t.file)}`);
    seen.set(t.slug, t.file);
  }
  return out;
}

export const templateId = (slug: string): string => `weft-template-${slug}`;

export interface InstallReport {
  installed: string[];
  updated: string[];
  unchanged: number;
  /** Templates that do not validate (not installed), with their problems. */
  problems: string[];
}

async function modelOf(t: TemplateFile, text: string, stepTypes: StepTypeSchemas): Promise<Workflow> {
  if (t.format === "ts") return (await loadTypeScriptWorkflow(t.file, { stepTypes })).workflow;
  const { workflow, issues } = parseWorkflow(text, { file: t.file, format: t.format, stepTypes });
  const errors = issues.filter((i) => i.severity === "error");
  if (!workflow || errors.length) throw new Error(errors.map(formatIssue).join("\n"));
  return workflow;
}

/**
 * Installs or updates the library's templates in the store. Cheap when nothing changed: a template is parsed
 * only when its text differs from the stored one.
 */
export async function installTemplates(
  store: Store,
  opts: { stepTypes: StepTypeSchemas; dir?: string | undefined; now?: number | undefined },
): Promise<InstallReport> {
  const report: InstallReport = { installed: [], updated: [], unchanged: 0, problems: [] };
  const now = opts.now ?? Date.now();
  for (const t of templateFiles(opts.dir)) {
    const text = readFileSync(t.file, "utf8");
    const id = templateId(t.slug);
    const existing = await store.definitions.get(id);
    if (existing && existing.source === text) {
      report.unchanged++;
      continue;
    }
    let workflow: Workflow;
    try {
      workflow = await modelOf(t, text, opts.stepTypes);
    } catch (err) {
      report.problems.push(`${t.file}: ${(err as Error).message}`);
      continue;
    }
    const fields = {
      name: workflow.name,
      description: workflow.description ?? null,
      category: workflow.category ?? null,
      tags: workflow.tags,
      format: t.format,
      source: text,
      workflow,
      workflowHash: workflowHash(workflow),
    };
    if (existing) {
      await store.definitions.update(id, { ...fields, now }, existing.version);
      report.updated.push(t.slug);
    } else {
      await store.definitions.create({ ...fields, id, projectId: SYSTEM_PROJECT, system: true, now });
      report.installed.push(t.slug);
    }
  }
  return report;
}

/** The installed template a `weft run <name>` means: by slug, or by its name (case-insensitive). */
export async function findTemplate(store: Store, name: string): Promise<DefinitionRecord | undefined> {
  const byId = await store.definitions.get(templateId(name));
  if (byId?.system) return byId;
  const all = await store.definitions.list({ system: true });
  const lower = name.toLowerCase();
  return all.find((d) => d.name.toLowerCase() === lower);
}

/** The template's file in the library (for a TypeScript template's code). */
export function templateFile(slug: string, dir?: string): TemplateFile | undefined {
  return templateFiles(dir).find((t) => t.slug === slug);
}
