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
export interface TsStepCommon {
  /** The step type: agent, script, approval, sleep, noop, function, or a plugin's type. Inferred when absent. */
  type?: string;
  name?: string;
  phase?: string;
  /** Number of attempts, or a retry policy (as in YAML). */
  retry?: number | JsonObject;
  /** ms or a duration string ("30s"). */
  timeout?: number | string;
  /** A failure resolves `ctx.step` with `status: "failed"` instead of rejecting. */
  optional?: boolean;
}

/** A step config: the common keys plus the type's settings; `fn` runs inline for `type: "function"`. */
export type TsStepConfig = TsStepCommon & {
  fn?: (ctx: StepFunctionContext) => unknown;
  [key: string]: unknown;
};

/** What an inline function step's `fn` receives. */
export interface StepFunctionContext {
  runId: string;
  stepId: string;
  attempt: number;
  idempotencyKey: string;
  signal: AbortSignal;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface ApprovalResult {
  approved: boolean;
  by: string;
  comment: string | null;
}

export interface WorkflowContext<A = JsonObject> {
  readonly runId: string;
  /** The project directory (default working directory of scripts). */
  readonly projectPath: string;
  readonly args: A;
  /**
   * Runs a step once: recorded results are returned on replay without running it again. Rejects with
   * `StepFailedError` when the step fails (after its retries), unless it is `optional`.
   */
  step<T = Json>(id: string, config: TsStepConfig): Promise<StepResult<T>>;
  /** Records a checkpoint (one is also taken after every step). */
  checkpoint(label?: string): Promise<void>;
  /** Adds a comment to the run (or to a step), once — not again on replay. */
  comment(text: string, stepId?: string): Promise<void>;
  /** Runs a shell command as a step (`exec-<n>`); rejects when it exits non-zero. */
  exec(command: string, cwd?: string): Promise<ExecResult>;
  /** A recorded step's result, if it has one. */
  getStepResult<T = Json>(stepId: string): StepResult<T> | undefined;
  /** A durable timer: survives restarts. `duration` in ms or as "30s", "5m"… */
  sleep(duration: number | string, id?: string): Promise<void>;
  /** Parks the run as `waiting` until a person approves (resolves) or rejects (rejects with StepFailedError). */
  waitForApproval(opts?: {
    id?: string;
    message?: string;
    timeout?: number | string;
    onTimeout?: "approve" | "reject";
  }): Promise<ApprovalResult>;
  /** The time, recorded on first execution and replayed after. */
  now(): number;
  /** A random number in [0, 1), recorded on first execution and replayed after. */
  random(): number;
}

export interface TsWorkflowDefinition<A = JsonObject> {
  readonly [TS_WORKFLOW]: true;
  name: string;
  description?: string;
  phases?: string[];
  /** A zod schema (args are inferred from it) or a JSON Schema. */
  argsSchema?: unknown;
  execute(ctx: WorkflowContext<A>): unknown;
}

/** A zod-like schema: anything with a `parse` and an inferred output type. */
interface ZodLike<T> {
  parse(value: unknown): T;
  _output: T;
}

type ArgsOf<S> = S extends ZodLike<infer T> ? T : JsonObject;

export function defineWorkflow<S = undefined>(def: {
  name: string;
  description?: string;
  phases?: string[];
  argsSchema?: S;
  execute(ctx: WorkflowContext<ArgsOf<S>>): unknown;
}): TsWorkflowDefinition<ArgsOf<S>> {
  if (typeof def !== "object" || def === null) throw new TypeError("defineWorkflow: expected an object");
  if (typeof def.name !== "string" || def.name.trim() === "")
    throw new TypeError("defineWorkflow: `name` must be a non-empty string");
  if (typeof def.execute !== "function") throw new TypeError("defineWorkflow: `execute` must be a function");
  return { ...def, [TS_WORKFLOW]: true } as TsWorkflowDefinition<ArgsOf<S>>;
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
