/**
 * The environment of the processes steps start (script steps, CLI agents): what they inherit from weft's own.
 *
 * Rules (docs/operations.md, "Security"):
 * - A server (or any process driving runs on others' behalf) hands steps a **clean** environment: only the
 *   allow-listed variables below, plus the names its operator passes on explicitly (`--pass-env`). Never the
 *   rest — so neither `WEFT_API_TOKENS` nor a provider key reaches a script that was not given it.
 * - `weft run` in a person's own terminal hands on that person's **whole** environment (their scripts are
 *   theirs), except weft's own variables.
 * - weft's own variables (`WEFT_*`: tokens, data directory, config, faults…) never pass, in either mode: weft
 *   sets the step's own (`WEFT_RUN_ID`, `WEFT_STEP_ID`, …) itself, after this.
 * - What a step names (`env:` of a script, `options.env`/`options.passEnv` of a CLI agent) is added on top
 *   by the step; this module only decides the base.
 *
 * Pure: the caller reads `process.env` (at the edge: the CLI, the server) and passes it in.
 */
import { WeftError } from "./errors.js";

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Inherited by steps in the clean mode, and why each: PATH (find programs), HOME (tools read their settings
 * and CLI agents their login there), USER and LOGNAME (who runs: git, ssh), SHELL (programs that start a
 * shell), LANG, LANGUAGE and every LC_* (text encoding and messages), TZ (dates), TMPDIR (where temporary
 * files go), TERM (how output is formatted). None of them carries a secret.
 */
export const ALLOWED_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TMPDIR",
  "TERM",
];

const ALLOWED_PREFIX = "LC_";
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** weft's own variables (`WEFT_API_TOKENS`, `WEFT_DATA_DIR`, …): never handed to a step from weft's environment. */
export function isWeftVariable(name: string): boolean {
  return name.toUpperCase().startsWith("WEFT_");
}

/** Whether the clean mode inherits `name`. */
export function isAllowedVariable(name: string): boolean {
  return ALLOWED_ENV.includes(name) || name.startsWith(ALLOWED_PREFIX);
}

/**
 * Checks names an operator passes on (`--pass-env`): valid variable names, none of weft's own.
 * @throws WeftError `WEFT_ARGS` naming the bad one.
 */
export function checkPassedNames(names: readonly string[], where: string): void {
  for (const name of names) {
    if (!NAME.test(name)) throw new WeftError("WEFT_ARGS", `${where}: "${name}" is not an environment variable name`);
    if (isWeftVariable(name)) {
      throw new WeftError(
        "WEFT_ARGS",
        `${where}: ${name} is one of weft's own variables, which are never passed to steps (they may hold its API tokens)`,
      );
    }
  }
}

export interface StepEnvOptions {
  /** `clean` (a server): the allow-list plus `pass`; `inherit` (a person's terminal): everything. */
  mode: "clean" | "inherit";
  /** More names to inherit in the clean mode (checked with `checkPassedNames`). */
  pass?: readonly string[] | undefined;
}

/** The base environment of steps, from weft's own (`source`); weft's variables are never in it. */
export function stepBaseEnv(source: Env, opts: StepEnvOptions): Record<string, string> {
  const pass = new Set(opts.pass ?? []);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(source)) {
    if (value === undefined || isWeftVariable(name)) continue;
    if (opts.mode === "inherit" || isAllowedVariable(name) || pass.has(name)) out[name] = value;
  }
  return out;
}

/** The named variables of `source` that are set (weft's own never), e.g. a CLI agent's `options.passEnv`. */
export function pickEnv(source: Env, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = source[name];
    if (value !== undefined && !isWeftVariable(name)) out[name] = value;
  }
  return out;
}
