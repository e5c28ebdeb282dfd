/**
 * The Active runs panel: a slide-over (a modal dialog) opened from the header on every page, listing the runs
 * that are going — queued, running, waiting, paused — with inline pause / resume / stop. Commands show their
 * result at once and are put back, with the API's message, when the server refuses them. The list follows the
 * live feed: a run launched anywhere appears as soon as its `workflow.execution.created` event arrives.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Lock, Pause, Play, Square, X } from "lucide-react";
import { useEffect, useRef, useState } from "react";
import { Link } from "wouter";
import { api, call, messageOf, type paths } from "../api/client";
import { useLiveEvents } from "../api/live";
import { OPTIMISTIC_STATUS, type RunCommand, sendRunCommand } from "../api/runCommands";
import { useCan } from "../api/session";
import { ago } from "./ago";
import { ErrorView } from "./ErrorView";
import "./ActivePanel.css";

type Run = paths["/api/workflow-executions"]["get"]["responses"][200]["content"]["application/json"]["data"][number];

const ACTIVE = ["pending", "running", "waiting", "paused"] as const;
/** The panel's query: invalidated by whatever starts a run (the launch form), so the run is listed at once. */
export const ACTIVE_RUNS_KEY = ["active-runs"];
const KEY = ACTIVE_RUNS_KEY;

export function ActivePanel({ open, onClose }: { open: boolean; onClose: () => void }) {
  if (!open) return null;
  return <Panel onClose={onClose} />;
}

function Panel({ onClose }: { onClose: () => void }) {
  const qc = useQueryClient();
  const runs = useQuery({
    queryKey: KEY,
    queryFn: () =>
      call(
        api.GET("/api/workflow-executions", {
          params: { query: { status: [...ACTIVE], view: "summary", limit: 200 } },
        }),
      ),
    staleTime: 0,
  });
  const dialog = useFocusTrap(onClose);

  // One refetch for a burst of events (a run's steps finishing one after the other).
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const refresh = () => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void qc.invalidateQueries({ queryKey: KEY });
    }, 120);
  };
  useEffect(() => () => clearTimeout(pending.current), []);
  useLiveEvents((e) => {
    if (e.type === "workflow.execution.created" || e.type === "workflow.execution.status_changed") refresh();
    else if (e.type.startsWith("workflow.step.") && runs.data?.some((r) => r.id === e.data.execution_id)) refresh();
  }, refresh);

  const list = runs.data ?? [];
  return (
    <div className="slideover-root">
      <div className="slideover-backdrop" onClick={onClose} aria-hidden="true" />
      <div className="slideover" role="dialog" aria-modal="true" aria-labelledby="active-title" ref={dialog}>
        <div className="slideover-head">
          <h2 id="active-title">Active runs {runs.data && <span className="slideover-count">{list.length}</span>}</h2>
          <button type="button" className="icon-btn" aria-label="Close active runs" onClick={onClose}>
            <X size={18} aria-hidden="true" />
          </button>
        </div>
        <div className="slideover-body">
          {runs.error ? (
            <ErrorView error={runs.error} retry={() => void runs.refetch()} />
          ) : runs.isPending ? (
            <p className="muted">Loading…</p>
          ) : list.length === 0 ? (
            <div className="active-empty">
              <p className="active-empty-title">Nothing is running</p>
              <p className="muted">
                Runs that are queued, running, waiting for a person or a timer, or paused show up here as soon as they
                start.
              </p>
            </div>
          ) : (
            <ul className="active-list" aria-label="Active runs">
              {list.map((run) => (
                <ActiveRun key={run.id} run={run} onNavigate={onClose} />
              ))}
            </ul>
          )}
        </div>
      </div>
    </div>
  );
}

