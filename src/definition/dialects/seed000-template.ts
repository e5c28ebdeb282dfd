/**
 * Seed 000's template JSON, both ways: the `nodes` / `edges` / `default_params` a seed 000 client reads and
 * writes (`GET/POST /api/workflows/templates`), and the weft definition source it is stored as.
 *
 * - seed 000 → weft (`templateSource`): the template's workflow fields — `name`, `description`, `category`,
 *   `default_params`, `nodes`, `edges`, and any weft top-level key it carries — become a JSON definition in the
 *   seed 000 dialect, as they are (the seed 000 reader, seed000.ts, turns it into steps). The template record's
 *   own fields (`id`, `is_system`, `usage_count`, `node_count`, `avg_execution_time`, `created_at`, …) are the
 *   store's, not the definition's, and are left out.
 * - weft → seed 000 (`templateGraph`): a definition written in the seed 000 dialect gives back its own nodes,
 *   edges and default_params, untouched, so seed 000 JSON → weft → seed 000 JSON is identical. Any other
 *   definition is written as nodes and edges by `graphOfWorkflow`: each step one node, of the seed 000 node type
 *   whose table row (seed000-nodes.ts) says what it becomes — its settings renamed back by that row's
 *   `renames` — and each dependency one edge; a step of a type seed 000 has no node for (script, sleep,
 *   function, …) keeps its weft type as `node_type`, which weft's reader accepts (docs/workflow-syntax.md).
 *
 * A conversion is checked, not trusted: the nodes and edges are read back with the seed 000 reader and must give
 * the same workflow (the same workflow hash). What they cannot say — an `if` not given by a conditional node, a
 * dependency on a step's failure, a `foreach` that is not a copy count — is reported per step and field
 * (`Seed000Problem`), never written out as something else.
 */
import { parse as parseYamlValue } from "yaml";
import type { Json, JsonObject } from "../../core/json.js";
import { DEFAULT_RETRY, type Workflow, type WorkflowStep } from "../../core/model.js";
import { canonicalJson, workflowHash } from "../hash.js";
import { parseWorkflow } from "../parse-workflow.js";
import type { StepTypeSchemas } from "../step-config.js";
import { detectDialect } from "./detect.js";
import { argsFromDefaults } from "./seed000.js";
import { SEED000_NODE_TYPES, SEED000_STRATEGIES, type Seed000NodeType } from "./seed000-nodes.js";

/** The workflow fields of a seed 000 template (the record's own fields are the store's). */
export interface Seed000Graph {
  name: string;
  description: string | null;
  category: string | null;
  nodes: JsonObject[];
  edges: JsonObject[];
  default_params: JsonObject;
  /** weft's own top-level keys that seed 000 has no field for (`argsSchema`, `phases`, `tags`, …), when set. */
  weft: JsonObject;
}

/** What a workflow has that seed 000's nodes and edges cannot say. */
export interface Seed000Problem {
  /** The step, or undefined for the workflow itself. */
  step: string | undefined;
  /** The field of the step (`if`, `needs`, `foreach`, `config.system`) or of the workflow. */
  field: string;
  message: string;
}

export type Seed000GraphResult = { graph: Seed000Graph; problems?: undefined } | { problems: Seed000Problem[] };

/** Canvas positions by step id. */
export type Positions = ReadonlyMap<string, { x: number; y: number }>;

/** Keys of a template that are the store's record, not the workflow. */
export const SEED000_RECORD_KEYS = [
  "id",
  "workspace_id",
  "project_id",
  "is_system",
  "usage_count",
  "node_count",
  "avg_execution_time",
  "created_at",
  "updated_at",
] as const;

const GRAPH_FIELDS = ["name", "description", "category", "default_params", "nodes", "edges"];

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

// ── seed 000 → weft ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * A template's JSON → the text of its definition (JSON, seed 000 dialect): its workflow fields as given, in
 * seed 000's order, then any weft top-level keys. An empty `default_params` is left out: it declares no
 * argument, where `{}` would read as an args schema without properties (and refuse every `args.x`).
 */
