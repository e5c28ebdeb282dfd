import type { Json } from "../../src/core/json.js";
import type { StepRunRecord, StepStatus } from "../../src/core/model.js";

/** A step run in a table row: its status, or the fields that matter to the row. */
export type StateSpec =
  | StepStatus
  | {
      status: StepStatus;
      attempt?: number;
      notBefore?: number;
      items?: number;
      waitingFor?: "approval" | "timer";
      output?: Json;
      input?: Json;
      startedAt?: number;
    };

/**
 * Step runs of run `r` by key (`id` or `id[i]` for foreach items). The attempt defaults to 0 when pending, else 1;
 * a failed one carries a `WEFT_STEP_FAILED` error.
 */
export function stepRecords(spec: Record<string, StateSpec>): Map<string, StepRunRecord> {
  const m = new Map<string, StepRunRecord>();
  for (const [key, v] of Object.entries(spec)) {
    const s = typeof v === "string" ? { status: v } : v;
    const match = /^(.*)\[(\d+)\]$/.exec(key);
    m.set(key, {
      runId: "r",
      key,
      stepId: match ? match[1]! : key,
      iteration: match ? Number(match[2]) : null,
      status: s.status,
      attempt: s.attempt ?? (s.status === "pending" ? 0 : 1),
      input: s.input ?? null,
      output: s.output ?? null,
      error: s.status === "failed" ? { code: "WEFT_STEP_FAILED", message: `${key} failed`, retryable: false } : null,
      notBefore: s.notBefore ?? null,
      waitingFor: s.waitingFor ?? null,
      items: s.items ?? null,
      startedAt: s.startedAt ?? null,
      endedAt: null,
      updatedAt: 0,
    });
  }
  return m;
}
