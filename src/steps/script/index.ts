/**
 * `type: script` — runs a shell command in the project directory.
 *
 * Values from `{{ … }}` reach the shell as environment variables, never as shell text (see shell-template.ts).
 * The shell's environment is `ctx.env` (the engine's base: a server's clean allow-list, never weft's own
 * variables — core/environment.ts), then the step's `WEFT_*` variables, then its `env:`. With the engine's
 * sandbox (sandbox.ts) the shell runs confined; `network: true` keeps the network reachable there.
 * The shell leads its own process group; a timeout or cancel kills the whole group (SIGTERM, then SIGKILL after
 * 2 s), and so does a normal exit that leaves background processes behind.
 *
 * Output: `{ exitCode: 0, stdout, stderr, result: <stdout trimmed>, json?: <stdout parsed, when it is JSON>,
 * truncated?: { stdout?: <bytes dropped>, stderr?: … } }` — each stream keeps its last 1 MiB.
 * Failure: a non-zero exit or a death by signal is a `RetryableError` with code `WEFT_SCRIPT_EXIT`; a missing
 * working directory or unstartable shell is terminal. After a crash the command runs again (at least once):
 * make it idempotent, e.g. with `$WEFT_IDEMPOTENCY_KEY`.
 */
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import { z } from "zod";
import { RetryableError, TerminalError, WeftError } from "../../core/errors.js";
import { toTemplateString } from "../../core/expressions/index.js";
import type { Json, JsonObject } from "../../core/json.js";
import { lastLines } from "../../process/output.js";
import { ProcessAborted } from "../../process/run-in-group.js";
import { defineStepType, type StepContext } from "../step-type.js";
import { prepareExpressionEnv } from "./expression-env.js";
import { type ProcessResult, runProcess } from "./run-process.js";
import { checkIntegerValue, compileShellTemplate, EXPR_VAR_PREFIX, ShellTemplateError } from "./shell-template.js";

export {
  compileShellTemplate,
  type ShellTemplate,
  ShellTemplateError,
  type ShellTemplateOptions,
} from "./shell-template.js";

/** Bytes of stdout and of stderr kept in the output. */
export const MAX_CAPTURE_BYTES = 1024 * 1024;
const KILL_GRACE_MS = 2000;
const DRAIN_MS = 1000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const scriptConfigSchema = z
  .strictObject({
    command: z
      .string()
      .min(1, "must not be empty")
      .describe("The command. `{{ }}` values reach the shell as environment variables, never as shell text."),
    cwd: z.string().min(1).optional().describe("Working directory. Default: the run's project directory."),
    env: z
      .record(z.string(), z.string())
      .optional()
      .superRefine((env, ctx) => {
        for (const name of Object.keys(env ?? {})) {
          if (!ENV_NAME.test(name)) ctx.addIssue({ code: "custom", message: `"${name}" is not a valid variable name` });
          else if (name.startsWith(EXPR_VAR_PREFIX)) {
            ctx.addIssue({ code: "custom", message: `"${name}": names starting with ${EXPR_VAR_PREFIX} are reserved` });
          }
        }
      })
      .describe("Extra environment variables (templates)."),
    shell: z.string().min(1).optional().describe("The shell that runs `command`. Default /bin/sh."),
    /** In the sandbox: keep the network reachable. Default false. Without a sandbox the network is always there. */
    network: z
      .boolean()
      .optional()
      .describe("In the sandbox (`weft --sandbox bwrap`), keep the network reachable. Default false."),
  })
  .superRefine((config, ctx) => {
    try {
      compileShellTemplate(config.command, { ansiCQuoting: ansiCQuoting(config.shell ?? "/bin/sh") });
    } catch (err) {
      const problems =
        err instanceof ShellTemplateError ? err.problems : [err instanceof Error ? err.message : String(err)];
      for (const message of problems) ctx.addIssue({ code: "custom", path: ["command"], message });
    }
  });

export type ScriptConfig = z.infer<typeof scriptConfigSchema>;

function ansiCQuoting(shell: string): boolean {
  return /^(bash|zsh|ksh|mksh|ksh93)$/.test(basename(shell));
}

async function resolveCwd(ctx: StepContext, cwd: string | undefined): Promise<string> {
  const dir = cwd === undefined ? ctx.projectPath : resolve(ctx.projectPath, ctx.renderString(cwd));
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new TerminalError(
      `the working directory "${dir}" ${info ? "is not a directory" : "does not exist"}; create it or fix the step's cwd`,
      "WEFT_STEP_CONFIG",
    );
  }
  return dir;
}