export function templateSource(template: Record<string, unknown>): string {
  const out: Record<string, unknown> = {};
  const record = new Set<string>(SEED000_RECORD_KEYS);
  for (const key of GRAPH_FIELDS) if (Object.hasOwn(template, key) && template[key] !== null) out[key] = template[key];
  for (const key of Object.keys(template)) {
    if (!GRAPH_FIELDS.includes(key) && !record.has(key)) out[key] = template[key];
  }
  const params = out.default_params;
  if (isMapping(params) && Object.keys(params).length === 0) delete out.default_params;
  return `${JSON.stringify(out, null, 2)}\n`;
}

// ── weft → seed 000 ─────────────────────────────────────────────────────────────────────────────────────────

/**
 * A definition (its text, format and parsed workflow) as a template's nodes and edges: a seed 000 definition's
 * own, else `graphOfWorkflow` with the canvas positions its `ui.positions` give.
 */
export function templateGraph(
  source: string,
  format: "yaml" | "json" | "ts",
  workflow: Workflow,
  stepTypes?: StepTypeSchemas,
): Seed000GraphResult {
  if (format === "ts") {
    return {
      problems: [
        {
          step: undefined,
          field: "format",
          message:
            "a TypeScript workflow is code, not a graph: seed 000's nodes and edges cannot hold it (read it at GET /api/workflow-definitions/{id})",
        },
      ],
    };
  }
  const doc = documentOf(source);
  if (doc && workflow.source?.dialect === "seed-000") return { graph: ownGraph(doc, workflow) };
  return graphOfWorkflow(workflow, doc ? positionsOf(doc) : new Map(), stepTypes);
}

