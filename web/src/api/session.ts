/**
 * Who this tab is (`GET /api/session`) and what it may do. The UI hides controls the token may not use; the
 * server refuses them anyway.
 */
import { useQuery } from "@tanstack/react-query";
import { useToken } from "./auth";
import { api, call } from "./client";

export interface SessionShape {
  mode: "open" | "token";
  name: string;
  token_id: string | null;
  scopes: { project_id: string; role: "read" | "operate" | "admin"; scripts: boolean }[];
  version: string;
}

const RANK = { read: 1, operate: 2, admin: 3 } as const;
export type Role = keyof typeof RANK;

export function useSession() {
  const token = useToken();
  return useQuery({
    queryKey: ["session", token],
    queryFn: () => call(api.GET("/api/session")),
    retry: false,
    staleTime: 60_000,
  });
}

/** Whether the session has at least `role` in the project (`*` scopes count for every project). */
export function can(session: SessionShape | undefined, projectId: string, role: Role): boolean {
  if (!session) return false;
  return session.scopes.some((s) => (s.project_id === "*" || s.project_id === projectId) && RANK[s.role] >= RANK[role]);
}

/** `can` for the current session. */
export function useCan(): (projectId: string, role: Role) => boolean {
  const { data } = useSession();
  return (projectId, role) => can(data, projectId, role);
}
