/**
 * Text surgery on a parsed YAML document. Edits never re-serialise the document: each one replaces a range of
 * the original text (found through the nodes' source ranges) with a few rendered lines, so everything outside
 * the edited nodes — comments, blank lines, quoting, key order, flow or block style — stays byte-identical.
 */
import { Document, isScalar, type Pair, type Scalar, type YAMLSeq } from "yaml";

export interface Splice {
  start: number;
  end: number;
  text: string;
}

/** Applies non-overlapping splices (in any order) to the text. */
export function applySplices(text: string, splices: readonly Splice[]): string {
  const sorted = [...splices].sort((a, b) => b.start - a.start || b.end - a.end);
  let out = text;
  let limit = Number.POSITIVE_INFINITY;
  for (const s of sorted) {
    if (s.end > limit) throw new Error("overlapping edits");
    out = out.slice(0, s.start) + s.text + out.slice(s.end);
    limit = s.start;
  }
  return out;
}

export const lineStart = (text: string, pos: number): number => text.lastIndexOf("\n", pos - 1) + 1;

/** The offset just after the newline ending the line that holds `pos` (or the end of the text). */
export function lineEndIncl(text: string, pos: number): number {
  const nl = text.indexOf("\n", pos);
  return nl < 0 ? text.length : nl + 1;
}

export const columnOf = (text: string, pos: number): number => pos - lineStart(text, pos);

const rangeOf = (node: unknown): [number, number, number] | undefined =>
  (node as { range?: [number, number, number] | null } | null)?.range ?? undefined;

/** Where a node starts in the text. */
export function nodeStart(node: unknown): number {
  return rangeOf(node)?.[0] ?? 0;
}

/** Where a node's value ends (before any trailing comment). */
export function nodeValueEnd(node: unknown): number {
  return rangeOf(node)?.[1] ?? 0;
}

/**
 * The end of a block node's last line: after the newline that ends its value, so a trailing comment on that
 * line stays with it and whatever follows (comments about the next item, blank lines) is left alone.
 */
export function blockEnd(text: string, end: number): number {
  if (end > 0 && text[end - 1] === "\n") return end;
  return lineEndIncl(text, end);
}

/** The end of a pair (its value, or its key when it has none). */
export function pairEnd(pair: Pair): number {
  const k = rangeOf(pair.key)?.[1] ?? 0;
  const v = rangeOf(pair.value)?.[1] ?? 0;
  return Math.max(k, v);
}

/** The `-` of a block sequence item (the item's node starts after it). */
export function dashOf(text: string, itemStart: number): number {
  let i = itemStart - 1;
  while (i >= 0 && (text[i] === " " || text[i] === "\t" || text[i] === "\n" || text[i] === "\r")) i--;
  return text[i] === "-" ? i : itemStart;
}

export const isFlow = (node: unknown): boolean => (node as { flow?: boolean }).flow === true;

/**
 * The source text of an item of a block sequence: from the start of its `-` line (including the comment lines
 * directly above it, when `withLeadingComments`) to the end of its last line.
 */
export function blockItemRange(
  text: string,
  item: unknown,
  withLeadingComments: boolean,
): { start: number; end: number; dash: number } {
  const dash = dashOf(text, nodeStart(item));
  let start = lineStart(text, dash);
  if (withLeadingComments) {
    for (;;) {
      if (start === 0) break;
      const prev = lineStart(text, start - 1);
      const line = text.slice(prev, start - 1).trim();
      if (!line.startsWith("#")) break;
      start = prev;
    }
  }
  return { start, end: blockEnd(text, nodeValueEnd(item)), dash };
}

/** Renders `key: value` (with `&anchor` on the value) as block YAML lines indented by `indent`, ending with a newline. */
export function renderPair(key: string, value: unknown, indent: number, anchor?: string): string {
  const doc = new Document({ [key]: value });
  const node = doc.get(key, true) as { anchor?: string } | undefined;
  if (anchor && node) node.anchor = anchor;
  return indentLines(doc.toString({ lineWidth: 0, flowCollectionPadding: true }), indent);
}

/** Renders a block sequence item (`- …`) whose dash is at `indent`. */
export function renderItem(value: unknown, indent: number): string {
  const doc = new Document([value]);
  return indentLines(doc.toString({ lineWidth: 0, flowCollectionPadding: true }), indent);
}

/**
 * Renders a value in flow style, on one line, the way the templates write them: `[a, b]`, `{ x: 1, y: 2 }`
 * (JSON when the document is JSON).
 */
export function renderFlow(value: unknown, json: boolean): string {
  if (json) return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => renderFlow(v, false)).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).map(([k, v]) => `${flowScalar(k)}: ${renderFlow(v, false)}`);
    return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
  }
  return flowScalar(value);
}

/** A scalar as it may be written inside a flow collection (quoted when it must be). */
function flowScalar(value: unknown): string {
  const doc = new Document([value]);
  (doc.contents as YAMLSeq).flow = true;
  return doc
    .toString({ lineWidth: 0 })
    .trimEnd()
    .replace(/^\[\s*/, "")
    .replace(/\s*\]$/, "");
}

/** Renders a scalar or a flow value to put after `key: ` on the key's own line, when it fits on one line. */
export function renderInline(value: unknown): string | undefined {
  if (value !== null && typeof value === "object") {
    return Object.keys(value).length === 0 ? renderFlow(value, false) : undefined;
  }
  const text = new Document({ k: value }).toString({ lineWidth: 0 });
  const body = text.slice(3).replace(/\n$/, "");
  return body.includes("\n") ? undefined : body;
}

function indentLines(text: string, indent: number): string {
  const pad = " ".repeat(indent);
  return text
    .split("\n")
    .map((line) => (line === "" ? line : pad + line))
    .join("\n");
}

export const scalarText = (node: unknown): string | undefined => {
  if (!isScalar(node)) return undefined;
  const v = (node as Scalar).value;
  return typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : undefined;
};
