/**
 * The transitions: pure rules that apply the scheduler's decisions and the handlers' results to a run's
 * in-memory state (`RunState`, which records every change for the next commit). No I/O, no timers, no store:
 * the time, the step definitions and the random source are inputs; what the driver must do besides changing
 * the state comes back as commands. Every rule is tested table-driven in test/engine/transitions.
 *
 * Rules
 * - start: the step run becomes `running` with the next attempt (its wait and end cleared), the run's phase
 *   follows the step's, `workflow.step.started` is emitted; commands: `acquire-slot` now, `launch` once the
 *   pass is committed.
 * - skip / fail / wake: the step run ends `skipped` (with the reason) / `failed` (with the error) /
 *   `completed` (keeping its output).
 * - expand: the foreach parent becomes `running` with its item count; each item is a new pending step run
 *   whose attempt count continues from the item run it replaces (a re-expansion after retry-step never reuses
 *   an attempt number).
 * - join: the foreach parent ends `completed` with the items' outputs or `failed` with the first item's
 *   error, without an attempt record of its own.
 * - approval-timeout: `workflow.approval.decided` by `timeout`; the step completes approved when its request
 *   said `onTimeout: approve`, else fails `WEFT_REJECTED`.
 * - complete-run: the run takes the output and becomes `completed`. fail-run: the listed steps are skipped,
 *   the run becomes `failed` with the error.
 * - A result whose step run is no longer `running` with the result's attempt is stale (cancelled or reset
 *   meanwhile) and dropped.
 * - Result over budget with policy `pause`: the step goes back to `pending` with its attempt unspent,
 *   `budget_exceeded` and a progress notice are emitted, the run is `paused` (once).
 * - Result completed → the step completes with its output. Approval → `waiting` for approval, with a deadline
 *   when it has a timeout. Sleep → `waiting` for the timer until its time.
 * - Result failed: retried while the policy allows (retryable, `retryOn`, attempts left counted from the
 *   step's attempt base) — an attempt record, `pending` with `notBefore` = now + max(backoff, retryAfterMs),
 *   `workflow.step.retrying`; otherwise the step fails. A result without outcome or error fails as internal.
 * - Run status: a `running`/`waiting` run is `waiting` when nothing runs, something waits and no retry is in
 *   backoff; a `waiting` run becomes `running` again when something runs, a retry is in backoff or nothing
 *   waits. Other statuses are left alone.
 * - Take-over: `lease_acquired` is emitted; each step run left `running` (not a foreach parent) without a
 *   live handler here goes back to `pending` to run the same attempt again, with a progress notice; a
 *   `pending` run becomes `running`.
 * - Run timeout: unless the run has ended, every `running`, `waiting` or `pending` step run is cancelled
 *   with `WEFT_TIMEOUT` and the run fails; command: `abort-handlers`.
 */
import type { BudgetExceededError, ErrorInfo } from "../core/errors.js";
import { isJsonObject } from "../core/json.js";
import type { Owner, WorkflowStep } from "../core/model.js";
import { attemptBase, newStepRecord, stepRunKey, TERMINAL_RUN_STATUSES } from "../core/model.js";
import { backoffDelay, shouldRetry } from "../core/retry.js";
import type { Decision } from "../core/scheduler.js";
import type { StepOutcome } from "../steps/step-type.js";
import type { RunState } from "./state.js";

export type StartDecision = Extract<Decision, { kind: "start" }>;

/** What a handler ended with, for one attempt of one step run. */
export interface StepResult {
  key: string;
  attempt: number;
  outcome?: StepOutcome;
  error?: ErrorInfo;
  retryAfterMs?: number | undefined;
  /** Over budget with the policy `pause`: the run pauses and the step waits, its attempt unspent. */
  budgetPause?: BudgetExceededError | undefined;
}

/** What the driver carries out besides the state change, in order. */
export type Command =
  /** Take one of the engine's handler slots now (given back if the commit fails or when the handler ends). */
  | { kind: "acquire-slot" }
  /** Start the step's handler once the pass is committed. */
  | { kind: "launch"; start: StartDecision }
  /** Abort every running handler of the run with this error. */
  | { kind: "abort-handlers"; error: ErrorInfo };

/** What the rules read besides the state. */
export interface Rules {
  /** A step's definition: name, phase, retry policy. */
  step(stepId: string): WorkflowStep | undefined;
  /** In [0, 1): the backoff's jitter. */
  random: () => number;
}

