/** What a CLI's event stream parser keeps, and small readers for untyped JSON events. */
import { isJsonObject, type Json, type JsonObject, ownProp } from "../../core/json.js";
import { oneLine } from "./prompt.js";

export interface StreamState {
  sessionId: string | undefined;
  model: string | undefined;
  /** The final answer. */
  text: string;
  /** Structured output the CLI itself produced (claude `--json-schema`). */
  json: Json | undefined;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | undefined;
  /** Set by the stream's closing event: the CLI's own verdict. */
  outcome: { ok: true } | { ok: false; message: string } | undefined;
  /** Error messages reported along the way. */
  errors: string[];
}

/** Turns one CLI's JSON events into progress lines and a `StreamState`. */
export interface StreamParser {
  readonly state: StreamState;
  event(event: JsonObject, progress: (line: string) => void): void;
  /** The stream ended: flush anything buffered. */
  end(progress: (line: string) => void): void;
}

export function emptyState(): StreamState {
  return {
    sessionId: undefined,
    model: undefined,
    text: "",
    json: undefined,
    inputTokens: 0,
    outputTokens: 0,
    costUsd: undefined,
    outcome: undefined,
    errors: [],
  };
}

export function str(obj: JsonObject, key: string): string | undefined {
  const value = ownProp(obj, key);
  return typeof value === "string" ? value : undefined;
}

export function num(obj: JsonObject, key: string): number {
  const value = ownProp(obj, key);
  return typeof value === "number" && Number.isFinite(value) ? value : 0;
}

export function obj(parent: JsonObject, key: string): JsonObject | undefined {
  const value = ownProp(parent, key);
  return isJsonObject(value) ? value : undefined;
}

export function arr(parent: JsonObject, key: string): Json[] {
  const value = ownProp(parent, key);
  return Array.isArray(value) ? value : [];
}

/** The JSON object on `line`, or undefined when the line is not one (CLIs print the odd plain-text line). */
export function parseEventLine(line: string): JsonObject | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith("{")) return undefined;
  try {
    const value: unknown = JSON.parse(trimmed);
    return isJsonObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const SUMMARY_KEYS = ["command", "file_path", "path", "absolute_path", "pattern", "url", "query", "description"];

/** `Bash ls -la`, `Edit src/x.ts`: a tool call's name and the one argument that says what it does. */
export function toolSummary(name: string, input: JsonObject | undefined): string {
  if (!input) return name;
  for (const key of SUMMARY_KEYS) {
    const value = ownProp(input, key);
    if (typeof value === "string" && value.trim() !== "") return oneLine(`${name} ${value}`);
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      return oneLine(`${name} ${value.join(" ")}`);
    }
  }
  return name;
}

/** Text of a tool result's content: a string, or text blocks. */
export function contentText(content: Json | undefined): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((block) => (isJsonObject(block) && typeof block.text === "string" ? block.text : ""))
    .filter((t) => t !== "")
    .join("\n");
}
