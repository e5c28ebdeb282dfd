/** Which agent steps a failed condition reads a field of, whose answer was text (not a JSON object). */
import { describe, expect, it } from "vitest";
import type { Json, JsonObject } from "../../src/core/json.js";
import type { RunState } from "../../src/engine/state.js";
import { textAnswerHint } from "../../src/engine/text-answers.js";

/** Just what the hint reads of a run's state: the steps' definitions and their recorded outputs. */
function state(steps: Array<{ id: string; type?: string; config?: JsonObject; foreach?: string; output: Json }>) {
  return {
    byId: new Map(
      steps.map((s) => [s.id, { id: s.id, type: s.type ?? "agent", config: s.config ?? {}, foreach: s.foreach }]),
    ),
    steps: new Map(steps.map((s) => [s.id, { output: s.output }])),
  } as unknown as RunState;
}

describe("textAnswerHint", () => {
  const text = { result: "Severity: high" };
  const json = { severity: 5, result: '{"severity": 5}' };

  it("names the agent steps read for a field whose answer was text", () => {
    const s = state([
      { id: "triage", output: text },
      { id: "scan", output: text },
      { id: "parsed", output: json },
    ]);
    expect(textAnswerHint(s, "{{steps.triage.output.severity}} > 3")).toBe(
      "Step `triage` answered text, not a JSON object: ask for JSON only, or give it an outputSchema",
    );
    expect(textAnswerHint(s, "triage.severity > 3 && {{ scan.level }} > 1 && parsed.severity > 1")).toBe(
      "Steps `triage`, `scan` answered text, not a JSON object: ask for JSON only, or give them an outputSchema",
    );
  });

  it("says nothing for JSON answers, `result` itself, schema or foreach steps, other step types, or a bad condition", () => {
    const s = state([
      { id: "parsed", output: json },
      { id: "plain", output: text },
      { id: "schema", config: { outputSchema: { type: "object" } }, output: text },
      { id: "each", foreach: "[1]", output: text },
      { id: "sh", type: "script", output: text },
    ]);
    for (const condition of [
      "parsed.severity > 3",
      "steps.plain.output.result == 'x'",
      "steps.plain.status == 'completed'",
      "schema.severity > 3",
      "each.severity > 3",
      "sh.severity > 3",
      "plain.severity >",
    ]) {
      expect(textAnswerHint(s, condition), condition).toBeUndefined();
    }
  });
});
