/**
 * The builder's edits, each `(text, …) → text`. They change only what they must, spelled in the document's
 * own dialect (a seed 003 document gets `dependencies:`, seed 001 `on_success`/`on_failure` on the source step,
 * seed 000 an item of `edges:`); every other byte of the text is kept. Invalid requests (an unknown step, a
 * duplicate id) throw an Error with a readable message; the text is never left half-edited.
 */
import {
  type Alias,
  Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  type Pair,
  type Scalar,
  visit,
  type YAMLMap,
  type YAMLSeq,
} from "yaml";
import {
  DEP_KEYS,
  depsOf,
  implicitEdges,
  isSequential,
  namesOf,
  SOURCE_KEYS,
  seed000EdgeOn,
  writtenEdges,
} from "./graph.js";
import {
  type DocModel,
  hasKey,
  isBlank,
  jsOf,
  mustOpen,
  NODE_KEYS,
  nodeHolder,
  pairOf,
  type StepNode,
  stepNode,
  valueAt,
} from "./model.js";
import { appendItem, deleteKey, insertionPoint, removeItems, type SetOptions, setKey, sourceOf } from "./splice.js";
import {
  applySplices,
  blockEnd,
  blockItemRange,
  isFlow,
  lineEndIncl,
  lineStart,
  nodeStart,
  nodeValueEnd,
  pairEnd,
  renderFlow,
  renderItem,
  type Splice,
  scalarText,
} from "./text.js";
import type { EdgeOn, JsonValue, NewStep, Position } from "./types.js";

/** What a step id may look like (the engine's rule: expressions refer to it as `steps.<id>`). */
const STEP_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Keys a new dependency key goes after. */
const HEADER_KEYS = ["id", "key", "name", "phase"];

const apply = (m: DocModel, splices: (Splice | undefined)[]): string =>
  applySplices(
    m.text,
    splices.filter((s): s is Splice => s !== undefined),
  );

function checkNewId(m: DocModel | undefined, id: string): void {
  if (!STEP_ID.test(id)) {
    throw new Error(
      `step id \`${id}\` may contain only letters, digits, \`_\` and \`-\`, and must start with a letter or \`_\``,
    );
  }
  if (m?.steps.some((s) => s.id === id)) throw new Error(`a step with the id \`${id}\` already exists`);
}

// ─── steps ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Appends a step to the steps (or seed 000 nodes) list; with a position, records it too. */
export function addStep(text: string, step: NewStep, position?: Position): string {
  if (isBlank(text)) {
    // The first step of a workflow not written yet: `steps:` after whatever comments there are.
    checkNewId(undefined, step.id);
    const sep = text === "" || text.endsWith("\n") ? "" : "\n";
    const item: Record<string, JsonValue> = { id: step.id };
    if (step.name !== undefined) item.name = step.name;
    item.type = step.type;
    for (const [k, v] of Object.entries(step.config ?? {})) if (!(k in item)) item[k] = v;
    const out = `${text}${sep}steps:\n${renderItem(item, 2)}`;
    return position ? setPositions(out, { [step.id]: position }) : out;
  }
  const m = mustOpen(text);
  checkNewId(m, step.id);
  const value: Record<string, JsonValue> = {};
  if (m.listKey === "nodes") {
    value.id = step.id;
    value.node_type = step.nodeType ?? step.type;
    if (step.name !== undefined) value.label = step.name;
    if (step.config && Object.keys(step.config).length > 0) value.config = step.config;
    if (position) value.position = { x: Math.round(position.x), y: Math.round(position.y) };
  } else {
    const usesKey = m.steps.length > 0 && m.steps.every((s) => hasKey(s.node, "key"));
    value[usesKey ? "key" : "id"] = step.id;
    if (step.name !== undefined) value.name = step.name;
    value.type = step.type;
    for (const [k, v] of Object.entries(step.config ?? {})) if (!(k in value)) value[k] = v;
  }
  let out: string;
  if (m.list && m.list.items.length > 0) out = apply(m, [appendItem(m, m.list, value)]);
  else out = apply(m, [setKey(m, m.root, m.listKey, [value])]);
  if (position && m.listKey !== "nodes") out = setPositions(out, { [step.id]: position });
  return out;
}

