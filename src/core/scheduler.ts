/**
 * The scheduler: a pure function of a workflow and its step states that decides what happens next. No I/O,
 * no clock (the time is an input), no randomness — every rule is tested table-driven in test/core/scheduler.
 *
 * Rules
 * - A step starts as soon as its own dependencies are satisfied (no level barrier), while the run is
 *   `running` or `waiting`, within `capacity` (per-run parallelism and the engine's global cap).
 * - Edge `on: success` is satisfied when the source completed, or failed but is optional; a skipped,
 *   cancelled or (non-optional) failed source skips the dependent. `on: failure` is satisfied when the source
 *   failed and skips the dependent otherwise. `on: always` is satisfied once the source has ended.
 * - `if` false → skipped; an `if` that cannot be evaluated fails the step (terminal).
 * - `foreach` expands into one step run per item (`id[i]`), which start independently and join: the parent
 *   completes with the list of item outputs, or fails with the first failed item's error.
 * - A retried step (attempt ≥ 1, pending) and a sleeping step wait for `notBefore`.
 * - A failure that is neither optional nor handled by an `on: failure` dependent is fatal: nothing new
 *   starts; once nothing runs, the run fails and the remaining steps are skipped.
 * - Among startable steps: higher `priority` first, then file order, then item order.
 */
import type { ErrorInfo } from "./errors.js";
import type { Json } from "./json.js";
import type { RunStatus, StepRunRecord, Workflow, WorkflowStep } from "./model.js";
import { attemptBase, stepRunKey, TERMINAL_STEP_STATUSES } from "./model.js";

export type Evaluation = { ok: true; value: Json } | { ok: false; error: ErrorInfo };

export interface SchedulerInput {
  workflow: Workflow;
  /** Step runs by key: one per top-level step (the parent of a foreach), plus foreach items `id[i]`. */
  steps: ReadonlyMap<string, StepRunRecord>;
  runStatus: RunStatus;
  now: number;
  /** How many more steps may start now (per-run parallelism and the global cap, already net of running ones). */
  capacity: number;
  /** Evaluates a step's `if` (as a condition) or `foreach` (a list) against the run's current data. */
  evaluate: (step: WorkflowStep, what: "if" | "foreach") => Evaluation;
}

export type Decision =
  | { kind: "start"; key: string; stepId: string; iteration: number | null }
  | { kind: "skip"; key: string; stepId: string; reason: string }
  | { kind: "fail"; key: string; stepId: string; error: ErrorInfo }
  | { kind: "expand"; stepId: string; items: Json[] }
  | { kind: "join"; stepId: string; status: "completed"; output: Json }
  | { kind: "join"; stepId: string; status: "failed"; error: ErrorInfo }
  /** A sleep is due: the step completes. */
  | { kind: "wake"; key: string; stepId: string }
  /** An approval's deadline passed: apply its `onTimeout`. */
  | { kind: "approval-timeout"; key: string; stepId: string }
  | { kind: "complete-run"; output: Json }
  | { kind: "fail-run"; error: ErrorInfo; skip: string[] };

export interface SchedulerOutput {
  decisions: Decision[];
  /** The earliest future time at which something becomes due (a backoff or a timer), if any. */
  wakeAt: number | null;
  /** More steps could start than `capacity` allowed. */
  starved: boolean;
}

type EdgeState = "wait" | "ok" | { skip: string };

function edgeState(
  on: "success" | "failure" | "always",
  source: WorkflowStep,
  rec: StepRunRecord | undefined,
): EdgeState {
  if (!rec || !TERMINAL_STEP_STATUSES.has(rec.status)) return "wait";
  if (on === "always") return "ok";
  if (on === "failure") return rec.status === "failed" ? "ok" : { skip: `runs only when \`${source.id}\` fails` };
  if (rec.status === "completed") return "ok";
  if (rec.status === "failed" && source.optional) return "ok";
  return { skip: `\`${source.id}\` ${rec.status === "failed" ? "failed" : `was ${rec.status}`}` };
}

/** Steps whose failure is handled by an `on: failure` dependent. */
function handledSteps(workflow: Workflow): Set<string> {
  const handled = new Set<string>();
  for (const s of workflow.steps) for (const d of s.needs) if (d.on !== "success") handled.add(d.step);
  return handled;
}

const handledCache = new WeakMap<
  Workflow,
  { handled: Set<string>; byId: Map<string, WorkflowStep>; order: Map<string, number> }
