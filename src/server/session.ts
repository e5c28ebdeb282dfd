/**
 * An agent step's transcript as the API shows it (`GET /api/workflow-steps/:id`, `session`): its log folder's
 * `session.jsonl` (steps/agent), where each provider call appends a header line (`{"type":"session", attempt,
 * agent, provider, model, at, sessionId?}`) and then the provider's transcript entries, one JSON object a line.
 * Read here into one exchange per header. A file larger than the log routes' `MAX_LOG_BYTES` is read from its
 * end: the exchanges that start before the part read are left out (`truncated`). Lines that are not JSON objects (a
 * write cut short by a crash) are skipped.
 */
import type { AgentSessionJson } from "./schemas.js";

export const SESSION_FILE = "session.jsonl";

type Entry = Record<string, unknown>;
type Exchange = AgentSessionJson["exchanges"][number];

const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

function parseLine(line: string): Entry | undefined {
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Entry) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses session.jsonl text; with `fromMiddle`, the first (partial) line and entries before a header are dropped. */
export function parseSession(text: string, fromMiddle: boolean): Exchange[] {
  const lines = text.split("\n");
  if (fromMiddle) lines.shift();
  const exchanges: Exchange[] = [];
  for (const line of lines) {
    if (line.trim() === "") continue;
    const entry = parseLine(line);
    if (!entry) continue;
    if (entry.type === "session") {
      exchanges.push({
        attempt: typeof entry.attempt === "number" ? entry.attempt : null,
        agent: str(entry.agent),
        provider: str(entry.provider),
        model: str(entry.model),
        at: str(entry.at),
        session_id: str(entry.sessionId),
        entries: [],
      });
    } else {
      exchanges.at(-1)?.entries.push(entry);
    }
  }
  return exchanges;
}

/** The transcript from the end of a step's `session.jsonl` (`readTail`); null when the step has none. */
export function sessionView(
  tail: { content: string; size: number; truncated: boolean } | undefined,
): AgentSessionJson | null {
  if (!tail) return null;
  return { exchanges: parseSession(tail.content, tail.truncated), size_bytes: tail.size, truncated: tail.truncated };
}
