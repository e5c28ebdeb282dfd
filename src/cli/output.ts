/** Terminal output: colours only on a TTY (and never with NO_COLOR), tables, durations, JSON. */
import { formatDuration } from "../core/duration.js";
import type { RunStatus, StepStatus } from "../core/model.js";

export interface Out {
  color: boolean;
  line(text?: string): void;
  err(text: string): void;
}

export function stdoutOut(): Out {
  return {
    color: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb",
    line: (text = "") => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
  };
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, gray: 90, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(out: Out, colour: Colour, text: string): string {
  return out.color ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

export function statusColour(status: RunStatus | StepStatus): Colour {
  switch (status) {
    case "completed":
      return "green";
    case "failed":
    case "cancelled":
      return "red";
    case "paused":
    case "waiting":
    case "skipped":
      return "yellow";
    case "running":
    case "ready":
      return "blue";
    default:
      return "gray";
  }
}

export const STATUS_ICON: Record<RunStatus | StepStatus, string> = {
  pending: "·",
  ready: "·",
  running: "▶",
  waiting: "⏸",
  paused: "⏸",
  completed: "✓",
  failed: "✗",
  skipped: "↷",
  cancelled: "✗",
};

export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c + " ".repeat(Math.max(0, (widths[i] ?? 0) - visibleLength(c))))
      .join("  ")
      .trimEnd();
  return [fmt(headers), fmt(widths.map((w) => "-".repeat(w))), ...rows.map(fmt)].join("\n");
}

function visibleLength(s: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI colour codes
  return s.replace(/\x1b\[[0-9;]*m/g, "").length;
}

export function ms(value: number | null | undefined): string {
  return value === null || value === undefined ? "-" : formatDuration(value);
}

export function iso(t: number | null | undefined): string {
  return t === null || t === undefined ? "-" : new Date(t).toISOString();
}

export function ago(t: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
