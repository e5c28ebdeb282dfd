/**
 * A checkpoint as seed 002 and seed 003 describe it — completed step ids, step results, the run's state —
 * derived from the run's events up to the checkpoint's `eventSeq`. The database keeps one small row per
 * checkpoint; this fold turns the event log into the seed's document without running any step.
 *
 * Cost: `apply` is O(1) per event (plus the size of a step's result, serialised once when the step ends);
 * `sizeBytes` is O(1); `document` is O(completed step runs). Folding a run's log once and reading any number
 * of checkpoints' sizes on the way is linear in the log.
 *
 * The document is compact JSON, one line, in this order: the seed 002 fields `execution_id`, `timestamp`,
 * `current_phase`, `current_step_index`, then weft's `number`, `label`, `created_by`, `state`, then
 * `completed_step_ids` and `step_results`. A result carries its `data` inline when that is at most
 * `INLINE_RESULT_BYTES` of JSON and the document's inline data stays within `INLINE_DOCUMENT_BYTES` (results
 * are decided in the order they end, once); otherwise `ref: "logs/<key>/output.json"` (the step's output file
 * in the run folder). So a run of many steps with big outputs does not copy every output into every file.
 *
 * This module is pure: no node:* imports, no I/O.
 */
import type { EventRecord } from "./events.js";
import type { Json } from "./json.js";
import type { CheckpointRecord, RunStatus } from "./model.js";
import { isJournalValue } from "./model.js";

/** Seed 003's state word for each of weft's run statuses. */
export const SEED003_STATES: Readonly<Record<RunStatus, string>> = {
  pending: "idle",
  running: "executing",
  waiting: "awaiting_completion",
  paused: "paused",
  completed: "completed",
  failed: "failed",
  cancelled: "cancelled",
};

/** A result whose data is longer than this (bytes of compact JSON) is a `ref` to its output.json instead. */
export const INLINE_RESULT_BYTES = 2048;
/**
 * At most this many bytes of data inline in one document: results that end once it is spent are refs, so a
 * file's size is this plus a small entry per step run, whatever the steps return.
 */
export const INLINE_DOCUMENT_BYTES = 16 * 1024;

/** Seed 002's `StepResult`; `ref` (weft) replaces `data` when the data is large. */
export interface CheckpointResult {
  stepId: string;
  status: "completed" | "failed" | "skipped";
  data?: Json | undefined;
  /** Where the data is, relative to the run folder: `logs/<key>/output.json`. */
  ref?: string | undefined;
  error?: string | undefined;
}

/** `automatic`: taken at the end of a step run; `manual`: `ctx.checkpoint()` or a label. */
export type CheckpointCreator = "automatic" | "manual";

export function createdByOf(c: Pick<CheckpointRecord, "stepKey">): CheckpointCreator {
  return c.stepKey === null ? "manual" : "automatic";
}

/** What a checkpoint's document says, as values (the API and the CLI show these). */
export interface CheckpointSnapshot {
  status: RunStatus;
  phase: string | null;
  completed: string[];
  results: Record<string, CheckpointResult>;
  /** Step runs ended by then (completed, failed or skipped): the index of the next one. */
  ended: number;
}

/** `logs/<key>/output.json`, the key made safe as the step log folders are (engine/logs.ts). */
export function outputRef(key: string): string {
  return `logs/${key.replace(/[^A-Za-z0-9._[\]-]/g, "_")}/output.json`;
}

/** UTF-8 length of a string without allocating (core has no Buffer). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4; // a surrogate pair: one 4-byte character
      i++;
    } else n += 3;
  }
  return n;
}

interface Entry {
  result: CheckpointResult;
  /** Bytes of `data` inline (0 for a ref or no data). */
  inline: number;
  /** `"key":{…}` as written. */
  piece: string;
  bytes: number;
  /** `"key"` as written in completed_step_ids; empty when the step did not complete. */
  id: string;
  idBytes: number;
}

/**
 * Folds a run's events in seq order. `outputOf(key, attempt)` gives a completed step run's output (the engine:
 * its step record; the API: the attempt record), undefined when unknown.
 */
export class CheckpointFold {
  status: RunStatus = "pending";
  phase: string | null = null;
  /** The seq of the last event applied. */
  seq = 0;
  private entries = new Map<string, Entry>();
  private resultBytes = 0;
  private inlineBytes = 0;
  private completedCount = 0;
  private completedBytes = 0;

  /**
   * `onRef`: told of each result written as a `ref` (its data too large to inline), so that the one writing the
   * files can make sure the output.json it points to exists (a foreach's joined output has none of its own).
   */
  constructor(
    readonly runId: string,
    private readonly outputOf: (key: string, attempt: number) => Json | undefined,
    private readonly onRef?: (key: string, data: Json) => void,
  ) {}

