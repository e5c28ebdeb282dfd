import { formatIssue } from "../../core/errors.js";
import type { Store } from "../../store/store.js";
import { limitOf, matches } from "../args.js";
import { workflowCatalogue } from "../catalogue.js";
import { stepTypeSchemas } from "../context.js";
import { EXIT } from "../exit.js";
import type { Out } from "../output.js";
import { ms, table } from "../output.js";
import { dataDirOf, type InspectOptions } from "../store.js";
import { definitionFolders } from "./shared.js";
import { ensureTemplates } from "./templates.js";

/**
 * `weft list --workflows`: every workflow definition (catalogue.ts), with its description and step count, and the
 * stats of its runs. Folder files that do not load are named on stderr (with their first problem), not listed.
 */
export async function listWorkflows(
  store: Store,
  o: InspectOptions,
  out: Out,
  format: "table" | "json",
  search: string | undefined,
): Promise<number> {
  await ensureTemplates(store);
  const { rows, problems } = await workflowCatalogue({
    store,
    folders: definitionFolders(dataDirOf(o)),
    stepTypes: stepTypeSchemas(),
  });
  for (const issues of problems) {
    const first = issues[0];
    if (!first) continue;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
    out.err(`weft: not listed: ${formatIssue(first)}${more}`);
  }
  const shown = (search ? rows.filter((r) => matches(search, r.name, r.description)) : rows).slice(
    0,
    o.limit === undefined ? undefined : limitOf(o.limit, 20),
  );
  if (format === "json") {
    out.line(JSON.stringify(shown, null, 2));
    return EXIT.ok;
  }
  if (!shown.length) {
    out.line(search ? `no workflow matches "${search}"` : "no workflows");
    return EXIT.ok;
  }
  out.line(
    table(
      ["WORKFLOW", "VERSION", "EXECUTIONS", "SUCCESS", "AVG DURATION", "STEPS", "ORIGIN", "DESCRIPTION"],
      shown.map((r) => [
        r.name,
        r.version ?? "-",
        String(r.executions),
        r.success_rate === null ? "-" : `${Math.round(r.success_rate * 100)}%`,
        ms(r.average_duration_ms),
        String(r.step_count),
        r.origin,
        (r.description ?? "").slice(0, 60),
      ]),
    ),
  );
  return EXIT.ok;
}
