/**
 * The schemas of the workflow's own keys (top level and step) and of seed 000's graph, keyed by the readers'
 * tables (dialects/keys.ts, dialects/seed000.ts): see values.ts for how the two are held equal.
 */
import type { JsonObject } from "../../core/json.js";
import { STEP_ALIASES, STEP_IGNORED_KEYS, type STEP_KEYS, type TOP_KEYS, WORKFLOW_MODES } from "../dialects/keys.js";
import {
  EDGE_KEYS,
  NODE_DATA_KEYS,
  REACT_FLOW_NODE_KEYS,
  SEED000_NODE_KEYS,
  SEED000_TOP_KEYS,
} from "../dialects/seed000.js";
import { SEED000_NODE_TYPES } from "../dialects/seed000-nodes.js";
import { TYPE_INFERENCE } from "../steps.js";
import { conditional, NON_EMPTY, propertiesOf } from "./values.js";

const ref = (name: string, description?: string): JsonObject =>
  description === undefined ? { $ref: `#/$defs/${name}` } : { $ref: `#/$defs/${name}`, description };
const string = (description: string): JsonObject => ({ type: "string", description });
const stringList: JsonObject = { anyOf: [{ type: "string" }, { type: "array", items: { type: "string" } }] };

/** The top-level keys of a workflow (canonical, seed 001's inside `workflow:`, seed 002's and seed 003's). */
export const TOP_KEY_SCHEMAS: Record<(typeof TOP_KEYS)[number], JsonObject> = {
  name: { ...NON_EMPTY, description: "The workflow's name, shown in the CLI, UI and run records." },
  description: string("What the workflow does (shown in the template gallery)."),
  version: { type: ["string", "number", "boolean"], description: "The definition's version, as written (`1.0`)." },
  author: string("Who maintains the workflow."),
  tags: { ...stringList, description: "Free-form tags for search and the template gallery." },
  category: string("Gallery category (e.g. `engineering`, `marketing`)."),
  phases: {
    description:
      "Named stages, in order: the kanban columns. Every step's `phase` must be one of them. Default: the steps' phases in order of first appearance.",
    anyOf: [{ type: "string" }, { type: "array", items: { type: "string" }, uniqueItems: true }],
  },
  argsSchema: ref("argsSchema"),
  args: ref("argsSchema", "Alias of `argsSchema`."),
  parallelism: {
    type: "integer",
    minimum: 1,
    description:
      "At most this many steps of one run run at once. Default: unbounded (the engine's global and per-provider caps still apply).",
  },
  timeout: ref(
    "duration",
    "Whole-run timeout: milliseconds, or a duration such as `30m`. Running steps are aborted and the run fails with WEFT_TIMEOUT. Default: none.",
  ),
  budget: ref("budget"),
  mode: {
    enum: [...WORKFLOW_MODES],
    description:
      "`sequential`: each step also waits for the one before it in the file. `dag`: only declared dependencies order steps. Default: sequential when no step declares needs/on_success/on_failure, else dag.",
  },
  defaults: ref("defaults"),
  checkpoints: {
    type: "object",
    additionalProperties: false,
    required: ["keep"],
    properties: { keep: { type: "integer", minimum: 1 } },
    description:
      "Checkpoint retention: once a run ends, prune its checkpoints but the newest `keep` (the latest and those a rewound run was forked from are always kept). Default: keep every checkpoint.",
  },
  steps: { type: "array", minItems: 1, items: ref("step"), description: "The steps, in file order." },
  config: ref("seed003Config"),
  $schema: string("Path or URL of this JSON Schema (for editors); ignored by weft."),
  ui: ref("ui"),
};

