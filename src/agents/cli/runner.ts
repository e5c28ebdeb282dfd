/**
 * The part every CLI agent provider shares: options, the optional worktree, the session to use, one child
 * process per try, and the exit-code contract (README.md):
 *
 * - exit 0 and the stream's closing event says success → the answer.
 * - the closing event reports an error, or the CLI exits non-zero → a `ProviderError` (`CliAgentError`,
 *   retried) when the CLI's error text or stderr says rate limit / overloaded / 5xx / network, else a
 *   `TerminalError` (`WEFT_PROVIDER`) with the CLI's error and the tail of its stderr.
 * - killed by a signal weft did not send → `ProviderError("network")`.
 * - exit 0 without a closing event → `ProviderError("malformed")`.
 * - the executable is missing → `TerminalError` "<command> is not installed or not on PATH …".
 * - `signal` aborts (timeout, cancel) → the whole process group gets SIGTERM, then SIGKILL after the grace
 *   period; `signal.reason` is rethrown once it is gone.
 */
import { mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isWeftVariable, pickEnv } from "../../core/environment.js";
import { TerminalError, WeftError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { lastLines } from "../../process/output.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../provider.js";
import { CliAgentError, retryAfterFrom, transientKind } from "./failure.js";
import { type CliProviderOptions, checkProviderOptions, parseAgentOptions } from "./options.js";
import { parseJsonAnswer, withHistory, withSchemaInstruction } from "./prompt.js";
import { describePlan, type SessionPlan } from "./session.js";
import { type CliExit, ProcessAborted, SpawnFailed, spawnCli } from "./spawn.js";
import { parseEventLine, type StreamParser, type StreamState } from "./stream.js";
import { ensureWorktree } from "./worktree.js";

/** What a CLI is asked to do in one run, for a spec to turn into argv and stdin. */
export interface Invocation {
  /** The prompt with earlier messages (and the JSON instruction when no native schema flag is used). */
  prompt: string;
  system: string | undefined;
  model: string | undefined;
  permission: ProviderRequest["permission"];
  session: SessionPlan;
  /** Set when the CLI's own structured-output flag is used. */
  outputSchema: JsonObject | undefined;
  /** The schema written to a file, for specs with `nativeSchema: "file"`. */
  schemaFile: string | undefined;
  /** `agent.options.args`. */
  extraArgs: string[];
}

export interface CliAgentSpec {
  /** The provider name agents configure. */
  name: string;
  defaultCommand: string;
  /** How the CLI takes a JSON Schema for its answer, when it can. */
  nativeSchema?: "inline" | "file" | undefined;
  build(inv: Invocation): { args: string[]; stdin: string };
  parser(): StreamParser;
  firstSession(req: ProviderRequest): SessionPlan;
  /** After a run that failed before any result: the session to try instead (e.g. resume when the id is taken). */
  nextSession(plan: SessionPlan, failure: string, req: ProviderRequest): SessionPlan | undefined;
}

const DEFAULT_KILL_GRACE_MS = 5000;

interface Settings {
  command: string | undefined;
  env: NodeJS.ProcessEnv;
  passEnvFrom: NodeJS.ProcessEnv;
  killGraceMs: number;
  dataDir: string | undefined;
}

export function createCliProvider(spec: CliAgentSpec, opts: CliProviderOptions = {}): Provider {
  checkProviderOptions(spec.name, opts);
  const settings: Settings = {
    command: opts.command,
    env: withoutWeftVariables(opts.env ?? {}),
    passEnvFrom: opts.passEnvFrom ?? {},
    killGraceMs: opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    dataDir: opts.dataDir,
  };
  return { name: spec.name, generate: (req) => generate(spec, settings, req) };
}

/** The base environment without weft's own variables (its API tokens among them). */
function withoutWeftVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !isWeftVariable(name)));
}

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new WeftError("WEFT_CANCELLED", "the agent call was cancelled");
}

async function checkDirectory(cwd: string, who: string): Promise<void> {
  const info = await stat(cwd).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new TerminalError(
      `${who}: the working directory ${cwd} does not exist or is not a directory`,
      "WEFT_PROVIDER",
    );
  }
}

interface Run {
  plan: SessionPlan;
  state: StreamState;
  exit: CliExit;
}

