/**
 * The wire form of an event, shared by the WebSocket and SSE: seed 002's `{ type, data }` with `execution_id`
 * (the run id) and `project_id` in `data`, the event's own snake_case fields kept, plus the per-run `seq` and
 * the commit time `at` so that a client can resume from the last `seq` it saw. Times are ISO 8601 strings in UTC
 * like everywhere in the API (`at`, and `until` of `workflow.step.waiting`); durations stay integer ms.
 */
import type { EventRecord, EventType } from "../../core/events.js";

export interface WireEvent {
  type: EventType;
  data: { execution_id: string; project_id: string } & Record<string, unknown>;
  seq: number;
  /** ISO 8601, UTC. */
  at: string;
}

export function toWire(e: EventRecord, projectId: string): WireEvent {
  const data: WireEvent["data"] = {
    execution_id: e.runId,
    ...(e.data as Record<string, unknown>),
    project_id: projectId,
  };
  if (e.type === "workflow.step.waiting" && typeof e.data.until === "number") data.until = iso(e.data.until);
  return { type: e.type, data, seq: e.seq, at: iso(e.at) };
}

function iso(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

/** Serialised once per event however many clients receive it (the feed's records are shared objects). */
const encoded = new WeakMap<EventRecord, string>();

export function encodeEvent(e: EventRecord, projectId: string): string {
  let text = encoded.get(e);
  if (text === undefined) {
    text = JSON.stringify(toWire(e, projectId));
    encoded.set(e, text);
  }
  return text;
}

/** Server → client messages that are not events. */
export type ControlMessage =
  | {
      type: "subscribed";
      data: { run_id: string[] | null; project_id: string[] | null; after: Record<string, number> };
    }
  | { type: "error"; data: { code: string; message: string } }
  | { type: "pong"; data: Record<string, never> };

export function encodeControl(m: ControlMessage): string {
  return JSON.stringify(m);
}
