/** readGraph: the builder's view of a workflow document (steps, edges, positions), in any dialect. */
import { isMap, isScalar, isSeq, type YAMLMap } from "yaml";
import { type DocModel, isBlank, jsOf, nodeHolder, openDoc, STEP_KEYS, type StepNode, valueAt } from "./model.js";
import { blockEnd, dashOf, isFlow, nodeStart, nodeValueEnd, scalarText } from "./text.js";
import type {
  BuilderEdge,
  BuilderGraph,
  BuilderStep,
  EdgeOn,
  JsonValue,
  Position,
  ReadResult,
  StepTypeTable,
  TextSpan,
} from "./types.js";

export function readGraph(text: string, table?: StepTypeTable): ReadResult {
  // Nothing written yet (or only comments): an empty workflow, which addStep starts.
  if (isBlank(text)) {
    return {
      ok: true,
      graph: { name: "", dialect: "canonical", phases: [], args: [], steps: [], edges: [], positions: {} },
    };
  }
  const opened = openDoc(text);
  if (!opened.ok) return opened;
  return { ok: true, graph: graphOf(opened.model, table) };
}

export function graphOf(m: DocModel, table?: StepTypeTable): BuilderGraph {
  const steps = m.steps.filter((s) => s.id !== undefined).map((s) => readStep(m, s, table));
  const ids = new Set(steps.map((s) => s.id));
  const graph: BuilderGraph = {
    name: scalarText(valueAt(m.root, "name")) ?? "",
    dialect: m.dialect,
    phases: phasesOf(m, steps),
    args: argsOf(m),
    steps,
    edges: edgesOf(m).filter((e) => ids.has(e.from) && ids.has(e.to)),
    positions: positionsOf(m),
  };
  const description = scalarText(valueAt(m.root, "description"));
  if (description !== undefined) graph.description = description;
  return graph;
}

function readStep(m: DocModel, s: StepNode, table: StepTypeTable | undefined): BuilderStep {
  const node = s.node;
  const raw = jsOf(m, node) as Record<string, JsonValue>;
  const str = (key: string) => scalarText(valueAt(node, key));
  const step: BuilderStep = {
    id: s.id as string,
    type: "",
    typeWritten: false,
    config: {},
    raw,
    span: stepSpan(m, s),
  };
  if (m.listKey === "nodes") {
    const written = str("node_type") ?? str("type");
    const mapped = table?.node_types?.find((n) => n.name === written);
    if (written !== undefined) {
      step.typeWritten = true;
      step.type = mapped?.type ?? written;
      // A node may also name a weft type (`node_type: noop`): a seed 000 type only when the table says so.
      if (mapped || (!table?.node_types && str("node_type") !== undefined)) step.nodeType = written;
    }
    const name = scalarText(valueAt(nodeHolder(node, "label"), "label"));
    if (name !== undefined) step.name = name;
    const config = jsOf(m, valueAt(nodeHolder(node, "config"), "config"));
    if (config && typeof config === "object" && !Array.isArray(config)) step.config = config;
    return step;
  }
  const type = str("type");
  if (type !== undefined) {
    step.type = type;
    step.typeWritten = true;
  } else {
    step.type = table?.types.find((t) => t.inferred_from?.some((k) => Object.hasOwn(raw, k)))?.type ?? "";
  }
  const name = str("name");
  if (name !== undefined) step.name = name;
  const phase = str("phase");
  if (phase !== undefined) step.phase = phase;
  const cond = str("if") ?? str("condition");
  if (cond !== undefined) step.if = cond;
  const foreach = str("foreach");
  if (foreach !== undefined) step.foreach = foreach;
  for (const [k, v] of Object.entries(raw)) if (!STEP_KEYS.includes(k)) step.config[k] = v;
  return step;
}

