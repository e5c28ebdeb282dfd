/**
 * Token usage and cost as a step handler sees them (`ctx.usage`): the totals, one provider call's report, and the
 * meter over a run's ledger. Types only, declared here so `steps/` reads them without importing `engine/`; the
 * ledger that folds a run's `workflow.step.usage` events into them is `engine/usage.ts`.
 */
import type { Budget } from "./model.js";

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  /** USD; calls whose price is unknown add nothing. */
  costUsd: number;
  calls: number;
}

export interface UsageReport {
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  costUsd?: number | undefined;
}

/** What a step handler sees of the ledger (`ctx.usage`). */
export interface UsageMeter {
  /** Records one provider call: an event in the run's log, and the totals at once. */
  report(u: UsageReport): void;
  /** Spent so far by the run and by this step run (all its attempts). */
  spent(): { run: UsageTotals; step: UsageTotals };
  /** The run's budget now (the workflow's, as a person raised it), if any. */
  runBudget(): Budget | undefined;
  /** This step run's budget now: the one the step declares, as a person raised it. */
  stepBudget(declared: Budget | undefined): Budget | undefined;
}
