/**
 * Splices for the basic changes of a YAML collection — set or delete a key, append or remove items — computed
 * on the original text, in the collection's own style (block or flow, its indentation).
 */
import { isCollection, isMap, isScalar, isSeq, type Pair, type YAMLMap, type YAMLSeq } from "yaml";
import { type DocModel, pairOf } from "./model.js";
import {
  blockEnd,
  blockItemRange,
  columnOf,
  dashOf,
  isFlow,
  lineStart,
  nodeStart,
  nodeValueEnd,
  pairEnd,
  renderFlow,
  renderInline,
  renderItem,
  renderPair,
  type Splice,
} from "./text.js";

export interface SetOptions {
  /** Render collections in flow style (`{ x: 1, y: 2 }`). */
  flow?: boolean;
  /** A new key goes after the last of these keys present (else at the end of the mapping). */
  after?: string[];
}

const keyIndent = (m: DocModel, map: YAMLMap): number => {
  const first = map.items[0] as Pair | undefined;
  return first ? columnOf(m.text, nodeStart(first.key)) : 0;
};

/** Where a new line goes after `pair` (the line after its value; a newline first at a text without one). */
function afterPair(m: DocModel, pair: Pair): { at: number; prefix: string } {
  const at = blockEnd(m.text, pairEnd(pair));
  return { at, prefix: at === m.text.length && !m.text.endsWith("\n") && m.text.length > 0 ? "\n" : "" };
}

/**
 * Where a block mapping's `key` starts (replacing the pair when it exists, else a new line after the last pair):
 * the range to replace, the key's indentation, and what goes before the key on that line.
 */
export function insertionPoint(
  m: DocModel,
  map: YAMLMap,
  key: string | undefined,
): { start: number; end: number; indent: number; prefix: string } {
  const indent = keyIndent(m, map);
  const pair = key === undefined ? undefined : pairOf(map, key);
  if (pair) return { start: nodeStart(pair.key), end: blockEnd(m.text, pairEnd(pair)), indent, prefix: "" };
  const last = map.items[map.items.length - 1] as Pair | undefined;
  if (!last) throw new Error("cannot add a key to an empty block mapping");
  const { at, prefix } = afterPair(m, last);
  return { start: at, end: at, indent, prefix: prefix + " ".repeat(indent) };
}

/** `key: value` set in the mapping (replacing the value when the key exists). */
export function setKey(m: DocModel, map: YAMLMap, key: string, value: unknown, opts: SetOptions = {}): Splice {
  const pair = pairOf(map, key);
  if (isFlow(map)) {
    const rendered = renderFlow(value, m.json);
    if (pair) return replaceValue(pair, rendered);
    const close = nodeValueEnd(map) - 1;
    const k = m.json ? JSON.stringify(key) : key;
    if (map.items.length === 0) return { start: close, end: close, text: ` ${k}: ${rendered} ` };
    const last = map.items[map.items.length - 1] as Pair;
    const end = pairEnd(last);
    return { start: end, end, text: `, ${k}: ${rendered}` };
  }
  const indent = keyIndent(m, map);
  const inline = opts.flow ? renderFlow(value, false) : renderInline(value);
  if (pair) {
    const v = pair.value;
    const vStart = nodeStart(v);
    const onKeyLine = v !== null && lineStart(m.text, vStart) === lineStart(m.text, nodeStart(pair.key));
    const simple = v === null || isScalar(v) ? !isBlockScalar(v) : isFlow(v);
    if (inline !== undefined && onKeyLine && simple) {
      if (isScalar(v) && vStart === nodeValueEnd(v)) return { start: vStart, end: vStart, text: ` ${inline}` };
      return replaceValue(pair, inline);
    }
    const start = nodeStart(pair.key);
    const end = blockEnd(m.text, pairEnd(pair));
    // An anchor on the old value stays (other keys use it: `*name`), and so do their values' link to it.
    const anchor = (v as { anchor?: string } | null)?.anchor;
    const text =
      inline !== undefined
        ? `${key}: ${anchor ? `&${anchor} ` : ""}${inline}\n`
        : renderPair(key, value, indent, anchor).slice(indent);
    return { start, end, text };
  }
  const anchor = lastOf(map, opts.after);
  if (!anchor) throw new Error("cannot add a key to an empty block mapping");
  const { at, prefix } = afterPair(m, anchor);
  const text = inline !== undefined ? `${" ".repeat(indent)}${key}: ${inline}\n` : renderPair(key, value, indent);
  return { start: at, end: at, text: prefix + text };
}

function lastOf(map: YAMLMap, after: string[] | undefined): Pair | undefined {
  const items = map.items as Pair[];
  if (after) {
    for (let i = items.length - 1; i >= 0; i--) {
      const k = items[i]?.key;
      if (isScalar(k) && after.includes(String(k.value))) return items[i];
    }
  }
  return items[items.length - 1];
}

