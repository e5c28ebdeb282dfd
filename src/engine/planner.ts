/**
 * Where a driver's decisions come from. YAML/JSON workflows: the pure DAG scheduler over the workflow's
 * steps. TypeScript workflows: the replay of `execute(ctx)` (replay.ts), whose `ctx.step` calls become steps.
 */
import { toErrorInfo } from "../core/errors.js";
import { evaluate, evaluateCondition, parseExpression, renderValue } from "../core/expressions/index.js";
import type { Json } from "../core/json.js";
import type { WorkflowStep } from "../core/model.js";
import type { Evaluation, SchedulerOutput } from "../core/scheduler.js";
import { schedule } from "../core/scheduler.js";
import type { StepFunctionContext } from "../definition/typescript/define.js";
import { runScope } from "./scope.js";
import type { RunState } from "./state.js";
import { textAnswerHint } from "./text-answers.js";

export interface PlanInput {
  state: RunState;
  now: number;
  /** How many more steps may start now. */
  capacity: number;
}

export interface Planner {
  /** The driver loaded (or reloaded) the run's state. */
  attach(state: RunState): void;
  /** What to do next. May add journal records to the state (they are committed with the pass). */
  plan(input: PlanInput): SchedulerOutput;
  /** The definition of a step, to start it or to apply its result (retry policy, name, phase). */
  step(stepId: string): WorkflowStep | undefined;
  /**
   * Called by each pass before it plans, once the pass applied the handlers' results (step ends not durable
   * yet). A planner driven by code (the replay) starts that code, or hands it the results that end its calls,
   * so that the code's next calls are decided in this pass and committed with those ends; it returns a promise
   * that settles once the code ran up to them. Undefined: nothing to wait for.
   */
  prepare(state: RunState): Promise<void> | undefined;
  /** The pass's transition is durable: waiters on its results may go on. */
  committed(state: RunState): void;
  /** An inline function that runs a step directly (TypeScript `fn` steps). */
  inline(stepId: string): ((ctx: StepFunctionContext) => unknown) | undefined;
  /** The driver stops (run ended, lease lost, shutdown). */
  detach(): void;
}

/** YAML/JSON workflows: the scheduler decides from the DAG and the step states. */
export class DagPlanner implements Planner {
  private state!: RunState;

  attach(state: RunState): void {
    this.state = state;
  }

  plan({ state, now, capacity }: PlanInput): SchedulerOutput {
    return schedule({
      workflow: state.workflow,
      steps: state.steps,
      runStatus: state.run.status,
      now,
      capacity,
      evaluate: (step, what) => evaluateStep(state, step, what),
    });
  }

  step(stepId: string): WorkflowStep | undefined {
    return this.state.byId.get(stepId);
  }

  prepare(): undefined {
    return undefined;
  }
  committed(): void {}
  inline(): undefined {
    return undefined;
  }
  detach(): void {}
}

/** A step's `if` (a condition) or `foreach` (a list) against the run's current data. */
function evaluateStep(state: RunState, step: WorkflowStep, what: "if" | "foreach"): Evaluation {
  const scope = runScope(state);
  try {
    if (what === "if") return { ok: true, value: evaluateCondition(step.if ?? "true", scope) };
    const src = (step.foreach ?? "[]").trim();
    const value: Json = src.includes("{{") ? renderValue(src, scope) : evaluate(parseExpression(src), scope);
    return { ok: true, value };
  } catch (err) {
    const info = toErrorInfo(err);
    const hint = what === "if" && step.if !== undefined ? textAnswerHint(state, step.if) : undefined;
    return {
      ok: false,
      error: {
        ...info,
        retryable: false,
        message: `${what} of step \`${step.id}\`: ${info.message}${hint ? `. ${hint}` : ""}`,
        location: step.location,
      },
    };
  }
}
