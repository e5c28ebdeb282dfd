/** Live lines for `run`, `resume` and `logs -f`: one per step event, from the engine or the event log. */
import type { EventRecord } from "../core/events.js";
import type { RunRecord, StepRunRecord } from "../core/model.js";
import { isJournalValue, TERMINAL_RUN_STATUSES } from "../core/model.js";
import type { Store } from "../store/store.js";
import type { Out } from "./output.js";
import { ms, paint, STATUS_ICON, statusColour } from "./output.js";

export interface ProgressOptions {
  /** Print step output lines (stdout/stderr of scripts, streamed agent text). */
  output: boolean;
  format: "table" | "json";
}

export function printEvent(out: Out, e: EventRecord, opts: ProgressOptions): void {
  // TypeScript workflows' journaled values ($now-3, $checkpoint-5…) are not steps anyone watches.
  if (e.type === "workflow.step.completed" && isJournalValue(e.data.key) && opts.format === "table") return;
  if (opts.format === "json") {
    if (e.type !== "workflow.step.progress" || opts.output) out.line(JSON.stringify(e));
    return;
  }
  const pad = (s: string) => s.padEnd(24);
  switch (e.type) {
    case "workflow.step.started":
      out.line(
        `${paint(out, "blue", STATUS_ICON.running)} ${pad(e.data.key)} ${paint(out, "blue", "running".padEnd(10))} attempt ${e.data.attempt}`,
      );
      return;
    case "workflow.step.completed": {
      const d = e.data;
      const icon = paint(out, statusColour(d.status), STATUS_ICON[d.status]);
      const status = paint(out, statusColour(d.status), d.status.padEnd(10));
      const tail = d.error ? ` — ${d.error.message}` : d.reason ? ` — ${d.reason}` : "";
      const attempt = d.attempt > 0 ? `attempt ${d.attempt}` : "";
      out.line(`${icon} ${pad(d.key)} ${status} ${attempt.padEnd(10)} ${ms(d.duration_ms)}${tail}`.trimEnd());
      return;
    }
    case "workflow.step.retrying":
      out.line(
        `${paint(out, "yellow", "↻")} ${pad(e.data.key)} ${paint(out, "yellow", "retrying".padEnd(10))} attempt ${e.data.attempt} failed: ${e.data.error.message}; next in ${ms(e.data.delay_ms)}`,
      );
      return;
    case "workflow.step.waiting":
      if (e.data.reason === "approval") {
        out.line(
          `${paint(out, "yellow", STATUS_ICON.waiting)} ${pad(e.data.key)} ${paint(out, "yellow", "waiting".padEnd(10))} for approval${e.data.message ? `: ${e.data.message}` : ""} — weft approve ${e.runId} ${e.data.key}`,
        );
      } else {
        out.line(
          `${paint(out, "yellow", STATUS_ICON.waiting)} ${pad(e.data.key)} ${paint(out, "yellow", "sleeping".padEnd(10))} until ${new Date(e.data.until ?? 0).toISOString()}`,
        );
      }
      return;
    case "workflow.step.progress":
      if (opts.output) out.line(paint(out, "gray", `  │ ${e.data.key}: ${e.data.output.replace(/\n$/, "")}`));
      return;
    case "workflow.execution.phase_changed":
      out.line(paint(out, "bold", `── phase: ${e.data.current_phase}`));
      return;
    case "workflow.execution.status_changed":
      if (e.data.status !== "running" || e.data.previous !== "pending") {
        out.line(
          paint(
            out,
            statusColour(e.data.status),
            `run ${e.data.status}${e.data.error ? `: ${e.data.error.message}` : ""}`,
          ),
        );
      }
      return;
    case "workflow.approval.decided":
      out.line(
        `  ${e.data.key} ${e.data.approved ? "approved" : "rejected"} by ${e.data.by}${e.data.comment ? `: ${e.data.comment}` : ""}`,
      );
      return;
    case "workflow.step.reset":
      out.line(`  ${e.data.key} reset by ${e.data.by}`);
      return;
    case "workflow.execution.lease_acquired":
      if (e.data.takeover) out.line(paint(out, "gray", `  taken over by pid ${e.data.pid} (epoch ${e.data.epoch})`));
      return;
    default:
      return;
  }
}

