/**
 * The board's model: a run as a card (`BoardRun`), built from the API's run views and kept current by the live
 * events — pure functions, no React, no fetching.
 *
 * Rules:
 * - A card counts the run's visible steps (top-level step runs; not foreach items, not a TypeScript workflow's
 *   journaled values) and the finished ones (completed, failed, skipped, cancelled): "n of m steps".
 * - `workflow.step.completed` of a visible step adds one finished step (once per key); `workflow.step.reset`
 *   (a retry) takes one back. `workflow.step.started` makes it the current step. A step the card did not
 *   know yet (a TypeScript workflow asks for steps as it goes) adds one to the total.
 * - `workflow.step.waiting` with reason `approval` adds a step waiting for a person; `workflow.approval.decided`
 *   or the run's end takes it back.
 * - Replaying an event the view already reflected changes nothing but tokens (ends and approvals are sets of
 *   keys): the page replays the events that came while a view was being fetched.
 * - `workflow.step.usage` adds tokens and cost. Status and phase events set the status and phase.
 * - Events of runs not on the board are ignored here (the page fetches a created run).
 */
import type { paths } from "../../api/client";
import type { LiveEvent } from "../../api/live";

type ListItem =
  paths["/api/workflow-executions"]["get"]["responses"][200]["content"]["application/json"]["data"][number];
type Detail = paths["/api/workflow-executions/{id}"]["get"]["responses"][200]["content"]["application/json"]["data"];
/** A run as the API shows it: a list item (`view=summary`: no steps, no workflow), or a run's detail. */
type RunView = ListItem | Detail;

export type RunStatus = ListItem["status"];

/** What the board knows of a run: one card. Immutable; a change makes a new object (cards re-render by identity). */
export interface BoardRun {
  id: string;
  name: string;
  workflow: string;
  projectId: string;
  status: RunStatus;
  phase: string | null;
  triggeredBy: string | null;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  /** Visible steps, finished ones. */
  total: number;
  done: number;
  current: { key: string; name: string; status: string } | null;
  tokens: number;
  costUsd: number | null;
  /** Keys of the steps waiting for a person's approval ("?" when the view only said that one does). */
  approvals: readonly string[];
  /** Keys of the visible steps counted as finished (an end is counted once, so replaying an event is harmless). */
  ended: readonly string[];
  /** Whether `ended` lists every finished step (the view carried the steps), or only those seen ending live. */
  exact: boolean;
  /** The workflow's phases, when the view carried its definition. */
  phases: readonly string[] | null;
}

const FINISHED = new Set(["completed", "failed", "skipped", "cancelled"]);
const RUN_ENDED = new Set<RunStatus>(["completed", "failed", "cancelled"]);
const JOURNAL = /^\$(now|random|checkpoint|comment)-\d+$/;

const time = (t: string | null | undefined): number | null => (t ? Date.parse(t) : null);

/** A run view → a card. */
export function toBoardRun(item: RunView): BoardRun {
  const steps = "steps" in item ? item.steps : undefined;
  const finished = (steps ?? []).filter((s) => s.iteration === null && !JOURNAL.test(s.key) && FINISHED.has(s.status));
  const done = [...FINISHED].reduce(
    (n, st) => n + (item.steps_by_status[st as keyof typeof item.steps_by_status] ?? 0),
    0,
  );
  return {
    id: item.id,
    name: item.name,
    workflow: item.workflow_name,
    projectId: item.project_id,
    status: item.status,
    phase: item.current_phase,
    triggeredBy: item.triggered_by,
    createdAt: Date.parse(item.created_at),
    startedAt: time(item.started_at),
    completedAt: time(item.completed_at),
    total: item.step_count,
    done: Math.min(done, item.step_count),
    current: item.current_step,
    tokens: item.tokens.total,
    costUsd: item.cost_usd,
    approvals: steps
      ? steps.filter((s) => s.waiting_for === "approval").map((s) => s.key)
      : item.waiting_for_person
        ? ["?"]
        : [],
    ended: finished.map((s) => s.key),
    exact: steps !== undefined,
    phases: "workflow_definition" in item ? item.workflow_definition.phases : null,
  };
}

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : 0);

/** The card after one live event of its run (the same object when the event changes nothing shown). */
export function applyEvent(run: BoardRun, e: LiveEvent): BoardRun {
  const d = e.data;
  const key = str(d.key);
  const visible = key !== null && d.iteration == null && !JOURNAL.test(key);
  switch (e.type) {
    case "workflow.execution.status_changed": {
      const status = d.status as RunStatus;
      const at = Date.parse(e.at);
      return {
        ...run,
        status,
        startedAt: run.startedAt ?? (status === "running" ? at : null),
        completedAt: RUN_ENDED.has(status) ? at : null,
        approvals: RUN_ENDED.has(status) ? [] : run.approvals,
        current: RUN_ENDED.has(status) && status === "completed" ? null : run.current,
      };
    }
    case "workflow.execution.phase_changed":
      return { ...run, phase: str(d.current_phase) };
    case "workflow.step.started": {
      if (!visible) return run;
      const name = str(d.step_name) ?? key;
      const known = run.current?.key === key || run.ended.includes(key);
      const going = run.current && !run.ended.includes(run.current.key) ? 1 : 0;
      return {
        ...run,
        current: { key, name, status: "running" },
        // A step the card has never heard of while every known step is counted: a TypeScript workflow's new step.
        total: !known && run.done + going >= run.total ? run.total + 1 : run.total,
      };
    }
    case "workflow.step.waiting":
      if (!visible) return run;
      return {
        ...run,
        current: { key, name: run.current?.key === key ? run.current.name : key, status: "waiting" },
        approvals: d.reason === "approval" && !run.approvals.includes(key) ? [...run.approvals, key] : run.approvals,
      };
    case "workflow.approval.decided":
      return { ...run, approvals: run.approvals.filter((k) => k !== key && k !== "?") };
    case "workflow.step.completed": {
      if (!visible || run.ended.includes(key)) return run;
      return {
        ...run,
        done: Math.min(run.done + 1, run.total),
        ended: [...run.ended, key],
        current: run.current?.key === key ? { ...run.current, status: String(d.status) } : run.current,
      };
    }
    case "workflow.step.reset":
      if (!visible || (run.exact && !run.ended.includes(key))) return run;
      return { ...run, done: Math.max(0, run.done - 1), ended: run.ended.filter((k) => k !== key) };
    case "workflow.step.usage": {
      const cost = d.cost_usd;
      return {
        ...run,
        tokens: run.tokens + num(d.input_tokens) + num(d.output_tokens),
        costUsd: typeof cost === "number" ? (run.costUsd ?? 0) + cost : run.costUsd,
      };
    }
    default:
      return run;
  }
}

/** The event types that change a card. */
export const CARD_EVENTS = new Set([
  "workflow.execution.status_changed",
  "workflow.execution.phase_changed",
  "workflow.step.started",
  "workflow.step.waiting",
  "workflow.approval.decided",
  "workflow.step.completed",
  "workflow.step.reset",
  "workflow.step.usage",
]);
