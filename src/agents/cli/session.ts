/** Sessions: a deterministic Claude Code session id per step run, and the plan for which session a run uses. */
import { createHash } from "node:crypto";

/** Which session one CLI run uses: a new one (with an id we chose, when the CLI takes one) or an existing one. */
export type SessionPlan = { mode: "new"; id?: string | undefined } | { mode: "resume"; id: string };

// A fixed namespace, so the same idempotency key always names the same session.
const NAMESPACE = "weft.cli-agent.session";

/**
 * A UUID (RFC 4122 version 5 layout: SHA-1 of a namespace and the name) derived from `key`: the same step run
 * always gets the same Claude Code session id, so a re-run after a crash finds the session it started.
 */
export function sessionUuid(key: string): string {
  const hash = createHash("sha1").update(NAMESPACE).update("\0").update(key).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x50;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export function describePlan(plan: SessionPlan): string {
  if (plan.mode === "resume") return `a resume of session ${plan.id}`;
  return plan.id === undefined ? "a new session" : `new session ${plan.id}`;
}