>();
function index(workflow: Workflow) {
  let idx = handledCache.get(workflow);
  if (!idx) {
    const byId = new Map(workflow.steps.map((s) => [s.id, s]));
    const order = new Map(workflow.steps.map((s, i) => [s.id, i]));
    idx = { handled: handledSteps(workflow), byId, order };
    handledCache.set(workflow, idx);
  }
  return idx;
}

export function isFatalFailure(workflow: Workflow, step: WorkflowStep, rec: StepRunRecord): boolean {
  return rec.status === "failed" && !step.optional && !index(workflow).handled.has(step.id);
}

export function schedule(input: SchedulerInput): SchedulerOutput {
  const { workflow, steps, now } = input;
  const { byId, order } = index(workflow);
  const decisions: Decision[] = [];
  let wakeAt: number | null = null;
  const due = (t: number | null): boolean => {
    if (t === null || t <= now) return true;
    wakeAt = wakeAt === null ? t : Math.min(wakeAt, t);
    return false;
  };
  const active = input.runStatus === "running" || input.runStatus === "waiting";
  if (!active) return { decisions, wakeAt, starved: false };

  let running = 0;
  let fatal: ErrorInfo | null = null;
  const startable: Array<{ step: WorkflowStep; key: string; iteration: number | null }> = [];
  let starved = false;
  const ended = new Set<string>(); // decided to end in this pass (skip/fail/join)

  for (const step of workflow.steps) {
    const rec = steps.get(step.id);
    if (!rec) continue;
    if (rec.status === "running" && rec.items === null) running++;
    if (isFatalFailure(workflow, step, rec) && !fatal)
      fatal = rec.error ?? { code: "WEFT_STEP_FAILED", message: `step \`${step.id}\` failed`, retryable: false };
  }
  for (const rec of steps.values()) if (rec.iteration !== null && rec.status === "running") running++;

  for (const step of workflow.steps) {
    const rec = steps.get(step.id);
    if (!rec) continue;

    if (rec.status === "waiting") {
      if (rec.notBefore !== null && due(rec.notBefore)) {
        decisions.push({
          kind: rec.waitingFor === "approval" ? "approval-timeout" : "wake",
          key: rec.key,
          stepId: step.id,
        });
      }
      continue;
    }

    // A foreach parent that has expanded: its items run; join once all have ended.
    if (step.foreach !== undefined && rec.status === "running" && rec.items !== null) {
      const outputs: Json[] = [];
      let allEnded = true;
      let firstError: ErrorInfo | null = null;
      for (let i = 0; i < rec.items; i++) {
        const item = steps.get(stepRunKey(step.id, i));
        if (!item) continue;
        if (item.status === "waiting" && item.notBefore !== null && due(item.notBefore)) {
          decisions.push({
            kind: item.waitingFor === "approval" ? "approval-timeout" : "wake",
            key: item.key,
            stepId: step.id,
          });
        }
        if (!TERMINAL_STEP_STATUSES.has(item.status)) {
          allEnded = false;
          if (item.status === "pending" && !fatal && (item.attempt === attemptBase(item) || due(item.notBefore))) {
            startable.push({ step, key: item.key, iteration: i });
          }
          continue;
        }
        if (item.status === "failed" && !firstError)
          firstError = item.error ?? {
            code: "WEFT_STEP_FAILED",
            message: `item ${i} of \`${step.id}\` failed`,
            retryable: false,
          };
        outputs.push(item.status === "completed" ? item.output : null);
      }
      if (allEnded) {
        ended.add(step.id);
        decisions.push(
          firstError
            ? { kind: "join", stepId: step.id, status: "failed", error: firstError }
            : { kind: "join", stepId: step.id, status: "completed", output: outputs },
        );
      }
      continue;
    }

    if (rec.status !== "pending") continue;
    if (fatal) continue;

    // A retry waits for its backoff; its dependencies and condition were settled before the first attempt.
    if (rec.attempt > attemptBase(rec)) {
      if (due(rec.notBefore)) startable.push({ step, key: rec.key, iteration: null });
      continue;
    }

    let blocked = false;
    let skipReason: string | null = null;
    for (const need of step.needs) {
      const source = byId.get(need.step);
      if (!source) continue; // validation rejects unknown references
      const state = ended.has(need.step) ? "wait" : edgeState(need.on, source, steps.get(need.step));
      if (state === "wait") blocked = true;
      else if (state !== "ok" && skipReason === null) skipReason = state.skip;
    }
    if (skipReason !== null && !blocked) {
      ended.add(step.id);
      decisions.push({ kind: "skip", key: rec.key, stepId: step.id, reason: skipReason });
      continue;
    }
    if (blocked) continue;

    if (step.if !== undefined) {
      const cond = input.evaluate(step, "if");
      if (!cond.ok) {
        ended.add(step.id);
        decisions.push({ kind: "fail", key: rec.key, stepId: step.id, error: cond.error });
        continue;
      }
      if (!truthy(cond.value)) {
        ended.add(step.id);
        decisions.push({ kind: "skip", key: rec.key, stepId: step.id, reason: "condition is false" });
        continue;
      }
    }

    if (step.foreach !== undefined) {
      const list = input.evaluate(step, "foreach");
      if (!list.ok || !Array.isArray(list.value)) {
        ended.add(step.id);
        const error: ErrorInfo = list.ok
          ? {
              code: "WEFT_EXPRESSION",
              message: `foreach of \`${step.id}\` must give a list, got ${describe(list.value)}`,
              retryable: false,
            }
          : list.error;
        decisions.push({ kind: "fail", key: rec.key, stepId: step.id, error });
        continue;
      }
      decisions.push({ kind: "expand", stepId: step.id, items: list.value });
      if (list.value.length === 0) {
        ended.add(step.id);
        decisions.push({ kind: "join", stepId: step.id, status: "completed", output: [] });
      } else {
        for (let i = 0; i < list.value.length; i++) startable.push({ step, key: stepRunKey(step.id, i), iteration: i });
      }
      continue;
    }

    startable.push({ step, key: rec.key, iteration: null });
  }

  // Failures decided in this pass can be fatal too.
  for (const d of decisions) {
    if (fatal) break;
    if ((d.kind === "fail" || (d.kind === "join" && d.status === "failed")) && isFatalById(workflow, d.stepId))
      fatal = d.error;
  }

  if (!fatal) {
    startable.sort(
      (a, b) =>
        b.step.priority - a.step.priority ||
        (order.get(a.step.id) ?? 0) - (order.get(b.step.id) ?? 0) ||
        (a.iteration ?? 0) - (b.iteration ?? 0),
    );
    const n = Math.max(0, Math.min(input.capacity, startable.length));
    starved = n < startable.length;
    for (let i = 0; i < n; i++) {
      const s = startable[i]!;
      decisions.push({ kind: "start", key: s.key, stepId: s.step.id, iteration: s.iteration });
    }
  }

  const startedNow = decisions.some((d) => d.kind === "start");
  if (fatal) {
    if (running === 0) {
      const decided = new Set(decisions.map((d) => ("key" in d ? d.key : "stepId" in d ? d.stepId : "")));
      const skip: string[] = [];
      for (const rec of steps.values()) {
        if (
          !TERMINAL_STEP_STATUSES.has(rec.status) &&
          (rec.status !== "running" || rec.items !== null) &&
          !decided.has(rec.key)
        )
          skip.push(rec.key);
      }
      decisions.push({ kind: "fail-run", error: fatal, skip });
    }
    return { decisions, wakeAt, starved };
  }

  if (!startedNow && running === 0 && allEnded(workflow, steps, ended)) {
    decisions.push({ kind: "complete-run", output: runOutput(workflow, steps, decisions) });
  }
  return { decisions, wakeAt, starved };
}

