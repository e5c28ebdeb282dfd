/** Finding and reading `weft.config.yaml`. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type Issue, ValidationError, WeftError } from "../../core/errors.js";
import { MAX_DEFINITION_BYTES, tooLargeIssue } from "../../definition/parse.js";
import { parseAgentsConfig } from "./parse.js";
import type { AgentsConfig } from "./schema.js";

/** The names weft looks for in the working directory, in order. */
export const CONFIG_FILE_NAMES = ["weft.config.yaml", "weft.config.yml", "weft.config.json"] as const;

/** The agents config file in `dir` (not its parents), if there is one. */
export function findAgentsConfig(dir: string): string | undefined {
  for (const name of CONFIG_FILE_NAMES) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

export interface LoadAgentsConfigOptions {
  /** The providers agents may name. Default: the built-in ones. */
  providerNames?: readonly string[] | undefined;
}

/**
 * Reads and checks an agents config file (2 MiB at most).
 * @throws WeftError `WEFT_NOT_FOUND` when the file cannot be read; ValidationError with every issue (errors,
 *   then warnings, each with file:line:column and a hint) when it has errors.
 */
export function loadAgentsConfig(
  path: string,
  opts: LoadAgentsConfigOptions = {},
): { config: AgentsConfig; warnings: Issue[] } {
  const file = resolve(path);
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_DEFINITION_BYTES) throw new ValidationError([tooLargeIssue(file, size)]);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (err instanceof WeftError) throw err;
    throw new WeftError("WEFT_NOT_FOUND", `cannot read the agents config ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const { config, issues } = parseAgentsConfig(text, { file, providerNames: opts.providerNames });
  const errors = issues.filter((i) => i.severity === "error");
  const warnings = issues.filter((i) => i.severity === "warning");
  if (!config || errors.length > 0) throw new ValidationError([...errors, ...warnings]);
  return { config, warnings };
}
