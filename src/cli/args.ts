/** Option values of the commands: `--format`, `--limit`, `--search`. */
import { WeftError } from "../core/errors.js";

export function formatOf(value: string | undefined): "table" | "json" {
  if (value === undefined || value === "table") return "table";
  if (value === "json") return "json";
  throw new WeftError("WEFT_ARGS", `--format must be "table" or "json", not "${value}"`);
}

export function limitOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new WeftError("WEFT_ARGS", `--limit must be a positive integer, not "${value}"`);
  return n;
}

/** Whether a row's name or description contains `text` (case-insensitive). */
export function matches(text: string, ...fields: Array<string | null | undefined>): boolean {
  const needle = text.toLowerCase();
  return fields.some((f) => f?.toLowerCase().includes(needle));
}
