/**
 * Pause, resume and stop (cancel) of a run, as the Active runs panel sends them. Each answers the run's new
 * status or throws a WeftApiError (409 when the run's state does not allow it, 403 for a read-only token).
 */
import { api, call } from "./client";

export type RunCommand = "pause" | "resume" | "cancel";

/** The status a run shows at once when the command is sent (the server's answer confirms or corrects it). */
export const OPTIMISTIC_STATUS = { pause: "paused", resume: "running", cancel: "cancelled" } as const;

export async function sendRunCommand(id: string, command: RunCommand): Promise<void> {
  const params = { params: { path: { id } } };
  if (command === "pause") await call(api.POST("/api/workflow-executions/{id}/pause", params));
  else if (command === "resume") await call(api.POST("/api/workflow-executions/{id}/resume", params));
  else await call(api.POST("/api/workflow-executions/{id}/cancel", params));
}
