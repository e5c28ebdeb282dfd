/**
 * Token usage and cost of a run, folded from its `workflow.step.usage` events (one per provider call), and its
 * budget: the workflow's `budget`, as raised by `workflow.execution.budget_changed`. The driver keeps one
 * ledger per run (loaded from the event log when it starts driving, so a takeover counts what was spent
 * before) and hands each step run a `UsageMeter` over it. The types a step handler sees are in `core/usage.ts`.
 */
import type { EventRecord } from "../core/events.js";
import type { Budget } from "../core/model.js";
import type { UsageReport, UsageTotals } from "../core/usage.js";

// The types live in core so steps/ can name them; the engine and the CLI read them here, beside the ledger.
export type { UsageMeter, UsageReport, UsageTotals } from "../core/usage.js";

export const zeroTotals = (): UsageTotals => ({ inputTokens: 0, outputTokens: 0, costUsd: 0, calls: 0 });

function add(t: UsageTotals, input: number, output: number, cost: number | null | undefined): void {
  t.inputTokens += input;
  t.outputTokens += output;
  t.costUsd += cost ?? 0;
  t.calls += 1;
}

export class UsageLedger {
  readonly run: UsageTotals = zeroTotals();
  private readonly byKey = new Map<string, UsageTotals>();
  /** Limits set by `budget_changed` (undefined: the workflow's). */
  private raised: { tokens: number | null; costUsd: number | null } | undefined;
  private readonly raisedSteps = new Map<string, { tokens: number | null; costUsd: number | null }>();

  constructor(private readonly workflowBudget: Budget | undefined) {}

  /** Folds a run's events (in seq order). */
  static from(workflowBudget: Budget | undefined, events: readonly EventRecord[]): UsageLedger {
    const ledger = new UsageLedger(workflowBudget);
    for (const e of events) ledger.apply(e);
    return ledger;
  }

  apply(e: EventRecord): void {
    if (e.type === "workflow.step.usage") {
      const d = e.data;
      add(this.run, d.input_tokens, d.output_tokens, d.cost_usd);
      add(this.step(d.key), d.input_tokens, d.output_tokens, d.cost_usd);
    } else if (e.type === "workflow.execution.budget_changed") {
      const limits = { tokens: e.data.tokens, costUsd: e.data.cost_usd };
      if (e.data.key === null) this.raised = limits;
      else this.raisedSteps.set(e.data.key, limits);
    }
  }

  step(key: string): UsageTotals {
    let t = this.byKey.get(key);
    if (!t) {
      t = zeroTotals();
      this.byKey.set(key, t);
    }
    return t;
  }

  /** Counts a call now (its event is committed with the driver's next pass). */
  record(key: string, u: UsageReport): void {
    add(this.run, u.inputTokens, u.outputTokens, u.costUsd);
    add(this.step(key), u.inputTokens, u.outputTokens, u.costUsd);
  }

  budget(): Budget | undefined {
    return withRaise(this.workflowBudget, this.raised, "pause");
  }

  stepBudget(key: string, declared: Budget | undefined): Budget | undefined {
    return withRaise(declared, this.raisedSteps.get(key), "fail");
  }
}

function withRaise(
  base: Budget | undefined,
  raised: { tokens: number | null; costUsd: number | null } | undefined,
  policy: "fail" | "pause",
): Budget | undefined {
  if (!raised) return base;
  const b: Budget = { onExceed: base?.onExceed ?? policy };
  if (raised.tokens !== null) b.tokens = raised.tokens;
  if (raised.costUsd !== null) b.costUsd = raised.costUsd;
  return b.tokens === undefined && b.costUsd === undefined ? undefined : b;
}

/** Totals by step key and for the run, from a run's events (for `weft status` and the API). */
export function usageOf(events: readonly EventRecord[]): { run: UsageTotals; steps: Map<string, UsageTotals> } {
  const run = zeroTotals();
  const steps = new Map<string, UsageTotals>();
  for (const e of events) {
    if (e.type !== "workflow.step.usage") continue;
    const d = e.data;
    add(run, d.input_tokens, d.output_tokens, d.cost_usd);
    const t = steps.get(d.key) ?? zeroTotals();
    steps.set(d.key, t);
    add(t, d.input_tokens, d.output_tokens, d.cost_usd);
  }
  return { run, steps };
}
