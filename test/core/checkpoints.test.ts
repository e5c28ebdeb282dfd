/** The checkpoint fold (src/core/checkpoints.ts): events in, seed 002's document and its size out. */
import { describe, expect, it } from "vitest";
import {
  CheckpointFold,
  INLINE_DOCUMENT_BYTES,
  INLINE_RESULT_BYTES,
  SEED003_STATES,
  utf8Length,
} from "../../src/core/checkpoints.js";
import type { EventRecord } from "../../src/core/events.js";
import type { Json } from "../../src/core/json.js";
import type { CheckpointRecord } from "../../src/core/model.js";
import { RUN_STATUSES } from "../../src/core/model.js";

let seq = 0;
const ev = (type: string, data: Record<string, unknown>): EventRecord =>
  ({ type, data, runId: "r", seq: ++seq, at: 0 }) as unknown as EventRecord;
const done = (key: string, status = "completed", extra: Record<string, unknown> = {}) =>
  ev("workflow.step.completed", { step_id: key, key, iteration: null, attempt: 1, status, duration_ms: 1, ...extra });
const cp = (number: number, stepKey: string | null = "x"): CheckpointRecord => ({
  runId: "r",
  number,
  stepKey,
  eventSeq: seq,
  label: stepKey === null ? "ctx.checkpoint()" : `after ${stepKey}`,
  createdAt: 1_700_000_000_000,
});

function fold(outputs: Record<string, Json>, refs: string[] = []) {
  return new CheckpointFold(
    "r",
    (key) => outputs[key],
    (key) => refs.push(key),
  );
}

describe("CheckpointFold", () => {
  it("sizeBytes is the byte length of the document, whatever the text (unicode, escapes, nothing yet)", () => {
    const outputs: Record<string, Json> = { "ü-step": { text: 'naïve — 日本語 🎉 "q" \\ \n' }, b: null };
    const f = fold(outputs);
    const sizes = () => {
      const c = cp(seq, "b");
      expect(f.sizeBytes(c)).toBe(Buffer.byteLength(f.document(c)));
    };
    sizes();
    f.apply(ev("workflow.execution.status_changed", { status: "running", previous: "pending" }));
    f.apply(ev("workflow.execution.phase_changed", { current_phase: "bûild", previous: null }));
    f.apply(done("ü-step"));
    sizes();
    f.apply(done("b", "failed", { error: { code: "X", message: "exit 3 — “quoted”", retryable: false } }));
    sizes();
    f.apply(done("c", "skipped", { reason: "its condition is false" }));
    sizes();
    expect(JSON.parse(f.document(cp(seq, null)))).toMatchObject({
      current_phase: "bûild",
      current_step_index: 3,
      completed_step_ids: ["ü-step"],
      created_by: "manual",
      state: "executing",
      step_results: {
        b: { stepId: "b", status: "failed", error: "exit 3 — “quoted”" },
        c: { stepId: "c", status: "skipped", error: "its condition is false" },
      },
    });
  });

  it("a reset takes the step back out; a later end puts it last; cancelled ends and journal values are not results", () => {
    const f = fold({ a: 1, b: 2 });
    for (const e of [done("a"), done("b"), ev("workflow.step.reset", { step_id: "a", key: "a", by: "me" })]) f.apply(e);
    expect(f.snapshot().completed).toEqual(["b"]);
    f.apply(done("a"));
    f.apply(done("c", "cancelled"));
    f.apply(done("$now-3"));
    expect(f.snapshot()).toMatchObject({ completed: ["b", "a"], ended: 2 });
    expect(f.ended("c")).toBe(false);
  });

  it("ignores an event it has seen (a log read twice)", () => {
    const f = fold({ a: 1 });
    const e = done("a");
    f.apply(e);
    f.apply(ev("workflow.step.reset", { step_id: "a", key: "a", by: "me" }));
    f.apply(e);
    expect(f.snapshot().completed).toEqual([]);
  });

  it("inlines data up to INLINE_RESULT_BYTES each and INLINE_DOCUMENT_BYTES in all; the rest are refs", () => {
    const big = "x".repeat(INLINE_RESULT_BYTES);
    const medium = "y".repeat(INLINE_RESULT_BYTES - 10);
    const outputs: Record<string, Json> = { big, "s p/a": big };
    const n = Math.floor(INLINE_DOCUMENT_BYTES / utf8Length(JSON.stringify(medium)));
    for (let i = 0; i < n + 2; i++) outputs[`m${i}`] = medium;
    const refs: string[] = [];
    const f = fold(outputs, refs);
    f.apply(done("big"));
    f.apply(done("s p/a"));
    for (let i = 0; i < n + 2; i++) f.apply(done(`m${i}`));
    const r = f.snapshot().results;
    expect(r.big).toEqual({ stepId: "big", status: "completed", ref: "logs/big/output.json" });
    expect(r["s p/a"]?.ref).toBe("logs/s_p_a/output.json");
    expect(r.m0?.data).toBe(medium);
    expect(r[`m${n - 1}`]?.data).toBe(medium);
    expect(r[`m${n}`]?.ref).toBe(`logs/m${n}/output.json`);
    expect(refs).toEqual(["big", "s p/a", `m${n}`, `m${n + 1}`]);
    // a reset frees its share of the budget
    f.apply(ev("workflow.step.reset", { step_id: "m0", key: "m0", by: "me" }));
    f.apply(done("m0"));
    expect(f.snapshot().results.m0?.data).toBe(medium);
  });

  it("maps every run status to one of seed 003's states", () => {
    expect(RUN_STATUSES.map((s) => SEED003_STATES[s])).toEqual([
      "idle",
      "executing",
      "paused",
      "awaiting_completion",
      "completed",
      "failed",
      "cancelled",
    ]);
  });
});