const inferred = TYPE_INFERENCE.map((row) => `${row.type} when ${row.keys.map((k) => `\`${k}\``).join(" or ")} is set`);

/** The keys every step may have; `types` are the registered step types (offered for completion). */
export function stepKeySchemas(types: readonly string[]): Record<(typeof STEP_KEYS)[number], JsonObject> {
  return {
    id: ref("stepId"),
    name: string("Display name. Default: the id."),
    type: {
      description: `${types.join(" | ")}, or a plugin's type. Default: ${inferred.join(", ")}.`,
      anyOf: [{ enum: [...types] }, NON_EMPTY],
    },
    phase: { ...NON_EMPTY, description: "The phase (kanban column) the step belongs to." },
    needs: ref("needs"),
    if: {
      type: ["string", "boolean"],
      pattern: "\\S",
      description:
        "Condition: when false the step is skipped, and so are the steps that need it (unless they depend with `on: always`). Example: `steps.triage.output.severity > 3`.",
    },
    optional: {
      type: "boolean",
      description: "The step's failure does not fail the run; its dependents still run. Default false.",
    },
    retry: ref("retry"),
    timeout: ref(
      "duration",
      "Per-attempt timeout; the handler is aborted and the attempt fails with WEFT_TIMEOUT. On an approval step: the deadline for a decision (see `onTimeout`).",
    ),
    foreach: {
      ...NON_EMPTY,
      description:
        "An expression yielding a list: one step run per item, with `item` and `index` in scope; the step's output is the list of item outputs.",
    },
    priority: {
      type: "integer",
      minimum: -1_000_000,
      maximum: 1_000_000,
      description: "When more steps are ready than may start, higher priority starts first. Default 0.",
    },
    on_success: ref("stepRefs", "Steps that run after this one succeeds (each gets a dependency on this step)."),
    on_failure: ref(
      "stepRefs",
      "Steps that run only when this one fails; the failure is then handled and does not fail the run.",
    ),
    description: string("What the step does (documentation only)."),
  };
}

/** Seed spellings whose value differs from the canonical key's. */
const ALIAS_SCHEMAS: Readonly<Record<string, JsonObject>> = {
  retryPolicy: ref("retryPolicy"),
  timeoutMs: { type: "number", minimum: 1, description: "Seed 003's per-attempt timeout in milliseconds." },
};

/** Every key a step may have: the common ones, their seed spellings (STEP_ALIASES) and the ignored ones. */
export function stepProperties(types: readonly string[]): JsonObject {
  const common = stepKeySchemas(types);
  const aliases = Object.entries(STEP_ALIASES).map(([alias, key]): [string, JsonObject] => [
    alias,
    { ...(ALIAS_SCHEMAS[alias] ?? common[key]), description: `Seed 003's spelling of \`${key}\`.` },
  ]);
  const ignored = STEP_IGNORED_KEYS.map((k): [string, JsonObject] => [
    k,
    { type: "boolean", description: "Seed 003's: accepted and ignored (the dependencies decide what runs at once)." },
  ]);
  return { ...common, ...Object.fromEntries([...aliases, ...ignored]) };
}

const NODE_TYPE_NAMES = SEED000_NODE_TYPES.map((t) => t.name);

