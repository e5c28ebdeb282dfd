/**
 * What counts as a JSON answer, with or without an `outputSchema` (docs/workflow-syntax.md, "JSON answers"):
 * the whole answer, whitespace trimmed, is one JSON value, or is one fenced block — opened by ```` ```json ````
 * or a bare ```` ``` ```` — that holds one, with nothing before or after the fence. JSON inside prose ("Here is
 * the triage: {…}") or several blocks do not count: guessing which braces were meant would surprise more often
 * than it helps, and the text stays readable at `result`.
 */
import { isJsonObject, type Json, type JsonObject, MAX_NESTING, tooDeep } from "../../core/json.js";

const FENCED = /^```(?:json)?[ \t]*\n([\s\S]*?)\n```$/;

/** The JSON value the answer text is, by the rule above; undefined when it is not one. */
export function parseJsonText(text: string): Json | undefined {
  const trimmed = text.trim();
  const fenced = FENCED.exec(trimmed);
  try {
    return JSON.parse(fenced ? (fenced[1] as string) : trimmed) as Json;
  } catch {
    return undefined;
  }
}

/**
 * The output of an answer given without an `outputSchema`: `{ result: <text> }`, as for any text; when the
 * answer is a JSON object (nested at most MAX_NESTING levels), its fields as well, so expressions read
 * `steps.triage.output.severity`. A `result` field of the answer's own wins over the text. Parsed once, here,
 * when the step completes: the recorded output is what every later expression, replay and rewind reads.
 */
export function schemalessOutput(text: string): JsonObject {
  const answer = parseJsonText(text);
  if (!isJsonObject(answer) || tooDeep(answer, "answer", MAX_NESTING) !== undefined) return { result: text };
  // A spread defines own properties (a `__proto__` key of the answer stays data; expressions never read it).
  return Object.hasOwn(answer, "result") ? { ...answer } : { ...answer, result: text };
}
