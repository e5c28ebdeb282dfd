import { Clock, Hand, User } from "lucide-react";
import { memo } from "react";
import { Link } from "wouter";
import { duration, tokens, usd } from "./format";
import type { BoardRun } from "./model";
import { useNow } from "./useNow";

/** Height of a card and the gap under it, in px: the columns are virtualised on it (every card is this tall). */
export const CARD_HEIGHT = 128;
export const CARD_GAP = 8;

function Elapsed({ run }: { run: BoardRun }) {
  // A run going on (running, waiting for a person or a timer, paused) ticks; an ended one shows what it took.
  const ticking = run.startedAt !== null && run.completedAt === null && run.status !== "pending";
  const now = useNow(ticking);
  let text: string;
  let title: string;
  if (run.startedAt === null) {
    text = `queued ${duration(now - run.createdAt)}`;
    title = "Waiting to start";
  } else {
    text = duration((run.completedAt ?? now) - run.startedAt);
    title = run.completedAt === null ? "Elapsed" : "Took";
  }
  return (
    <span className="rc-meta" title={title}>
      <Clock size={13} aria-hidden="true" />
      <span className="visually-hidden">{title}: </span>
      {text}
    </span>
  );
}

/** A run on the board: what it is, how far it got, what it costs; opens the run page. */
export const RunCard = memo(function RunCard({ run, showStatus }: { run: BoardRun; showStatus: boolean }) {
  const percent = run.total > 0 ? Math.round((run.done / run.total) * 100) : run.status === "completed" ? 100 : 0;
  const tone = run.status === "failed" ? "failed" : run.status === "completed" ? "completed" : "running";
  return (
    <Link href={`/runs/${run.id}`} className="run-card" data-run-id={run.id} data-status={run.status}>
      <div className="rc-top">
        <span className="rc-name" title={run.name}>
          {run.name}
        </span>
        {run.approvals.length > 0 ? (
          <span className="rc-approval" title="A step waits for a person's approval">
            <Hand size={12} aria-hidden="true" /> Needs approval
          </span>
        ) : (
          showStatus && <span className={`status status-${run.status}`}>{run.status}</span>
        )}
      </div>
      <div className="rc-workflow" title={`${run.workflow} · ${run.id}`}>
        {run.workflow} <span className="rc-id">· {run.id.slice(0, 8)}</span>
      </div>
      <div className="rc-progress">
        <div className={`rc-bar rc-bar-${tone}`} aria-hidden="true">
          <div style={{ transform: `scaleX(${percent / 100})` }} />
        </div>
        <span className="rc-count">
          {run.done} of {run.total} steps
        </span>
      </div>
      <div className="rc-step" title={run.current ? `${run.current.name} (${run.current.status})` : undefined}>
        {run.current ? (
          <>
            <span className={`rc-dot board-tone-${run.current.status}`} aria-hidden="true" />
            <span className="visually-hidden">Current step: </span>
            {run.current.name}
          </>
        ) : (
          <span className="muted">{run.status === "completed" ? "All steps done" : "No step started"}</span>
        )}
      </div>
      <div className="rc-foot">
        <Elapsed run={run} />
        <span className="rc-meta" title="Tokens used">
          {tokens(run.tokens)} tokens
          {run.costUsd !== null && <span className="rc-cost"> · {usd(run.costUsd)}</span>}
        </span>
        {run.triggeredBy && (
          <span className="rc-meta rc-by" title={`Triggered by ${run.triggeredBy}`}>
            <User size={13} aria-hidden="true" />
            <span className="visually-hidden">Triggered by </span>
            {run.triggeredBy}
          </span>
        )}
      </div>
    </Link>
  );
});
