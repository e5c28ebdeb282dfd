/**
 * Seed 000's dialect: a workflow as seed 000's builder stores a template — top-level `nodes:` and `edges:`
 * (React Flow's shapes) beside `name`, `description`, `category` and `default_params` — read into the same step
 * drafts as every other dialect, so one resolver, one expression check and one config check serve them all.
 *
 * - Each node becomes one step of the type seed000-nodes.ts gives (a node may also name a weft step type);
 *   `label` → `name`; its config keys map as that table says, other keys pass through as weft settings.
 * - Each edge is a dependency of its target on its source (`on: always` into a merge node, which joins
 *   branches some of which may be skipped). A conditional's `sourceHandle: "true"` edges give their target
 *   `if: <condition>`, its `"false"` edges `if: !(<condition>)`.
 * - An attach_to_document node takes its documents from the nearest generate_copy nodes before it and its
 *   images from the nearest generate_image nodes (walking back through review, conditional, parallel and
 *   merge nodes), or from the nodes its `source_nodes` names.
 * - `default_params` become the args schema: each a property of its value's JSON type with that default.
 * - `position` (or `position_x` / `position_y`) are canvas positions, like `ui.positions` (ui.ts).
 *
 * Issues point at the node, edge or key they are about. Readers never throw (see ../ARCHITECTURE.md).
 */
import type { JsonObject } from "../../core/json.js";
import type { DependencyCondition } from "../../core/model.js";
import { asJson, checkKeys, type Field, field, readMapping, readNumber, readString } from "../fields.js";
import { describe, didYouMean, type Issues } from "../issues.js";
import type { Path } from "../positions.js";
import { type DepDraft, readStep, type StepDraft } from "../steps.js";
import { type CanvasPositions, readPosition } from "../ui.js";
import { BUILTIN_STEP_TYPES, TOP_KEYS } from "./keys.js";
import { type Converted, conditionOf, convertConfig, type EdgeRead, type NodeRead } from "./seed000-config.js";
import { SEED000_NODE_TYPES, type Seed000NodeType } from "./seed000-nodes.js";

/** Weft's top-level keys with `nodes`/`edges`/`default_params` in place of `steps`. */
export const SEED000_TOP_KEYS: readonly string[] = [
  ...TOP_KEYS.filter((k) => k !== "steps"),
  "nodes",
  "edges",
  "default_params",
];

/**
 * `if` and `foreach` are weft's extension: a node's own condition and fan-out (a conditional node's edges and a
 * generate_copy node's `quantity` give seed 000's).
 */
const NODE_KEYS = [
  "id",
  "node_id",
  "node_type",
  "type",
  "label",
  "description",
  "config",
  "data",
  "position",
  "if",
  "foreach",
];
const NODE_XY_KEYS = ["position_x", "position_y"];
/** React Flow's own node state, stored with the node by the builder: accepted, ignored. */
export const REACT_FLOW_NODE_KEYS = ["width", "height", "selected", "dragging", "positionAbsolute", "measured"];
/** A node's own keys; every other setting belongs in its `config` (the builder's model keeps a copy of this). */
export const SEED000_NODE_KEYS: readonly string[] = [...NODE_KEYS, ...NODE_XY_KEYS];
/** React Flow keeps a node's label and config under `data`. */
export const NODE_DATA_KEYS = ["label", "config", "description"];
/** `on` is weft's extension: when the edge fires (`success`, `failure`, `always`). */
export const EDGE_KEYS = ["id", "source", "target", "sourceHandle", "targetHandle", "type", "label", "animated", "on"];
const EDGE_ON: readonly DependencyCondition[] = ["success", "failure", "always"];