function abortReason(reason: unknown): Error {
  return reason instanceof Error ? reason : new WeftError("WEFT_CANCELLED", "the script was cancelled");
}

function toOutput(result: ProcessResult): JsonObject {
  const stdout = result.stdout.text;
  const output: JsonObject = { exitCode: 0, stdout, stderr: result.stderr.text, result: stdout.trim() };
  const trimmed = stdout.trim();
  if (trimmed !== "" && result.stdout.droppedBytes === 0) {
    try {
      output.json = JSON.parse(trimmed) as Json;
    } catch {
      // Not JSON: `result` carries the text.
    }
  }
  const truncated: JsonObject = {};
  if (result.stdout.droppedBytes > 0) truncated.stdout = result.stdout.droppedBytes;
  if (result.stderr.droppedBytes > 0) truncated.stderr = result.stderr.droppedBytes;
  if (Object.keys(truncated).length > 0) output.truncated = truncated;
  return output;
}

function failure(result: ProcessResult): RetryableError {
  const tail = lastLines(result.stderr.text, 10) || lastLines(result.stdout.text, 5);
  const detail = tail ? `:\n${tail}` : " (no output)";
  if (result.signal !== null) {
    return new RetryableError(`the script was killed by signal ${result.signal}${detail}`, {
      code: "WEFT_SCRIPT_EXIT",
    });
  }
  return new RetryableError(`the script exited with code ${result.exitCode}${detail}`, { code: "WEFT_SCRIPT_EXIT" });
}

export const scriptStepType = defineStepType<ScriptConfig>({
  type: "script",
  title: "Script",
  description:
    "Runs a shell command in the project directory; its output holds the exit code, stdout and stderr (parsed when JSON).",
  configSchema: scriptConfigSchema,
  async run(ctx, config, signal) {
    const shell = config.shell ?? "/bin/sh";
    const { script, expressions } = compileShellTemplate(config.command, { ansiCQuoting: ansiCQuoting(shell) });
    const values = expressions.map((e) => {
      const value = toTemplateString(ctx.evaluate(e.source));
      checkIntegerValue(e, value);
      return { ...e, value };
    });
    const cwd = await resolveCwd(ctx, config.cwd);
    const configEnv: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.env ?? {})) configEnv[name] = ctx.renderString(value);
    const weftEnv = {
      WEFT_RUN_ID: ctx.runId,
      WEFT_STEP_ID: ctx.stepId,
      WEFT_STEP_KEY: ctx.key,
      WEFT_ATTEMPT: String(ctx.attempt),
      WEFT_IDEMPOTENCY_KEY: ctx.idempotencyKey,
    };
    ctx.recordInput({
      command: config.command,
      script,
      cwd,
      shell,
      env: [...Object.keys(weftEnv), ...Object.keys(configEnv)],
      ...(ctx.sandbox ? { sandbox: ctx.sandbox.kind, network: config.network ?? false } : {}),
      expressions: expressions.map((e) => ({ name: e.name, source: e.source })),
    });

    const exprEnv = await prepareExpressionEnv(values);
    try {
      const argv = ["-c", exprEnv.prelude + script];
      const result = await runProcess({
        shell,
        command: ctx.sandbox
          ? ctx.sandbox.wrap({
              command: shell,
              args: argv,
              cwd,
              network: config.network ?? false,
              readable: exprEnv.dir === undefined ? [] : [exprEnv.dir],
            })
          : { command: shell, args: argv },
        cwd,
        env: { ...ctx.env, ...weftEnv, ...configEnv, ...exprEnv.env },
        signal,
        onLine: (stream, line) => ctx.log(stream, line),
        onInfo: (text) => ctx.log("info", text),
        maxCaptureBytes: MAX_CAPTURE_BYTES,
        killGraceMs: KILL_GRACE_MS,
        drainMs: DRAIN_MS,
      });
      for (const stream of ["stdout", "stderr"] as const) {
        const dropped = result[stream].droppedBytes;
        if (dropped > 0) ctx.log("info", `${stream} was longer than 1 MiB; the output keeps its last 1 MiB`);
      }
      if (result.exitCode !== 0) throw failure(result);
      return { kind: "completed", output: toOutput(result) };
    } catch (err) {
      if (err instanceof ProcessAborted) throw abortReason(err.reason);
      throw err;
    } finally {
      await exprEnv.cleanup();
    }
  },
});
