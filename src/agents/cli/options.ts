/** The options of a CLI agent provider (given once, to its factory) and of each agent using it (`agent.options`). */
import { z } from "zod";
import { isWeftVariable } from "../../core/environment.js";
import { TerminalError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";

/** Options of `createClaudeCodeProvider`, `createCodexProvider` and `createGeminiCliProvider`. */
export interface CliProviderOptions {
  /** The executable, a name looked up on PATH or a path. Default: `claude`, `codex` or `gemini`. */
  command?: string | undefined;
  /**
   * The children's base environment (weft's own `WEFT_*` variables are dropped from it). Default: empty — the
   * CLI and the server pass the allow-listed variables (core/environment.ts), a library reads no `process.env`.
   */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Where the names of an agent's `options.passEnv` are read from (the whole environment of the process, e.g.
   * for a CLI agent's API key). Default: empty — nothing can be passed.
   */
  passEnvFrom?: NodeJS.ProcessEnv | undefined;
  /** Between SIGTERM and SIGKILL when a call is cancelled or times out, in ms. Default 5000. */
  killGraceMs?: number | undefined;
  /**
   * weft's data directory: `worktree: true` agents get their worktrees under `<dataDir>/.weft-worktrees/`.
   * Default: the repository's top level (`<repo>/.weft-worktrees/`, added to the repository's info/exclude).
   */
  dataDir?: string | undefined;
}

export const cliProviderOptionsSchema = z.strictObject({
  command: z.string().min(1, "must not be empty").optional(),
  env: z.record(z.string(), z.string().optional()).optional(),
  passEnvFrom: z.record(z.string(), z.string().optional()).optional(),
  killGraceMs: z.number().int().min(0).optional(),
  dataDir: z.string().min(1, "must not be empty").optional(),
});

/** What an agent configured with a CLI provider may set in its `options`. */
export const cliAgentOptionsSchema = z.strictObject({
  /** Overrides the provider's executable for this agent. */
  command: z.string().min(1, "must not be empty").optional(),
  /** Extra arguments, placed after weft's own flags. */
  args: z.array(z.string()).optional(),
  /** Extra environment variables for this agent's CLI. */
  env: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name"), z.string())
    .optional(),
  /** Run in a git worktree of the step's repository (kept afterwards), not in the step's directory itself. */
  worktree: z.boolean().optional(),
  /**
   * With an outputSchema: use the CLI's own structured-output flag (claude `--json-schema`, codex
   * `--output-schema`) when true (the default), or only ask for JSON in the prompt when false (older CLIs).
   */
  nativeOutputSchema: z.boolean().optional(),
  /**
   * Variables of weft's environment this agent's CLI gets besides the clean allow-list, e.g. its API key
   * (`[ANTHROPIC_API_KEY]`). weft's own (`WEFT_*`) never pass.
   */
  passEnv: z
    .array(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable name")
        .refine((name) => !isWeftVariable(name), "weft's own variables (WEFT_*) are never passed to agents"),
    )
    .optional(),
});

export type CliAgentOptions = z.infer<typeof cliAgentOptionsSchema>;

function describeIssues(issues: z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path.map(String).join(".");
      return path === "" ? issue.message : `${path}: ${issue.message}`;
    })
    .join("; ");
}

/** Checks a factory's options; throws a `TerminalError` naming the provider and the bad field. */
export function checkProviderOptions(provider: string, opts: CliProviderOptions): void {
  const parsed = cliProviderOptionsSchema.safeParse(opts);
  if (!parsed.success) {
    throw new TerminalError(
      `invalid options for the ${provider} provider: ${describeIssues(parsed.error.issues)}`,
      "WEFT_PROVIDER",
    );
  }
}

/** Reads `agent.options`; throws a `TerminalError` that says which agent and field are wrong, and how. */
export function parseAgentOptions(provider: string, agent: string, options: JsonObject | undefined): CliAgentOptions {
  const parsed = cliAgentOptionsSchema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const known = Object.keys(cliAgentOptionsSchema.shape).join(", ");
  throw new TerminalError(
    `agent "${agent}" (provider ${provider}) has invalid options: ${describeIssues(parsed.error.issues)} ` +
      `(known options: ${known}); fix agents.${agent}.options in the agents configuration`,
    "WEFT_PROVIDER",
  );
}
