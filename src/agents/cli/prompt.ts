/** The text a CLI agent receives: earlier messages, the prompt, and — without a native flag — the JSON instruction. */
import type { Json, JsonObject } from "../../core/json.js";
import type { AgentMessage } from "../provider.js";

/** Earlier conversation first, as a labelled transcript, then the prompt. */
export function withHistory(prompt: string, messages: AgentMessage[] | undefined): string {
  if (!messages?.length) return prompt;
  const history = messages.map((m) => `[${m.role}]\n${m.content}`).join("\n\n");
  return `Earlier conversation:\n\n${history}\n\n[user]\n${prompt}`;
}

/** For CLIs without a system-prompt flag: the system text leads the prompt. */
export function withSystem(prompt: string, system: string | undefined): string {
  return system === undefined || system === "" ? prompt : `${system}\n\n${prompt}`;
}

export function withSchemaInstruction(prompt: string, schema: JsonObject): string {
  return (
    `${prompt}\n\nAnswer with only a JSON value that matches this JSON Schema — no prose, no code fence:\n` +
    JSON.stringify(schema)
  );
}

/** The answer parsed as JSON (a fenced ```json block counts), or undefined. */
export function parseJsonAnswer(text: string): Json | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/.exec(trimmed);
  try {
    return JSON.parse(fenced ? (fenced[1] as string) : trimmed) as Json;
  } catch {
    return undefined;
  }
}

/** One line, at most `max` characters: for progress lines about tools and commands. */
export function oneLine(text: string, max = 160): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