function isFatalById(workflow: Workflow, stepId: string): boolean {
  const { byId, handled } = index(workflow);
  const step = byId.get(stepId);
  return step !== undefined && !step.optional && !handled.has(stepId);
}

function allEnded(workflow: Workflow, steps: ReadonlyMap<string, StepRunRecord>, ended: Set<string>): boolean {
  for (const step of workflow.steps) {
    const rec = steps.get(step.id);
    if (rec && !TERMINAL_STEP_STATUSES.has(rec.status) && !ended.has(step.id)) return false;
  }
  return true;
}

/** The run's output: the outputs of its sink steps (those no other step depends on), by step id. */
function runOutput(workflow: Workflow, steps: ReadonlyMap<string, StepRunRecord>, decisions: Decision[]): Json {
  const depended = new Set<string>();
  for (const s of workflow.steps) for (const d of s.needs) depended.add(d.step);
  const out: Record<string, Json> = {};
  for (const s of workflow.steps) {
    if (depended.has(s.id)) continue;
    const join = decisions.find((d) => d.kind === "join" && d.stepId === s.id);
    if (join && join.kind === "join" && join.status === "completed") out[s.id] = join.output;
    else {
      const rec = steps.get(s.id);
      if (rec?.status === "completed") out[s.id] = rec.output;
    }
  }
  return out;
}

export function truthy(v: Json): boolean {
  return !(v === null || v === false || v === 0 || v === "" || (typeof v === "number" && Number.isNaN(v)));
}

function describe(v: Json): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  return typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}
