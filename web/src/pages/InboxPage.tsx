/**
 * The Review inbox: every step waiting for a person, across all runs the token may read, oldest first — the
 * run, the step's message and the output under review — approved or rejected inline with an optional comment.
 * A decision removes the item at once; a refusal brings it back with the API's message.
 */
import { useQueryClient } from "@tanstack/react-query";
import { Check, Clock, Inbox, Lock, X } from "lucide-react";
import { useEffect, useId, useState } from "react";
import { Link } from "wouter";
import { type Approval, type Decision, decide, useApprovals } from "../api/approvals";
import { useCan } from "../api/session";
import { ago } from "../components/ago";
import { ErrorView } from "../components/ErrorView";
import { ReviewOutput } from "../components/ReviewOutput";
import "./InboxPage.css";

export function InboxPage() {
  const approvals = useApprovals();
  const now = useNow(30_000);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const items = approvals.items ?? [];

  return (
    <div className="inbox">
      <div className="inbox-head">
        <h1>
          Review
          {approvals.items && items.length > 0 && <span className="inbox-count">{items.length}</span>}
        </h1>
        <p className="muted">Steps waiting for a person to approve or reject them, across all runs, oldest first.</p>
      </div>
      {approvals.error && !approvals.data ? (
        <ErrorView error={approvals.error} retry={() => void approvals.refetch()} />
      ) : approvals.isPending ? (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      ) : items.length === 0 ? (
        <div className="inbox-empty card">
          <Inbox size={28} aria-hidden="true" />
          <h2>Nothing waits for review</h2>
          <p className="muted">
            When a run reaches an approval step, the step shows up here with its message and the output to review, so
            you can approve or reject it without opening the run. New ones appear as they come.
          </p>
        </div>
      ) : (
        <ul className="inbox-list" aria-label="Steps waiting for review">
          {items.map((item) => (
            <ReviewItem
              key={item.id}
              item={item}
              now={now}
              error={errors[item.id]}
              onError={(message) => setErrors((e) => ({ ...e, [item.id]: message }))}
              onDecide={() =>
                setErrors((e) => {
                  const { [item.id]: _, ...rest } = e;
                  return rest;
                })
              }
            />
          ))}
        </ul>
      )}
    </div>
  );
}

function ReviewItem({
  item,
  now,
  error,
  onError,
  onDecide,
}: {
  item: Approval;
  now: number;
  error: string | undefined;
  onError: (message: string) => void;
  onDecide: () => void;
}) {
  const queryClient = useQueryClient();
  const can = useCan();
  const [comment, setComment] = useState("");
  const id = useId();
  const operate = can(item.project_id, "operate");

  async function send(decision: Decision) {
    onDecide();
    const refused = await decide(queryClient, item, decision, comment);
    if (refused !== null) onError(refused);
  }

  return (
    <li className="review-item card" aria-labelledby={`${id}-title`}>
      <div className="review-item-meta">
        <span className="status status-waiting">waiting</span>
        <Link href={`/runs/${item.workflow_run_id}`} className="run-link">
          {item.run_name}
        </Link>
        <span className="muted review-workflow">{item.workflow_name}</span>
        {item.run_status === "paused" && (
          <span className="status status-paused" title="The run goes on once resumed">
            run paused
          </span>
        )}
        <time
          className="muted review-since"
          dateTime={item.waiting_since}
          title={`Waiting since ${item.waiting_since}`}
        >
          <Clock size={13} aria-hidden="true" /> {ago(item.waiting_since, now)}
        </time>
      </div>
      <h2 id={`${id}-title`} className="review-step">
        {item.name}
      </h2>
      {item.message && <p className="review-message">{item.message}</p>}
      {item.timeout_at && (
        <p className="muted review-deadline">
          Decided automatically at <time dateTime={item.timeout_at}>{new Date(item.timeout_at).toLocaleString()}</time>{" "}
          if nobody decides before.
        </p>
      )}
      <details className="review-output" open>
        <summary>Output under review</summary>
        <ReviewOutput value={item.output_under_review} />
      </details>
      {operate ? (
        <div className="review-decide">
          <label htmlFor={`${id}-comment`} className="visually-hidden">
            Comment on {item.name} (optional)
          </label>
          <textarea
            id={`${id}-comment`}
            className="textarea review-comment"
            rows={1}
            placeholder="Add a comment (optional)"
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
          <div className="review-buttons">
            <button type="button" className="btn btn-danger" onClick={() => void send("reject")}>
              <X size={15} aria-hidden="true" /> Reject
            </button>
            <button type="button" className="btn btn-primary" onClick={() => void send("approve")}>
              <Check size={15} aria-hidden="true" /> Approve
            </button>
          </div>
        </div>
      ) : (
        <p className="read-only-note review-readonly">
          <Lock size={12} aria-hidden="true" /> Read-only access: your token can see this step but not approve or reject
          it.
        </p>
      )}
      {error && (
        <p className="review-error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

/** The current time, ticking every `ms` (for "waiting 5 min"). */
function useNow(ms: number): number {
  const [now, setNow] = useState(Date.now);
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}
