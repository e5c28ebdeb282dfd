import { useQueryClient } from "@tanstack/react-query";
import { APPROVALS_LIMIT, useApprovals, useApprovalsLive } from "../api/approvals";

/** The header's count of steps waiting for review, kept current by the live feed. Nothing when there are none. */
export function InboxBadge() {
  const queryClient = useQueryClient();
  useApprovalsLive(queryClient);
  const { items } = useApprovals();
  const n = items?.length ?? 0;
  if (n === 0) return null;
  const shown = n >= APPROVALS_LIMIT ? `${APPROVALS_LIMIT}+` : String(n);
  const label = `${shown} ${n === 1 ? "step" : "steps"} waiting for review`;
  return (
    <>
      <span className="count-badge" aria-hidden="true" title={label} data-testid="inbox-badge">
        {shown}
      </span>
      <span className="visually-hidden">, {label}</span>
    </>
  );
}