async function generate(spec: CliAgentSpec, settings: Settings, req: ProviderRequest): Promise<ProviderResponse> {
  const agent = req.agent.name;
  const options = parseAgentOptions(spec.name, agent, req.agent.options);
  const command = options.command ?? settings.command ?? spec.defaultCommand;
  const who = `${command} (agent "${agent}")`;
  const env = { ...settings.env, ...pickEnv(settings.passEnvFrom, options.passEnv ?? []), ...(options.env ?? {}) };
  const progress = (line: string) => {
    if (line.trim() !== "") req.onProgress?.(line);
  };
  const transcript: JsonObject[] = [];
  if (req.signal.aborted) throw abortError(req.signal.reason);

  let cwd = req.cwd;
  if (options.worktree) {
    const wt = await ensureWorktree({
      cwd: cwd ?? process.cwd(),
      key: req.idempotencyKey,
      dataDir: settings.dataDir,
      env,
      signal: req.signal,
      who: `agent "${agent}"`,
    }).catch((err: unknown) => {
      throw req.signal.aborted ? abortError(req.signal.reason) : err;
    });
    cwd = wt.cwd;
    transcript.push({ type: "worktree", path: wt.path, cwd: wt.cwd, repo: wt.repo, created: wt.created });
    progress(`worktree: ${wt.path}${wt.created ? "" : " (reused from an earlier attempt)"}`);
  }
  if (cwd !== undefined) await checkDirectory(cwd, who);

  const native =
    req.outputSchema !== undefined && spec.nativeSchema !== undefined && options.nativeOutputSchema !== false;
  let prompt = withHistory(req.prompt, req.messages);
  if (req.outputSchema && !native) prompt = withSchemaInstruction(prompt, req.outputSchema);
  const tmp = native && spec.nativeSchema === "file" ? await mkdtemp(join(tmpdir(), "weft-schema-")) : undefined;
  try {
    let schemaFile: string | undefined;
    if (tmp !== undefined) {
      schemaFile = join(tmp, "schema.json");
      await writeFile(schemaFile, JSON.stringify(req.outputSchema));
    }
    const base = { prompt, system: req.agent.system, model: req.agent.model, permission: req.permission };
    const invocation = (session: SessionPlan): Invocation => ({
      ...base,
      session,
      outputSchema: native ? req.outputSchema : undefined,
      schemaFile,
      extraArgs: options.args ?? [],
    });
    const tried = new Set<string>();
    let plan = spec.firstSession(req);
    for (;;) {
      tried.add(JSON.stringify(plan));
      const run = await runOnce(
        spec,
        { command, env, cwd, settings, req, transcript, progress, plan },
        invocation(plan),
      );
      const failure = run.state.outcome === undefined ? failureText(run) : undefined;
      const next = failure === undefined ? undefined : spec.nextSession(plan, failure, req);
      if (next !== undefined && !tried.has(JSON.stringify(next))) {
        const why = lastLines(failure ?? "", 1, 200);
        progress(`${describePlan(plan)} failed (${why}); trying ${describePlan(next)} instead`);
        plan = next;
        continue;
      }
      return finish(run, { who, req, transcript });
    }
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
}

function failureText(run: Run): string | undefined {
  if (run.exit.code === 0 && run.exit.signal === null) return undefined;
  return [...run.state.errors, run.exit.stderr].join("\n");
}

interface RunContext {
  command: string;
  env: NodeJS.ProcessEnv;
  cwd: string | undefined;
  settings: Settings;
  req: ProviderRequest;
  transcript: JsonObject[];
  progress: (line: string) => void;
  plan: SessionPlan;
}

async function runOnce(spec: CliAgentSpec, ctx: RunContext, inv: Invocation): Promise<Run> {
  const { args, stdin } = spec.build(inv);
  const parser = spec.parser();
  const request: JsonObject = { type: "request", provider: spec.name, command: ctx.command, args, prompt: stdin };
  if (ctx.cwd !== undefined) request.cwd = ctx.cwd;
  request.session = ctx.plan.id === undefined ? { mode: ctx.plan.mode } : { mode: ctx.plan.mode, id: ctx.plan.id };
  ctx.transcript.push(request);

  const onLine = (line: string) => {
    const event = parseEventLine(line);
    if (event === undefined) {
      if (line.trim() === "") return;
      ctx.transcript.push({ type: "stdout", text: line });
      ctx.progress(line);
      return;
    }
    ctx.transcript.push(event);
    try {
      parser.event(event, ctx.progress);
    } catch (err) {
      // A parser bug must not take the process down from inside a stream callback; the event is kept.
      ctx.transcript.push({ type: "parse_error", message: err instanceof Error ? err.message : String(err) });
    }
  };

  let exit: CliExit;
  try {
    exit = await spawnCli({
      command: ctx.command,
      args,
      cwd: ctx.cwd,
      env: ctx.env,
      stdin,
      signal: ctx.req.signal,
      killGraceMs: ctx.settings.killGraceMs,
      onStdoutLine: onLine,
    });
  } catch (err) {
    if (err instanceof ProcessAborted) throw abortError(err.reason);
    if (err instanceof SpawnFailed) throw spawnError(err, ctx.command, ctx.req.agent.name);
    throw err;
  }
  parser.end(ctx.progress);
  const entry: JsonObject = { type: "exit", code: exit.code, signal: exit.signal };
  if (exit.stderr.trim() !== "") entry.stderr = lastLines(exit.stderr, 40, 8000);
  ctx.transcript.push(entry);
  if (exit.leftovers) ctx.progress("processes the agent started were still running after it exited; terminated them");
  return { plan: ctx.plan, state: parser.state, exit };
}

function spawnError(err: SpawnFailed, command: string, agent: string): TerminalError {
  const code = err.errno.code;
  const fix = `set agents.${agent}.options.command to its path`;
  if (code === "ENOENT") {
    return new TerminalError(`${command} is not installed or not on PATH (${fix})`, "WEFT_PROVIDER", {
      cause: err.errno,
    });
  }
  if (code === "EACCES") {
    return new TerminalError(
      `${command} cannot be run: permission denied (is it executable? or ${fix})`,
      "WEFT_PROVIDER",
      {
        cause: err.errno,
      },
    );
  }
  return new TerminalError(`cannot start ${command}: ${err.message}`, "WEFT_PROVIDER", { cause: err.errno });
}

function finish(run: Run, ctx: { who: string; req: ProviderRequest; transcript: JsonObject[] }): ProviderResponse {
  const { state, exit } = run;
  const sessionId = state.sessionId ?? run.plan.id;
  const stderrTail = lastLines(exit.stderr, 12, 2000);
  const stderrPart = stderrTail === "" ? "" : `; stderr: ${stderrTail}`;
  if (exit.signal !== null) {
    throw new CliAgentError("network", `${ctx.who} was killed by ${exit.signal}, not by weft${stderrPart}`, {
      sessionId,
    });
  }
  if (exit.code === 0 && state.outcome === undefined) {
    throw new CliAgentError(
      "malformed",
      `${ctx.who} exited without its closing result event: the event stream ended early${stderrPart}`,
      { sessionId },
    );
  }
  if (exit.code !== 0 || state.outcome?.ok !== true) {
    const reason =
      state.outcome?.ok === false
        ? state.outcome.message
        : (state.errors.at(-1) ?? "no error message on its event stream");
    const code = exit.code === 0 ? "" : ` (exit code ${exit.code})`;
    const message = `${ctx.who} failed: ${reason}${code}${stderrPart}`;
    const evidence = [reason, ...state.errors, exit.stderr].join("\n");
    const kind = transientKind(evidence);
    if (kind !== undefined) {
      throw new CliAgentError(kind, message, { sessionId, retryAfterMs: retryAfterFrom(evidence) });
    }
    throw new TerminalError(message, "WEFT_PROVIDER");
  }

  let { text, json } = state;
  if (json === undefined && ctx.req.outputSchema !== undefined) json = parseJsonAnswer(text);
  if (ctx.req.outputSchema === undefined) json = undefined;
  if (text.trim() === "" && json !== undefined) text = JSON.stringify(json, null, 2);
  return {
    text,
    json,
    usage: { inputTokens: state.inputTokens, outputTokens: state.outputTokens, costUsd: state.costUsd },
    model: state.model ?? ctx.req.agent.model ?? "default",
    sessionId,
    transcript: ctx.transcript,
  };
}