/** Seed 000's node. `builtins`: the weft step types a node may name instead. */
export function seed000NodeSchema(builtins: readonly string[]): JsonObject {
  const step = stepKeySchemas(builtins);
  const nodeType: JsonObject = {
    enum: [...NODE_TYPE_NAMES, ...builtins],
    description: SEED000_NODE_TYPES.map((t) => `${t.name}: ${t.description} (a weft \`${t.type}\` step)`).join(" "),
  };
  const config: JsonObject = { type: "object", description: "The node's settings (by node type)." };
  const data = { label: string("The node's label."), config, description: string("What the node does.") };
  const keys: Record<string, JsonObject> = {
    id: ref("stepId"),
    node_id: ref("stepId", "Alias of `id` (seed 000's column)."),
    node_type: nodeType,
    type: { ...nodeType, description: "Alias of `node_type` (React Flow's)." },
    label: data.label,
    description: data.description,
    config,
    data: {
      type: "object",
      additionalProperties: false,
      description: "React Flow's node data: `label`, `config`, `description`.",
      properties: propertiesOf(NODE_DATA_KEYS, data, "a node's `data`"),
    },
    position: ref("position", "Where the node sits on the canvas."),
    position_x: { type: "number", description: "Seed 000's column: the canvas x (with `position_y`)." },
    position_y: { type: "number", description: "Seed 000's column: the canvas y (with `position_x`)." },
    if: { ...step.if, description: `weft's extension: the node's own condition. ${step.if.description}` },
    foreach: { ...step.foreach, description: `weft's extension: the node's own fan-out. ${step.foreach.description}` },
  };
  const reactFlow = Object.fromEntries(REACT_FLOW_NODE_KEYS.map((k) => [k, { description: "React Flow's; ignored." }]));
  return {
    type: "object",
    description: "A seed 000 node: one step.",
    additionalProperties: false,
    properties: propertiesOf([...SEED000_NODE_KEYS, ...REACT_FLOW_NODE_KEYS], { ...keys, ...reactFlow }, "a node"),
    allOf: [
      oneOf("id", "node_id"),
      oneOf("node_type", "type"),
      { not: { required: ["position", "position_x"] } },
      { not: { required: ["position", "position_y"] } },
      { dependentRequired: { position_x: ["position_y"], position_y: ["position_x"] } },
      ...SEED000_NODE_TYPES.map((t) => nodeConfigKeys(t.name, t.keys)),
    ],
  };
}

/** Exactly one of two spellings. */
const oneOf = (a: string, b: string): JsonObject => ({ oneOf: [{ required: [a] }, { required: [b] }] });

/** What a node type's config keys become (editors show it); other keys pass through to the weft step type. */
function nodeConfigKeys(name: string, keys: Readonly<Record<string, string>>): JsonObject {
  const described = Object.entries(keys).filter(([k]) => !k.startsWith("("));
  const properties = Object.fromEntries(described.map(([k, becomes]) => [k, { description: `→ ${becomes}` }]));
  return conditional(
    {
      anyOf: [
        { properties: { node_type: { const: name } }, required: ["node_type"] },
        { properties: { type: { const: name } }, required: ["type"] },
      ],
    },
    { properties: { config: { type: "object", properties } } },
  );
}

const EDGE_SCHEMAS: Record<string, JsonObject> = {
  id: { description: "The edge's id (React Flow's)." },
  source: { ...NON_EMPTY, description: "The node the edge leaves: its target depends on it." },
  target: { ...NON_EMPTY, description: "The node the edge enters." },
  sourceHandle: {
    type: ["string", "boolean", "null"],
    description:
      'From a conditional: `"true"` (the target runs when the condition holds) or `"false"` (when not); absent: either way.',
  },
  targetHandle: { description: "React Flow's; ignored." },
  type: { description: "React Flow's edge type; ignored." },
  label: { description: "React Flow's; ignored." },
  animated: { description: "React Flow's; ignored." },
  on: {
    enum: ["success", "failure", "always"],
    description:
      "weft's extension: when the target runs — after the source succeeds (default), only when it fails, or either way.",
  },
};

export const SEED000_EDGE_SCHEMA: JsonObject = {
  type: "object",
  description: "A seed 000 edge: its target depends on its source.",
  required: ["source", "target"],
  additionalProperties: false,
  properties: propertiesOf(EDGE_KEYS, EDGE_SCHEMAS, "an edge"),
};

/** Seed 000's top level: weft's keys with `nodes`/`edges`/`default_params` in place of `steps`. */
export function seed000TopProperties(): JsonObject {
  const { steps: _steps, ...rest } = TOP_KEY_SCHEMAS;
  const graph: Record<string, JsonObject> = {
    nodes: { type: "array", minItems: 1, items: ref("seed000Node"), description: "The nodes: each one step." },
    edges: {
      type: ["array", "null"],
      items: ref("seed000Edge"),
      description: "The edges: each makes its target depend on its source.",
    },
    default_params: {
      type: "object",
      description:
        "Launch parameters with their defaults: each becomes an argument (`args.<name>`) of its value's JSON type.",
    },
  };
  return propertiesOf(SEED000_TOP_KEYS, { ...rest, ...graph }, "a seed 000 workflow");
}
