/**
 * Commands that change a run from outside its driver (CLI in another terminal, API): each mutates a freshly
 * loaded RunState and is committed with the version it read, so it never overwrites the owner's newer work.
 * The owner notices the new version, reloads, and acts (aborts cancelled handlers, starts approved work).
 */
import { WeftError } from "../core/errors.js";
import { isJsonObject } from "../core/json.js";
import type { StepRunRecord } from "../core/model.js";
import { TERMINAL_RUN_STATUSES, TERMINAL_STEP_STATUSES } from "../core/model.js";
import type { RunState } from "./state.js";

function conflict(message: string): WeftError {
  return new WeftError("WEFT_CONFLICT", message);
}

export function pause(st: RunState, now: number): void {
  const s = st.run.status;
  if (s === "paused") return;
  if (TERMINAL_RUN_STATUSES.has(s))
    throw conflict(`run ${st.run.id} is ${s}; only a pending, running or waiting run can be paused`);
  st.setStatus("paused", now);
}

export function resume(st: RunState, now: number): void {
  const s = st.run.status;
  if (s === "paused") st.setStatus("running", now);
  else if (TERMINAL_RUN_STATUSES.has(s))
    throw conflict(`run ${st.run.id} is ${s}; to run it again use \`weft retry ${st.run.id} <step>\` or rewind it`);
}

export function setBudget(
  st: RunState,
  budget: { tokens: number | null; costUsd: number | null; step?: string | undefined },
  by: string,
): void {
  if (TERMINAL_RUN_STATUSES.has(st.run.status)) throw conflict(`run ${st.run.id} is ${st.run.status}`);
  if (budget.step !== undefined && !st.step(budget.step)) {
    throw new WeftError("WEFT_NOT_FOUND", `run ${st.run.id} has no step \`${budget.step}\``);
  }
  st.emit("workflow.execution.budget_changed", {
    key: budget.step ?? null,
    tokens: budget.tokens,
    cost_usd: budget.costUsd,
    by,
  });
}

export function cancel(st: RunState, now: number, by: string): void {
  const s = st.run.status;
  if (TERMINAL_RUN_STATUSES.has(s)) throw conflict(`run ${st.run.id} is already ${s}`);
  for (const rec of [...st.steps.values()]) {
    if (!TERMINAL_STEP_STATUSES.has(rec.status))
      st.endStep(rec.key, "cancelled", now, { reason: `cancelled by ${by}` });
  }
  st.setStatus("cancelled", now, { code: "WEFT_CANCELLED", message: `cancelled by ${by}`, retryable: false });
}

function findWaitingApproval(st: RunState, step: string): StepRunRecord {
  const rec = st.step(step);
  if (!rec) throw new WeftError("WEFT_NOT_FOUND", `run ${st.run.id} has no step \`${step}\``);
  if (rec.status !== "waiting" || rec.waitingFor !== "approval") {
    throw conflict(`step \`${step}\` of run ${st.run.id} is ${rec.status}, not waiting for approval`);
  }
  return rec;
}

export function decide(
  st: RunState,
  now: number,
  step: string,
  approved: boolean,
  by: string,
  comment: string | undefined,
  claimedBy?: string,
): void {
  if (TERMINAL_RUN_STATUSES.has(st.run.status)) throw conflict(`run ${st.run.id} is ${st.run.status}`);
  const rec = findWaitingApproval(st, step);
  const claim: { claimed_by?: string } = claimedBy === undefined ? {} : { claimed_by: claimedBy };
  st.emit("workflow.approval.decided", { step_id: rec.stepId, key: rec.key, approved, by, comment, ...claim });
  if (approved) {
    st.endStep(rec.key, "completed", now, { output: { approved: true, by, comment: comment ?? null, ...claim } });
  } else {
    st.endStep(rec.key, "failed", now, {
      error: { code: "WEFT_REJECTED", message: `rejected by ${by}${comment ? `: ${comment}` : ""}`, retryable: false },
    });
  }
  if (st.run.status === "waiting") st.setStatus("running", now);
}

/**
 * Resets a failed (or cancelled) step and every step downstream of it that did not complete, so the run
 * goes on from there. A finished run becomes running again.
 */
export function retryStep(st: RunState, now: number, step: string, by: string): string[] {
  const ts = st.workflow.source?.format === "ts";
  if (!(ts ? st.step(step) : st.byId.get(step))) {
    throw new WeftError("WEFT_NOT_FOUND", `run ${st.run.id} has no step \`${step}\``);
  }
  const rec = st.step(step);
  if (!rec || (rec.status !== "failed" && rec.status !== "cancelled")) {
    throw conflict(`step \`${step}\` is ${rec?.status ?? "missing"}; only a failed or cancelled step can be retried`);
  }
  const reset = new Set<string>([step]);
  // TypeScript workflows have no static graph: the replay re-creates whatever follows the step.
  let grew = !ts;
  while (grew) {
    grew = false;
    for (const s of st.workflow.steps) {
      if (reset.has(s.id)) continue;
      if (s.needs.some((n) => reset.has(n.step)) && st.step(s.id)?.status !== "completed") {
        reset.add(s.id);
        grew = true;
      }
    }
  }
  for (const id of reset) {
    for (const r of [...st.steps.values()]) {
      if (r.stepId !== id) continue;
      const input = isJsonObject(r.input) ? r.input : {};
      st.updateStep(
        r.key,
        {
          status: "pending",
          input: { ...input, base: r.attempt },
          error: null,
          output: null,
          notBefore: null,
          waitingFor: null,
          items: null,
          startedAt: null,
          endedAt: null,
        },
        now,
      );
      st.emit("workflow.step.reset", { step_id: id, key: r.key, by });
    }
  }
  if (TERMINAL_RUN_STATUSES.has(st.run.status) || st.run.status === "waiting") st.setStatus("running", now);
  return [...reset];
}
