import type { Command } from "commander";
import { WeftError } from "../../core/errors.js";
import type { EventRecord } from "../../core/events.js";
import type { Budget, RunRecord, RunStatus } from "../../core/model.js";
import { isJournalValue, RUN_STATUSES } from "../../core/model.js";
import { runDetailOf } from "../../engine/run-view.js";
import { type UsageTotals, usageOf } from "../../engine/usage.js";
import type { Store } from "../../store/store.js";
import { formatOf, limitOf, matches } from "../args.js";
import { EXIT } from "../exit.js";
import type { Out } from "../output.js";
import { ago, iso, ms, paint, STATUS_ICON, statusColour, stdoutOut, table } from "../output.js";
import { follow, printEvent, runJson } from "../progress.js";
import type { InspectOptions } from "../store.js";
import { openStore } from "../store.js";

export async function withStore(cmd: Command, fn: (store: Store, o: InspectOptions, out: Out) => Promise<number>) {
  const o = cmd.optsWithGlobals<InspectOptions>();
  const store = openStore(o);
  try {
    process.exitCode = await fn(store, o, stdoutOut());
  } finally {
    await store.close();
  }
}

export async function mustGet(store: Store, id: string): Promise<RunRecord> {
  const run = await store.runs.get(id);
  if (!run) throw new WeftError("WEFT_NOT_FOUND", `no run has id ${id}; \`weft list\` shows the runs`);
  return run;
}

function duration(run: RunRecord): number | null {
  if (run.startedAt === null) return null;
  return (run.endedAt ?? Date.now()) - run.startedAt;
}

function usageText(t: UsageTotals): string {
  const cost = t.costUsd > 0 ? `, $${t.costUsd.toFixed(4)}` : "";
  return `${t.inputTokens.toLocaleString("en-US")} tokens in, ${t.outputTokens.toLocaleString("en-US")} out${cost} (${t.calls} call${t.calls === 1 ? "" : "s"})`;
}

function usageCells(t: UsageTotals | undefined): string[] {
  if (!t) return ["", ""];
  return [`${t.inputTokens}/${t.outputTokens}`, t.costUsd > 0 ? `$${t.costUsd.toFixed(4)}` : "—"];
}

function budgetText(b: Budget): string {
  const parts = [];
  if (b.tokens !== undefined) parts.push(`${b.tokens.toLocaleString("en-US")} tokens`);
  if (b.costUsd !== undefined) parts.push(`$${b.costUsd}`);
  return `${parts.join(", ")} (on exceed: ${b.onExceed ?? "pause"})`;
}

function stepIdOf(e: EventRecord): string | undefined {
  return "step_id" in e.data ? (e.data.step_id ?? undefined) : undefined;
}

/** `weft list`. */
export function listCommand(_o: unknown, cmd: Command) {
  return withStore(cmd, async (store, o, out) => {
    const format = formatOf(o.format);
    const statuses = o.status?.split(",").map((s) => s.trim());
    for (const s of statuses ?? []) {
      if (!(RUN_STATUSES as readonly string[]).includes(s)) {
        throw new WeftError("WEFT_ARGS", `--status: unknown status "${s}"; one of ${RUN_STATUSES.join(", ")}`);
      }
    }
    const search = o.search?.trim();
    if (search === "") throw new WeftError("WEFT_ARGS", "--search needs some text to look for");
    if (o.workflows) {
      if (statuses) throw new WeftError("WEFT_ARGS", "--status filters runs; it does not go with --workflows");
      // The catalogue reads and validates definition files: its modules load only for `--workflows`.
      return (await import("./workflows.js")).listWorkflows(store, o, out, format, search);
    }
    const limit = limitOf(o.limit, 20);
    const runs = search
      ? (await store.runs.list({ status: statuses as RunStatus[] | undefined, limit: 1_000_000 }))
          .filter((r) => matches(search, r.workflowName, r.definition.description, r.name))
          .slice(0, limit)
      : await store.runs.list({ status: statuses as RunStatus[] | undefined, limit });
    if (format === "json") {
      out.line(
        JSON.stringify(
          runs.map((r) => ({ ...runJson(r, []), steps: undefined })),
          null,
          2,
        ),
      );
      return EXIT.ok;
    }
    if (!runs.length) {
      out.line(search ? `no runs of a workflow matching "${search}"` : "no runs yet — `weft run <file>` starts one");
      return EXIT.ok;
    }
    out.line(
      table(
        ["RUN ID", "WORKFLOW", "STATUS", "PHASE", "STARTED", "DURATION"],
        runs.map((r) => [
          r.id,
          r.workflowName,
          paint(out, statusColour(r.status), r.status),
          r.currentPhase ?? "-",
          r.startedAt ? ago(r.startedAt) : "-",
          ms(duration(r)),
        ]),
      ),
    );
    return EXIT.ok;
  });
}