/** Removes a step, every edge to or from it, and its position. */
export function removeStep(text: string, id: string): string {
  const m = mustOpen(text);
  const target = stepNode(m, id);
  if (!m.list) return text;
  const splices: (Splice | undefined)[] = [];
  const range = blockItemRange(m.text, target.node, true);
  if (m.list.items.length === 1) {
    splices.push(setKey(m, m.root, m.listKey, []));
  } else if (m.list.flow) {
    splices.push(...(removeItems(m, m.list, [target.node]) ?? []));
  } else {
    splices.push(withoutExtraBlankLine(m.text, range, target.index === m.list.items.length - 1));
  }
  splices.push(...moveAnchors(m, range.start, range.end));
  splices.push(...dropEdges(m, (from, to) => from === id || to === id, target));
  splices.push(positionRemoval(m, id));
  return apply(m, splices);
}

/** A removed item's lines, and one blank line of the two that would meet (or the one before the last item). */
function withoutExtraBlankLine(text: string, range: { start: number; end: number }, last: boolean): Splice {
  const blankAt = (at: number) => /^[ \t]*\n/.test(text.slice(at, lineEndIncl(text, at)));
  const before = range.start > 0 ? lineStart(text, range.start - 1) : -1;
  const blankBefore = before >= 0 && blankAt(before);
  if (blankBefore && range.end < text.length && blankAt(range.end)) {
    return { start: range.start, end: lineEndIncl(text, range.end), text: "" };
  }
  if (blankBefore && last) return { start: before, end: range.end, text: "" };
  return { start: range.start, end: range.end, text: "" };
}

/**
 * Anchors the removed step defines (`&copywriter`) that other steps use (`*copywriter`): the first use gets the
 * value written out, with the anchor, so the later uses keep working. A use that is not the value of a block
 * mapping's key cannot be written out that way: the step is then refused with a clear message.
 */
function moveAnchors(m: DocModel, start: number, end: number): Splice[] {
  const anchored = new Map<string, unknown>();
  const uses: { alias: Alias; parent: unknown; flow: boolean }[] = [];
  visit(m.doc, {
    Node(_key, node) {
      const at = nodeStart(node);
      const anchor = (node as { anchor?: string }).anchor;
      if (anchor && at >= start && at < end) anchored.set(anchor, node);
    },
    Alias(_key, node, path) {
      const at = nodeStart(node);
      const map = path[path.length - 2];
      if (at < start || at >= end) uses.push({ alias: node, parent: path[path.length - 1], flow: isFlow(map) });
    },
  });
  const splices: Splice[] = [];
  const moved = new Set<string>();
  for (const { alias, parent, flow } of uses.sort((a, b) => nodeStart(a.alias) - nodeStart(b.alias))) {
    const node = anchored.get(alias.source);
    if (node === undefined || moved.has(alias.source)) continue;
    moved.add(alias.source);
    if (!isPair(parent) || parent.value !== alias || !isScalar(parent.key) || flow) {
      throw new Error(
        `this step defines the YAML anchor \`&${alias.source}\` that another step uses (\`*${alias.source}\`): write the value into that step first`,
      );
    }
    const key = String(parent.key.value);
    const doc = new Document({ [key]: jsOf(m, node) });
    const value = doc.get(key, true) as { anchor?: string } | undefined;
    if (value) value.anchor = alias.source;
    const keyStart = nodeStart(parent.key);
    const indent = keyStart - lineStart(m.text, keyStart);
    const rendered = indentBy(doc.toString({ lineWidth: 0 }), indent).slice(indent);
    splices.push({ start: keyStart, end: blockEnd(m.text, pairEnd(parent)), text: rendered });
  }
  return splices;
}

const indentBy = (text: string, indent: number): string =>
  text
    .split("\n")
    .map((line) => (line === "" ? line : " ".repeat(indent) + line))
    .join("\n");

