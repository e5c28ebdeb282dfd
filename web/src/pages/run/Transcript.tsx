/**
 * An agent step's transcript (`session` of the step detail): one exchange per provider call, each shown as
 * the messages sent (system, history, prompt) and the answer, with its usage; anything else as a JSON tree.
 */
import { JsonTree } from "../../components/JsonTree";
import { formatCost, formatTokens, type StepDetail } from "./types";

type Session = NonNullable<StepDetail["session"]>;
type Entry = Session["exchanges"][number]["entries"][number];

interface Bubble {
  role: string;
  text: string;
}

function textOf(content: unknown): string | null {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    const parts = content.map((c) =>
      typeof c === "string"
        ? c
        : c && typeof c === "object" && typeof (c as { text?: unknown }).text === "string"
          ? (c as { text: string }).text
          : null,
    );
    if (parts.every((p) => p !== null)) return parts.join("\n");
  }
  return null;
}

function messagesIn(list: unknown): Bubble[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((m) => {
    if (!m || typeof m !== "object") return [];
    const o = m as { role?: unknown; content?: unknown };
    const text = textOf(o.content);
    return typeof o.role === "string" && text !== null ? [{ role: o.role, text }] : [];
  });
}

/** The readable parts of an entry: a request's system prompt and messages, a response's text. */
function bubblesOf(e: Entry): Bubble[] {
  const body = (e.body && typeof e.body === "object" ? e.body : e) as Record<string, unknown>;
  if (e.type === "request") {
    const out: Bubble[] = [];
    const system = textOf(body.system);
    if (system) out.push({ role: "system", text: system });
    out.push(...messagesIn(body.messages));
    if (typeof body.prompt === "string") out.push({ role: "user", text: body.prompt });
    return out;
  }
  if (e.type === "response" && typeof e.text === "string") return [{ role: "assistant", text: e.text }];
  return [];
}

function num(o: Record<string, unknown>, ...names: string[]): number {
  for (const n of names) if (typeof o[n] === "number") return o[n] as number;
  return 0;
}

/** Tokens and cost of the step's provider calls, from the responses' usage. */
export function usageOfSession(s: Session | null): { tokens: number; cost: number | null } | null {
  if (!s || s.exchanges.length === 0) return null;
  let tokens = 0;
  let cost: number | null = null;
  for (const x of s.exchanges) {
    for (const e of x.entries) {
      if (e.type !== "response" || !e.usage || typeof e.usage !== "object") continue;
      const u = e.usage as Record<string, unknown>;
      tokens += num(u, "inputTokens", "input_tokens") + num(u, "outputTokens", "output_tokens");
      const c = u.costUsd ?? u.cost_usd;
      if (typeof c === "number") cost = (cost ?? 0) + c;
    }
  }
  return { tokens, cost };
}

export function Transcript({ session }: { session: Session }) {
  if (session.exchanges.length === 0) return <p className="muted">No exchange with the provider yet.</p>;
  return (
    <div className="transcript-wrap">
      {session.truncated && <p className="muted">The transcript is long: its first exchanges are left out.</p>}
      {session.exchanges.map((x, i) => {
        const usage = usageOfSession({ ...session, exchanges: [x] });
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: exchanges only grow at the end
          <section key={i} className="exchange" aria-label={`Exchange ${i + 1}`}>
            <header className="exchange-head">
              <span>Exchange {i + 1}</span>
              {x.attempt !== null && <span>attempt {x.attempt}</span>}
              {(x.provider || x.model) && (
                <span className="mono">{[x.provider, x.model].filter(Boolean).join(" · ")}</span>
              )}
              {usage && usage.tokens > 0 && (
                <span>
                  {formatTokens(usage.tokens)} tokens{usage.cost !== null ? ` · ${formatCost(usage.cost)}` : ""}
                </span>
              )}
            </header>
            <ol className="transcript">
              {x.entries.flatMap((e, j) =>
                bubblesOf(e).map((b, k) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list
                  <li key={`${j}-${k}`} className={`msg msg-${b.role}`}>
                    <span className="msg-role">{b.role}</span>
                    <p className="msg-text">{b.text}</p>
                  </li>
                )),
              )}
            </ol>
            <details className="exchange-raw">
              <summary>Raw exchange</summary>
              <JsonTree value={x.entries} label={`Exchange ${i + 1}, raw`} />
            </details>
          </section>
        );
      })}
    </div>
  );
}
