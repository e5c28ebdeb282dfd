/**
 * The step drawer: a side panel on wide screens, full screen on narrow ones. Status and actions on top
 * (retry a failed step, approve or reject one waiting), then tabs: overview (error, attempts, usage, input),
 * the live log, the output as a JSON tree, the agent transcript, the step's files and its comments.
 */
import { useQuery } from "@tanstack/react-query";
import { Check, RotateCcw, X } from "lucide-react";
import { type ReactNode, useEffect, useId, useRef, useState } from "react";
import { api, call, WeftApiError } from "../../api/client";
import { ErrorView } from "../../components/ErrorView";
import { JsonTree } from "../../components/JsonTree";
import { ArtifactList, UploadButton } from "./Artifacts";
import type { RunActions } from "./actions";
import { CommentForm, CommentList, useComments } from "./Comments";
import { Elapsed } from "./Elapsed";
import type { StepGroup } from "./graph-model";
import { LogView } from "./LogView";
import { StepIcon } from "./StepIcon";
import { Transcript, usageOfSession } from "./Transcript";
import {
  type Artifact,
  formatCost,
  formatDuration,
  formatTokens,
  keys,
  type RunDetail,
  read,
  type StepSummary,
  stepRunId,
} from "./types";
import { useRunArtifacts } from "./useArtifacts";

type Tab = "overview" | "log" | "output" | "agent" | "files" | "comments";

function useStepDetail(id: string) {
  return useQuery({ queryKey: keys.step(id), queryFn: () => read.step(id) });
}

function InputView({ id }: { id: string }) {
  const q = useQuery({
    queryKey: [...keys.step(id), "input"],
    queryFn: async () => {
      try {
        const log = await call(
          api.GET("/api/workflow-steps/{id}/logs/{type}", { params: { path: { id, type: "input" } } }),
        );
        try {
          return { value: JSON.parse(log.content) as unknown };
        } catch {
          return { value: log.content as unknown };
        }
      } catch (err) {
        if (err instanceof WeftApiError && err.status === 404) return null;
        throw err;
      }
    },
  });
  if (q.error) return <ErrorView error={q.error} />;
  if (q.isPending) return <p className="muted">Loading…</p>;
  if (!q.data) return <p className="muted">The step has not been given its input yet.</p>;
  return <JsonTree value={q.data.value} label="Step input" />;
}

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="field">
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

function Decision({ runId, step, actions }: { runId: string; step: StepSummary; actions: RunActions }) {
  const [comment, setComment] = useState("");
  const id = useId();
  return (
    <div className="decision" data-run={runId}>
      <p className="decision-title">This step waits for your approval.</p>
      {step.message && <p className="decision-message">{step.message}</p>}
      <label htmlFor={id} className="field-label">
        Comment (optional)
      </label>
      <textarea id={id} className="textarea" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
      <div className="decision-actions">
        <button
          type="button"
          className="btn btn-primary"
          disabled={actions.pending !== null}
          onClick={() => actions.run({ kind: "approve", step: step.key, comment })}
        >
          <Check size={15} aria-hidden="true" />
          Approve
        </button>
        <button
          type="button"
          className="btn btn-danger"
          disabled={actions.pending !== null}
          onClick={() => actions.run({ kind: "reject", step: step.key, comment })}
        >
          <X size={15} aria-hidden="true" />
          Reject
        </button>
      </div>
    </div>
  );
}

export interface StepDrawerProps {
  run: RunDetail;
  group: StepGroup;
  item: string | null;
  onItem: (key: string | null) => void;
  onClose: () => void;
  actions: RunActions;
  canOperate: boolean;
}