/** From the step's `-` (or its `{` in a flow list) to the end of its last line. */
export function stepSpan(m: DocModel, s: StepNode): TextSpan {
  const flow = m.list ? isFlow(m.list) : true;
  const start = flow ? nodeStart(s.node) : dashOf(m.text, nodeStart(s.node));
  let end = flow ? nodeValueEnd(s.node) : blockEnd(m.text, nodeValueEnd(s.node));
  // The span ends on the step's last character (not on the newline after it), so its end is on its last line.
  while (end > start + 1 && /\s/.test(m.text[end - 1] ?? "")) end--;
  const a = m.lines.linePos(start);
  const b = m.lines.linePos(end);
  return { line: a.line, column: a.col, start, end, endLine: b.line, endColumn: b.col };
}

function phasesOf(m: DocModel, steps: BuilderStep[]): string[] {
  const listed = valueAt(m.root, "phases");
  if (isSeq(listed)) return listed.items.flatMap((i) => (scalarText(i) !== undefined ? [scalarText(i) as string] : []));
  const out: string[] = [];
  for (const s of steps) if (s.phase !== undefined && !out.includes(s.phase)) out.push(s.phase);
  return out;
}

function argsOf(m: DocModel): string[] {
  const out: string[] = [];
  const schema = valueAt(m.root, "argsSchema") ?? valueAt(m.root, "args");
  const props = isMap(schema) ? valueAt(schema, "properties") : undefined;
  if (isMap(props)) for (const p of props.items) if (isScalar(p.key)) out.push(String(p.key.value));
  const params = valueAt(m.root, "default_params");
  if (isMap(params)) {
    for (const p of params.items)
      if (isScalar(p.key) && !out.includes(String(p.key.value))) out.push(String(p.key.value));
  }
  return out;
}

/** A dependency list as written: `a`, `[a, b]`, or items `{ step, on }`. */
export function depsOf(value: unknown): { step: string; on: EdgeOn; item: unknown }[] {
  const one = scalarText(value);
  if (one !== undefined) return [{ step: one, on: "success", item: value }];
  if (!isSeq(value)) return [];
  return value.items.flatMap((item) => {
    const name = scalarText(item);
    if (name !== undefined) return [{ step: name, on: "success" as EdgeOn, item }];
    if (!isMap(item)) return [];
    const step = scalarText(valueAt(item, "step"));
    const on = scalarText(valueAt(item, "on")) ?? "success";
    if (step === undefined || !["success", "failure", "always"].includes(on)) return [];
    return [{ step, on: on as EdgeOn, item }];
  });
}

/** Step ids a source-side list names (`on_success: b`, `on_failure: [c, d]`). */
export function namesOf(value: unknown): { name: string; item: unknown }[] {
  const one = scalarText(value);
  if (one !== undefined) return [{ name: one, item: value }];
  if (!isSeq(value)) return [];
  return value.items.flatMap((item) =>
    scalarText(item) !== undefined ? [{ name: scalarText(item) as string, item }] : [],
  );
}

export const DEP_KEYS = ["needs", "dependencies"];
export const SOURCE_KEYS = ["on_success", "on_failure"];

/** Whether the workflow runs in file order: `mode: sequential`, or no mode and no step declares dependencies. */
export function isSequential(m: DocModel): "implicit" | "mode" | false {
  if (m.listKey === "nodes") return false;
  const mode = scalarText(valueAt(m.root, "mode"));
  if (mode === "sequential") return "mode";
  if (mode !== undefined) return false;
  const declares = m.steps.some((s) => [...DEP_KEYS, ...SOURCE_KEYS].some((k) => valueAt(s.node, k) !== undefined));
  return declares ? false : "implicit";
}