const NO_COMMANDS: Command[] = [];

/** Applies one scheduler decision. */
export function apply(st: RunState, d: Decision, now: number, rules: Rules): Command[] {
  switch (d.kind) {
    case "start": {
      const rec = st.step(d.key);
      if (!rec) return NO_COMMANDS;
      const next = st.updateStep(
        d.key,
        { status: "running", attempt: rec.attempt + 1, startedAt: now, notBefore: null, endedAt: null },
        now,
      );
      const step = rules.step(d.stepId);
      st.setPhase(step?.phase);
      st.emit("workflow.step.started", {
        step_id: d.stepId,
        key: d.key,
        iteration: d.iteration,
        attempt: next.attempt,
        step_name: step?.name ?? d.stepId,
        phase: step?.phase ?? null,
      });
      return [{ kind: "acquire-slot" }, { kind: "launch", start: d }];
    }
    case "skip":
      st.endStep(d.key, "skipped", now, { reason: d.reason });
      return NO_COMMANDS;
    case "fail":
      st.endStep(d.key, "failed", now, { error: d.error });
      return NO_COMMANDS;
    case "expand": {
      st.updateStep(d.stepId, { status: "running", items: d.items.length, startedAt: now }, now);
      d.items.forEach((item, i) => {
        // A re-expansion after retry-step keeps counting attempts (attempt records are never overwritten).
        const prev = st.step(stepRunKey(d.stepId, i))?.attempt ?? 0;
        st.setStep({ ...newStepRecord(st.run.id, d.stepId, i, now, { item, base: prev }), attempt: prev });
      });
      return NO_COMMANDS;
    }
    case "join":
      if (d.status === "completed") st.endStep(d.stepId, "completed", now, { output: d.output, attemptRecord: false });
      else st.endStep(d.stepId, "failed", now, { error: d.error, attemptRecord: false });
      return NO_COMMANDS;
    case "wake":
      st.endStep(d.key, "completed", now);
      return NO_COMMANDS;
    case "approval-timeout": {
      const rec = st.step(d.key);
      const req = rec && isJsonObject(rec.output) ? rec.output : {};
      const approve = req.onTimeout === "approve";
      st.emit("workflow.approval.decided", { step_id: d.stepId, key: d.key, approved: approve, by: "timeout" });
      if (approve) st.endStep(d.key, "completed", now, { output: { approved: true, by: "timeout", comment: null } });
      else
        st.endStep(d.key, "failed", now, {
          error: {
            code: "WEFT_REJECTED",
            message: `approval \`${d.key}\` timed out and was rejected`,
            retryable: false,
          },
        });
      return NO_COMMANDS;
    }
    case "complete-run":
      st.patchRun({ output: d.output });
      st.setStatus("completed", now);
      return NO_COMMANDS;
    case "fail-run":
      for (const key of d.skip) st.endStep(key, "skipped", now, { reason: "the run failed" });
      st.setStatus("failed", now, d.error);
      return NO_COMMANDS;
  }
}