export function StepDrawer({ run, group, item, onItem, onClose, actions, canOperate }: StepDrawerProps) {
  const step = (item ? group.items.find((i) => i.key === item) : undefined) ?? group.step ?? group.items[0];
  const key = step?.key ?? group.def.id;
  const id = stepRunId(run.id, key);
  const status = step?.status ?? group.status;
  const detail = useStepDetail(id);
  const comments = useComments(run.id);
  const artifacts = useRunArtifacts(run.id);
  const running = status === "running";
  const [tab, setTab] = useState<Tab>(running ? "log" : "overview");
  const panel = useRef<HTMLElement>(null);
  const headingId = useId();

  useEffect(() => {
    panel.current?.focus();
  }, []);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);

  const d = detail.data;
  const session = d?.session ?? null;
  const usage = usageOfSession(session);
  const stepComments = (comments.data ?? []).filter((c) => c.step_key === key);
  const stepArtifacts = (artifacts.data ?? ([] as Artifact[])).filter((a) => a.workflow_run_step_id === id);
  const tabs: { id: Tab; label: string; count?: number }[] = [
    { id: "overview", label: "Overview" },
    { id: "log", label: "Log" },
    { id: "output", label: "Output" },
    ...(session !== null ? [{ id: "agent" as const, label: "Agent" }] : []),
    { id: "files", label: "Files", count: stepArtifacts.length },
    { id: "comments", label: "Comments", count: stepComments.length },
  ];
  const waitingApproval = step?.status === "waiting" && step.waiting_for === "approval";
  const canRetry = step !== undefined && (step.status === "failed" || step.status === "cancelled");

  return (
    <aside ref={panel} className="drawer" aria-labelledby={headingId} tabIndex={-1} data-step-drawer={key}>
      <header className="drawer-head">
        <span className={`drawer-icon st-bg-${status}`}>
          <StepIcon type={group.def.type} size={18} />
        </span>
        <div className="drawer-title">
          <h2 id={headingId}>
            {group.items.length > 0 && step?.iteration !== null && step ? step.key : group.def.name}
          </h2>
          <p className="drawer-sub">
            <span className={`status status-${status}`}>{status}</span>
            <span>{group.def.type}</span>
            {group.def.phase && <span>phase {group.def.phase}</span>}
            {step && step.attempt > 1 && <span>attempt {step.attempt}</span>}
            {step?.started_at && (
              <span>
                <Elapsed start={step.started_at} end={step.completed_at} ms={step.duration_ms} />
              </span>
            )}
          </p>
        </div>
        <button type="button" className="icon-btn" aria-label="Close step details" onClick={onClose}>
          <X size={18} aria-hidden="true" />
        </button>
      </header>

      {group.items.length > 0 && (
        <nav className="items" aria-label="Items">
          {group.step && (
            <button type="button" className="item-chip" aria-pressed={item === null} onClick={() => onItem(null)}>
              all
            </button>
          )}
          {group.items.map((i) => (
            <button
              key={i.key}
              type="button"
              className={`item-chip item-${i.status}`}
              aria-pressed={step?.key === i.key}
              aria-label={`Item ${i.iteration}, ${i.status}`}
              onClick={() => onItem(i.key)}
            >
              {i.iteration}
            </button>
          ))}
        </nav>
      )}

      {canOperate && waitingApproval && step && <Decision runId={run.id} step={step} actions={actions} />}
      {canOperate && canRetry && step && (
        <div className="drawer-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={actions.pending !== null}
            onClick={() => actions.run({ kind: "retry", step: step.key })}
          >
            <RotateCcw size={15} aria-hidden="true" />
            Retry step
          </button>
        </div>
      )}
      {step?.error && (
        <div className="step-error" role="note">
          <span className="step-error-code">{step.error.code}</span>
          <p>{step.error.message}</p>
        </div>
      )}

      <div className="tabs" role="tablist" aria-label="Step details">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            id={`${headingId}-tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`${headingId}-panel`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => setTab(t.id)}
            onKeyDown={(e) => {
              const i = tabs.findIndex((x) => x.id === tab);
              const next = e.key === "ArrowRight" ? i + 1 : e.key === "ArrowLeft" ? i - 1 : null;
              if (next === null) return;
              const t2 = tabs[(next + tabs.length) % tabs.length];
              if (t2) {
                setTab(t2.id);
                document.getElementById(`${headingId}-tab-${t2.id}`)?.focus();
              }
            }}
          >
            {t.label}
            {t.count ? <span className="tab-count">{t.count}</span> : null}
          </button>
        ))}
      </div>

      <div
        className="drawer-body"
        role="tabpanel"
        id={`${headingId}-panel`}
        aria-labelledby={`${headingId}-tab-${tab}`}
      >
        {detail.error && !(detail.error instanceof WeftApiError && detail.error.status === 404) && (
          <ErrorView error={detail.error} retry={() => void detail.refetch()} />
        )}
        {tab === "overview" && (
          <>
            <dl className="fields">
              <Field label="Status">{status}</Field>
              <Field label="Started">{step?.started_at ? new Date(step.started_at).toLocaleTimeString() : "—"}</Field>
              <Field label="Duration">
                {step?.started_at ? (
                  <Elapsed start={step.started_at} end={step.completed_at} ms={step.duration_ms} />
                ) : (
                  "—"
                )}
              </Field>
              <Field label="Tokens">{usage ? formatTokens(usage.tokens) : "—"}</Field>
              <Field label="Cost">{formatCost(usage?.cost)}</Field>
              <Field label="Attempts">{d?.attempts.length ?? step?.attempt ?? 0}</Field>
            </dl>
            <h3 className="section-h">Attempts</h3>
            {d && d.attempts.length > 0 ? (
              <ol className="attempts">
                {d.attempts.map((a) => (
                  <li key={a.attempt} className="attempt">
                    <span className={`status status-${a.status}`}>{a.status}</span>
                    <span>attempt {a.attempt}</span>
                    <span className="muted">{formatDuration(a.duration_ms)}</span>
                    {a.error && <p className="attempt-error">{a.error.message}</p>}
                  </li>
                ))}
              </ol>
            ) : (
              <p className="muted">No finished attempt yet.</p>
            )}
            <h3 className="section-h">Input</h3>
            <InputView id={id} />
          </>
        )}
        {tab === "log" && <LogView stepRunId={id} running={running} />}
        {tab === "output" &&
          (d && d.output !== null && d.output !== undefined ? (
            <JsonTree value={d.output} label="Step output" />
          ) : (
            <p className="muted">{running ? "The step is still running." : "No output."}</p>
          ))}
        {tab === "agent" && session !== null && <Transcript session={session} />}
        {tab === "files" && (
          <>
            {canOperate && (
              <div className="panel-tools">
                <UploadButton runId={run.id} stepKey={key} label="Upload to step" />
              </div>
            )}
            <ArtifactList artifacts={stepArtifacts} empty="This step has produced no files." canOperate={canOperate} />
          </>
        )}
        {tab === "comments" && (
          <>
            <CommentList comments={stepComments} empty="No comments on this step." />
            {canOperate && <CommentForm runId={run.id} stepKey={key} />}
          </>
        )}
      </div>
    </aside>
  );
}
