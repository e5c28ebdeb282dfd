/**
 * The run's controls as optimistic mutations: `onMutate` writes the state the command leads to into the
 * cached detail at once (a paused run shows paused before the server answers); a refusal puts the previous
 * detail back and the API's message is shown (`lastError`). Settled or not, the detail is refetched so the
 * page ends on the server's truth.
 */
import { type QueryClient, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, call, messageOf } from "../../api/client";
import { keys, type RunDetail, type RunStatus, type StepStatus } from "./types";

export type RunAction =
  | { kind: "pause" }
  | { kind: "resume" }
  | { kind: "cancel" }
  | { kind: "retry"; step: string }
  | { kind: "approve"; step: string; comment?: string }
  | { kind: "reject"; step: string; comment?: string }
  | { kind: "budget"; tokens: number | null; cost_usd: number | null; resume: boolean };

const LABEL: Record<RunAction["kind"], string> = {
  pause: "pause the run",
  resume: "resume the run",
  cancel: "stop the run",
  retry: "retry the step",
  approve: "approve the step",
  reject: "reject the step",
  budget: "change the budget",
};

async function send(id: string, a: RunAction): Promise<void> {
  const path = { id };
  switch (a.kind) {
    case "pause":
      await call(api.POST("/api/workflow-executions/{id}/pause", { params: { path } }));
      return;
    case "resume":
      await call(api.POST("/api/workflow-executions/{id}/resume", { params: { path } }));
      return;
    case "cancel":
      await call(api.POST("/api/workflow-executions/{id}/cancel", { params: { path }, body: { by: "web UI" } }));
      return;
    case "retry":
      await call(
        api.POST("/api/workflow-executions/{id}/steps/{step}/retry", {
          params: { path: { id, step: a.step } },
          body: { by: "web UI" },
        }),
      );
      return;
    case "approve":
    case "reject": {
      const body = a.comment?.trim() ? { comment: a.comment.trim() } : {};
      const params = { path: { id, step: a.step } };
      if (a.kind === "approve")
        await call(api.POST("/api/workflow-executions/{id}/steps/{step}/approve", { params, body }));
      else await call(api.POST("/api/workflow-executions/{id}/steps/{step}/reject", { params, body }));
      return;
    }
    case "budget":
      await call(
        api.POST("/api/workflow-executions/{id}/budget", {
          params: { path },
          body: { tokens: a.tokens, cost_usd: a.cost_usd, by: "web UI" },
        }),
      );
      if (a.resume) await call(api.POST("/api/workflow-executions/{id}/resume", { params: { path } }));
      return;
  }
}

/** The detail as it will be once the server has done `a`. */
export function optimistic(run: RunDetail, a: RunAction): RunDetail {
  const setStep = (key: string, status: StepStatus, runStatus: RunStatus) => ({
    ...run,
    status: runStatus,
    steps: run.steps.map((s) =>
      s.key === key
        ? { ...s, status, waiting_for: null, ...(status === "pending" ? { error: null, error_message: null } : {}) }
        : s,
    ),
  });
  switch (a.kind) {
    case "pause":
      return { ...run, status: "paused" };
    case "resume":
      return { ...run, status: "running" };
    case "cancel":
      return {
        ...run,
        status: "cancelled",
        steps: run.steps.map((s) =>
          s.status === "running" || s.status === "waiting" || s.status === "pending" || s.status === "ready"
            ? { ...s, status: "cancelled" }
            : s,
        ),
      };
    case "retry":
      return setStep(a.step, "pending", "running");
    case "approve":
      return setStep(a.step, "completed", "running");
    case "reject":
      return setStep(a.step, "failed", run.status);
    case "budget":
      return a.resume ? { ...run, status: "running" } : run;
  }
}

export interface RunActions {
  run(a: RunAction): void;
  pending: RunAction["kind"] | null;
  /** The last refusal, readable: "Could not pause the run: run … is completed; …". */
  lastError: string | null;
  clearError(): void;
}

function settle(qc: QueryClient, id: string) {
  void qc.invalidateQueries({ queryKey: keys.run(id), exact: true });
  void qc.invalidateQueries({ queryKey: ["step"] });
}

export function useRunActions(id: string): RunActions {
  const qc = useQueryClient();
  const [lastError, setLastError] = useState<string | null>(null);
  const m = useMutation({
    mutationFn: (a: RunAction) => send(id, a),
    onMutate: async (a) => {
      setLastError(null);
      await qc.cancelQueries({ queryKey: keys.run(id), exact: true });
      const before = qc.getQueryData<RunDetail>(keys.run(id));
      if (before) qc.setQueryData<RunDetail>(keys.run(id), optimistic(before, a));
      return { before };
    },
    onError: (err, a, ctx) => {
      if (ctx?.before) qc.setQueryData(keys.run(id), ctx.before);
      setLastError(`Could not ${LABEL[a.kind]}: ${messageOf(err)}`);
    },
    onSettled: () => settle(qc, id),
  });
  return {
    run: (a) => m.mutate(a),
    pending: m.isPending ? (m.variables?.kind ?? null) : null,
    lastError,
    clearError: () => setLastError(null),
  };
}