function documentOf(source: string): Record<string, unknown> | undefined {
  // JSON is YAML: one parser for both (the definition was valid when it was stored).
  try {
    const value = parseYamlValue(source);
    return isMapping(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A seed 000 definition's own fields, as written. */
function ownGraph(doc: Record<string, unknown>, workflow: Workflow): Seed000Graph {
  const weft: JsonObject = {};
  for (const key of Object.keys(doc)) {
    if (!GRAPH_FIELDS.includes(key)) weft[key] = doc[key] as Json;
  }
  return {
    name: workflow.name,
    description: workflow.description ?? null,
    category: workflow.category ?? null,
    nodes: (Array.isArray(doc.nodes) ? doc.nodes : []) as JsonObject[],
    edges: (Array.isArray(doc.edges) ? doc.edges : []) as JsonObject[],
    default_params: (isMapping(doc.default_params) ? doc.default_params : {}) as JsonObject,
    weft,
  };
}

/** `ui.positions` of a definition (inside seed 001's `workflow:` or beside it). */
function positionsOf(doc: Record<string, unknown>): Positions {
  const { root } = detectDialect(doc);
  const ui = isMapping(root.ui) ? root.ui : isMapping(doc.ui) ? doc.ui : undefined;
  const out = new Map<string, { x: number; y: number }>();
  if (!ui || !isMapping(ui.positions)) return out;
  for (const [id, p] of Object.entries(ui.positions)) {
    if (isMapping(p) && typeof p.x === "number" && typeof p.y === "number") out.set(id, { x: p.x, y: p.y });
  }
  return out;
}

const byName = (name: string): Seed000NodeType => SEED000_NODE_TYPES.find((t) => t.name === name) as Seed000NodeType;
const isNoop = (s: WorkflowStep | undefined): s is WorkflowStep =>
  s !== undefined && s.type === "noop" && Object.keys(s.config).length === 0;

/**
 * A workflow as seed 000 nodes and edges, checked by reading them back (same workflow hash); otherwise every
 * step field they could not carry.
 */
export function graphOfWorkflow(
  workflow: Workflow,
  positions: Positions = new Map(),
  stepTypes?: StepTypeSchemas,
): Seed000GraphResult {
  const steps = new Map(workflow.steps.map((s) => [s.id, s]));
  const branches = conditionalBranches(workflow, steps);
  const nodes: JsonObject[] = [];
  const edges: JsonObject[] = [];
  for (const step of workflow.steps) {
    const kind = kindOf(step, branches);
    const node: JsonObject = { id: step.id, node_type: kind?.name ?? step.type, label: step.name };
    const config = configOf(step, kind, branches.get(step.id)?.condition);
    node.config = config;
    const at = positions.get(step.id);
    if (at) {
      node.position_x = at.x;
      node.position_y = at.y;
    }
    const branched = branchedBy(step, branches);
    // weft's extension of the dialect: a condition no conditional's edge gives is the node's own `if`.
    if (step.if !== undefined && !branched) node.if = step.if;
    if (step.foreach !== undefined && config.quantity === undefined) node.foreach = step.foreach;
    nodes.push(node);
    for (const dep of step.needs) {
      // `->` cannot be part of a step id: an edge id is unique per pair.
      const edge: JsonObject = { id: `${dep.step}->${step.id}`, source: dep.step, target: step.id };
      const branch = branches.get(dep.step)?.targets.get(step.id);
      if (branch !== undefined) edge.sourceHandle = String(branch);
      // weft's extension: an edge that fires otherwise than on success (always, into a merge node) says so.
      if (dep.on !== (kind?.name === "merge" ? "always" : "success")) edge.on = dep.on;
      edges.push(edge);
    }
  }
  const args = paramsOf(workflow.argsSchema);
  const weft = weftKeysOf(workflow, args.derived);
  const graph: Seed000Graph = {
    name: workflow.name,
    description: workflow.description ?? null,
    category: workflow.category ?? null,
    nodes,
    edges,
    default_params: args.params,
    weft,
  };
  const problems = readBack(workflow, graph, stepTypes);
  return problems.length > 0 ? { problems } : { graph };
}

/**
 * The seed 000 node type each step of a workflow is written as (`graphOfWorkflow`'s `node_type`): what seed 000
 * calls a run's per-node jobs (`job_type`).
 */
export function nodeTypesOf(workflow: Workflow): Map<string, string> {
  const branches = conditionalBranches(workflow, new Map(workflow.steps.map((s) => [s.id, s])));
  return new Map(workflow.steps.map((s) => [s.id, kindOf(s, branches)?.name ?? s.type]));
}

/** A noop step whose dependents' `if`s are its branches: its condition and which way each dependent goes. */
interface Branches {
  condition: string;
  targets: Map<string, boolean>;
}

/**
 * The conditional nodes: noop steps (no settings) whose dependents have an `if` that is one condition or its
 * negation `!(…)`, the way the seed 000 reader writes a conditional's true and false edges. A dependent with
 * another condition keeps it as its node's own `if`.
 */
function conditionalBranches(workflow: Workflow, steps: Map<string, WorkflowStep>): Map<string, Branches> {
  const out = new Map<string, Branches>();
  for (const source of workflow.steps) {
    if (!isNoop(source)) continue;
    const dependents = workflow.steps.filter(
      (s) => s.if !== undefined && s.needs.some((d) => d.step === source.id && d.on === "success"),
    );
    // A dependent with a second noop before it takes its condition from the first one only.
    const own = dependents.filter((s) => s.needs.find((d) => isNoop(steps.get(d.step)))?.step === source.id);
    if (own.length === 0) continue;
    const texts = own.map((s) => s.if as string);
    const negated = (t: string) => `!(${t})`;
    const condition =
      texts.find((t) => texts.includes(negated(t))) ??
      texts.find((t) => !/^!\(.*\)$/s.test(t)) ??
      (texts[0] as string).slice(2, -1);
    const targets = new Map<string, boolean>();
    for (const s of own) {
      if (s.if === condition) targets.set(s.id, true);
      else if (s.if === negated(condition)) targets.set(s.id, false);
    }
    out.set(source.id, { condition, targets });
  }
  return out;
}

function branchedBy(step: WorkflowStep, branches: Map<string, Branches>): boolean {
  return step.needs.some((d) => branches.get(d.step)?.targets.has(step.id));
}

/** The seed 000 node type a step is written as, or undefined to keep its weft type. */
function kindOf(step: WorkflowStep, branches: Map<string, Branches>): Seed000NodeType | undefined {
  const c = step.config;
  switch (step.type) {
    case "agent":
      // The reader gives a generate_copy node an agent, a document and (for several copies) a system prompt
      // unless it names its own: only a step that names all it has is one.
      return typeof c.prompt === "string" && typeof c.agent === "string" && typeof c.document === "string"
        ? byName("generate_copy")
        : undefined;
    case "image":
      return typeof c.agent === "string" ? byName("generate_image") : undefined;
    case "attach":
      return byName("attach_to_document");
    case "approval":
      return byName("review");
    case "noop":
      if (!isNoop(step)) return undefined;
      if (branches.has(step.id)) return byName("conditional");
      if (step.needs.length > 0 && step.needs.every((d) => d.on === "always")) return byName("merge");
      return byName("parallel");
    default:
      return undefined;
  }
}

const STRATEGY_OF = new Map(Object.entries(SEED000_STRATEGIES).map(([seed, weft]) => [weft, seed]));

/** A step's settings as its node's `config`: the node type's renames reversed, its step keys added. */
function configOf(step: WorkflowStep, kind: Seed000NodeType | undefined, condition: string | undefined): JsonObject {
  const back = new Map(Object.entries(kind?.renames ?? {}).map(([seed, weft]) => [weft, seed]));
  const config: JsonObject = {};
  for (const [key, value] of Object.entries(step.config)) config[back.get(key) ?? key] = value;
  // A copy count is a generate_copy's `quantity` when it names its own system prompt (the reader would write
  // one for it otherwise); any other fan-out stays the node's own `foreach`.
  const n = step.foreach === undefined ? undefined : /^range\((.+)\)$/s.exec(step.foreach)?.[1]?.trim();
  if (kind?.name === "generate_copy" && n !== undefined && typeof config.system === "string") {
    config.quantity = /^\d+$/.test(n) && Number(n) > 1 && Number(n) <= 1000 ? Number(n) : `{{ ${n} }}`;
  }
  if (kind?.name === "attach_to_document" && typeof config.strategy === "string") {
    config.strategy = STRATEGY_OF.get(config.strategy) ?? config.strategy;
  }
  if (kind?.name === "review" && config.onTimeout === "approve" && typeof config.timeout === "string") {
    config.auto_approve_after = config.timeout;
    delete config.timeout;
    delete config.onTimeout;
  }
  if (condition !== undefined) config.condition = condition;
  // The step keys a node's config may carry (the rest are the graph's).
  if (step.phase !== undefined) config.phase = step.phase;
  if (step.optional) config.optional = true;
  if (step.priority !== 0) config.priority = step.priority;
  if (step.timeoutMs !== undefined) config.timeout = `${step.timeoutMs}ms`;
  if (canonicalJson(step.retry) !== canonicalJson(DEFAULT_RETRY)) {
    const r = step.retry;
    config.retry = {
      maxAttempts: r.maxAttempts,
      delay: `${r.initialDelayMs}ms`,
      backoff: r.backoffMultiplier,
      maxDelay: `${r.maxDelayMs}ms`,
      jitter: r.jitter,
      ...(r.retryOn ? { retryOn: r.retryOn } : {}),
    };
  }
  return config;
}

/** The args schema's defaults as `default_params`, and whether `default_params` alone gives that schema back. */
function paramsOf(schema: JsonObject | undefined): { params: JsonObject; derived: boolean } {
  const params: JsonObject = {};
  const props = schema && isMapping(schema.properties) ? schema.properties : {};
  for (const [key, prop] of Object.entries(props)) {
    if (isMapping(prop) && Object.hasOwn(prop, "default")) params[key] = prop.default as Json;
  }
  if (schema === undefined) return { params, derived: true };
  const derived =
    Object.keys(params).length > 0 && canonicalJson(argsFromDefaults(params, undefined)) === canonicalJson(schema);
  return { params, derived };
}

/** The workflow's top-level keys seed 000 has no field for, as the seed 000 dialect reads them. */
function weftKeysOf(w: Workflow, argsDerived: boolean): JsonObject {
  const out: JsonObject = {};
  if (w.version !== undefined) out.version = w.version;
  if (w.author !== undefined) out.author = w.author;
  if (w.tags.length > 0) out.tags = w.tags;
  if (w.phases.length > 0) out.phases = w.phases;
  if (w.argsSchema !== undefined && !argsDerived) out.argsSchema = w.argsSchema;
  if (w.parallelism !== undefined) out.parallelism = w.parallelism;
  if (w.timeoutMs !== undefined) out.timeout = `${w.timeoutMs}ms`;
  if (w.budget !== undefined) {
    const b = w.budget;
    out.budget = {
      ...(b.tokens !== undefined ? { tokens: b.tokens } : {}),
      ...(b.costUsd !== undefined ? { cost_usd: b.costUsd } : {}),
      ...(b.onExceed !== undefined ? { on_exceed: b.onExceed } : {}),
    };
  }
  return out;
}

/** The template as a seed 000 client would send it: its graph fields and weft's keys beside them. */
export function templateFields(graph: Seed000Graph): Record<string, unknown> {
  const { weft, ...fields } = graph;
  return { ...fields, ...weft };
}

const STEP_FIELDS = ["name", "type", "phase", "needs", "if", "optional", "retry", "timeoutMs", "foreach", "priority"];

/** Reads the graph back as the seed 000 dialect; every field that came back otherwise is a problem. */
function readBack(workflow: Workflow, graph: Seed000Graph, stepTypes?: StepTypeSchemas): Seed000Problem[] {
  const text = templateSource(templateFields(graph));
  const { workflow: back, issues } = parseWorkflow(text, { file: "template.json", format: "json", stepTypes });
  if (!back) {
    return issues
      .filter((i) => i.severity === "error")
      .map((i) => ({
        // The reader's messages name the step they are about.
        step: /\bstep `([^`]+)`/.exec(i.message)?.[1],
        field: "nodes",
        message: `as seed 000 nodes and edges: ${i.message}`,
      }));
  }
  if (workflowHash(back) === workflowHash(workflow)) return [];
  const problems: Seed000Problem[] = [];
  const differs = (a: unknown, b: unknown) => canonicalJson(a ?? null) !== canonicalJson(b ?? null);
  const was = (v: unknown) => (v === undefined ? "nothing" : canonicalJson(v));
  for (const step of workflow.steps) {
    const other = back.steps.find((s) => s.id === step.id);
    const fields: [string, unknown, unknown][] = STEP_FIELDS.map((f) => [
      f,
      step[f as keyof WorkflowStep],
      other?.[f as keyof WorkflowStep],
    ]);
    const keys = new Set([...Object.keys(step.config), ...Object.keys(other?.config ?? {})]);
    for (const k of keys) fields.push([`config.${k}`, step.config[k], other?.config[k]]);
    for (const [field, mine, theirs] of fields) {
      if (!differs(mine, theirs)) continue;
      problems.push({
        step: step.id,
        field,
        message: `step \`${step.id}\`'s \`${field}\` cannot be written as a seed 000 node: it would read back as ${was(theirs)} instead of ${was(mine)}`,
      });
    }
  }
  const { steps: _a, source: _b, ...top } = workflow;
  const { steps: _c, source: _d, ...topBack } = back;
  for (const key of new Set([...Object.keys(top), ...Object.keys(topBack)])) {
    const mine = (top as Record<string, unknown>)[key];
    const theirs = (topBack as Record<string, unknown>)[key];
    if (!differs(mine, theirs)) continue;
    problems.push({
      step: undefined,
      field: key,
      message: `the workflow's \`${key}\` cannot be written in a seed 000 template: it would read back as ${was(theirs)} instead of ${was(mine)}`,
    });
  }
  return problems;
}

/** The problems as one message: each with its step and field. */
export function describeProblems(problems: readonly Seed000Problem[]): string {
  return problems.map((p) => `${p.step === undefined ? "" : `step ${p.step}, `}${p.field}: ${p.message}`).join("; ");
}
