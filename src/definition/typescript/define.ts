/**
 * `defineWorkflow`: workflows written in TypeScript (seed 002). `execute(ctx)` is ordinary code; every
 * `ctx.step(id, config)` is journaled, so after a pause, a crash or a restart `execute` runs again from the
 * top and recorded steps return their recorded results without running (durable replay).
 *
 * What re-runs after a crash: the code of `execute` itself, always (keep it deterministic: branch only on
 * args, step results, `ctx.now()` and `ctx.random()`). A step whose result was recorded never runs again; a
 * step that was running when the process died runs again with the same idempotency key.
 */
import type { ErrorInfo } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import type {
  AgentOutputOf,
  ApprovalResult,
  BuiltinStepConfig,
  Duration,
  ExecResult,
  ImageStepOutput,
  OutputSchema,
  ScriptStepOutput,
  SleepStepOutput,
  StepCommonKeys,
  StepFunctionContext,
  TsAgentStepConfig,
  TsApprovalStepConfig,
  TsAttachStepConfig,
  TsBuiltinStepConfig,
  TsImageStepConfig,
  TsInlineFunctionStepConfig,
  TsNamedFunctionStepConfig,
  TsNoopStepConfig,
  TsPluginStepConfig,
  TsScriptStepConfig,
  TsSleepStepConfig,
  ZodLike,
} from "./step-configs.js";

export type { ApprovalResult, ExecResult, StepFunctionContext } from "./step-configs.js";

export const TS_WORKFLOW = Symbol.for("weftflow.workflow");

/** The result of a step, as `ctx.step` returns it (seed 002's StepResult). */
export interface StepResult<T = Json> {
  stepId: string;
  status: "completed" | "failed" | "skipped";
  /** The step's output (present when completed). */
  data?: T;
  /** Present when the step failed (only an `optional` step's failure resolves; others reject). */
  error?: ErrorInfo;
}

/** What every step config may carry besides its type's own settings. */
export type TsStepCommon = StepCommonKeys & {
  /** The step type: a built-in (`BuiltinStepTypeName`) or a plugin's type. Inferred when absent. */
  type?: string;
};

/**
 * A step config as the engine receives it at run time: the common keys plus the type's settings; `fn` runs
 * inline for `type: "function"`. (`ctx.step`'s overloads type-check each built-in type's settings.)
 */
export type TsStepConfig = TsStepCommon & {
  fn?: (ctx: StepFunctionContext) => unknown;
  [key: string]: unknown;
};

/** An approval step's settings (`message`; `timeout`, after which `onTimeout`, default "reject", decides). */
export type WaitForApprovalOptions = BuiltinStepConfig<"approval"> & {
  /** The step id (default: an engine-made `$approval-<n>`). */
  id?: string;
};

/**
 * What `execute` receives. `A`: the args (inferred from a zod argsSchema); `P`: the workflow's phases.
 *
 * Replay: everything that returns a promise here is journaled by position. On a replay the same calls must
 * come in the same order (a different step id at a recorded position fails the run with WEFT_NON_DETERMINISM).
 */
