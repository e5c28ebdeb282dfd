import { apiError } from "@client";
import { useQuery } from "@tanstack/react-query";
import { getToken } from "../../api/auth";
import { type Artifact, keys } from "./types";

/** The run's artifacts (run- and step-level), refreshed by the live `workflow.artifact.*` events. */
export function useRunArtifacts(runId: string) {
  return useQuery({
    queryKey: keys.artifacts(runId),
    queryFn: async (): Promise<Artifact[]> => {
      const t = getToken();
      const res = await fetch(`/api/workflow-executions/${encodeURIComponent(runId)}/artifacts`, {
        headers: t ? { authorization: `Bearer ${t}` } : {},
      });
      const body = (await res.json().catch(() => undefined)) as { data?: Artifact[] } | undefined;
      if (!res.ok || !body?.data) throw apiError(res, body);
      return body.data;
    },
  });
}