const isBlockScalar = (v: unknown): boolean => isScalar(v) && (v.type === "BLOCK_LITERAL" || v.type === "BLOCK_FOLDED");

function replaceValue(pair: Pair, text: string): Splice {
  const v = pair.value;
  if (v === null || v === undefined) {
    const end = nodeValueEnd(pair.key);
    return { start: end, end: end + 1, text: `: ${text}` };
  }
  return { start: nodeStart(v), end: nodeValueEnd(v), text };
}

/** Deletes `key` from the mapping (nothing when absent). */
export function deleteKey(m: DocModel, map: YAMLMap, key: string): Splice | undefined {
  const pair = pairOf(map, key);
  if (!pair) return undefined;
  const items = map.items as Pair[];
  const i = items.indexOf(pair);
  if (isFlow(map)) return removeFlowEntry(items, i, (p) => nodeStart(p.key), pairEnd);
  const keyStart = nodeStart(pair.key);
  const ls = lineStart(m.text, keyStart);
  const end = blockEnd(m.text, pairEnd(pair));
  if (m.text.slice(ls, keyStart).trim() === "") return { start: ls, end, text: "" };
  // The first key of a sequence item (`- id: a`): the next key moves up behind the dash.
  const next = items[i + 1];
  if (next) return { start: keyStart, end: nodeStart(next.key), text: "" };
  return { start: keyStart, end, text: "{}\n" };
}

function removeFlowEntry<T>(items: T[], i: number, start: (t: T) => number, end: (t: T) => number): Splice {
  const item = items[i] as T;
  const next = items[i + 1];
  if (next !== undefined) return { start: start(item), end: start(next), text: "" };
  const prev = items[i - 1];
  if (prev !== undefined) return { start: end(prev), end: end(item), text: "" };
  return { start: start(item), end: end(item), text: "" };
}

/** Appends an item to a sequence (block: a new `- ` line at the items' indentation; flow: before `]`). */
export function appendItem(m: DocModel, seq: YAMLSeq, value: unknown, opts: { flow?: boolean } = {}): Splice {
  if (isFlow(seq)) {
    const close = nodeValueEnd(seq) - 1;
    const rendered = renderFlow(value, m.json);
    const last = seq.items[seq.items.length - 1];
    if (last === undefined) return { start: close, end: close, text: rendered };
    const end = nodeValueEnd(last);
    return { start: end, end, text: `, ${rendered}` };
  }
  const first = seq.items[0];
  const last = seq.items[seq.items.length - 1];
  const dash = dashOf(m.text, nodeStart(first));
  const indent = columnOf(m.text, dash);
  const at = blockEnd(m.text, nodeValueEnd(last));
  const prefix = at === m.text.length && !m.text.endsWith("\n") ? "\n" : "";
  // Items separated by blank lines get one too.
  const gap = blankBetween(m, seq) ? "\n" : "";
  const text = opts.flow ? `${" ".repeat(indent)}- ${renderFlow(value, false)}\n` : renderItem(value, indent);
  return { start: at, end: at, text: prefix + gap + text };
}

function blankBetween(m: DocModel, seq: YAMLSeq): boolean {
  const a = seq.items[seq.items.length - 2];
  const b = seq.items[seq.items.length - 1];
  if (a === undefined || b === undefined) return false;
  const from = blockEnd(m.text, nodeValueEnd(a));
  const to = lineStart(m.text, dashOf(m.text, nodeStart(b)));
  return m.text
    .slice(from, to)
    .split("\n")
    .slice(0, -1)
    .some((line) => line.trim() === "");
}

/**
 * Removes items from a sequence. Returns undefined when every item goes (the caller decides what the key
 * becomes). A flow sequence is written again from its kept items' source text.
 */
export function removeItems(m: DocModel, seq: YAMLSeq, remove: readonly unknown[]): Splice[] | undefined {
  const kept = seq.items.filter((i) => !remove.includes(i));
  if (kept.length === seq.items.length) return [];
  if (kept.length === 0) return undefined;
  if (isFlow(seq)) {
    const start = nodeStart(seq);
    const end = nodeValueEnd(seq);
    const pad = m.text[start + 1] === " " ? " " : "";
    const parts = kept.map((i) => m.text.slice(nodeStart(i), nodeValueEnd(i)));
    return [{ start, end, text: `[${pad}${parts.join(", ")}${pad}]` }];
  }
  return seq.items
    .filter((i) => remove.includes(i))
    .map((i) => {
      const r = blockItemRange(m.text, i, isCollection(i));
      return { start: r.start, end: r.end, text: "" };
    });
}

/** The source text of a node's value. */
export const sourceOf = (m: DocModel, node: unknown): string => m.text.slice(nodeStart(node), nodeValueEnd(node));

export { isMap, isSeq };
