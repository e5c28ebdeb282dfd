/**
 * `weft templates [--category] [--search]`: the built-in template library, installed into the store on first
 * use (and updated when weft ships a new version of a template). `weft run <slug>` launches one.
 */
import type { Command } from "commander";
import type { Store } from "../../store/store.js";
import { installTemplates, templateFiles, templateId } from "../../templates/library.js";
import { formatOf } from "../args.js";
import { stepTypeSchemas } from "../context.js";
import { EXIT } from "../exit.js";
import { json, stdoutOut, table } from "../output.js";
import type { GlobalOptions } from "../store.js";
import { openStore } from "../store.js";

/** Installs the library into the store; problems (a template that does not validate) go to stderr. */
export async function ensureTemplates(store: Store): Promise<void> {
  const report = await installTemplates(store, { stepTypes: stepTypeSchemas() });
  for (const p of report.problems) process.stderr.write(`weft: template not installed: ${p}\n`);
}

/** `weft templates`. */
export async function templatesCommand(_o: unknown, cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<GlobalOptions & { category?: string; search?: string; format?: string }>();
  const format = formatOf(o.format);
  const store = openStore(o);
  try {
    await ensureTemplates(store);
    const defs = await store.definitions.list({
      system: true,
      category: o.category,
      search: o.search || undefined,
      sort: "name",
    });
    const slugOf = new Map(templateFiles().map((t) => [templateId(t.slug), t.slug]));
    const rows = defs.map((d) => ({
      slug: slugOf.get(d.id) ?? d.id,
      name: d.name,
      category: d.category,
      tags: d.tags,
      steps: d.workflow.steps.length,
      description: d.description,
      times_used: d.timesUsed,
      id: d.id,
    }));
    const out = stdoutOut();
    if (format === "json") out.line(json(rows));
    else if (rows.length === 0) out.line("no templates match");
    else
      out.line(
        table(
          ["SLUG", "NAME", "CATEGORY", "STEPS", "USED", "DESCRIPTION"],
          rows.map((r) => [
            r.slug,
            r.name,
            r.category ?? "",
            String(r.steps),
            String(r.times_used),
            (r.description ?? "").slice(0, 70),
          ]),
        ),
      );
  } finally {
    await store.close();
  }
  process.exitCode = EXIT.ok;
}