export function printSummary(out: Out, run: RunRecord, steps: StepRunRecord[], format: "table" | "json"): void {
  const top = steps.filter((s) => s.iteration === null && !isJournalValue(s.key));
  const count = (st: string) => top.filter((s) => s.status === st).length;
  const duration = run.startedAt !== null && run.endedAt !== null ? run.endedAt - run.startedAt : null;
  if (format === "json") {
    out.line(JSON.stringify({ type: "summary", ...runJson(run, steps) }));
    return;
  }
  out.line("");
  const icon = paint(out, statusColour(run.status), `${STATUS_ICON[run.status]} Workflow ${run.status}`);
  out.line(icon);
  out.line(`Execution ID: ${run.id}`);
  out.line(`Workflow: ${run.workflowName}`);
  out.line(`State: ${run.status}`);
  out.line(`Duration: ${ms(duration)}`);
  out.line(
    `Steps: ${top.length} (${count("completed")} completed, ${count("failed")} failed, ${count("skipped")} skipped${count("cancelled") ? `, ${count("cancelled")} cancelled` : ""})`,
  );
  if (run.error) out.line(paint(out, "red", `Error: ${run.error.message}`));
}

/** The documented, stable JSON shape of a run (`status --format json`, the summary line of `run --format json`). */
export function runJson(run: RunRecord, steps: StepRunRecord[]) {
  return {
    id: run.id,
    name: run.name,
    workflow: run.workflowName,
    workflow_hash: run.workflowHash,
    status: run.status,
    current_phase: run.currentPhase,
    priority: run.priority,
    triggered_by: run.triggeredBy,
    args: run.args,
    error: run.error,
    output: run.output,
    created_at: iso(run.createdAt),
    started_at: iso(run.startedAt),
    ended_at: iso(run.endedAt),
    duration_ms: run.startedAt !== null && run.endedAt !== null ? run.endedAt - run.startedAt : null,
    forked_from: forkedFromJson(run),
    steps: steps.map((s) => ({
      key: s.key,
      step_id: s.stepId,
      iteration: s.iteration,
      status: s.status,
      attempt: s.attempt,
      error: s.error,
      waiting_for: s.waitingFor,
      started_at: iso(s.startedAt),
      ended_at: iso(s.endedAt),
      duration_ms: s.startedAt !== null && s.endedAt !== null ? s.endedAt - s.startedAt : null,
    })),
  };
}

/** `{ run_id, checkpoint }` of a rewound run (snake_case like every other key here), else null. */
export function forkedFromJson(run: RunRecord): { run_id: string; checkpoint: number } | null {
  return run.forkedFrom ? { run_id: run.forkedFrom.runId, checkpoint: run.forkedFrom.checkpoint } : null;
}

function iso(t: number | null): string | null {
  return t === null ? null : new Date(t).toISOString();
}

/**
 * Follows a run driven by another process through the event log until it ends. Resolves with the final run.
 */
export async function follow(
  store: Store,
  runId: string,
  onEvent: (e: EventRecord) => void,
  opts: {
    afterSeq?: number;
    intervalMs?: number;
    signal?: AbortSignal;
    /** Stop following (and return the run) as soon as this holds, e.g. when the driving process died. */
    until?: (run: RunRecord) => boolean;
  } = {},
): Promise<RunRecord> {
  let seq = opts.afterSeq ?? 0;
  for (;;) {
    const events = await store.events.list(runId, seq, 1000);
    for (const e of events) {
      seq = e.seq;
      onEvent(e);
    }
    const run = await store.runs.get(runId);
    if (!run) throw new Error(`run ${runId} disappeared`);
    if (TERMINAL_RUN_STATUSES.has(run.status) && events.length < 1000) {
      const rest = await store.events.list(runId, seq, 100_000);
      for (const e of rest) onEvent(e);
      return run;
    }
    if (opts.signal?.aborted || opts.until?.(run)) return run;
    if (events.length < 1000) await new Promise((r) => setTimeout(r, opts.intervalMs ?? 150));
  }
}