/** Renames a step and every reference to it: dependencies, edges, positions and `steps.<id>` in expressions. */
export function renameStep(text: string, from: string, to: string): string {
  const m = mustOpen(text);
  const step = stepNode(m, from);
  if (from === to) return text;
  checkNewId(m, to);
  const exact = new Set<unknown>();
  exact.add(valueAt(step.node, "id") ?? valueAt(step.node, m.listKey === "nodes" ? "node_id" : "key"));
  if (m.listKey === "nodes") {
    // An attach_to_document node may name the nodes it takes from (`source_nodes`).
    for (const s of m.steps) {
      const config = valueAt(nodeHolder(s.node, "config"), "config");
      const sources = isMap(config) ? valueAt(config, "source_nodes") : undefined;
      for (const n of namesOf(sources)) if (n.name === from) exact.add(n.item);
    }
    for (const e of m.edges?.items ?? []) {
      if (!isMap(e)) continue;
      for (const k of ["source", "target"]) {
        const v = valueAt(e, k);
        if (scalarText(v) === from) exact.add(v);
      }
    }
  } else {
    for (const s of m.steps) {
      for (const k of DEP_KEYS) {
        for (const d of depsOf(valueAt(s.node, k))) {
          if (d.step !== from) continue;
          exact.add(isMap(d.item) ? valueAt(d.item, "step") : d.item);
        }
      }
      for (const k of SOURCE_KEYS) for (const n of namesOf(valueAt(s.node, k))) if (n.name === from) exact.add(n.item);
    }
  }
  const splices: Splice[] = [];
  const scan = (root: unknown) =>
    visit(root as YAMLSeq, {
      Pair(_key, pair) {
        const k = isScalar(pair.key) ? String(pair.key.value) : "";
        // `if`, `condition` and `foreach` are expressions as a whole; other strings only inside `{{ … }}`.
        whole.set(pair.value, ["if", "condition", "foreach"].includes(k));
      },
      Scalar(key, node) {
        if (key === "key" || typeof (node as Scalar).value !== "string") return;
        const src = sourceOf(m, node);
        const next = exact.has(node) ? src.replace(from, to) : renameInText(src, from, to, whole.get(node) === true);
        if (next !== src) splices.push({ start: nodeStart(node), end: nodeValueEnd(node), text: next });
      },
    });
  const whole = new Map<unknown, boolean>();
  if (m.list) scan(m.list);
  if (m.edges) scan(m.edges);
  const positions = positionsMap(m);
  const pos = positions ? pairOf(positions, from) : undefined;
  if (pos && isScalar(pos.key)) splices.push({ start: nodeStart(pos.key), end: nodeValueEnd(pos.key), text: to });
  return applySplices(m.text, splices);
}

/** Sets one key of a step (`value` undefined deletes it). Seed 000: keys other than the node's go in `config`. */
export function setStepField(text: string, id: string, key: string, value: JsonValue | undefined): string {
  const m = mustOpen(text);
  const s = stepNode(m, id);
  if (key === "id" || key === "key") throw new Error("rename a step with renameStep");
  let map = s.node;
  let k = key;
  if (m.listKey === "nodes") {
    if (k === "name") k = "label";
    if (k === "type" && hasKey(map, "node_type")) k = "node_type";
    if (k === "label" || k === "description") map = nodeHolder(map, k);
    else if (!NODE_KEYS.includes(k)) {
      const holder = nodeHolder(map, "config");
      const config = valueAt(holder, "config");
      if (!isMap(config)) {
        if (value === undefined) return text;
        return apply(m, [setKey(m, holder, "config", { [k]: value })]);
      }
      map = config;
    }
  } else if (k === "if" && (hasKey(map, "condition") || (m.dialect !== "canonical" && m.dialect !== "seed-002"))) {
    if (!hasKey(map, "if")) k = "condition";
  }
  if (value === undefined) return apply(m, [deleteKey(m, map, k)]);
  return apply(m, [setKey(m, map, k, value)]);
}

// ─── edges ──────────────────────────────────────────────────────────────────────────────────────────────────

/** Makes `to` depend on `from` (firing on `on`). */
/**
 * Adds `to`'s dependency on `from`. `handle` is the branch of a seed 000 conditional the edge leaves from
 * (`"true"` or `"false"`), written as the edge's `sourceHandle`; other edges have none.
 */
export function connect(text: string, from: string, to: string, on: EdgeOn, handle?: "true" | "false"): string {
  let m = mustOpen(text);
  stepNode(m, from);
  stepNode(m, to);
  if (from === to) throw new Error(`step \`${from}\` cannot depend on itself`);
  if (isSequential(m)) m = mustOpen(materialise(m));
  const had = writtenEdges(m).find((e) => e.from === from && e.to === to);
  if (had) return had.on === on ? m.text : setEdgeOn(m.text, from, to, on);
  if (handle !== undefined && m.listKey !== "nodes") {
    throw new Error("a branch (`sourceHandle`) belongs to a seed 000 conditional's edges only");
  }
  return apply(m, addEdge(m, from, to, on, handle));
}

