/**
 * The run page (`/runs/:id`): the live DAG of the run's steps, its progress and estimated time left, the
 * controls, a step drawer, the run's comments and files, and the runs it was forked from / into.
 * Data: run/useRun.ts (one query, patched by live events); controls: run/actions.ts (optimistic).
 */
import "./RunPage.css";
import { useQuery } from "@tanstack/react-query";
import { ArrowLeft, GitFork, UserCheck } from "lucide-react";
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from "react";
import { Link } from "wouter";
import { useCan } from "../api/session";
import { ErrorView } from "../components/ErrorView";
import { ArtifactList, UploadButton } from "./run/Artifacts";
import { useRunActions } from "./run/actions";
import { RunComments } from "./run/Comments";
import { Controls } from "./run/Controls";
import { Elapsed } from "./run/Elapsed";
import { groupSteps, type StepGroup } from "./run/graph-model";
import { StepDrawer } from "./run/StepDrawer";
import { formatCost, formatDuration, formatTokens, keys, type RunDetail, read, STEP_FINISHED } from "./run/types";
import { useRunArtifacts } from "./run/useArtifacts";
import { useRunLive, useRunQuery } from "./run/useRun";

const RunGraph = lazy(() => import("./run/RunGraph"));

function useNarrow(): boolean {
  const q = "(max-width: 760px)";
  const [narrow, setNarrow] = useState(() => window.matchMedia(q).matches);
  useEffect(() => {
    const m = window.matchMedia(q);
    const on = () => setNarrow(m.matches);
    m.addEventListener("change", on);
    return () => m.removeEventListener("change", on);
  }, []);
  return narrow;
}

function Progress({ run, groups }: { run: RunDetail; groups: StepGroup[] }) {
  const total = groups.length;
  const done = groups.filter((g) => STEP_FINISHED.has(g.status)).length;
  const pct = total === 0 ? 0 : Math.round((done / total) * 100);
  const current =
    groups.find((g) => g.status === "running") ??
    groups.find((g) => g.status === "waiting") ??
    (run.status === "completed" ? undefined : groups.find((g) => !STEP_FINISHED.has(g.status)));
  const eta = run.estimated_remaining_ms;
  return (
    <section className="card progress-card" aria-label="Progress">
      <div className="progress-top">
        <span className="progress-count">
          <strong>{done}</strong> of {total} steps
        </span>
        {current && run.status !== "cancelled" && run.status !== "failed" && (
          <span className="progress-current">
            Current: <strong>{current.def.name}</strong>
            <span className={`status status-${current.status}`}>{current.status}</span>
          </span>
        )}
        <span className="progress-eta">
          {run.status === "completed"
            ? "Finished"
            : eta !== null && eta !== undefined && !["failed", "cancelled"].includes(run.status)
              ? `About ${formatDuration(eta)} left`
              : ["failed", "cancelled"].includes(run.status)
                ? `Ended ${run.status}`
                : "No estimate yet"}
        </span>
      </div>
      <div
        className={`progress progress-${run.status}`}
        role="progressbar"
        aria-label="Steps finished"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={pct}
      >
        <div style={{ width: `${pct}%` }} />
      </div>
    </section>
  );
}

