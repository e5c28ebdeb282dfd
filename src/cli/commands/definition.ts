import type { Issue } from "../../core/errors.js";
import { formatIssue, ValidationError, WeftError } from "../../core/errors.js";
import { renderTerminalGraph, toMermaid } from "../../definition/index.js";
import { formatOf } from "../args.js";
import { EXIT } from "../exit.js";
import { paint, stdoutOut } from "../output.js";
import { loadWorkflow } from "./shared.js";

/** `weft validate <files...>`. */
export async function validateCommand(files: string[], o: { format?: string }): Promise<void> {
  const format = formatOf(o.format);
  const out = stdoutOut();
  let errors = 0;
  const results = [];
  for (const file of files) {
    const issues = await validateFile(file);
    errors += issues.filter((i) => i.severity === "error").length;
    results.push({ file, valid: !issues.some((i) => i.severity === "error"), issues });
    if (format === "table") {
      for (const issue of issues) out.line(formatIssue(issue));
      if (!issues.some((i) => i.severity === "error")) out.line(`${paint(out, "green", "✓")} ${file} is valid`);
    }
  }
  if (format === "json") out.line(JSON.stringify(results, null, 2));
  else if (errors) out.line(paint(out, "red", `✗ ${errors} error${errors === 1 ? "" : "s"}`));
  process.exitCode = errors ? EXIT.usage : EXIT.ok;
}

/** `weft graph <file>`. */
export async function graphCommand(file: string, o: { format?: string }): Promise<void> {
  if (o.format !== "text" && o.format !== "mermaid") {
    throw new WeftError("WEFT_ARGS", `--format must be "text" or "mermaid", not "${o.format}"`);
  }
  const { workflow } = await loadWorkflow(file);
  stdoutOut().line(o.format === "mermaid" ? toMermaid(workflow) : renderTerminalGraph(workflow));
}

async function validateFile(file: string): Promise<Issue[]> {
  try {
    const { warnings } = await loadWorkflow(file);
    return warnings;
  } catch (err) {
    if (err instanceof ValidationError) return err.issues;
    throw err;
  }
}
