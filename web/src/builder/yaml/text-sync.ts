/**
 * The YAML pane's pure helpers (no DOM): the smallest change from the editor's text to a new one (so the
 * cursor and the undo history survive a change made elsewhere), where a problem's line:column is, and which
 * `{{ … }}` references complete at a position.
 */
import type { BuilderGraph } from "../doc/types.js";

export interface TextChange {
  from: number;
  to: number;
  insert: string;
}

/** The single replacement turning `a` into `b` (common prefix and suffix kept); undefined when equal. */
export function minimalChange(a: string, b: string): TextChange | undefined {
  if (a === b) return undefined;
  let start = 0;
  const max = Math.min(a.length, b.length);
  while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a.charCodeAt(endA - 1) === b.charCodeAt(endB - 1)) {
    endA--;
    endB--;
  }
  return { from: start, to: endA, insert: b.slice(start, endB) };
}

/**
 * The range a problem at line:column (1-based) marks: the word there (or the rest of the line), clamped to the
 * text — problems can be older than the text.
 */
export function problemRange(text: string, line: number, column: number): { from: number; to: number } {
  let pos = 0;
  for (let l = 1; l < line; l++) {
    const nl = text.indexOf("\n", pos);
    if (nl < 0) {
      pos = text.length;
      break;
    }
    pos = nl + 1;
  }
  const lineEnd = text.indexOf("\n", pos) < 0 ? text.length : text.indexOf("\n", pos);
  const from = Math.min(pos + Math.max(0, column - 1), lineEnd);
  const word = /^[^\s:,[\]{}]+/.exec(text.slice(from, lineEnd));
  const to = word ? from + word[0].length : lineEnd;
  return { from, to: Math.max(to, from) };
}

export interface Completion {
  label: string;
  detail?: string;
}

/**
 * What completes the reference being typed at the end of `before` (the text from the line start to the
 * cursor), inside `{{ … }}` or an `if:` / `foreach:` value: `args.<name>`, `steps.<id>`, `steps.<id>.output`.
 * Returns the offset in `before` where the completed word starts, and the options.
 */
export function referenceCompletions(
  before: string,
  graph: Pick<BuilderGraph, "args" | "steps">,
  currentStep: string | undefined,
): { from: number; options: Completion[] } | undefined {
  const open = before.lastIndexOf("{{");
  const inTemplate = open >= 0 && before.indexOf("}}", open) < 0;
  const inExpression = /^\s*-?\s*(if|condition|foreach):\s/.test(before);
  if (!inTemplate && !inExpression) return undefined;
  const step = /steps\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_]*)$/.exec(before);
  if (step) {
    return {
      from: before.length - (step[2] ?? "").length,
      options: [
        { label: "output", detail: "the step's result" },
        { label: "status", detail: "completed, failed, skipped…" },
        { label: "error", detail: "why it failed" },
      ],
    };
  }
  const steps = /steps\.([A-Za-z0-9_-]*)$/.exec(before);
  if (steps) {
    return {
      from: before.length - (steps[1] ?? "").length,
      options: graph.steps.filter((s) => s.id !== currentStep).map((s) => ({ label: s.id, detail: s.name ?? s.type })),
    };
  }
  const args = /args\.([A-Za-z0-9_]*)$/.exec(before);
  if (args) {
    return {
      from: before.length - (args[1] ?? "").length,
      options: graph.args.map((a) => ({ label: a, detail: "argument" })),
    };
  }
  const word = /(?:^|[\s({[,!&|+*/<>=-])([A-Za-z_]*)$/.exec(before);
  if (word && (inTemplate || inExpression)) {
    return {
      from: before.length - (word[1] ?? "").length,
      options: [
        ...graph.args.map((a) => ({ label: `args.${a}`, detail: "argument" })),
        ...graph.steps
          .filter((s) => s.id !== currentStep)
          .map((s) => ({ label: `steps.${s.id}.output`, detail: s.name ?? s.type })),
      ],
    };
  }
  return undefined;
}