function ActiveRun({ run, onNavigate }: { run: Run; onNavigate: () => void }) {
  const qc = useQueryClient();
  const can = useCan();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const operate = can(run.project_id, "operate");
  const { done, total } = progressOf(run);
  const percent = run.progress_percent;
  const current = run.current_step;

  async function command(c: RunCommand) {
    setError(null);
    setConfirming(false);
    setBusy(true);
    await qc.cancelQueries({ queryKey: KEY });
    const status = OPTIMISTIC_STATUS[c];
    qc.setQueryData<Run[]>(KEY, (list) => list?.map((r) => (r.id === run.id ? { ...r, status } : r)));
    try {
      await sendRunCommand(run.id, c);
    } catch (err) {
      qc.setQueryData<Run[]>(KEY, (list) => list?.map((r) => (r.id === run.id ? run : r)));
      setError(messageOf(err));
    } finally {
      setBusy(false);
      void qc.invalidateQueries({ queryKey: KEY });
    }
  }

  return (
    <li className="active-run" aria-label={run.name}>
      <div className="active-run-top">
        <span className={`status status-${run.status}`}>{run.status === "pending" ? "queued" : run.status}</span>
        <Link href={`/runs/${run.id}`} className="run-link" onClick={onNavigate}>
          {run.name}
        </Link>
      </div>
      <div className="active-run-meta">
        <span>{run.workflow_name}</span>
        <span aria-hidden="true">·</span>
        <time dateTime={run.started_at ?? run.created_at} title={run.started_at ?? run.created_at}>
          {run.status === "pending" ? "queued" : "started"} {ago(run.started_at ?? run.created_at)}
        </time>
        {current && (
          <>
            <span aria-hidden="true">·</span>
            <span>
              {current.status === "waiting" ? "waiting at" : "at"} <strong>{current.name}</strong>
            </span>
            {run.waiting_for_person && (
              <Link href="/inbox" className="active-run-review" onClick={onNavigate}>
                needs review
              </Link>
            )}
          </>
        )}
      </div>
      <div className="active-run-progress">
        <div
          className="progress"
          role="progressbar"
          aria-label={`${run.name} progress`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
        >
          <div style={{ width: `${percent}%` }} />
        </div>
        <span className="muted">
          {done} of {total} steps
        </span>
      </div>
      {operate ? (
        confirming ? (
          <div className="active-run-confirm">
            <span>Stop this run? Running steps are killed.</span>
            <button type="button" className="btn btn-sm btn-danger" onClick={() => void command("cancel")}>
              Stop run
            </button>
            <button type="button" className="btn btn-sm" onClick={() => setConfirming(false)}>
              Keep running
            </button>
          </div>
        ) : (
          <div className="active-run-actions">
            {run.status === "paused" ? (
              <button type="button" className="btn btn-sm" disabled={busy} onClick={() => void command("resume")}>
                <Play size={14} aria-hidden="true" /> Resume
              </button>
            ) : (
              <button type="button" className="btn btn-sm" disabled={busy} onClick={() => void command("pause")}>
                <Pause size={14} aria-hidden="true" /> Pause
              </button>
            )}
            <button type="button" className="btn btn-sm btn-danger" disabled={busy} onClick={() => setConfirming(true)}>
              <Square size={12} aria-hidden="true" /> Stop
            </button>
          </div>
        )
      ) : (
        <p className="read-only-note" title="Your token may read this project but not operate runs in it">
          <Lock size={12} aria-hidden="true" /> Read-only access
        </p>
      )}
      {error && (
        <p className="active-run-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** Finished steps of the visible ones (as the server counts them for `progress_percent`). */
function progressOf(run: Run): { done: number; total: number } {
  const by = run.steps_by_status;
  return { done: by.completed + by.failed + by.skipped + by.cancelled, total: run.step_count };
}

/**
 * Keeps Tab inside the dialog, closes it on Escape, focuses it on open and gives focus back to what had it
 * (the header's button) on close.
 */
function useFocusTrap(onClose: () => void) {
  const ref = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const el = ref.current;
    el?.querySelector<HTMLElement>("button")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        e.preventDefault();
        close.current();
        return;
      }
      if (e.key !== "Tab" || !el) return;
      const items = [...el.querySelectorAll<HTMLElement>("a[href], button:not(:disabled), input, textarea, select")];
      const first = items[0];
      const last = items[items.length - 1];
      if (!first || !last) return;
      if (e.shiftKey && (document.activeElement === first || !el.contains(document.activeElement))) {
        e.preventDefault();
        last.focus();
      } else if (!e.shiftKey && (document.activeElement === last || !el.contains(document.activeElement))) {
        e.preventDefault();
        first.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("keydown", onKey);
      before?.focus();
    };
  }, []);
  return ref;
}