function addEdge(m: DocModel, from: string, to: string, on: EdgeOn, handle?: "true" | "false"): Splice[] {
  if (m.listKey === "nodes") {
    const edge: Record<string, JsonValue> = { source: from, target: to };
    if (handle !== undefined) edge.sourceHandle = handle;
    refuseSeed000On(m, to, on);
    if (m.edges && m.edges.items.length > 0) {
      const flow = m.edges.items.every((i) => isMap(i) && i.flow);
      return [appendItem(m, m.edges, edge, { flow })];
    }
    return [setKey(m, m.root, "edges", [edge])];
  }
  if (m.dialect === "seed-001") {
    const source = stepNode(m, from).node;
    const keys = on === "success" ? ["on_success"] : on === "failure" ? ["on_failure"] : ["on_success", "on_failure"];
    return keys.map((k) => addName(m, source, k, to, SOURCE_KEYS));
  }
  const target = stepNode(m, to).node;
  const key = DEP_KEYS.find((k) => hasKey(target, k)) ?? (m.dialect === "seed-003" ? "dependencies" : "needs");
  const item: JsonValue = on === "success" ? from : { step: from, on };
  return [addName(m, target, key, item, HEADER_KEYS)];
}

/** A seed 000 edge fires on success — always into a merge node — and cannot say otherwise. */
function refuseSeed000On(m: DocModel, to: string, on: EdgeOn): void {
  const implied = seed000EdgeOn(m, to);
  if (on !== implied) {
    throw new Error(
      `a seed 000 edge into \`${to}\` fires ${implied === "always" ? "always (it is a merge node)" : "on success"}: edges of this dialect have no condition`,
    );
  }
}

/** Adds an item to a list-valued key (`a` becomes `[a, b]`; a missing key becomes `key: [b]`). */
function addName(m: DocModel, map: YAMLMap, key: string, item: JsonValue, after: string[]): Splice {
  const v = valueAt(map, key);
  // One step id is written as a scalar (`needs: build`), the way the templates write it.
  if (v === undefined) return setKey(m, map, key, typeof item === "string" ? item : [item], { flow: true, after });
  if (isSeq(v)) return appendItem(m, v, item, { flow: true });
  if (isScalar(v) && v.value !== null) {
    return { start: nodeStart(v), end: nodeValueEnd(v), text: `[${sourceOf(m, v)}, ${renderFlow(item, m.json)}]` };
  }
  return setKey(m, map, key, [item], { flow: true });
}

/** Removes the dependency of `to` on `from`, however it is written. */
export function disconnect(text: string, from: string, to: string): string {
  let m = mustOpen(text);
  if (implicitEdges(m, writtenEdges(m)).some((e) => e.from === from && e.to === to)) m = mustOpen(materialise(m));
  if (!writtenEdges(m).some((e) => e.from === from && e.to === to)) return m.text;
  return apply(
    m,
    dropEdges(m, (f, t) => f === from && t === to),
  );
}

/** Changes when an edge fires. */
export function setEdgeOn(text: string, from: string, to: string, on: EdgeOn): string {
  let m = mustOpen(text);
  if (implicitEdges(m, writtenEdges(m)).some((e) => e.from === from && e.to === to)) m = mustOpen(materialise(m));
  const edge = writtenEdges(m).find((e) => e.from === from && e.to === to);
  if (!edge) throw new Error(`step \`${to}\` does not depend on \`${from}\``);
  if (edge.on === on) return m.text;
  if (m.listKey === "nodes") {
    refuseSeed000On(m, to, on);
  } else {
    // One `needs` item naming `from`: rewrite it in place.
    const target = stepNode(m, to).node;
    const refs = DEP_KEYS.flatMap((k) => depsOf(valueAt(target, k)).filter((d) => d.step === from));
    const sourceRefs = SOURCE_KEYS.flatMap((k) =>
      namesOf(valueAt(stepNode(m, from).node, k)).filter((n) => n.name === to),
    );
    const ref = refs[0];
    if (refs.length === 1 && sourceRefs.length === 0 && ref) {
      const rendered = on === "success" ? renderFlow(from, m.json) : renderFlow({ step: from, on }, m.json);
      const inSeq = DEP_KEYS.some((k) => isSeq(valueAt(target, k)));
      const text = inSeq ? rendered : `[${rendered}]`;
      return apply(m, [{ start: nodeStart(ref.item), end: nodeValueEnd(ref.item), text }]);
    }
  }
  const without = mustOpen(
    apply(
      m,
      dropEdges(m, (f, t) => f === from && t === to),
    ),
  );
  return apply(without, addEdge(without, from, to, on));
}

/**
 * Splices removing the edges `match` selects, wherever they are written. A dependency key left empty is
 * deleted — or kept as `[]` when it was the last one: a workflow with no declared dependency runs in file order.
 */