/** The written edges, one per (from, to): success and failure together make always, as the engine merges them. */
export function writtenEdges(m: DocModel): BuilderEdge[] {
  const out = new Map<string, BuilderEdge>();
  const add = (from: string, to: string, on: EdgeOn, handle?: string) => {
    const key = `${from}\u0000${to}`;
    const had = out.get(key);
    if (had) {
      if (had.on !== on) had.on = "always";
      return;
    }
    const edge: BuilderEdge = { from, to, on };
    if (handle !== undefined) edge.handle = handle;
    out.set(key, edge);
  };
  if (m.listKey === "nodes") {
    for (const item of m.edges?.items ?? []) {
      if (!isMap(item)) continue;
      const from = scalarText(valueAt(item, "source"));
      const to = scalarText(valueAt(item, "target"));
      const handle = scalarText(valueAt(item, "sourceHandle"));
      // weft's extension: an edge may say when it fires (`on:`).
      const on = scalarText(valueAt(item, "on"));
      if (from === undefined || to === undefined) continue;
      add(from, to, on === "success" || on === "failure" || on === "always" ? on : seed000EdgeOn(m, to), handle);
    }
    return [...out.values()];
  }
  for (const s of m.steps) {
    if (s.id === undefined) continue;
    for (const key of DEP_KEYS) for (const d of depsOf(valueAt(s.node, key))) add(d.step, s.id, d.on);
    for (const n of namesOf(valueAt(s.node, "on_success"))) add(s.id, n.name, "success");
    for (const n of namesOf(valueAt(s.node, "on_failure"))) add(s.id, n.name, "failure");
  }
  return [...out.values()];
}

/** How a seed 000 edge fires: always into a merge node (it joins branches that may be skipped), else on success. */
export function seed000EdgeOn(m: DocModel, to: string): EdgeOn {
  const node = m.steps.find((s) => s.id === to)?.node;
  const kind = node ? (scalarText(valueAt(node, "node_type")) ?? scalarText(valueAt(node, "type"))) : undefined;
  return kind === "merge" ? "always" : "success";
}

/** The file-order edges the engine adds in a sequential workflow (on_failure handlers stay out of the line). */
export function implicitEdges(m: DocModel, written: readonly BuilderEdge[]): BuilderEdge[] {
  if (!isSequential(m)) return [];
  const handlers = new Set(written.filter((e) => e.on === "failure").map((e) => e.to));
  const out: BuilderEdge[] = [];
  let previous: string | undefined;
  for (const s of m.steps) {
    if (s.id === undefined) continue;
    if (previous !== undefined && !handlers.has(s.id) && !written.some((e) => e.from === previous && e.to === s.id)) {
      out.push({ from: previous, to: s.id, on: "success", implicit: true });
    }
    if (!handlers.has(s.id)) previous = s.id;
  }
  return out;
}

function edgesOf(m: DocModel): BuilderEdge[] {
  const written = writtenEdges(m);
  return [...written, ...implicitEdges(m, written)];
}

function positionsOf(m: DocModel): Record<string, Position> {
  const out: Record<string, Position> = {};
  const ui = valueAt(m.top, "ui");
  const positions = isMap(ui) ? valueAt(ui, "positions") : undefined;
  if (isMap(positions)) {
    for (const p of positions.items) {
      const pos = isMap(p.value) ? xyOf(p.value, "x", "y") : undefined;
      if (isScalar(p.key) && pos) out[String(p.key.value)] = pos;
    }
  }
  if (m.listKey === "nodes") {
    for (const s of m.steps) {
      if (s.id === undefined) continue;
      const position = valueAt(s.node, "position");
      const pos = isMap(position) ? xyOf(position, "x", "y") : xyOf(s.node, "position_x", "position_y");
      if (pos) out[s.id] = pos;
    }
  }
  return out;
}

function xyOf(map: YAMLMap, xKey: string, yKey: string): Position | undefined {
  const x = Number(scalarText(valueAt(map, xKey)));
  const y = Number(scalarText(valueAt(map, yKey)));
  return Number.isFinite(x) && Number.isFinite(y) && scalarText(valueAt(map, xKey)) !== undefined
    ? { x, y }
    : undefined;
}

/** The step whose span holds line:column (1-based). */
export function stepAt(graph: BuilderGraph, line: number, column: number): string | undefined {
  const after = (l: number, c: number, l2: number, c2: number) => l > l2 || (l === l2 && c >= c2);
  return graph.steps.find(
    (s) => after(line, column, s.span.line, s.span.column) && after(s.span.endLine, s.span.endColumn, line, column),
  )?.id;
}
