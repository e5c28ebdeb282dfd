import { JsonTree } from "./JsonTree";

interface Message {
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

/** An agent's messages if the session reads as a list of `{ role, content }`, else null. */
function messagesOf(session: unknown): Message[] | null {
  const list = Array.isArray(session)
    ? session
    : session && typeof session === "object" && Array.isArray((session as { messages?: unknown }).messages)
      ? (session as { messages: unknown[] }).messages
      : null;
  if (!list || list.length === 0) return null;
  const out: Message[] = [];
  for (const m of list) {
    if (!m || typeof m !== "object") return null;
    const o = m as { role?: unknown; type?: unknown; content?: unknown; text?: unknown };
    const role = typeof o.role === "string" ? o.role : typeof o.type === "string" ? o.type : null;
    const text = textOf(o.content ?? o.text);
    if (role === null || text === null) return null;
    out.push({ role, text });
  }
  return out;
}

/** The agent transcript: chat bubbles when it has that shape, the raw session as a JSON tree otherwise. */
export function Transcript({ session }: { session: unknown }) {
  const messages = messagesOf(session);
  if (!messages) return <JsonTree value={session} label="Agent session" />;
  return (
    <ol className="transcript">
      {messages.map((m, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: a transcript only grows at its end
        <li key={i} className={`msg msg-${m.role}`}>
          <span className="msg-role">{m.role}</span>
          <p className="msg-text">{m.text}</p>
        </li>
      ))}
    </ol>
  );
}