/** Applies a handler's result; a stale one (its step run cancelled or reset meanwhile) changes nothing. */
export function applyResult(st: RunState, r: StepResult, now: number, rules: Rules): void {
  const rec = st.step(r.key);
  if (rec?.status !== "running" || rec.attempt !== r.attempt) return;
  const o = r.outcome;
  if (r.budgetPause) {
    const b = r.budgetPause;
    st.updateStep(r.key, { status: "pending", attempt: rec.attempt - 1, notBefore: null }, now);
    st.emit("workflow.execution.budget_exceeded", {
      step_id: rec.stepId,
      key: r.key,
      scope: b.scope,
      policy: "pause",
      limit: { tokens: b.limit.tokens, cost_usd: b.limit.costUsd },
      spent: { tokens: b.spent.tokens, cost_usd: b.spent.costUsd },
    });
    st.emit("workflow.step.progress", { step_id: rec.stepId, key: r.key, output: b.message, stream: "info" });
    if (st.run.status !== "paused") st.setStatus("paused", now);
    return;
  }
  if (o?.kind === "completed") {
    st.endStep(r.key, "completed", now, { output: o.output });
  } else if (o?.kind === "approval") {
    st.updateStep(
      r.key,
      {
        status: "waiting",
        waitingFor: "approval",
        notBefore: o.timeoutMs === undefined ? null : now + o.timeoutMs,
        output: { message: o.message ?? null, onTimeout: o.onTimeout ?? null },
      },
      now,
    );
    st.emit("workflow.step.waiting", {
      step_id: rec.stepId,
      key: r.key,
      reason: "approval",
      message: o.message,
      until: o.timeoutMs === undefined ? undefined : now + o.timeoutMs,
    });
  } else if (o?.kind === "sleep") {
    st.updateStep(r.key, { status: "waiting", waitingFor: "timer", notBefore: o.until, output: o.output ?? null }, now);
    st.emit("workflow.step.waiting", { step_id: rec.stepId, key: r.key, reason: "timer", until: o.until });
  } else {
    const error = r.error ?? { code: "WEFT_INTERNAL", message: "step ended without a result", retryable: false };
    const step = rules.step(rec.stepId);
    const tries = rec.attempt - attemptBase(rec);
    if (step && shouldRetry(step.retry, tries, error)) {
      const delay = Math.max(backoffDelay(step.retry, tries + 1, rules.random), r.retryAfterMs ?? 0);
      st.addAttempt({
        runId: st.run.id,
        key: r.key,
        attempt: rec.attempt,
        status: "failed",
        output: null,
        error,
        startedAt: rec.startedAt ?? now,
        endedAt: now,
      });
      st.updateStep(r.key, { status: "pending", notBefore: now + delay, error }, now);
      st.emit("workflow.step.retrying", {
        step_id: rec.stepId,
        key: r.key,
        attempt: rec.attempt,
        delay_ms: delay,
        error,
      });
    } else {
      st.endStep(r.key, "failed", now, { error });
    }
  }
}

/** Derives `running` ↔ `waiting` from the step runs. */
export function updateRunStatus(st: RunState, now: number): void {
  const s = st.run.status;
  if (s !== "running" && s !== "waiting") return;
  let running = false;
  let waiting = false;
  let backoff = false;
  for (const rec of st.steps.values()) {
    if (rec.status === "running" && rec.items === null) running = true;
    else if (rec.status === "waiting") waiting = true;
    else if (rec.status === "pending" && rec.attempt > 0) backoff = true;
  }
  if (!running && waiting && !backoff) st.setStatus("waiting", now);
  else if (s === "waiting" && (running || backoff || !waiting)) st.setStatus("running", now);
}

export interface TakeOver {
  owner: Owner;
  epoch: number;
  /** Whether the lease was taken from another (dead or expired) owner. */
  takeover: boolean;
  /** Whether a handler of this process still runs the step run: it is not interrupted. */
  live(key: string): boolean;
}

/** The changes that open an owner's tenure: the lease event, interrupted step runs reset, the run running. */
export function takeOver(st: RunState, t: TakeOver, now: number): void {
  st.emit("workflow.execution.lease_acquired", {
    owner_id: t.owner.id,
    host: t.owner.host,
    pid: t.owner.pid,
    epoch: t.epoch,
    takeover: t.takeover,
  });
  for (const rec of [...st.steps.values()]) {
    if (rec.status === "running" && rec.items === null && !t.live(rec.key)) {
      st.updateStep(rec.key, { status: "pending", attempt: rec.attempt - 1, notBefore: null }, now);
      st.emit("workflow.step.progress", {
        step_id: rec.stepId,
        key: rec.key,
        output: `attempt ${rec.attempt} was interrupted (its process stopped); running it again`,
        stream: "info",
      });
    }
  }
  if (st.run.status === "pending") st.setStatus("running", now);
}

/** The run's `timeoutMs` passed: cancel what has not ended and fail the run. Nothing when it has ended. */
export function runTimeout(st: RunState, timeoutMs: number, now: number): Command[] {
  if (TERMINAL_RUN_STATUSES.has(st.run.status)) return NO_COMMANDS;
  const error: ErrorInfo = {
    code: "WEFT_TIMEOUT",
    message: `the run exceeded its timeout of ${timeoutMs} ms`,
    retryable: false,
  };
  for (const rec of [...st.steps.values()]) {
    if (rec.status === "running" || rec.status === "waiting" || rec.status === "pending") {
      st.endStep(rec.key, "cancelled", now, { reason: "the run timed out", error });
    }
  }
  st.setStatus("failed", now, error);
  return [{ kind: "abort-handlers", error }];
}