/** `weft status <run-id>`. */
export function statusCommand(id: string, _o: unknown, cmd: Command) {
  return withStore(cmd, async (store, o, out) => {
    const run = await mustGet(store, id);
    if (formatOf(o.format) === "json") {
      // The API's run view (GET /api/workflow-executions/:id), field for field.
      const view = await runDetailOf(store, run, Date.now());
      if (!view) throw new WeftError("WEFT_NOT_FOUND", `no run has id ${id}; \`weft list\` shows the runs`);
      out.line(JSON.stringify(view, null, 2));
      return EXIT.ok;
    }
    const steps = await store.steps.list(id);
    const usage = usageOf(await store.events.list(id));
    const visible = steps.filter((s) => !isJournalValue(s.key));
    const top = visible.filter((s) => s.iteration === null);
    out.line("Workflow Execution Status:");
    out.line("");
    out.line(`Execution ID: ${run.id}`);
    out.line(`Workflow: ${run.workflowName}`);
    out.line(`State: ${paint(out, statusColour(run.status), run.status)}`);
    if (run.currentPhase) out.line(`Phase: ${run.currentPhase}`);
    out.line(`Steps: ${top.filter((s) => s.status === "completed").length}/${top.length} completed`);
    out.line(`Started: ${iso(run.startedAt)}`);
    out.line(`Completed: ${iso(run.endedAt)}`);
    out.line(`Duration: ${ms(duration(run))}`);
    if (run.forkedFrom) out.line(`Forked from: ${run.forkedFrom.runId} at checkpoint ${run.forkedFrom.checkpoint}`);
    if (run.error) out.line(paint(out, "red", `Error: ${run.error.message}`));
    if (usage.run.calls > 0) out.line(`Usage: ${usageText(usage.run)}`);
    const budget = run.definition.budget;
    if (budget) out.line(`Budget: ${budgetText(budget)}`);
    out.line("");
    const withUsage = usage.run.calls > 0;
    out.line(
      table(
        ["STEP", "STATUS", "ATTEMPT", "DURATION", ...(withUsage ? ["TOKENS IN/OUT", "COST"] : []), "NOTE"],
        visible.map((s) => [
          s.key,
          paint(out, statusColour(s.status), `${STATUS_ICON[s.status]} ${s.status}`),
          String(s.attempt),
          ms(s.startedAt !== null && s.endedAt !== null ? s.endedAt - s.startedAt : null),
          ...(withUsage ? usageCells(usage.steps.get(s.key)) : []),
          s.error?.message ?? (s.waitingFor === "approval" ? `weft approve ${run.id} ${s.key}` : ""),
        ]),
      ),
    );
    return EXIT.ok;
  });
}

/** `weft logs <run-id>`. */
export function logsCommand(id: string, _o: unknown, cmd: Command) {
  return withStore(cmd, async (store, o, out) => {
    const format = formatOf(o.format);
    await mustGet(store, id);
    const print = (e: EventRecord) => {
      if (o.step && (!("key" in e.data) || (e.data.key !== o.step && stepIdOf(e) !== o.step))) return;
      if (format === "table")
        out.line(`${paint(out, "gray", new Date(e.at).toISOString().slice(11, 23))} ${describe(e)}`);
      else printEvent(out, e, { output: true, format });
    };
    if (o.follow) {
      const run = await follow(store, id, print);
      return run.status === "completed" ? EXIT.ok : EXIT.runFailed;
    }
    let seq = 0;
    for (;;) {
      const batch = await store.events.list(id, seq, 1000);
      for (const e of batch) print(e);
      if (batch.length < 1000) break;
      seq = batch[batch.length - 1]!.seq;
    }
    return EXIT.ok;
  });
}

function describe(e: EventRecord): string {
  switch (e.type) {
    case "workflow.step.progress":
      return `${e.data.key} ${e.data.stream}: ${e.data.output}`;
    case "workflow.step.started":
      return `${e.data.key} started (attempt ${e.data.attempt})`;
    case "workflow.step.completed":
      return `${e.data.key} ${e.data.status}${e.data.error ? `: ${e.data.error.message}` : e.data.reason ? `: ${e.data.reason}` : ""}`;
    case "workflow.step.retrying":
      return `${e.data.key} retrying in ${e.data.delay_ms} ms: ${e.data.error.message}`;
    case "workflow.step.waiting":
      return `${e.data.key} waiting for ${e.data.reason}${e.data.message ? `: ${e.data.message}` : ""}`;
    case "workflow.execution.status_changed":
      return `run ${e.data.status}${e.data.error ? `: ${e.data.error.message}` : ""}`;
    case "workflow.execution.phase_changed":
      return `phase ${e.data.current_phase}`;
    case "workflow.step.usage":
      return `${e.data.key} used ${e.data.input_tokens}/${e.data.output_tokens} tokens (${e.data.model})${e.data.cost_usd === null ? "" : `, $${e.data.cost_usd.toFixed(4)}`}`;
    case "workflow.execution.budget_exceeded":
      return `${e.data.key}: ${e.data.scope} budget used up (${e.data.spent.tokens} tokens, $${e.data.spent.cost_usd.toFixed(4)}); ${e.data.policy === "pause" ? "run paused" : "step failed"}`;
    case "workflow.execution.budget_changed":
      return `${e.data.key === null ? "run" : e.data.key} budget set to ${e.data.tokens ?? "∞"} tokens, ${e.data.cost_usd === null ? "no cost limit" : `$${e.data.cost_usd}`} by ${e.data.by}`;
    default:
      return `${e.type} ${JSON.stringify(e.data)}`;
  }
}