  /** Applies one event; events at or before the last applied seq are ignored (a log read twice). */
  apply(e: EventRecord): void {
    if (e.seq <= this.seq) return;
    this.seq = e.seq;
    switch (e.type) {
      case "workflow.execution.status_changed":
        this.status = e.data.status;
        return;
      case "workflow.execution.phase_changed":
        this.phase = e.data.current_phase;
        return;
      case "workflow.step.reset":
        this.remove(e.data.key);
        return;
      case "workflow.step.completed": {
        const { key, status } = e.data;
        if (status === "cancelled" || isJournalValue(key)) return;
        if (status === "completed") this.end(key, "completed", this.outputOf(key, e.data.attempt) ?? null);
        else this.end(key, status, undefined, e.data.error?.message ?? e.data.reason);
        return;
      }
      default:
        return;
    }
  }

  /**
   * A step run completed before the log begins: a rewound run's reused steps, which have no events of their
   * own in the new run.
   */
  inherit(key: string, output: Json): void {
    if (!isJournalValue(key)) this.end(key, "completed", output);
  }

  private end(key: string, status: CheckpointResult["status"], data?: Json, error?: string): void {
    this.remove(key);
    const result: CheckpointResult = { stepId: key, status };
    let inline = 0;
    if (status === "completed") {
      // Measured only when it could still go inline (the engine folds every step's end as the run goes): once the
      // document's budget is spent a result is a ref whatever its size, and a string longer than the limit in
      // UTF-16 units is longer in UTF-8 bytes too.
      const text = this.inlineBytes < INLINE_DOCUMENT_BYTES ? JSON.stringify(data ?? null) : undefined;
      const size =
        text === undefined || text.length > INLINE_RESULT_BYTES ? Number.POSITIVE_INFINITY : utf8Length(text);
      if (size > INLINE_RESULT_BYTES || this.inlineBytes + size > INLINE_DOCUMENT_BYTES) {
        result.ref = outputRef(key);
        this.onRef?.(key, data ?? null);
      } else {
        result.data = data ?? null;
        inline = size;
      }
    } else if (error !== undefined) result.error = error;
    const piece = `${JSON.stringify(key)}:${JSON.stringify(result)}`;
    const id = status === "completed" ? JSON.stringify(key) : "";
    const entry: Entry = { result, inline, piece, bytes: utf8Length(piece), id, idBytes: utf8Length(id) };
    this.entries.set(key, entry);
    this.inlineBytes += inline;
    this.resultBytes += entry.bytes;
    if (id) {
      this.completedCount++;
      this.completedBytes += entry.idBytes;
    }
  }

  private remove(key: string): void {
    const had = this.entries.get(key);
    if (!had) return;
    this.entries.delete(key);
    this.resultBytes -= had.bytes;
    this.inlineBytes -= had.inline;
    if (had.id) {
      this.completedCount--;
      this.completedBytes -= had.idBytes;
    }
  }

  /** The document's fields before `completed_step_ids`, as JSON without its closing brace. */
  private head(cp: CheckpointRecord): string {
    const head = JSON.stringify({
      execution_id: this.runId,
      timestamp: new Date(cp.createdAt).toISOString(),
      current_phase: this.phase,
      current_step_index: this.entries.size,
      number: cp.number,
      label: cp.label,
      created_by: createdByOf(cp),
      state: SEED003_STATES[this.status],
    });
    return head.slice(0, -1);
  }

  /** Bytes of `document(cp)` at this point, in O(1). */
  sizeBytes(cp: CheckpointRecord): number {
    const n = this.entries.size;
    const ids = 2 + this.completedBytes + Math.max(0, this.completedCount - 1);
    const results = 2 + this.resultBytes + Math.max(0, n - 1);
    // ,"completed_step_ids": … ,"step_results": … }\n
    return utf8Length(this.head(cp)) + 22 + ids + 16 + results + 2;
  }

  /** The checkpoint file's text (seed 002's format) at this point. */
  document(cp: CheckpointRecord): string {
    const ids: string[] = [];
    const pieces: string[] = [];
    for (const e of this.entries.values()) {
      if (e.id) ids.push(e.id);
      pieces.push(e.piece);
    }
    return `${this.head(cp)},"completed_step_ids":[${ids.join(",")}],"step_results":{${pieces.join(",")}}}\n`;
  }

  /** The same as values. */
  snapshot(): CheckpointSnapshot {
    const completed: string[] = [];
    const results: Record<string, CheckpointResult> = {};
    for (const [key, e] of this.entries) {
      if (e.id) completed.push(key);
      results[key] = e.result;
    }
    return { status: this.status, phase: this.phase, completed, results, ended: this.entries.size };
  }

  /** Whether the step run `key` has ended (completed, failed or skipped) by this point. */
  ended(key: string): boolean {
    return this.entries.has(key);
  }
}
