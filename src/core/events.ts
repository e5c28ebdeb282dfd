/**
 * The typed event map. Names are seed 002's WebSocket event names; the event log, the CLI's live view and
 * (later) the WebSocket feed all read the same records. Payload keys are snake_case like seed 002's.
 */
import type { ErrorInfo } from "./errors.js";
import type { Json } from "./json.js";
import type { RunStatus, StepStatus } from "./model.js";

/** Budget limits as events carry them: null where there is none. */
export interface BudgetEvent {
  tokens: number | null;
  cost_usd: number | null;
}

export interface EventMap {
  "workflow.execution.created": {
    workflow_name: string;
    workflow_hash: string;
    args: Json;
    triggered_by: string | null;
  };
  "workflow.execution.status_changed": { status: RunStatus; previous: RunStatus; error?: ErrorInfo | undefined };
  "workflow.execution.phase_changed": { current_phase: string; previous: string | null };
  "workflow.step.started": {
    step_id: string;
    key: string;
    iteration: number | null;
    attempt: number;
    step_name: string;
    phase: string | null;
  };
  "workflow.step.progress": { step_id: string; key: string; output: string; stream: "stdout" | "stderr" | "info" };
  "workflow.step.waiting": {
    step_id: string;
    key: string;
    reason: "approval" | "timer";
    until?: number | undefined;
    message?: string | undefined;
  };
  "workflow.step.retrying": { step_id: string; key: string; attempt: number; delay_ms: number; error: ErrorInfo };
  "workflow.step.completed": {
    step_id: string;
    key: string;
    iteration: number | null;
    attempt: number;
    status: Extract<StepStatus, "completed" | "failed" | "skipped" | "cancelled">;
    duration_ms: number | null;
    error?: ErrorInfo | undefined;
    reason?: string | undefined;
  };
  "workflow.step.reset": { step_id: string; key: string; by: string };
  /** One provider call's tokens and cost (an agent or image step). */
  "workflow.step.usage": {
    step_id: string;
    key: string;
    attempt: number;
    provider: string;
    model: string;
    input_tokens: number;
    output_tokens: number;
    cost_usd: number | null;
  };
  /** A run or step went over its budget; `policy: pause` paused the run (raise the budget, then resume). */
  "workflow.execution.budget_exceeded": {
    scope: "run" | "step";
    step_id: string;
    key: string;
    policy: "fail" | "pause";
    limit: BudgetEvent;
    spent: { tokens: number; cost_usd: number };
  };
  /**
   * A person raised (or lowered) a budget: the run's (`key` null; it replaces the workflow's `budget`) or a
   * step run's (it replaces the step's `budget`).
   */
  "workflow.execution.budget_changed": BudgetEvent & { key: string | null; by: string };
  "workflow.approval.decided": {
    step_id: string;
    key: string;
    approved: boolean;
    /** Who decided: through the API, the token's name (`token ci`, `local user`); else the CLI's `--by`. */
    by: string;
    comment?: string | undefined;
    /** Through the API: who the client said decided (`by` of the request), kept beside the token's name. */
    claimed_by?: string | undefined;
  };
  "workflow.checkpoint.created": { number: number; step_key: string | null; label: string };
  "workflow.execution.lease_acquired": {
    owner_id: string;
    host: string;
    pid: number;
    epoch: number;
    takeover: boolean;
  };
  "workflow.comment.created": {
    comment_id: string;
    step_id: string | null;
    text: string;
    /** Stored comments (the API's); absent on a TypeScript workflow's `ctx.comment`. */
    comment_type?: "user" | "system" | "agent" | undefined;
    created_by?: string | null | undefined;
    /** Who the client said wrote it, when it said so (the API records the token as `created_by`). */
    claimed_by?: string | undefined;
  };
  "workflow.artifact.created": {
    artifact_id: string;
    step_id: string | null;
    name: string;
    file_type: "image" | "video" | "document" | "code" | "other";
  };
  "workflow.artifact.attached": { artifact_id: string; comment_id: string };
  "workflow.artifact.detached": { artifact_id: string; comment_id: string };
  "workflow.artifact.deleted": { artifact_id: string };
}

export type EventType = keyof EventMap;

export type EventOf<T extends EventType> = { type: T; data: EventMap[T] };

/** An event not yet stored. */
export type NewEvent = { [T in EventType]: EventOf<T> }[EventType];

/** A stored event: numbered per run, in commit order. */
export type EventRecord = NewEvent & { runId: string; seq: number; at: number };
