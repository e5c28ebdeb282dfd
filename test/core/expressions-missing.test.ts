/**
 * An operator that cannot take null, given a path that came out null, says which link of the path is missing
 * and what is there instead (seed 001's `{{steps.triage.output.severity}} > 3` against an answer without
 * `severity`).
 */
import { describe, expect, it } from "vitest";
import {
  ExpressionError,
  evaluate,
  evaluateCondition,
  parseExpression,
  type Scope,
} from "../../src/core/expressions/index.js";
import { excerpt } from "../../src/core/expressions/missing.js";
import type { Json, JsonObject } from "../../src/core/json.js";

const stepsScope =
  (steps: JsonObject, extra: JsonObject = {}): Scope =>
  (root) =>
    root === "steps" ? steps : Object.hasOwn(extra, root) ? extra[root] : undefined;

const triage = (output: Json, status = "completed"): Scope =>
  stepsScope({ triage: { output, status, error: null } }, { triage: output });

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ExpressionError);
    return (err as Error).message;
  }
  throw new Error("expected an ExpressionError");
}

const SEED = "{{steps.triage.output.severity}} > 3";

describe("a missing value in a comparison is explained", () => {
  it.each<[string, Scope, string]>([
    [
      "an answer object without the field",
      triage({ summary: "crash on save", result: '{"summary":"crash on save"}' }),
      'cannot compare null with a number (3) using `>` (line 1, column 34) — `steps.triage.output.severity` is missing: `steps.triage.output` has no `severity`; it is an object: {"summary":"crash on save","result":"{\\"summary\\":\\"crash on save\\"}"}; give it a fallback with default(value, 0)',
    ],
    [
      "a text answer",
      triage({ result: "Severity: high" }),
      'cannot compare null with a number (3) using `>` (line 1, column 34) — `steps.triage.output.severity` is missing: `steps.triage.output` has no `severity`; it is an object: {"result":"Severity: high"}; give it a fallback with default(value, 0)',
    ],
    [
      "a skipped step",
      triage(null, "skipped"),
      'cannot compare null with a number (3) using `>` (line 1, column 34) — `steps.triage.output.severity` is null because `steps.triage.output` is null; `steps.triage` is an object: {"output":null,"status":"skipped","error":null}; give it a fallback with default(value, 0)',
    ],
    [
      "a field that is null",
      triage({ severity: null }),
      'cannot compare null with a number (3) using `>` (line 1, column 34) — `steps.triage.output.severity` is null; `steps.triage.output` is an object: {"severity":null}; give it a fallback with default(value, 0)',
    ],
  ])("%s", (_, scope, message) => {
    expect(messageOf(() => evaluateCondition(SEED, scope))).toBe(message);
  });

  it("still compares as before when the field is there", () => {
    expect(evaluateCondition(SEED, triage({ severity: 5 }))).toBe(true);
    expect(evaluateCondition(SEED, triage({ severity: "2" }))).toBe(false);
  });

  it("explains either side, a step-id root, nested and indexed paths", () => {
    expect(messageOf(() => evaluateCondition("3 < {{ triage.severity }}", triage({ level: 1 })))).toContain(
      '`triage.severity` is missing: `triage` has no `severity`; it is an object: {"level":1}',
    );
    const nested = triage({ details: { impact: "high" } });
    expect(messageOf(() => evaluate(parseExpression("steps.triage.output.details.score >= 1"), nested))).toContain(
      '`steps.triage.output.details.score` is missing: `steps.triage.output.details` has no `score`; it is an object: {"impact":"high"}',
    );
    const listed = triage({ tags: ["a"] });
    expect(messageOf(() => evaluate(parseExpression("steps.triage.output.tags[3] > 1"), listed))).toContain(
      '`steps.triage.output.tags[3]` is missing: `steps.triage.output.tags` has no `3`; it is an array: ["a"]',
    );
    expect(
      messageOf(() => evaluate(parseExpression("steps.triage.output.result.score > 1"), triage({ result: "ok" }))),
    ).toContain(
      '`steps.triage.output.result.score` is missing: `steps.triage.output.result` is a string: "ok", not an object',
    );
  });

  it("explains arithmetic on a missing value too", () => {
    expect(messageOf(() => evaluate(parseExpression("steps.triage.output.severity - 1"), triage({})))).toBe(
      "`-` needs two numbers, got null and a number (1) (line 1, column 30) — `steps.triage.output.severity` is missing: `steps.triage.output` has no `severity`; it is an object: {}; give it a fallback with default(value, 0)",
    );
  });

  it("says nothing more when the null is not a path it can re-read", () => {
    const scope = triage({});
    for (const src of [
      "null > 3",
      "default(steps.triage.output.severity, null) > 3",
      "steps.triage.output[args] > 3",
    ]) {
      const message = messageOf(() => evaluate(parseExpression(src), (r) => (r === "args" ? "severity" : scope(r))));
      expect(message).toMatch(/— a value may be missing; give it a fallback with default\(value, 0\)$/);
    }
  });

  it("never shows more than 240 characters of the value", () => {
    const long = triage({ summary: "x".repeat(1000) });
    const message = messageOf(() => evaluateCondition(SEED, long));
    const shown = /it is an object: (.*); give it/.exec(message)?.[1] ?? "";
    expect(shown).toHaveLength(240);
    expect(shown.endsWith("…")).toBe(true);
    expect(excerpt({ a: 1 })).toBe('{"a":1}');
  });

  it("does not report an own `__proto__` key as present", () => {
    const evil = triage(JSON.parse('{"__proto__": {"severity": 9}}') as Json);
    expect(messageOf(() => evaluate(parseExpression("steps.triage.output.__proto__ > 3"), evil))).toContain(
      "`steps.triage.output.__proto__` is missing: `steps.triage.output` has no `__proto__`",
    );
  });
});
