/**
 * The run's server state and how it stays current. The detail is fetched once; live events patch it in place
 * (a step's status, times and attempt; the run's status and phase), so nodes recolour without a refetch.
 * What events do not carry (outputs, totals, new foreach items) comes from one debounced refetch of the
 * detail — many events in a burst cause one request, not one each. After a reconnect everything is reloaded.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { type LiveEvent, useLiveEvents } from "../../api/live";
import { keys, type RunDetail, read, type StepStatus, type StepSummary, stepRunId } from "./types";

/** Trailing delay of the catch-up refetch, and the longest a burst of events may postpone it. */
const REFETCH_DELAY_MS = 400;
const REFETCH_MAX_WAIT_MS = 2000;

export function useRunQuery(id: string) {
  return useQuery({
    queryKey: keys.run(id),
    queryFn: () => read.run(id),
  });
}

/** A function that runs `fn` once after calls stop for `delay` ms (or `maxWait` after the first). */
function useDebounced(fn: () => void, delay: number, maxWait: number): () => void {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const first = useRef<number | null>(null);
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => () => clearTimeout(timer.current), []);
  return useRef(() => {
    const now = Date.now();
    first.current ??= now;
    clearTimeout(timer.current);
    const wait = Math.max(0, Math.min(delay, first.current + maxWait - now));
    timer.current = setTimeout(() => {
      first.current = null;
      latest.current();
    }, wait);
  }).current;
}

/** What a step event says about the step, as a patch of its summary. */
function stepPatch(e: LiveEvent): Partial<StepSummary> | null {
  const d = e.data;
  switch (e.type) {
    case "workflow.step.started":
      return {
        status: "running",
        attempt: typeof d.attempt === "number" ? d.attempt : undefined,
        started_at: e.at,
        completed_at: null,
        duration_ms: null,
        waiting_for: null,
        error: null,
        error_message: null,
      };
    case "workflow.step.waiting":
      return { status: "waiting", waiting_for: d.reason === "timer" ? "timer" : "approval" };
    case "workflow.step.retrying":
      return { status: "pending" };
    case "workflow.step.reset":
      return { status: "pending", completed_at: null, duration_ms: null, error: null, error_message: null };
    case "workflow.step.completed": {
      const err = d.error as StepSummary["error"] | undefined;
      return {
        status: (d.status as StepStatus | undefined) ?? "completed",
        completed_at: e.at,
        waiting_for: null,
        ...(typeof d.duration_ms === "number" ? { duration_ms: d.duration_ms } : {}),
        ...(err ? { error: err, error_message: err.message } : {}),
      };
    }
    default:
      return null;
  }
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Keeps the run's cached detail (and the open step's, comments, artifacts, checkpoints) current. */
export function useRunLive(id: string, openStep: string | null): void {
  const qc = useQueryClient();
  const refetch = useDebounced(
    () => {
      void qc.invalidateQueries({ queryKey: keys.run(id), exact: true });
      if (openStep) void qc.invalidateQueries({ queryKey: keys.step(stepRunId(id, openStep)) });
    },
    REFETCH_DELAY_MS,
    REFETCH_MAX_WAIT_MS,
  );

  useLiveEvents(
    (e) => {
      if (e.data.execution_id !== id) {
        // A fork of this run being created: the list of forks changes.
        if (e.type === "workflow.execution.created") void qc.invalidateQueries({ queryKey: keys.forks(id) });
        return;
      }
      const key = typeof e.data.key === "string" ? e.data.key : null;
      const patch = stepPatch(e);
      let known = true;
      qc.setQueryData<RunDetail>(keys.run(id), (run) => {
        if (!run) return run;
        if (patch && key) {
          known = run.steps.some((s) => s.key === key);
          const clean = withoutUndefined(patch);
          return { ...run, steps: run.steps.map((s) => (s.key === key ? { ...s, ...clean } : s)) };
        }
        if (e.type === "workflow.execution.status_changed" && typeof e.data.status === "string") {
          return { ...run, status: e.data.status as RunDetail["status"], updated_at: e.at };
        }
        if (e.type === "workflow.execution.phase_changed") {
          return { ...run, current_phase: (e.data.current_phase as string | null) ?? null };
        }
        return run;
      });
      if (!known) refetch(); // a foreach item that was not there yet
      switch (e.type) {
        case "workflow.comment.created":
          void qc.invalidateQueries({ queryKey: keys.comments(id) });
          break;
        case "workflow.artifact.created":
        case "workflow.artifact.attached":
        case "workflow.artifact.detached":
        case "workflow.artifact.deleted":
          void qc.invalidateQueries({ queryKey: keys.artifacts(id) });
          void qc.invalidateQueries({ queryKey: keys.comments(id) });
          break;
        case "workflow.checkpoint.created":
          void qc.invalidateQueries({ queryKey: keys.checkpoints(id) });
          break;
        case "workflow.step.progress":
          return; // log lines: the drawer streams them itself; nothing in the detail changes
      }
      refetch();
    },
    () => {
      void qc.invalidateQueries({ queryKey: ["run", id] });
      void qc.invalidateQueries({ queryKey: ["step"] });
    },
  );
}
