/**
 * Step types are plain registered objects. The built-ins (script, agent, approval, sleep, noop, function)
 * register exactly as a user's plugin would.
 */
import type { z } from "zod";
import type { ProviderRegistry } from "../agents/provider.js";
import type { Json, JsonObject } from "../core/json.js";

/** What a handler may ask of the engine while it runs. */
export interface StepContext {
  readonly runId: string;
  readonly stepId: string;
  readonly key: string;
  readonly iteration: number | null;
  /** 1-based. */
  readonly attempt: number;
  /** `runId:stepId:iteration`: the same for every attempt of this step run, also after a crash. */
  readonly idempotencyKey: string;
  /** The run's project directory: the default working directory of scripts and CLI agents. */
  readonly projectPath: string;
  /**
   * This step run's log directory (`…/logs/<key>/`). The engine creates it asynchronously, off the hot
   * path: a handler that writes files of its own there creates it first (`mkdir(logDir, { recursive: true })`).
   */
  readonly logDir: string;
  /** The `foreach` item and its index, for fanned-out step runs. */
  readonly item: Json | undefined;
  readonly index: number | undefined;
  /** Step timeout in ms, if any (the engine also aborts `signal` when it passes). */
  readonly timeoutMs: number | undefined;
  readonly providers: ProviderRegistry;
  /** Renders every `{{ … }}` in strings of `value`, deeply. A string that is exactly one `{{ expr }}` keeps the value's type. */
  render(value: Json): Json;
  /** Renders a template to a string (objects as JSON, null as ""). */
  renderString(template: string): string;
  /** Evaluates one expression (no braces) in the step's scope. */
  evaluate(expression: string): Json;
  /** Records what the step was given (written to `input.json`). */
  recordInput(input: Json): void;
  /** Streams a line of output: appended to `events.jsonl` and published as `workflow.step.progress`. */
  log(stream: "stdout" | "stderr" | "info", text: string): void;
  /** A one-line notice for the person running the workflow (e.g. "agent `security` has no configuration; answered by mock"). */
  notice(message: string): void;
  now(): number;
}

/** How a handler ends. Throwing a `TerminalError`/`RetryableError` (or anything) fails the attempt instead. */
export type StepOutcome =
  | { kind: "completed"; output: Json; summary?: string | undefined }
  /** Park the step (and, when nothing else runs, the run) until a person approves or rejects it. */
  | {
      kind: "approval";
      message?: string | undefined;
      timeoutMs?: number | undefined;
      onTimeout?: "approve" | "reject" | undefined;
    }
  /** Park the step until `until` (ms since epoch); it then completes with `output`. Durable across restarts. */
  | { kind: "sleep"; until: number; output?: Json | undefined };

export interface StepType<C = JsonObject> {
  readonly type: string;
  /** Validates the step's `config` as written (before templating) when the workflow is loaded. */
  readonly configSchema: z.ZodType<C>;
  run(ctx: StepContext, config: C, signal: AbortSignal): Promise<StepOutcome>;
}

/** A user's TypeScript function, called by `type: function` steps that name it. */
export type StepFunction = (input: Json, ctx: StepContext, signal: AbortSignal) => Promise<Json> | Json;

/**
 * Erases a step type's config type so typed step types can sit in one `StepType[]`. Safe because the engine
 * always passes `run` the value `configSchema` produced.
 */
export function defineStepType<C>(stepType: StepType<C>): StepType {
  return stepType as unknown as StepType;
}