function dropEdges(
  m: DocModel,
  match: (from: string, to: string) => boolean,
  removed?: StepNode,
): (Splice | undefined)[] {
  const out: (Splice | undefined)[] = [];
  if (m.listKey === "nodes") {
    const items = (m.edges?.items ?? []).filter(
      (i) => isMap(i) && match(scalarText(valueAt(i, "source")) ?? "", scalarText(valueAt(i, "target")) ?? ""),
    );
    if (m.edges && items.length > 0) out.push(...(removeItems(m, m.edges, items) ?? [setKey(m, m.root, "edges", [])]));
    return out;
  }
  const emptied: { step: StepNode; key: string }[] = [];
  const kept = new Set<StepNode>();
  for (const s of m.steps) {
    if (s === removed || s.id === undefined) continue;
    for (const key of [...DEP_KEYS, ...SOURCE_KEYS]) {
      const v = valueAt(s.node, key);
      if (v === undefined) continue;
      const refs = DEP_KEYS.includes(key)
        ? depsOf(v).map((d) => ({ item: d.item, hit: match(d.step, s.id as string) }))
        : namesOf(v).map((n) => ({ item: n.item, hit: match(s.id as string, n.name) }));
      const hits = refs.filter((r) => r.hit).map((r) => r.item);
      if (hits.length === 0) {
        kept.add(s);
        continue;
      }
      const splices = isSeq(v) ? removeItems(m, v, hits) : undefined;
      if (splices) {
        out.push(...splices);
        kept.add(s);
      } else emptied.push({ step: s, key });
    }
  }
  // The last declared dependency keeps its key as `[]`: without any, the workflow would run in file order.
  const stillDag = kept.size > 0 || scalarText(valueAt(m.root, "mode")) !== undefined;
  const keep = stillDag
    ? -1
    : Math.max(
        0,
        emptied.findIndex((e) => DEP_KEYS.includes(e.key)),
      );
  for (const [i, e] of emptied.entries()) {
    out.push(i === keep ? setKey(m, e.step.node, e.key, [], { flow: true }) : deleteKey(m, e.step.node, e.key));
  }
  return out;
}

/**
 * Writes a file-order workflow's implicit edges out as `needs` (and `mode: sequential` becomes `mode: dag`),
 * so that an edge can be added, removed or changed without changing any other step's dependencies.
 */
export function materialise(m: DocModel): string {
  const seq = isSequential(m);
  if (!seq) return m.text;
  const splices: Splice[] = [];
  const key = m.dialect === "seed-003" ? "dependencies" : "needs";
  for (const e of implicitEdges(m, writtenEdges(m))) {
    const node = stepNode(m, e.to).node;
    splices.push(addName(m, node, DEP_KEYS.find((k) => hasKey(node, k)) ?? key, e.from, HEADER_KEYS));
  }
  if (seq === "mode") splices.push(setKey(m, m.root, "mode", "dag"));
  return applySplices(m.text, splices);
}

// ─── positions ──────────────────────────────────────────────────────────────────────────────────────────────

function positionsMap(m: DocModel): YAMLMap | undefined {
  const ui = valueAt(m.top, "ui");
  const positions = isMap(ui) ? valueAt(ui, "positions") : undefined;
  return isMap(positions) ? positions : undefined;
}

function positionRemoval(m: DocModel, id: string): Splice | undefined {
  const positions = positionsMap(m);
  if (!positions || !pairOf(positions, id)) return undefined;
  if (positions.items.length === 1) {
    const ui = valueAt(m.top, "ui") as YAMLMap;
    return setKey(m, ui, "positions", {}, { flow: true });
  }
  return deleteKey(m, positions, id);
}

