/**
 * The types of `ctx.step` configs and results, per built-in step type. A built-in type's settings are the input
 * type of its zod config schema (steps/builtin.ts), the one definition the engine validates with; here they only
 * gain the step's common keys, the `type` (optional where a step's type is inferred) and what only TypeScript can
 * pass (an inline `fn`, a zod `outputSchema`). `P` is the union of the workflow's phases, so a misspelt phase is a
 * type error.
 */
import type { Json, JsonObject } from "../../core/json.js";

/**
 * Each built-in step type's settings as written, by type name: the input types of their zod config schemas.
 * Step types sit above definitions (a definition never imports steps/), so steps/builtin.ts fills this interface
 * in by module augmentation; with the built-ins left out of a program it is empty and every built-in config type
 * below fails to compile.
 */
// biome-ignore lint/suspicious/noEmptyInterface: steps/builtin.ts adds the members (declaration merging).
export interface BuiltinStepConfigs {}

/** The names of the built-in step types. */
export type BuiltinStepTypeName = keyof BuiltinStepConfigs;

/** A built-in step type's settings as written: the input of its config schema. */
export type BuiltinStepConfig<K extends BuiltinStepTypeName> = BuiltinStepConfigs[K];

/** Milliseconds, or a string such as "500ms", "30s", "5m", "1h30m", "2d". */
export type Duration = number | string;

/** A zod schema (or anything with `parse` and an inferred output type). */
export interface ZodLike<T> {
  parse(value: unknown): T;
  readonly _output: T;
}

/** `retry` as a policy (all optional; the rest from the defaults: 1 attempt, 1s delay, backoff 2, max 60s). */
export type RetryOptions = {
  /** Total tries including the first. */
  maxAttempts?: number;
  /** Delay before the second attempt. */
  delay?: Duration;
  /** Each further delay is the previous one times this. */
  backoff?: number;
  maxDelay?: Duration;
  /** 0..1. */
  jitter?: number;
  /** Error codes that may be retried (default: every retryable error). */
  retryOn?: string[];
};

/** The keys every step config may carry besides its type's own settings. */
export type StepCommonKeys<P extends string = string> = {
  /** Shown in the UI and logs; default: the step id. */
  name?: string;
  /** One of the workflow's `phases`. */
  phase?: P;
  description?: string;
  /** Number of attempts, or a retry policy. */
  retry?: number | RetryOptions;
  /** Step timeout: ms or a duration string ("30s"). On an approval it is the deadline for a decision. */
  timeout?: Duration;
  /** A failure resolves `ctx.step` with `status: "failed"` instead of rejecting. */
  optional?: boolean;
  /** Higher starts first when more steps are ready than may run. */
  priority?: number;
};

/** What an inline function step's `fn` receives. */
export interface StepFunctionContext {
  runId: string;
  stepId: string;
  /** 1-based. */
  attempt: number;
  /** `runId:stepId:0`: the same for every attempt, also after a crash. */
  idempotencyKey: string;
  signal: AbortSignal;
}

export type AgentPermission = NonNullable<BuiltinStepConfig<"agent">["permission"]>;

/** An agent's answer: its output schema (a JSON Schema or a zod schema, turned into JSON Schema) or none. */
export type OutputSchema = JsonObject | ZodLike<unknown>;

export type TsAgentStepConfig<
  P extends string = string,
  S extends OutputSchema | undefined = OutputSchema | undefined,
> = StepCommonKeys<P> &
  Omit<BuiltinStepConfig<"agent">, "outputSchema" | "permission"> & {
    type?: "agent";
    /** The answer must be JSON matching it; the step's data is then that object. */
    outputSchema?: S;
    permission?: AgentPermission;
  };

export type TsScriptStepConfig<P extends string = string> = StepCommonKeys<P> &
  BuiltinStepConfig<"script"> & { type?: "script" };

export type TsApprovalStepConfig<P extends string = string> = StepCommonKeys<P> &
  BuiltinStepConfig<"approval"> & { type: "approval" };

/** `T` with exactly one of the keys `K` (what a refinement says and an input type cannot). */
type ExactlyOne<T, K extends keyof T> = {
  [Key in K]: Omit<T, K> & Required<Pick<T, Key>> & { [Other in Exclude<K, Key>]?: undefined };
}[K];

/** Exactly one of `duration` and `until` (the schema's refinement). */
export type TsSleepStepConfig<P extends string = string> = StepCommonKeys<P> & { type: "sleep" } & ExactlyOne<
    BuiltinStepConfig<"sleep">,
    "duration" | "until"
  >;

export type TsNoopStepConfig<P extends string = string> = StepCommonKeys<P> &
  BuiltinStepConfig<"noop"> & { type: "noop" };

/** Images from a provider's image API, stored as image artifacts (docs/workflow-syntax.md, "Documents and images"). */
export type TsImageStepConfig<P extends string = string> = StepCommonKeys<P> &
  BuiltinStepConfig<"image"> & { type: "image" };

/** An image step's data. */
export interface ImageStepOutput {
  images: Array<{ id: string; name: string; mime_type: string }>;
  image_ids: string[];
}

/** Links images to documents: one-to-one, one-to-many, many-to-one (inferred from the counts when absent). */
export type TsAttachStepConfig<P extends string = string> = StepCommonKeys<P> &
  BuiltinStepConfig<"attach"> & { type: "attach" };

/** A function step that runs `fn` inline. Its return value is journaled as JSON (a Date becomes a string). */
export type TsInlineFunctionStepConfig<T, P extends string = string> = StepCommonKeys<P> & {
  type?: "function";
  fn: (ctx: StepFunctionContext) => T;
};

/** A function step that calls a function registered with `createEngine({ functions })`. */
export type TsNamedFunctionStepConfig<P extends string = string> = StepCommonKeys<P> &
  BuiltinStepConfig<"function"> & { type?: "function" };

/** A plugin's step type: any `type` that is not a built-in, with any settings. */
export type TsPluginStepConfig<K extends string = string, P extends string = string> = StepCommonKeys<P> & {
  type: K extends BuiltinStepTypeName ? never : K;
  [key: string]: unknown;
};

/** Any built-in step config. */
export type TsBuiltinStepConfig<P extends string = string> =
  | TsAgentStepConfig<P>
  | TsScriptStepConfig<P>
  | TsApprovalStepConfig<P>
  | TsSleepStepConfig<P>
  | TsNoopStepConfig<P>
  | TsImageStepConfig<P>
  | TsAttachStepConfig<P>
  | TsInlineFunctionStepConfig<unknown, P>
  | TsNamedFunctionStepConfig<P>;

/** A script step's data. Each stream keeps its last 1 MiB (`truncated` says how many bytes were dropped). */
export interface ScriptStepOutput {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout, trimmed. */
  result: string;
  /** stdout parsed, when it is JSON. */
  json?: Json;
  truncated?: { stdout?: number; stderr?: number };
}

/** An agent step's data without an `outputSchema`. */
export interface AgentStepOutput {
  result: string;
}

/** An agent step's data: the zod schema's type, a JSON object for a JSON Schema, else `{ result }`. */
export type AgentOutputOf<S> = [S] extends [undefined] ? AgentStepOutput : S extends ZodLike<infer O> ? O : JsonObject;

export interface SleepStepOutput {
  /** ISO 8601. */
  until: string;
}

export interface ApprovalResult {
  approved: boolean;
  by: string;
  comment: string | null;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}
