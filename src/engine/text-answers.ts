/**
 * When a step's condition (`if`) fails to evaluate, a field it reads may be missing because the agent it
 * reads from answered text, not a JSON object (its output is then `{ result }` alone; see
 * steps/agent/json-answer.ts). This names those steps, so the message says what to change, not just what is
 * missing. Only computed after a failure.
 */
import { type Expr, parseCondition, references } from "../core/expressions/index.js";
import { isJsonObject } from "../core/json.js";
import type { RunState } from "./state.js";

/** The ids of the agent steps without an outputSchema, read for a field by `expr`, whose answer was text. */
export function textAnswersRead(state: RunState, expr: Expr): string[] {
  const ids = new Set<string>();
  for (const ref of references(expr)) {
    const id = ref.root === "steps" && ref.path[1] === "output" ? ref.path[0] : ref.root;
    const field = ref.root === "steps" ? ref.path[2] : ref.path[0];
    if (id === undefined || field === undefined || field === "result") continue;
    const def = state.byId.get(id);
    if (def?.type !== "agent" || def.config.outputSchema !== undefined || def.foreach !== undefined) continue;
    const output = state.steps.get(id)?.output;
    if (isJsonObject(output) && Object.keys(output).length === 1 && typeof output.result === "string") ids.add(id);
  }
  return [...ids];
}

/** The sentence added to the failure of a step's condition `condition`, when it reads such a step. */
export function textAnswerHint(state: RunState, condition: string): string | undefined {
  let ids: string[];
  try {
    ids = textAnswersRead(state, parseCondition(condition));
  } catch {
    return undefined; // it did not parse: the error says so, and no answer is to blame
  }
  if (ids.length === 0) return undefined;
  const who = ids.map((id) => `\`${id}\``).join(", ");
  const one = ids.length === 1;
  return `${one ? "Step" : "Steps"} ${who} answered text, not a JSON object: ask for JSON only, or give ${one ? "it" : "them"} an outputSchema`;
}