/** Records node positions: the `ui: { positions }` block (created at the end), or seed 000's `position`. */
export function setPositions(text: string, positions: Record<string, Position>): string {
  const m = mustOpen(text);
  const round = (p: Position) => ({ x: Math.round(p.x), y: Math.round(p.y) });
  const entries = Object.entries(positions).filter(([id]) => m.steps.some((s) => s.id === id));
  if (entries.length === 0) return text;
  const flow: SetOptions = { flow: true };
  if (m.listKey === "nodes") {
    const splices: Splice[] = [];
    for (const [id, p] of entries) {
      const node = stepNode(m, id).node;
      const { x, y } = round(p);
      if (!hasKey(node, "position") && hasKey(node, "position_x")) {
        splices.push(setKey(m, node, "position_x", x), setKey(m, node, "position_y", y));
      } else splices.push(setKey(m, node, "position", { x, y }, flow));
    }
    return applySplices(m.text, splices);
  }
  const ui = valueAt(m.top, "ui");
  const map = positionsMap(m);
  const all = Object.fromEntries(entries.map(([id, p]) => [id, round(p)]));
  const lines = (indent: number, list: [string, Position][]) =>
    list.map(([id, p]) => `${" ".repeat(indent)}${renderFlow(id, false)}: ${renderFlow(p, false)}\n`).join("");
  if (!isMap(ui)) {
    if (m.top.flow) return apply(m, [setKey(m, m.top, "ui", { positions: all })]);
    // After a blank line when the document separates its sections with blank lines.
    const end = m.text.length === 0 || m.text.endsWith("\n") ? "" : "\n";
    const sep = end + (/\n[ \t]*\n/.test(m.text) && !/\n[ \t]*\n$/.test(m.text + end) ? "\n" : "");
    const at = m.text.length;
    return applySplices(m.text, [
      { start: at, end: at, text: `${sep}ui:\n  positions:\n${lines(4, Object.entries(all))}` },
    ]);
  }
  if (ui.flow) return apply(m, [setKey(m, ui, "positions", { ...(map ? positionsOf(map) : {}), ...all })]);
  if (!map || map.flow) {
    // No positions yet (or a flow mapping): write them as a block, one `id: { x, y }` line each.
    const merged = { ...(map ? positionsOf(map) : {}), ...all } as Record<string, Position>;
    const at = insertionPoint(m, ui, "positions");
    return applySplices(m.text, [
      { start: at.start, end: at.end, text: `${at.prefix}positions:\n${lines(at.indent + 2, Object.entries(merged))}` },
    ]);
  }
  // Existing entries are replaced in place; new ones go in one insertion after the last entry.
  const splices: Splice[] = [];
  const fresh: [string, Position][] = [];
  for (const [id, p] of Object.entries(all)) {
    if (pairOf(map, id)) splices.push(setKey(m, map, id, p, flow));
    else fresh.push([id, p]);
  }
  if (fresh.length > 0) {
    const at = insertionPoint(m, map, undefined);
    splices.push({ start: at.start, end: at.end, text: at.prefix + lines(at.indent, fresh).slice(at.indent) });
  }
  return applySplices(m.text, splices);
}

function positionsOf(map: YAMLMap): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const p of map.items as Pair[]) {
    if (isScalar(p.key) && isMap(p.value)) {
      out[String(p.key.value)] = {
        x: Number(scalarText(valueAt(p.value, "x"))),
        y: Number(scalarText(valueAt(p.value, "y"))),
      };
    }
  }
  return out;
}

const ID_CHAR = /[A-Za-z0-9_-]/;
const BEFORE_ROOT = /[A-Za-z0-9_.$-]/;

/**
 * Renames step `from` in a scalar's source: `steps.<from>` anywhere, and `<from>` used as an expression's
 * root (`{{ from.output }}`, seed 003's `{{from.result}}`) inside `{{ … }}` — or in the whole value when it is an
 * expression (`if`, `foreach`). String literals inside expressions are left alone.
 */
export function renameInText(source: string, from: string, to: string, isExpression: boolean): string {
  const q = source[0];
  if ((q === '"' || q === "'") && source.length >= 2 && source.endsWith(q)) {
    return q + renameInText(source.slice(1, -1), from, to, isExpression) + q;
  }
  const steps = `steps.${from}`;
  const at = (i: number, word: string) => source.startsWith(word, i) && !ID_CHAR.test(source[i + word.length] ?? "");
  let out = "";
  let inExpr = isExpression;
  let quote: string | undefined;
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (!inExpr || quote === undefined) {
      if (at(i, steps) && !BEFORE_ROOT.test(source[i - 1] ?? "")) {
        out += `steps.${to}`;
        i += steps.length;
        continue;
      }
    }
    if (!inExpr) {
      if (source.startsWith("{{", i)) {
        inExpr = true;
        out += "{{";
        i += 2;
        continue;
      }
    } else if (quote !== undefined) {
      if (c === quote && source[i - 1] !== "\\") quote = undefined;
    } else if (c === "'" || c === '"') {
      quote = c;
    } else if (!isExpression && source.startsWith("}}", i)) {
      inExpr = false;
      out += "}}";
      i += 2;
      continue;
    } else if (at(i, from) && !BEFORE_ROOT.test(source[i - 1] ?? "")) {
      out += to;
      i += from.length;
      continue;
    }
    out += c;
    i++;
  }
  return out;
}
