/**
 * The steps waiting for a person (`GET /api/approvals`, oldest first), shared by the Review inbox and the
 * header's badge. A decision hides its item at once (both the inbox and the badge count leave it out); when
 * the server refuses, the item comes back and the caller shows the API's message.
 */
import { type QueryClient, useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { api, call, messageOf } from "./client";
import { type LiveEvent, useLiveEvents } from "./live";

export type Approval = Awaited<ReturnType<typeof fetchApprovals>>[number];
export type Decision = "approve" | "reject";

const KEY = ["approvals"];
/** The most the inbox lists at once (the API's cap); the badge says "500+" beyond. */
export const APPROVALS_LIMIT = 500;

function fetchApprovals() {
  return call(api.GET("/api/approvals", { params: { query: { limit: APPROVALS_LIMIT } } }));
}

// Items decided in this tab whose answer (or the list's refetch) has not come yet.
const hidden = new Set<string>();
const hiddenListeners = new Set<() => void>();
let hiddenVersion = 0;
function setHidden(id: string, hide: boolean): void {
  if (hide) hidden.add(id);
  else hidden.delete(id);
  hiddenVersion++;
  for (const l of hiddenListeners) l();
}

/** The waiting steps, minus those just decided here. */
export function useApprovals() {
  useSyncExternalStore(
    (l) => {
      hiddenListeners.add(l);
      return () => hiddenListeners.delete(l);
    },
    () => hiddenVersion,
  );
  const query = useQuery({ queryKey: KEY, queryFn: fetchApprovals, staleTime: 10_000 });
  const items = query.data?.filter((a) => !hidden.has(a.id));
  return { ...query, items };
}

const REFRESH_ON = new Set([
  "workflow.step.waiting",
  "workflow.approval.decided",
  "workflow.execution.status_changed",
  "workflow.step.completed",
  "workflow.step.reset",
]);

/**
 * Keeps the list current from the live feed: a step starting to wait, a decision (from here, another tab, the
 * CLI), a run that ends or pauses. Mounted once, by the header's badge, which every signed-in page shows.
 */
export function useApprovalsLive(queryClient: QueryClient): void {
  const refresh = () => void queryClient.invalidateQueries({ queryKey: KEY });
  useLiveEvents((e: LiveEvent) => {
    if (e.type === "workflow.step.completed" && !isListed(queryClient, e.data.execution_id)) return;
    if (REFRESH_ON.has(e.type)) refresh();
  }, refresh);
}

function isListed(queryClient: QueryClient, runId: string): boolean {
  return queryClient.getQueryData<Approval[]>(KEY)?.some((a) => a.workflow_run_id === runId) ?? false;
}

/**
 * Approves or rejects a waiting step: the item leaves at once; on success the list is fetched again, on a
 * refusal the item comes back and the API's message is returned (null when it went through).
 */
export async function decide(
  queryClient: QueryClient,
  item: Approval,
  decision: Decision,
  comment: string,
): Promise<string | null> {
  setHidden(item.id, true);
  const params = { path: { id: item.workflow_run_id, step: item.key } };
  const body = comment.trim() ? { comment: comment.trim() } : {};
  try {
    if (decision === "approve") {
      await call(api.POST("/api/workflow-executions/{id}/steps/{step}/approve", { params, body }));
    } else {
      await call(api.POST("/api/workflow-executions/{id}/steps/{step}/reject", { params, body }));
    }
  } catch (err) {
    setHidden(item.id, false);
    return messageOf(err);
  }
  await queryClient.invalidateQueries({ queryKey: KEY });
  setHidden(item.id, false);
  return null;
}
