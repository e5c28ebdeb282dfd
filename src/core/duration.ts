/** Durations in definitions: a number of milliseconds, or a string like `500ms`, `30s`, `5m`, `1h`, `2d`, `1h30m`. */
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)/y;

/**
 * The strings parseDuration reads, as a JSON Schema `pattern` (editors check durations with it: the workflow
 * schema, definition/schema/). A test holds it to parseDuration: a number of ms, or parts `<number><unit>`
 * separated by spaces, with whitespace around the whole.
 */
export const DURATION_PATTERN = "^\\s*(?:\\d+(?:\\.\\d+)?|(?:\\d+(?:\\.\\d+)?\\s*(?:ms|s|m|h|d) *)+)\\s*$";
/** The same strings when every number in them is zero (a duration of 0). */
export const ZERO_DURATION_PATTERN = "^\\s*(?:0+(?:\\.0+)?|(?:0+(?:\\.0+)?\\s*(?:ms|s|m|h|d) *)+)\\s*$";

/** Returns milliseconds, or undefined when `value` is not a duration. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) && value >= 0 ? Math.round(value) : undefined;
  if (typeof value !== "string") return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) return Math.round(Number(text));
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== at) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    while (text[PART.lastIndex] === " ") PART.lastIndex++;
  }
  return Math.round(total);
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  if (m < 60) return `${m}m${s ? `${s}s` : ""}`;
  return `${Math.floor(m / 60)}h${m % 60 ? `${m % 60}m` : ""}`;
}