export interface WorkflowContext<A = JsonObject, P extends string = string> {
  readonly runId: string;
  /** The project directory (default working directory of scripts). */
  readonly projectPath: string;
  readonly args: A;
  /**
   * Runs a step once: recorded results are returned on replay without running it again. Rejects with
   * `StepFailedError` when the step fails (after its retries), unless it is `optional`. A step that was
   * running when the process died runs again (same idempotency key).
   */
  step<T>(id: string, config: TsInlineFunctionStepConfig<T, P>): Promise<StepResult<Awaited<T>>>;
  step<T = never, S extends OutputSchema | undefined = undefined>(
    id: string,
    config: TsAgentStepConfig<P, S>,
  ): Promise<StepResult<Given<T, AgentOutputOf<S>>>>;
  step<T = ScriptStepOutput>(id: string, config: TsScriptStepConfig<P>): Promise<StepResult<T>>;
  step<T = ApprovalResult>(id: string, config: TsApprovalStepConfig<P>): Promise<StepResult<T>>;
  step<T = SleepStepOutput>(id: string, config: TsSleepStepConfig<P>): Promise<StepResult<T>>;
  step<T = Json>(id: string, config: TsNoopStepConfig<P>): Promise<StepResult<T>>;
  step<T = ImageStepOutput>(id: string, config: TsImageStepConfig<P>): Promise<StepResult<T>>;
  step<T = Json>(id: string, config: TsAttachStepConfig<P>): Promise<StepResult<T>>;
  step<T = Json>(id: string, config: TsNamedFunctionStepConfig<P>): Promise<StepResult<T>>;
  step<T = Json, K extends string = string>(id: string, config: TsPluginStepConfig<K, P>): Promise<StepResult<T>>;
  // Matches nothing the overloads above do not; it is last so a wrong config is reported against the
  // built-in step types (TypeScript explains the last overload's error).
  step(id: string, config: TsBuiltinStepConfig<P>): Promise<StepResult<Json>>;
  /** Records a checkpoint (one is also taken after every step). Journaled: not repeated on replay. */
  checkpoint(label?: string): Promise<void>;
  /** Adds a comment to the run (or to a step), once — not again on replay. */
  comment(text: string, stepId?: string): Promise<void>;
  /** Runs a shell command as a step (`$exec-<n>`); rejects when it exits non-zero. Journaled like a step. */
  exec(command: string, cwd?: string): Promise<ExecResult>;
  /** A recorded step's result, if it has one. */
  getStepResult<T = Json>(stepId: string): StepResult<T> | undefined;
  /** A durable timer: survives restarts; a replay after it ended does not wait again. */
  sleep(duration: Duration, id?: string): Promise<void>;
  /** Parks the run as `waiting` until a person approves (resolves) or rejects (rejects with StepFailedError). */
  waitForApproval(opts?: WaitForApprovalOptions): Promise<ApprovalResult>;
  /** The time, recorded on first execution and replayed after. */
  now(): number;
  /** A random number in [0, 1), recorded on first execution and replayed after. */
  random(): number;
}

export interface TsWorkflowDefinition<A = JsonObject, P extends string = string> {
  readonly [TS_WORKFLOW]: true;
  name: string;
  description?: string;
  version?: string;
  author?: string;
  tags?: string[];
  category?: string;
  phases?: string[];
  /** A zod schema (args are inferred from it) or a JSON Schema. */
  argsSchema?: unknown;
  execute(ctx: WorkflowContext<A, P>): unknown;
}

/** `T` when given explicitly (`ctx.step<T>(…)`), else the inferred `D`. */
type Given<T, D> = [T] extends [never] ? D : T;

/** What `argsSchema` may be: a zod object schema, or a JSON Schema object. */
export type ArgsSchema = ZodLike<Record<string, unknown>> | { readonly [key: string]: unknown };

/** The args `execute` sees: the zod schema's output type, else a JSON object. */
export type ArgsOf<S> = S extends ZodLike<infer T> ? T : JsonObject;

/** What `defineWorkflow` takes. */
export interface TsWorkflowInput<S, P extends string> {
  /** Non-empty; shown in lists and the UI. */
  name: string;
  description?: string;
  version?: string;
  author?: string;
  tags?: string[];
  category?: string;
  /** The kanban columns; every step's `phase` must be one of them. */
  phases?: readonly P[];
  argsSchema?: S;
  /** Runs again from the top on every replay: keep it deterministic (see the module comment). */
  execute(ctx: WorkflowContext<ArgsOf<S>, P>): unknown;
}

export function defineWorkflow<S extends ArgsSchema | undefined = undefined, const P extends string = string>(
  def: TsWorkflowInput<S, P>,
): TsWorkflowDefinition<ArgsOf<S>, P> {
  if (typeof def !== "object" || def === null) throw new TypeError("defineWorkflow: expected an object");
  if (typeof def.name !== "string" || def.name.trim() === "")
    throw new TypeError("defineWorkflow: `name` must be a non-empty string");
  if (typeof def.execute !== "function") throw new TypeError("defineWorkflow: `execute` must be a function");
  return { ...def, [TS_WORKFLOW]: true } as TsWorkflowDefinition<ArgsOf<S>, P>;
}

export function isTsWorkflow(x: unknown): x is TsWorkflowDefinition {
  return typeof x === "object" && x !== null && (x as Record<symbol, unknown>)[TS_WORKFLOW] === true;
}

/** `ctx.step` rejects with this when the step failed (after its retries). */
export class StepFailedError extends Error {
  constructor(
    readonly stepId: string,
    readonly error: ErrorInfo,
  ) {
    super(`step \`${stepId}\` failed: ${error.message}`);
    this.name = "StepFailedError";
  }
}
