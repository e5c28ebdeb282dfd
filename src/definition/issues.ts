/** Collecting validation issues: every problem is recorded with its location and the reader goes on. */
import type { ErrorCode, Issue } from "../core/errors.js";
import type { Path, SourceMap } from "./positions.js";

export class Issues {
  readonly list: Issue[] = [];

  constructor(readonly map: SourceMap) {}

  error(code: ErrorCode, path: Path, message: string, hint?: string, part: "key" | "value" = "value"): void {
    this.list.push({ code, severity: "error", message, hint, location: this.map.locate(path, part) });
  }

  warn(code: ErrorCode, path: Path, message: string, hint?: string, part: "key" | "value" = "value"): void {
    this.list.push({ code, severity: "warning", message, hint, location: this.map.locate(path, part) });
  }

  add(issue: Issue): void {
    this.list.push(issue);
  }

  get hasErrors(): boolean {
    return this.list.some((i) => i.severity === "error");
  }
}

/** Edit distance (Levenshtein), for did-you-mean suggestions. */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

/** The closest candidate within a small edit distance (case-insensitive), if any. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = word.length <= 3 ? 1 : word.length <= 6 ? 2 : 3;
  for (const c of candidates) {
    const d = editDistance(lower, c.toLowerCase());
    if (d === 0) return c;
    if (d <= bestDistance) {
      if (d < bestDistance || best === undefined) best = c;
      bestDistance = d;
    }
  }
  return best;
}

export const didYouMean = (word: string, candidates: Iterable<string>): string | undefined => {
  const c = closest(word, candidates);
  return c === undefined ? undefined : `did you mean \`${c}\`?`;
};

/** `a`, `a and b`, `a, b and c` with backticks. */
export function listOf(items: readonly string[]): string {
  const q = items.map((i) => `\`${i}\``);
  if (q.length <= 1) return q.join("");
  return `${q.slice(0, -1).join(", ")} and ${q[q.length - 1]}`;
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "a mapping";
  if (typeof value === "string") return `the string "${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  return `${typeof value === "number" ? "the number" : "the boolean"} ${String(value)}`;
}
