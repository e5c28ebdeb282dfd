/**
 * `budget:` of a workflow (and of an agent step's config): `{ tokens, cost_usd, on_exceed }` — the most tokens
 * (in + out) and US dollars its agent calls may spend, and what happens past it: `fail`, or `pause` the run
 * until a person raises the budget (`weft budget <run> …`) and resumes it.
 */
import type { Budget } from "../core/model.js";
import { checkKeys, type Field, field, readInteger, readMapping, readNumber } from "./fields.js";
import type { Issues } from "./issues.js";

export const BUDGET_KEYS = ["tokens", "cost_usd", "costUsd", "on_exceed", "onExceed"] as const;
export const BUDGET_POLICIES = ["fail", "pause"] as const;

export function readBudget(f: Field, iss: Issues): Budget | undefined {
  const obj = readMapping(f, iss, "write `budget: { tokens: 200000, cost_usd: 5, on_exceed: pause }`");
  if (!obj) return undefined;
  checkKeys(obj, f.path, BUDGET_KEYS, iss, "`budget`");
  const out: Budget = {};
  const tokens = field(obj, "tokens", f.path);
  if (tokens) out.tokens = readInteger(tokens, iss, 1);
  const cost = field(obj, "cost_usd", f.path) ?? field(obj, "costUsd", f.path);
  if (cost) out.costUsd = readNumber(cost, iss, 0.000001);
  const policy = field(obj, "on_exceed", f.path) ?? field(obj, "onExceed", f.path);
  if (policy) {
    const value = BUDGET_POLICIES.find((p) => p === policy.value);
    if (value) out.onExceed = value;
    else
      iss.error(
        "WEFT_SCHEMA",
        policy.path,
        `\`on_exceed\` must be fail or pause, got ${JSON.stringify(policy.value)}`,
        "`pause` stops the run until a person raises the budget; `fail` fails the step",
      );
  }
  if (tokens === undefined && cost === undefined) {
    iss.error("WEFT_SCHEMA", f.path, "`budget` sets no limit", "give `tokens`, `cost_usd`, or both");
  }
  return out;
}