export interface Seed000Graph {
  steps: StepDraft[];
  /** The nodes' own positions. */
  positions: CanvasPositions;
  /** Every node with an id (also one whose type was reported), for `ui.positions`. */
  nodeIds: string[];
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** Reads `nodes` and `edges` into step drafts (file order of the nodes). */
export function readSeed000Graph(root: Record<string, unknown>, rootPath: Path, iss: Issues): Seed000Graph {
  const out: Seed000Graph = { steps: [], positions: new Map(), nodeIds: [] };
  const nodesField = field(root, "nodes", rootPath) as Field;
  if (!Array.isArray(nodesField.value)) {
    iss.error(
      "WEFT_SCHEMA",
      nodesField.path,
      `\`nodes\` must be a list of nodes, got ${describe(nodesField.value)}`,
      "write `nodes:` followed by items `- id: …`",
    );
    return out;
  }
  if (nodesField.value.length === 0) {
    iss.error("WEFT_SCHEMA", nodesField.path, "`nodes` is empty", "add at least one node");
    return out;
  }
  const errorsBefore = iss.list.filter((i) => i.severity === "error").length;
  const nodes: NodeRead[] = [];
  nodesField.value.forEach((value, i) => {
    const node = readNode(value, [...nodesField.path, i], i, iss, out.positions);
    if (node) nodes.push(node);
  });
  out.nodeIds = nodes.map((n) => n.id);
  const byId = new Map<string, NodeRead>();
  for (const n of nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  const edges = readEdges(root, rootPath, byId, iss);
  // With a node or edge already reported, a node's missing sources are most likely that problem again.
  const graphBroken = iss.list.filter((i) => i.severity === "error").length > errorsBefore;
  // Configs first: a node that cannot be a step (an attach node with nothing to attach) makes no dependency.
  const converted = new Map<NodeRead, Converted>();
  for (const node of nodes) {
    if (node.type === undefined) continue;
    const c = convertConfig(node, byId, edges, iss, graphBroken);
    if (c.broken) node.type = undefined;
    else converted.set(node, c);
  }
  for (const node of nodes) {
    const c = converted.get(node);
    if (node.type === undefined || !c) continue;
    const step = toStep(node, node.type, c, byId, edges, iss);
    if (step) out.steps.push(step);
  }
  return out;
}

function readNode(
  value: unknown,
  path: Path,
  index: number,
  iss: Issues,
  positions: CanvasPositions,
): NodeRead | undefined {
  if (!isMapping(value)) {
    iss.error(
      "WEFT_SCHEMA",
      path,
      `node ${index + 1} must be a mapping, got ${describe(value)}`,
      "write the node as `- id: …` with `node_type`, `label` and `config`",
    );
    return undefined;
  }
  checkKeys(value, path, [...NODE_KEYS, ...NODE_XY_KEYS, ...REACT_FLOW_NODE_KEYS], iss, "a seed 000 node");
  const one = (a: string, b: string): Field | undefined => {
    const fa = field(value, a, path);
    const fb = field(value, b, path);
    if (fa && fb) {
      iss.error("WEFT_SCHEMA", fb.path, `\`${a}\` and \`${b}\` are both set`, `keep only \`${a}\``, "key");
    }
    return fa ?? fb;
  };
  // React Flow keeps the label and config under `data`.
  const data = field(value, "data", path);
  const dataObj = data ? readMapping(data, iss, "write `data: { label: …, config: { … } }`") : undefined;
  if (dataObj && data) checkKeys(dataObj, data.path, NODE_DATA_KEYS, iss, "a node's `data`");
  const fromData = (key: string): Field | undefined => {
    const direct = field(value, key, path);
    const nested = dataObj && data ? field(dataObj, key, data.path) : undefined;
    if (direct && nested) {
      iss.error("WEFT_SCHEMA", nested.path, `\`${key}\` is set on the node and in its \`data\``, "keep one", "key");
    }
    return direct ?? nested;
  };

  const idField = one("id", "node_id");
  const id = idField ? readString(idField, iss, { nonEmpty: true }) : undefined;
  if (!idField) {
    iss.error("WEFT_SCHEMA", path, `node ${index + 1} has no \`id\``, "add `id: <a unique name>` to the node");
  }

  const typeField = one("node_type", "type");
  let kind: Seed000NodeType | undefined;
  let type: string | undefined;
  if (!typeField) {
    iss.error(
      "WEFT_SCHEMA",
      path,
      `node ${id ? `\`${id}\`` : index + 1} has no \`node_type\``,
      `add \`node_type: ${SEED000_NODE_TYPES.map((t) => t.name).join("|")}\``,
    );
  } else {
    const name = readString(typeField, iss, { nonEmpty: true });
    if (name !== undefined) {
      kind = SEED000_NODE_TYPES.find((t) => t.name === name);
      if (kind) type = kind.type;
      else if (BUILTIN_STEP_TYPES.includes(name)) type = name;
      else {
        const known = [...SEED000_NODE_TYPES.map((t) => t.name), ...BUILTIN_STEP_TYPES];
        iss.error(
          "WEFT_SCHEMA",
          typeField.path,
          `unknown node type \`${name}\``,
          didYouMean(name, known) ?? `node types: ${known.join(", ")}`,
        );
      }
    }
  }

  const labelField = fromData("label");
  const label = labelField ? readString(labelField, iss) : undefined;
  const descriptionField = fromData("description");
  const description = descriptionField ? readString(descriptionField, iss) : undefined;
  const configField = fromData("config");
  const config = configField
    ? (readMapping(configField, iss, "write the node's settings as a mapping: `config: { … }`") ?? {})
    : {};

  const own = (key: "if" | "foreach") => {
    const f = field(value, key, path);
    const text = f ? readString(f, iss, { nonEmpty: true }) : undefined;
    return text !== undefined && f ? { text, path: f.path } : undefined;
  };

  const position = readNodePosition(value, path, iss);
  if (id !== undefined && position) positions.set(id, { ...position, path: idField?.path ?? path });

  // A node with an id but no usable type stays a node, so edges to it are not reported as well.
  if (id === undefined) return undefined;
  return {
    index,
    path,
    id,
    idPath: idField?.path ?? path,
    kind,
    type,
    typePath: typeField?.path ?? path,
    label,
    description,
    config,
    configPath: configField?.path ?? path,
    if: own("if"),
    foreach: own("foreach"),
  };
}

/** `position: { x, y }`, or `position_x` and `position_y` (seed 000's table columns). */
function readNodePosition(node: Record<string, unknown>, path: Path, iss: Issues) {
  const position = field(node, "position", path);
  const px = field(node, "position_x", path);
  const py = field(node, "position_y", path);
  if (position && (px || py)) {
    iss.error(
      "WEFT_SCHEMA",
      (px ?? py)?.path ?? path,
      "`position` and `position_x`/`position_y` are both set",
      "keep `position: { x, y }`",
      "key",
    );
    return undefined;
  }
  if (position) return readPosition(position, iss);
  if (!px && !py) return undefined;
  if (!px || !py) {
    iss.error(
      "WEFT_SCHEMA",
      (px ?? py)?.path ?? path,
      "a node needs both `position_x` and `position_y`",
      undefined,
      "key",
    );
    return undefined;
  }
  const x = readNumber(px, iss, Number.MIN_SAFE_INTEGER);
  const y = readNumber(py, iss, Number.MIN_SAFE_INTEGER);
  return x === undefined || y === undefined ? undefined : { x, y };
}

function readEdges(root: Record<string, unknown>, rootPath: Path, byId: Map<string, NodeRead>, iss: Issues) {
  const out: EdgeRead[] = [];
  const edges = field(root, "edges", rootPath);
  if (!edges || edges.value === null) return out;
  if (!Array.isArray(edges.value)) {
    iss.error(
      "WEFT_SCHEMA",
      edges.path,
      `\`edges\` must be a list, got ${describe(edges.value)}`,
      "write `edges:` followed by items `- { source: a, target: b }`",
    );
    return out;
  }
  const ids = [...byId.keys()];
  edges.value.forEach((value, i) => {
    const path = [...edges.path, i];
    if (!isMapping(value)) {
      iss.error(
        "WEFT_SCHEMA",
        path,
        `edge ${i + 1} must be a mapping, got ${describe(value)}`,
        "write `- { source: a, target: b }`",
      );
      return;
    }
    checkKeys(value, path, EDGE_KEYS, iss, "an edge");
    const end = (key: "source" | "target"): string | undefined => {
      const f = field(value, key, path);
      if (!f) {
        iss.error("WEFT_SCHEMA", path, `edge ${i + 1} has no \`${key}\``, `add \`${key}: <node id>\``);
        return undefined;
      }
      const name = readString(f, iss, { nonEmpty: true });
      if (name !== undefined && !byId.has(name)) {
        iss.error(
          "WEFT_UNKNOWN_REF",
          f.path,
          `edge ${i + 1} has ${key} \`${name}\`, but no node has that id`,
          didYouMean(name, ids) ?? `nodes are: ${ids.join(", ")}`,
        );
        return undefined;
      }
      return name;
    };
    const source = end("source");
    const target = end("target");
    if (source === undefined || target === undefined) return;
    const edge: EdgeRead = { source, target, path: [...path, "source"] };
    const on = field(value, "on", path);
    if (on) {
      if (EDGE_ON.includes(on.value as DependencyCondition)) edge.on = on.value as DependencyCondition;
      else {
        iss.error(
          "WEFT_SCHEMA",
          on.path,
          `edge ${i + 1} has \`on\` ${describe(on.value)}`,
          "write `on: success`, `on: failure` or `on: always` (or leave it out: success, always into a merge node)",
        );
        return;
      }
    }
    const handle = field(value, "sourceHandle", path);
    if (handle && byId.get(source)?.kind?.name === "conditional" && handle.value !== null) {
      const v = handle.value;
      if (v === true || v === "true") edge.branch = true;
      else if (v === false || v === "false") edge.branch = false;
      else {
        iss.error(
          "WEFT_SCHEMA",
          handle.path,
          `an edge from conditional \`${source}\` has \`sourceHandle\` ${describe(v)}`,
          'write `sourceHandle: "true"` or `"false"`, or leave it out for an edge taken either way',
        );
        return;
      }
      edge.branchPath = handle.path;
    }
    out.push(edge);
  });
  return out;
}

function toStep(
  node: NodeRead,
  type: string,
  converted: Converted,
  byId: Map<string, NodeRead>,
  edges: EdgeRead[],
  iss: Issues,
): StepDraft | undefined {
  const obj: Record<string, unknown> = { id: node.id, type };
  if (node.label !== undefined) obj.name = node.label;
  Object.assign(obj, converted.step);
  const draft = readStep(obj, node.path, node.index, iss);
  if (!draft) return undefined;
  // Point every part of the step at where the node wrote it.
  draft.idPath = node.idPath;
  draft.typePath = node.typePath;
  for (const key of draft.configPaths.keys()) draft.configPaths.set(key, converted.paths.get(key) ?? node.path);
  draft.declaresDeps = true;
  const merge = node.kind?.name === "merge";
  const conditions: { text: string; path: Path }[] = [];
  for (const edge of edges) {
    // An edge from a node whose type was reported makes no dependency (its step does not exist).
    if (edge.target !== node.id || byId.get(edge.source)?.type === undefined) continue;
    const dep: DepDraft = { step: edge.source, on: edge.on ?? (merge ? "always" : "success"), path: edge.path };
    draft.needs.push(dep);
    if (edge.branch === undefined) continue;
    const cond = conditionOf(byId.get(edge.source));
    if (cond === undefined) continue; // the conditional's missing condition is reported on it
    const path = edge.branchPath ?? edge.path;
    conditions.push({ text: edge.branch ? cond.text : `!(${cond.text})`, path: edge.branch ? cond.path : path });
  }
  // A node reached by both branches of one conditional runs either way: its conditions cancel out.
  const unique = conditions.filter((c, i) => conditions.findIndex((d) => d.text === c.text) === i);
  const opposite = (a: string, b: string) => a === `!(${b})` || b === `!(${a})`;
  const kept = unique.filter((c) => !unique.some((d) => opposite(c.text, d.text)));
  if (node.if) kept.push(node.if);
  if (kept.length > 0) {
    draft.if = kept.length === 1 ? kept[0]?.text : kept.map((c) => `(${c.text})`).join(" && ");
    draft.ifPath = kept[0]?.path;
  }
  if (converted.foreach && node.foreach) {
    iss.error(
      "WEFT_SCHEMA",
      node.foreach.path,
      `node \`${node.id}\` has both \`foreach\` and a \`quantity\` of copies`,
      "keep one: `quantity: n` writes n copies",
      "key",
    );
  }
  if (converted.foreach) {
    draft.foreach = converted.foreach.expression;
    draft.foreachPath = converted.foreach.path;
  } else if (node.foreach) {
    draft.foreach = node.foreach.text;
    draft.foreachPath = node.foreach.path;
  }
  return draft;
}

/**
 * `default_params` → an args schema: one property per param, of its value's JSON type, with it as the default.
 * A list named `context_documents` (seed 000's launch-time document picker) is a list of document ids
 * (`format: weft-document`, the args convention of context documents).
 */
export function argsFromDefaults(params: Record<string, unknown>, given: JsonObject | undefined): JsonObject {
  const schema: JsonObject = given ? { ...given } : { type: "object" };
  const props = isMapping(schema.properties) ? { ...(schema.properties as JsonObject) } : {};
  for (const [key, value] of Object.entries(params)) {
    const prop = isMapping(props[key]) ? { ...(props[key] as JsonObject) } : { ...typeOf(value) };
    if (key === "context_documents" && Array.isArray(value) && !isMapping(props[key])) {
      prop.items = { type: "string", format: "weft-document" };
    }
    if (!Object.hasOwn(prop, "default")) prop.default = asJson(value);
    Object.defineProperty(props, key, { value: prop, enumerable: true, writable: true, configurable: true });
  }
  schema.properties = props;
  return schema;
}

function typeOf(value: unknown): JsonObject {
  if (typeof value === "string") return { type: "string" };
  if (typeof value === "boolean") return { type: "boolean" };
  if (typeof value === "number") return { type: Number.isInteger(value) ? "integer" : "number" };
  if (Array.isArray(value)) return { type: "array" };
  if (isMapping(value)) return { type: "object" };
  return {};
}
