/**
 * The run's controls: pause / resume, stop (confirmed), raise the budget, rewind from a checkpoint (a new run,
 * opened at once). Shown only to a session that may operate the run's project.
 */
import { useMutation, useQuery } from "@tanstack/react-query";
import { History, Pause, Play, Square, Wallet } from "lucide-react";
import { useId, useState } from "react";
import { useLocation } from "wouter";
import { api, call, messageOf } from "../../api/client";
import type { RunActions } from "./actions";
import { Dialog } from "./Dialog";
import { keys, RUN_FINISHED, type RunDetail, read } from "./types";

function StopDialog({ run, actions, onClose }: { run: RunDetail; actions: RunActions; onClose: () => void }) {
  return (
    <Dialog
      title="Stop this run?"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Keep running
          </button>
          <button
            type="button"
            className="btn btn-danger-solid"
            onClick={() => {
              actions.run({ kind: "cancel" });
              onClose();
            }}
          >
            Stop run
          </button>
        </>
      }
    >
      <p>
        Running steps of <strong>{run.name}</strong> are stopped and the steps that have not run are cancelled. A
        stopped run cannot be resumed; you can rewind it from a checkpoint.
      </p>
    </Dialog>
  );
}

function BudgetDialog({ run, actions, onClose }: { run: RunDetail; actions: RunActions; onClose: () => void }) {
  const [tokens, setTokens] = useState("");
  const [cost, setCost] = useState("");
  const [resume, setResume] = useState(run.status === "paused");
  const tid = useId();
  const cid = useId();
  const num = (s: string) => (s.trim() === "" ? null : Number(s));
  const t = num(tokens);
  const c = num(cost);
  const valid = (t !== null || c !== null) && (t === null || (Number.isInteger(t) && t > 0)) && (c === null || c > 0);
  return (
    <Dialog
      title="Raise the budget"
      onClose={onClose}
      footer={
        <>
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!valid}
            onClick={() => {
              actions.run({ kind: "budget", tokens: t, cost_usd: c, resume });
              onClose();
            }}
          >
            {resume ? "Save and resume" : "Save budget"}
          </button>
        </>
      }
    >
      <p className="muted">
        The run's new limits. A run paused over its budget stays paused until it is resumed. An empty field means no
        limit.
      </p>
      <div className="form-grid">
        <label htmlFor={tid}>Tokens</label>
        <input
          id={tid}
          className="input"
          inputMode="numeric"
          placeholder="e.g. 200000"
          value={tokens}
          onChange={(e) => setTokens(e.target.value)}
        />
        <label htmlFor={cid}>Cost (USD)</label>
        <input
          id={cid}
          className="input"
          inputMode="decimal"
          placeholder="e.g. 5"
          value={cost}
          onChange={(e) => setCost(e.target.value)}
        />
      </div>
      {run.status === "paused" && (
        <label className="check">
          <input type="checkbox" checked={resume} onChange={(e) => setResume(e.target.checked)} />
          Resume the run after saving
        </label>
      )}
    </Dialog>
  );
}

function RewindDialog({ run, onClose }: { run: RunDetail; onClose: () => void }) {
  const [, navigate] = useLocation();
  const [choice, setChoice] = useState<number | null>(null);
  const cps = useQuery({
    queryKey: keys.checkpoints(run.id),
    queryFn: () => read.checkpoints(run.id),
  });
  const rewind = useMutation({
    mutationFn: (checkpoint: number) =>
      call(
        api.POST("/api/workflow-executions/{id}/rewind", { params: { path: { id: run.id } }, body: { checkpoint } }),
      ),
    onSuccess: (fork) => {
      onClose();
      navigate(`/runs/${fork.id}`);
    },
  });
  const selected = choice ?? cps.data?.[0]?.number ?? null;
  return (
    <Dialog
      title="Rewind from a checkpoint"
      onClose={onClose}
      footer={
        <>
          {rewind.error && (
            <span className="inline-error" role="alert">
              Could not rewind: {messageOf(rewind.error)}
            </span>
          )}
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button
            type="button"
            className="btn btn-primary"
            disabled={selected === null || rewind.isPending}
            onClick={() => selected !== null && rewind.mutate(selected)}
          >
            {rewind.isPending ? "Forking…" : "Fork a new run"}
          </button>
        </>
      }
    >
      <p className="muted">
        A new run starts from the checkpoint: the steps completed by then are reused, the rest run again. This run stays
        as it is.
      </p>
      {cps.error && <p className="inline-error">{messageOf(cps.error)}</p>}
      {cps.data?.length === 0 && <p className="muted">No checkpoint yet: one is taken after every finished step.</p>}
      {cps.data && cps.data.length > 0 && (
        <fieldset className="checkpoints">
          <legend className="visually-hidden">Checkpoint</legend>
          {cps.data.map((c) => (
            <label key={c.number} className={`checkpoint${selected === c.number ? " is-selected" : ""}`}>
              <input
                type="radio"
                name="checkpoint"
                checked={selected === c.number}
                onChange={() => setChoice(c.number)}
              />
              <span className="checkpoint-n">#{c.number}</span>
              <span className="checkpoint-label">{c.label}</span>
              <time className="muted" dateTime={c.created_at}>
                {new Date(c.created_at).toLocaleTimeString()}
              </time>
            </label>
          ))}
        </fieldset>
      )}
    </Dialog>
  );
}

export function Controls({ run, actions }: { run: RunDetail; actions: RunActions }) {
  const [open, setOpen] = useState<"stop" | "budget" | "rewind" | null>(null);
  const finished = RUN_FINISHED.has(run.status);
  const busy = actions.pending !== null;
  return (
    <div className="controls" role="toolbar" aria-label="Run controls">
      {run.status === "paused" ? (
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy}
          onClick={() => actions.run({ kind: "resume" })}
        >
          <Play size={15} aria-hidden="true" />
          Resume
        </button>
      ) : (
        !finished && (
          <button type="button" className="btn" disabled={busy} onClick={() => actions.run({ kind: "pause" })}>
            <Pause size={15} aria-hidden="true" />
            Pause
          </button>
        )
      )}
      {!finished && (
        <button type="button" className="btn" disabled={busy} onClick={() => setOpen("budget")}>
          <Wallet size={15} aria-hidden="true" />
          Budget
        </button>
      )}
      <button type="button" className="btn" onClick={() => setOpen("rewind")}>
        <History size={15} aria-hidden="true" />
        Rewind
      </button>
      {!finished && (
        <button type="button" className="btn btn-danger" disabled={busy} onClick={() => setOpen("stop")}>
          <Square size={14} aria-hidden="true" />
          Stop
        </button>
      )}
      {open === "stop" && <StopDialog run={run} actions={actions} onClose={() => setOpen(null)} />}
      {open === "budget" && <BudgetDialog run={run} actions={actions} onClose={() => setOpen(null)} />}
      {open === "rewind" && <RewindDialog run={run} onClose={() => setOpen(null)} />}
    </div>
  );
}
