/**
 * The run's comments (run- and step-level, oldest first) and a form to post one, with files attached: each
 * chosen file is uploaded as an artifact of the run (or step) and attached to the new comment.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { MessageSquare, Paperclip, X } from "lucide-react";
import { useId, useRef, useState } from "react";
import { api, call, messageOf } from "../../api/client";
import { ErrorView } from "../../components/ErrorView";
import { ArtifactList } from "./Artifacts";
import { uploadArtifact } from "./artifact-io";
import { type Artifact, type Comment, keys, read } from "./types";

export function useComments(runId: string) {
  return useQuery({
    queryKey: keys.comments(runId),
    queryFn: () => read.comments(runId),
  });
}

function when(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function CommentItem({ c, onOpenStep }: { c: Comment; onOpenStep?: ((key: string) => void) | undefined }) {
  const who = c.created_by ?? "someone";
  return (
    <li className={`comment comment-${c.comment_type}`}>
      <div className="comment-head">
        <span className="comment-avatar" aria-hidden="true">
          {who
            .replace(/^token /, "")
            .slice(0, 1)
            .toUpperCase()}
        </span>
        <span className="comment-who">
          {c.claimed_by ? `${c.claimed_by}, via ${who}` : who}
          {c.comment_type !== "user" && <span className="comment-kind">{c.comment_type}</span>}
        </span>
        {c.step_key &&
          (onOpenStep ? (
            <button type="button" className="chip" onClick={() => onOpenStep(c.step_key as string)}>
              {c.step_key}
            </button>
          ) : (
            <span className="chip">{c.step_key}</span>
          ))}
        <time className="comment-time" dateTime={c.created_at}>
          {when(c.created_at)}
        </time>
      </div>
      <p className="comment-text">{c.text}</p>
      {c.artifacts.length > 0 && (
        // GET …/comments types its artifacts loosely; they are the artifact view
        <ArtifactList artifacts={c.artifacts as Artifact[]} empty="" />
      )}
    </li>
  );
}

export function CommentList({
  comments,
  onOpenStep,
  empty,
}: {
  comments: Comment[];
  onOpenStep?: (key: string) => void;
  empty: string;
}) {
  if (comments.length === 0) return <p className="muted empty">{empty}</p>;
  return (
    <ul className="comment-list">
      {comments.map((c) => (
        <CommentItem key={c.id} c={c} onOpenStep={onOpenStep} />
      ))}
    </ul>
  );
}

export function CommentForm({ runId, stepKey }: { runId: string; stepKey?: string }) {
  const qc = useQueryClient();
  const id = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const [files, setFiles] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit() {
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const comment = await call(
        api.POST("/api/workflow-executions/{id}/comments", {
          params: { path: { id: runId } },
          body: { text: text.trim(), ...(stepKey ? { step_id: stepKey } : {}) },
        }),
      );
      for (const f of files) {
        const a = await uploadArtifact(runId, f, stepKey);
        await call(
          api.PATCH("/api/artifacts/{id}/attach", { params: { path: { id: a.id } }, body: { comment_id: comment.id } }),
        );
      }
      setText("");
      setFiles([]);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
      await qc.invalidateQueries({ queryKey: keys.comments(runId) });
      await qc.invalidateQueries({ queryKey: keys.artifacts(runId) });
      if (stepKey) await qc.invalidateQueries({ queryKey: ["step"] });
    }
  }

  return (
    <form
      className="comment-form"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <label htmlFor={id} className="visually-hidden">
        {stepKey ? `Comment on step ${stepKey}` : "Comment on the run"}
      </label>
      <textarea
        id={id}
        className="textarea"
        rows={2}
        placeholder={stepKey ? "Comment on this step…" : "Write a comment…"}
        value={text}
        maxLength={10_000}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && (e.metaKey || e.ctrlKey)) void submit();
        }}
      />
      {files.length > 0 && (
        <ul className="attach-list" aria-label="Files to attach">
          {files.map((f, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: the same file may be chosen twice; the list is only appended to or cut
            <li key={`${f.name}-${i}`} className="chip">
              <Paperclip size={12} aria-hidden="true" />
              <span className="chip-text">{f.name}</span>
              <button
                type="button"
                className="chip-x"
                aria-label={`Remove ${f.name}`}
                onClick={() => setFiles((fs) => fs.filter((_, j) => j !== i))}
              >
                <X size={12} aria-hidden="true" />
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="comment-actions">
        <input
          ref={fileInput}
          type="file"
          multiple
          className="visually-hidden"
          tabIndex={-1}
          aria-label="Attach files to the comment"
          onChange={(e) => {
            const chosen = Array.from(e.currentTarget.files ?? []);
            e.currentTarget.value = "";
            setFiles((fs) => [...fs, ...chosen]);
          }}
        />
        <button type="button" className="btn btn-sm" onClick={() => fileInput.current?.click()}>
          <Paperclip size={14} aria-hidden="true" />
          Attach
        </button>
        {error && (
          <span className="inline-error" role="alert">
            {error}
          </span>
        )}
        <button type="submit" className="btn btn-sm btn-primary" disabled={busy || !text.trim()}>
          <MessageSquare size={14} aria-hidden="true" />
          {busy ? "Posting…" : "Comment"}
        </button>
      </div>
    </form>
  );
}

/** Run comments as a section. */
export function RunComments({
  runId,
  canOperate,
  onOpenStep,
}: {
  runId: string;
  canOperate: boolean;
  onOpenStep: (key: string) => void;
}) {
  const q = useComments(runId);
  return (
    <section className="card panel" aria-labelledby="run-comments-h">
      <header className="panel-head">
        <h2 id="run-comments-h">Comments</h2>
        {q.data && <span className="count">{q.data.length}</span>}
      </header>
      {q.error ? (
        <ErrorView error={q.error} retry={() => void q.refetch()} />
      ) : (
        <CommentList
          comments={q.data ?? []}
          onOpenStep={onOpenStep}
          empty={q.isPending ? "Loading…" : "No comments yet."}
        />
      )}
      {canOperate && <CommentForm runId={runId} />}
    </section>
  );
}