function ForkLinks({ run }: { run: RunDetail }) {
  const forks = useQuery({
    queryKey: keys.forks(run.id),
    queryFn: () => read.forks(run.id),
    // Forks are made from other pages too (a rewind opens the fork): always asked again when shown.
    staleTime: 0,
  });
  const parentId = run.forked_from?.run_id ?? null;
  const parent = useQuery({
    queryKey: keys.run(parentId ?? ""),
    queryFn: () => read.run(parentId ?? ""),
    enabled: parentId !== null,
  });
  const list = forks.data ?? [];
  if (!run.forked_from && list.length === 0) return null;
  return (
    <section className="card panel" aria-labelledby="forks-h">
      <header className="panel-head">
        <h2 id="forks-h">
          <GitFork size={15} aria-hidden="true" /> Forks
        </h2>
      </header>
      {run.forked_from && (
        <p className="fork-parent">
          Forked from{" "}
          <Link href={`/runs/${run.forked_from.run_id}`} className="fork-link" data-testid="forked-from">
            {parent.data?.name ?? run.forked_from.run_id.slice(0, 8)}
          </Link>{" "}
          at checkpoint #{run.forked_from.checkpoint}
        </p>
      )}
      {list.length > 0 && (
        <ul className="fork-list" aria-label="Runs forked from this one">
          {list.map((f) => (
            <li key={f.id}>
              <Link href={`/runs/${f.id}`} className="fork-link">
                {f.name}
              </Link>
              <span className="muted">
                {f.forked_from ? `from checkpoint #${f.forked_from.checkpoint}` : ""} ·{" "}
                {new Date(f.created_at).toLocaleString()}
              </span>
              <span className={`status status-${f.status}`}>{f.status}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function RunFiles({ runId, canOperate }: { runId: string; canOperate: boolean }) {
  const q = useRunArtifacts(runId);
  return (
    <section className="card panel" aria-labelledby="files-h">
      <header className="panel-head">
        <h2 id="files-h">Files</h2>
        {q.data && <span className="count">{q.data.length}</span>}
        {canOperate && <UploadButton runId={runId} />}
      </header>
      {q.error ? (
        <ErrorView error={q.error} retry={() => void q.refetch()} />
      ) : (
        <ArtifactList
          artifacts={q.data ?? []}
          empty={q.isPending ? "Loading…" : "No files yet."}
          canOperate={canOperate}
        />
      )}
    </section>
  );
}

export function RunPage({ id }: { id: string }) {
  const q = useRunQuery(id);
  const [open, setOpen] = useState<{ group: string; item: string | null } | null>(null);
  useRunLive(id, open ? (open.item ?? open.group) : null);
  const actions = useRunActions(id);
  const can = useCan();
  const narrow = useNarrow();
  const run = q.data;
  const groups = useMemo(() => (run ? groupSteps(run) : []), [run]);
  const onOpen = useCallback(
    (key: string) => setOpen((o) => (o?.group === key ? null : { group: key, item: null })),
    [],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: another run (a fork opened from here) closes the drawer
  useEffect(() => {
    setOpen(null);
  }, [id]);
  useEffect(() => {
    if (run) document.title = `${run.name} · weft`;
  }, [run]);

  if (q.error) return <ErrorView error={q.error} retry={() => void q.refetch()} />;
  if (!run) {
    return (
      <div className="run-loading" aria-busy="true">
        <span className="visually-hidden">Loading the run…</span>
      </div>
    );
  }

  const canOperate = can(run.project_id, "operate");
  const waiting = groups.filter((g) =>
    [g.step, ...g.items].some((s) => s?.status === "waiting" && s.waiting_for === "approval"),
  );
  const openGroup = open ? groups.find((g) => g.def.id === open.group) : undefined;

  return (
    <div className={`run-page${openGroup ? " has-drawer" : ""}`}>
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/" className="crumb">
          <ArrowLeft size={14} aria-hidden="true" /> Runs
        </Link>
        <span aria-hidden="true">/</span>
        <span className="crumb-current">{run.workflow_name}</span>
      </nav>

      <header className="run-head">
        <div className="run-title">
          <h1>{run.name}</h1>
          <span className={`status status-${run.status}`} data-testid="run-status">
            {run.status}
          </span>
        </div>
        {canOperate && <Controls run={run} actions={actions} />}
      </header>

      <dl className="run-meta">
        <div>
          <dt>Workflow</dt>
          <dd>{run.workflow_name}</dd>
        </div>
        <div>
          <dt>Triggered by</dt>
          <dd>{run.triggered_by ?? "—"}</dd>
        </div>
        <div>
          <dt>Started</dt>
          <dd>{run.started_at ? new Date(run.started_at).toLocaleString() : "not yet"}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>
            <Elapsed
              start={run.started_at}
              end={run.completed_at ?? (run.status === "paused" ? run.paused_at : null)}
              ms={run.duration_ms}
            />
          </dd>
        </div>
        <div>
          <dt>Tokens</dt>
          <dd>{run.tokens.total > 0 ? formatTokens(run.tokens.total) : "—"}</dd>
        </div>
        <div>
          <dt>Cost</dt>
          <dd>{formatCost(run.cost_usd)}</dd>
        </div>
        {run.forked_from && (
          <div>
            <dt>Forked from</dt>
            <dd>
              <Link href={`/runs/${run.forked_from.run_id}`}>checkpoint #{run.forked_from.checkpoint}</Link>
            </dd>
          </div>
        )}
      </dl>

      {actions.lastError && (
        <div className="banner banner-error" role="alert">
          <span>{actions.lastError}</span>
          <button type="button" className="btn btn-sm" onClick={actions.clearError}>
            Dismiss
          </button>
        </div>
      )}
      {run.error && run.status !== "running" && (
        <div className="banner banner-failed" role="note">
          <strong>{run.error.code}</strong> <span>{run.error.message}</span>
        </div>
      )}
      {waiting.map((g) => (
        <div key={g.def.id} className="banner banner-waiting">
          <UserCheck size={16} aria-hidden="true" />
          <span>
            <strong>{g.def.name}</strong> waits for approval.
          </span>
          <button type="button" className="btn btn-sm" onClick={() => setOpen({ group: g.def.id, item: null })}>
            Review
          </button>
        </div>
      ))}

      <Progress run={run} groups={groups} />

      <section className="card graph-card" aria-label="Steps">
        <div className="graph-legend" aria-hidden="true">
          {["pending", "running", "waiting", "completed", "failed", "skipped"].map((s) => (
            <span key={s} className="legend-item">
              <span className={`legend-dot st-bg-${s}`} />
              {s[0]?.toUpperCase()}
              {s.slice(1)}
            </span>
          ))}
          <span className="legend-item">
            <span className="legend-line legend-failure" />
            on failure
          </span>
        </div>
        <Suspense fallback={<div className="graph graph-loading">Loading the graph…</div>}>
          <RunGraph
            run={run}
            selected={open?.group ?? null}
            onOpen={onOpen}
            direction={narrow ? "TB" : "LR"}
            maxHeight={narrow ? 720 : 520}
          />
        </Suspense>
      </section>

      <div className="run-panels">
        <RunComments
          runId={run.id}
          canOperate={canOperate}
          onOpenStep={(k) => setOpen({ group: k.replace(/\[\d+\]$/, ""), item: /\[\d+\]$/.test(k) ? k : null })}
        />
        <div className="run-side">
          <RunFiles runId={run.id} canOperate={canOperate} />
          <ForkLinks run={run} />
        </div>
      </div>

      {openGroup && (
        <StepDrawer
          key={openGroup.def.id}
          run={run}
          group={openGroup}
          item={open?.item ?? null}
          onItem={(item) => setOpen({ group: openGroup.def.id, item })}
          onClose={() => setOpen(null)}
          actions={actions}
          canOperate={canOperate}
        />
      )}
    </div>
  );
}
