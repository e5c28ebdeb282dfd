/**
 * Opens a workflow document for reading and editing: the `yaml` package's parsed Document (with source ranges),
 * the mapping that holds the workflow (seed 001 wraps it in `workflow:`), its step list (`steps:`, or seed 000's
 * `nodes:`) and, for seed 000, its `edges:` list.
 */
import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Pair,
  parseDocument,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import type { DocDialect, JsonValue, SyntaxProblem } from "./types.js";

/** Keys every step may have (canonical spelling and the seeds'); anything else is the step type's config. */
export const STEP_KEYS = [
  "id",
  "name",
  "type",
  "phase",
  "needs",
  "if",
  "optional",
  "retry",
  "timeout",
  "foreach",
  "priority",
  "on_success",
  "on_failure",
  "description",
  // seed spellings
  "key",
  "dependencies",
  "condition",
  "continueOnError",
  "retryPolicy",
  "timeoutMs",
  "parallel",
];

/**
 * Keys of a seed 000 node itself (React Flow's shapes: the label and config may also sit under `data`). Every
 * other setting of a node belongs in its `config`.
 */
export const NODE_KEYS = [
  "id",
  "node_id",
  "node_type",
  "type",
  "label",
  "description",
  "config",
  "data",
  "position",
  "position_x",
  "position_y",
  // weft's extension: a node's own condition and fan-out
  "if",
  "foreach",
];

/**
 * Where a seed 000 node keeps `key` (`label`, `config`, `description`): on the node, or under its `data` (also
 * for a key it does not have yet, when it keeps its settings there).
 */
export function nodeHolder(node: YAMLMap, key: string): YAMLMap {
  if (hasKey(node, key)) return node;
  const data = valueAt(node, "data");
  return isMap(data) ? data : node;
}

export const SEED002_TOP_KEYS = ["name", "description", "argsSchema", "phases", "steps", "ui"];
export const SEED002_STEP_KEYS = ["id", "name", "phase", "type", "agent", "prompt", "permission", "command", "cwd"];
export const SEED003_STEP_MARKERS = ["key", "dependencies", "retryPolicy", "timeoutMs", "parallel", "continueOnError"];

export interface StepNode {
  index: number;
  node: YAMLMap;
  id: string | undefined;
}

export interface DocModel {
  text: string;
  doc: Document.Parsed;
  lines: LineCounter;
  dialect: DocDialect;
  /** The document's top-level mapping (where `ui:` goes). */
  top: YAMLMap;
  /** The mapping holding name, steps, … (`top`, or seed 001's `workflow:`). */
  root: YAMLMap;
  /** `steps`, or `nodes` for seed 000. */
  listKey: "steps" | "nodes";
  list: YAMLSeq | undefined;
  steps: StepNode[];
  /** Seed 000's `edges:`. */
  edges: YAMLSeq | undefined;
  /** The text is JSON (flow collections get JSON spellings). */
  json: boolean;
}

export type OpenResult = { ok: true; model: DocModel } | { ok: false; problems: SyntaxProblem[] };

export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  return (map.items as Pair[]).find((p) => isScalar(p.key) && p.key.value === key);
}

export function valueAt(map: YAMLMap, key: string): unknown {
  return pairOf(map, key)?.value;
}

export const hasKey = (map: YAMLMap, key: string): boolean => pairOf(map, key) !== undefined;

export function keysOf(map: YAMLMap): string[] {
  return (map.items as Pair[]).flatMap((p) => (isScalar(p.key) ? [String(p.key.value)] : []));
}

/** A node as plain JSON (aliases resolved). */
export function jsOf(model: DocModel, node: unknown): JsonValue {
  if (node === null || node === undefined) return null;
  const js = (node as { toJS?: (doc: Document) => unknown }).toJS?.(model.doc);
  return (js === undefined ? null : js) as JsonValue;
}

/** Text with no YAML content: empty, blank lines and comments only. */
export const isBlank = (text: string): boolean => text.split("\n").every((l) => /^\s*(#.*)?$/.test(l));

export function openDoc(text: string): OpenResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, keepSourceTokens: true, uniqueKeys: false });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((e) => {
        const [a, b] = e.pos;
        const at = lines.linePos(a);
        // The parser's range can run to the end of the text: a problem marks its own line only.
        const eol = text.indexOf("\n", a);
        const end = Math.max(Math.min(b, eol < 0 ? text.length : eol), a + 1);
        return { message: firstLine(e.message), line: at.line, column: at.col, start: a, end };
      }),
    };
  }
  const top = doc.contents;
  if (!isMap(top)) {
    return {
      ok: false,
      problems: [
        {
          message: "the workflow must be a mapping (`name: …`, `steps: …`)",
          line: 1,
          column: 1,
          start: 0,
          end: Math.max(1, Math.min(text.length, text.indexOf("\n") < 0 ? text.length : text.indexOf("\n"))),
        },
      ],
    };
  }
  const wrapped = valueAt(top, "workflow");
  const root = isMap(wrapped) && !hasKey(top, "steps") ? wrapped : top;
  const nodes = valueAt(root, "nodes");
  const listKey = isSeq(nodes) && !hasKey(root, "steps") ? "nodes" : "steps";
  const listNode = valueAt(root, listKey);
  const list = isSeq(listNode) ? listNode : undefined;
  const steps: StepNode[] = [];
  list?.items.forEach((item, index) => {
    if (!isMap(item)) return;
    const idNode = valueAt(item, "id") ?? valueAt(item, listKey === "steps" ? "key" : "node_id");
    const id = isScalar(idNode) && idNode.value !== null ? String(idNode.value) : undefined;
    steps.push({ index, node: item, id });
  });
  const edgesNode = listKey === "nodes" ? valueAt(root, "edges") : undefined;
  const model: DocModel = {
    text,
    doc,
    lines,
    dialect: "canonical",
    top,
    root,
    listKey,
    list,
    steps,
    edges: isSeq(edgesNode) ? edgesNode : undefined,
    json: text.trimStart().startsWith("{"),
  };
  model.dialect = detect(model);
  return { ok: true, model };
}

function detect(m: DocModel): DocDialect {
  if (m.root !== m.top) return "seed-001";
  if (m.listKey === "nodes") return "seed-000";
  if (hasKey(m.root, "config") || m.steps.some((s) => SEED003_STEP_MARKERS.some((k) => hasKey(s.node, k)))) {
    return "seed-003";
  }
  const only = (map: YAMLMap, keys: string[]) => keysOf(map).every((k) => keys.includes(k));
  const allMaps = !m.list || m.list.items.every((i) => isMap(i));
  if (only(m.root, SEED002_TOP_KEYS) && allMaps && m.steps.every((s) => only(s.node, SEED002_STEP_KEYS))) {
    return "seed-002";
  }
  return "canonical";
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.replace(/ at line \d+, column \d+:?$/, "") ?? message;
}

/** Reopens text produced by an edit (which must parse: an edit never breaks the syntax). */
export function mustOpen(text: string): DocModel {
  const r = openDoc(text);
  if (!r.ok) throw new Error(`the workflow does not parse: ${r.problems[0]?.message ?? "unknown error"}`);
  return r.model;
}

export function stepNode(model: DocModel, id: string): StepNode {
  const s = model.steps.find((x) => x.id === id);
  if (!s) throw new Error(`no step has the id \`${id}\``);
  return s;
}
