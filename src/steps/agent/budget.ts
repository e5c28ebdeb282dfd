/**
 * The agent step's spending and model helpers: budget checks before each provider call (the run's budget,
 * as a person may have raised it, and the step's own), the model chain of `fallback`, and the session of the
 * previous attempt (for CLI agents that resume one).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { BudgetExceededError } from "../../core/errors.js";
import type { Budget } from "../../core/model.js";
import type { UsageTotals } from "../../core/usage.js";
import type { StepContext } from "../step-type.js";

export interface StepBudgetConfig {
  tokens?: number | undefined;
  cost_usd?: number | undefined;
  costUsd?: number | undefined;
  on_exceed?: "fail" | "pause" | undefined;
  onExceed?: "fail" | "pause" | undefined;
}

export function toBudget(b: StepBudgetConfig | undefined): Budget | undefined {
  if (!b) return undefined;
  return {
    tokens: b.tokens,
    costUsd: b.cost_usd ?? b.costUsd,
    onExceed: b.on_exceed ?? b.onExceed ?? "fail",
  };
}

const usd = (n: number) => `$${n.toFixed(n < 1 ? 4 : 2)}`;

function breach(budget: Budget | undefined, spent: UsageTotals): string | undefined {
  if (!budget) return undefined;
  const tokens = spent.inputTokens + spent.outputTokens;
  if (budget.tokens !== undefined && tokens >= budget.tokens)
    return `${tokens.toLocaleString("en-US")} tokens spent of ${budget.tokens.toLocaleString("en-US")}`;
  if (budget.costUsd !== undefined && spent.costUsd >= budget.costUsd)
    return `${usd(spent.costUsd)} spent of ${usd(budget.costUsd)}`;
  return undefined;
}

/**
 * Throws a `BudgetExceededError` when the run or this step run has reached its budget: before a call, so what
 * one call spends is never cut off mid-answer (a call can take a budget past its limit; the next is refused).
 */
export function checkBudget(ctx: StepContext, stepBudget: Budget | undefined): void {
  const { run, step } = ctx.usage.spent();
  const checks: Array<["run" | "step", Budget | undefined, UsageTotals]> = [
    ["run", ctx.usage.runBudget(), run],
    ["step", ctx.usage.stepBudget(stepBudget), step],
  ];
  for (const [scope, budget, spent] of checks) {
    const why = breach(budget, spent);
    if (!budget || why === undefined) continue;
    const pause = (budget.onExceed ?? (scope === "run" ? "pause" : "fail")) === "pause";
    const raise = `raise it with \`weft budget ${ctx.runId}${scope === "step" ? ` --step ${ctx.key}` : ""} --tokens <n> --cost <usd>\``;
    const message = `the ${scope} budget is used up (${why}); ${
      pause ? `the run is paused: ${raise}, then \`weft resume ${ctx.runId}\`` : raise
    }`;
    throw new BudgetExceededError(message, {
      scope,
      pause,
      limit: { tokens: budget.tokens ?? null, costUsd: budget.costUsd ?? null },
      spent: { tokens: spent.inputTokens + spent.outputTokens, costUsd: spent.costUsd },
    });
  }
}

/** The model, then its fallbacks, without repeats; `[undefined]` when nothing names a model. */
export function modelChain(
  model: string | undefined,
  fallback: readonly string[] | undefined,
): Array<string | undefined> {
  const chain: Array<string | undefined> = [model];
  for (const m of fallback ?? []) if (!chain.includes(m)) chain.push(m);
  return chain;
}

/** The session id the last attempt recorded in the step's session log, if any. */
export async function lastSessionId(logDir: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(join(logDir, "session.jsonl"), "utf8");
  } catch {
    return undefined;
  }
  const lines = text.split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (!line?.startsWith('{"type":"session"')) continue;
    try {
      const header = JSON.parse(line) as { sessionId?: unknown };
      if (typeof header.sessionId === "string") return header.sessionId;
    } catch {
      // a torn last line: look further up
    }
  }
  return undefined;
}
