import { useQuery } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { keys } from "./types";

/** The run's artifacts (run- and step-level), refreshed by the live `workflow.artifact.*` events. */
export function useRunArtifacts(runId: string) {
  return useQuery({
    queryKey: keys.artifacts(runId),
    queryFn: () => call(api.GET("/api/workflow-executions/{id}/artifacts", { params: { path: { id: runId } } })),
  });
}
