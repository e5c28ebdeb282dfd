/**
 * Seed 000 node configs → weft step settings (the seed 000 reader's second half, seed000.ts): the keys each node
 * type maps (seed000-nodes.ts) and what it derives — generate_copy's quantity as a foreach over `range(n)`, an
 * attach node's documents and images from the nodes before it, a review's auto-approval as a timeout.
 */
import { parseDuration } from "../../core/duration.js";
import { isTemplate, parseTemplate } from "../../core/expressions/index.js";
import type { DependencyCondition } from "../../core/model.js";
import { field, readNameList } from "../fields.js";
import { describe, didYouMean, type Issues } from "../issues.js";
import type { Path } from "../positions.js";
import { STEP_ALIASES, STEP_KEYS } from "./keys.js";
import { SEED000_COPY_AGENT, SEED000_IMAGE_AGENT, SEED000_STRATEGIES, type Seed000NodeType } from "./seed000-nodes.js";

/** Step keys that nodes and edges give: never taken from a node's config (`phase`, `retry`, `timeout`… are). */
const GRAPH_KEYS = new Set([
  ...STEP_KEYS.filter((k) => !["phase", "optional", "retry", "timeout", "priority"].includes(k)),
  ...Object.keys(STEP_ALIASES).filter((k) => !["continueOnError", "retryPolicy", "timeoutMs"].includes(k)),
]);

export interface NodeRead {
  index: number;
  path: Path;
  id: string;
  idPath: Path;
  kind: Seed000NodeType | undefined;
  /** The weft step type; undefined when the node's type is missing or unknown (reported; no step is made). */
  type: string | undefined;
  typePath: Path;
  label?: string | undefined;
  description?: string | undefined;
  config: Record<string, unknown>;
  configPath: Path;
  /** weft's extension: the node's own condition (`if:` on the node), beside any a conditional's edges give it. */
  if?: { text: string; path: Path } | undefined;
  /** weft's extension: the node's own `foreach` (a generate_copy node's `quantity` gives the seed's). */
  foreach?: { text: string; path: Path } | undefined;
}

export interface EdgeRead {
  source: string;
  target: string;
  /** weft's extension: when the edge fires (`on:`); default success, always into a merge node. */
  on?: DependencyCondition | undefined;
  /** A conditional's branch. */
  branch?: boolean | undefined;
  path: Path;
  /** Where the branch is written (for the target's `if`). */
  branchPath?: Path | undefined;
}

/** What a node's config becomes: weft config keys with where each was written. */
export interface Converted {
  step: Record<string, unknown>;
  paths: Map<string, Path>;
  foreach?: { expression: string; path: Path } | undefined;
  /** The node cannot become a step (reported, unless `quiet`). */
  broken?: true | undefined;
}

/** A conditional node's `condition` as an expression (a single `{{ … }}` around it is taken off). */
export function conditionOf(node: NodeRead | undefined): { text: string; path: Path } | undefined {
  const value = node?.config.condition;
  if (!node || typeof value !== "string" || value.trim() === "") return undefined;
  return { text: unwrap(value) ?? value.trim(), path: [...node.configPath, "condition"] };
}

/** The expression of a string that is exactly one `{{ expr }}`, else undefined. */
function unwrap(text: string): string | undefined {
  if (!isTemplate(text)) return undefined;
  try {
    const parts = parseTemplate(text).parts.filter((p) => p.kind === "expr" || p.text.trim() !== "");
    const only = parts.length === 1 ? parts[0] : undefined;
    return only?.kind === "expr" ? only.source.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** `quiet`: leave out problems that follow from one already reported (a broken graph). */
export function convertConfig(
  node: NodeRead,
  byId: Map<string, NodeRead>,
  edges: EdgeRead[],
  iss: Issues,
  quiet = false,
): Converted {
  const out: Converted = { step: {}, paths: new Map() };
  const at = (key: string): Path => [...node.configPath, key];
  /** Sets weft key `to`, refusing a second value for it (`prompt_template` and `prompt`). */
  const set = (to: string, value: unknown, path: Path) => {
    if (Object.hasOwn(out.step, to)) {
      iss.error(
        "WEFT_SCHEMA",
        path,
        `\`${String(path[path.length - 1])}\` and \`${to}\` set the same thing`,
        "keep one",
        "key",
      );
      return;
    }
    Object.defineProperty(out.step, to, { value, enumerable: true, writable: true, configurable: true });
    out.paths.set(to, path);
  };
  /** A value the node type gives unless the node set that weft key itself. */
  const preset = (to: string, value: unknown, path: Path) => {
    if (!Object.hasOwn(out.step, to)) set(to, value, path);
  };
  const config = node.config;
  const mapped = new Set<string>(Object.keys(node.kind?.keys ?? {}));
  const rename = (from: string, to: string) => {
    if (Object.hasOwn(config, from)) set(to, config[from], at(from));
  };
  const name = node.kind?.name;
  // Every key the node type does not map is a setting of the weft step type (checked against its config
  // schema), or one of the step keys a node may carry; the graph's own (id, needs, if, …) come from nodes and edges.
  for (const key of Object.keys(config)) {
    if (mapped.has(key)) continue;
    if (GRAPH_KEYS.has(key)) {
      iss.error(
        "WEFT_SCHEMA",
        at(key),
        `\`${key}\` cannot be set in a node's config: in seed 000 files the nodes and edges give it`,
        "remove it; connect nodes with `edges:` (a conditional node's edges give `if`)",
        "key",
      );
    } else set(key, config[key], at(key));
  }
  // The node type's renames (seed000-nodes.ts), after the settings passed through: a key given both ways is reported on the seed 000 key.
  for (const [from, to] of Object.entries(node.kind?.renames ?? {})) rename(from, to);

  if (name === "generate_copy") {
    if (Object.hasOwn(config, "output_status")) {
      iss.warn(
        "WEFT_SCHEMA",
        at("output_status"),
        "`output_status` has no weft equivalent (weft documents have no status), so it is ignored",
        "remove it",
        "key",
      );
    }
    const copies = quantityOf(config, at("quantity"), iss);
    if (copies?.many) {
      out.foreach = { expression: `range(${copies.expression})`, path: at("quantity") };
      preset("document", `${node.id}-{{ index + 1 }}`, at("quantity"));
      if (!Object.hasOwn(config, "system")) {
        preset(
          "system",
          `You write copy {{ index + 1 }} of ${copies.count ?? `{{ ${copies.expression} }}`} for one brief: make it clearly different from the others.`,
          at("quantity"),
        );
      }
    } else {
      preset("document", node.id, node.path);
    }
    if (!Object.hasOwn(config, "prompt_template") && !Object.hasOwn(config, "prompt")) {
      iss.error(
        "WEFT_SCHEMA",
        node.configPath,
        `generate_copy node \`${node.id}\` has no \`prompt_template\``,
        "add `prompt_template: …` to its config: what the copy should say",
      );
    }
    preset("agent", SEED000_COPY_AGENT, node.path);
  } else if (name === "generate_image") {
    preset("agent", SEED000_IMAGE_AGENT, node.path);
  } else if (name === "attach_to_document") {
    if (Object.hasOwn(config, "strategy")) {
      const s = config.strategy;
      const weft = typeof s === "string" ? (SEED000_STRATEGIES[s] ?? s) : s;
      const known = Object.keys(SEED000_STRATEGIES);
      if (
        typeof s === "string" &&
        !Object.hasOwn(SEED000_STRATEGIES, s) &&
        !Object.values(SEED000_STRATEGIES).includes(s)
      ) {
        iss.error(
          "WEFT_SCHEMA",
          at("strategy"),
          `unknown attachment strategy \`${s}\``,
          didYouMean(s, known) ?? `strategies: ${known.join(", ")}`,
        );
      } else set("strategy", weft, at("strategy"));
    }
    if (!attachSources(node, config, byId, edges, iss, set, at, quiet)) out.broken = true;
  } else if (name === "review") {
    if (Object.hasOwn(config, "auto_approve_after")) {
      const after = config.auto_approve_after;
      if (typeof after === "string" && parseDuration(after) !== undefined) {
        set("timeout", after, at("auto_approve_after"));
        set("onTimeout", "approve", at("auto_approve_after"));
      } else if (after !== null && after !== false) {
        iss.error(
          "WEFT_SCHEMA",
          at("auto_approve_after"),
          `\`auto_approve_after\` must be a duration with its unit, such as "24h", got ${describe(after)}`,
          'write e.g. "24h" or "30m" (a bare number would not say its unit)',
        );
      }
    }
  } else if (name === "conditional") {
    if (typeof config.condition !== "string" || config.condition.trim() === "") {
      iss.error(
        "WEFT_SCHEMA",
        Object.hasOwn(config, "condition") ? at("condition") : node.configPath,
        `conditional node \`${node.id}\` needs a \`condition\` (an expression)`,
        'write e.g. `condition: "copy_quantity > 5"`; its `sourceHandle: "true"` edges run when it holds',
      );
    }
  }
  return out;
}

/** generate_copy's `quantity`: a whole number ≥ 1 or a `{{ … }}` giving one. */
function quantityOf(
  config: Record<string, unknown>,
  path: Path,
  iss: Issues,
): { many: boolean; expression: string; count?: number } | undefined {
  if (!Object.hasOwn(config, "quantity")) return undefined;
  const q = config.quantity;
  if (typeof q === "number" && Number.isInteger(q) && q >= 1 && q <= 1000)
    return { many: q > 1, expression: String(q), count: q };
  const expression = typeof q === "string" ? unwrap(q) : undefined;
  if (expression !== undefined) return { many: true, expression };
  iss.error(
    "WEFT_SCHEMA",
    path,
    `\`quantity\` must be a whole number from 1 to 1000 or a {{ … }} template giving one, got ${describe(q)}`,
    'write e.g. `quantity: 10` or `quantity: "{{ copy_quantity }}"`',
  );
  return undefined;
}

/**
 * An attach node's `documents` and `images`: given as weft settings, else the outputs of the nodes `source_nodes`
 * names, else of the nearest generate_copy / generate_image nodes before it. False when one has no source.
 */
function attachSources(
  node: NodeRead,
  config: Record<string, unknown>,
  byId: Map<string, NodeRead>,
  edges: EdgeRead[],
  iss: Issues,
  set: (to: string, value: unknown, path: Path) => void,
  at: (key: string) => Path,
  quiet: boolean,
): boolean {
  let ok = true;
  const sourcesField = field(config, "source_nodes", node.configPath);
  let sources: { id: string; path: Path }[];
  if (sourcesField) {
    sources = [];
    for (const ref of readNameList(sourcesField, iss)) {
      if (byId.has(ref.name)) sources.push({ id: ref.name, path: ref.path });
      else {
        iss.error(
          "WEFT_UNKNOWN_REF",
          ref.path,
          `\`source_nodes\` names \`${ref.name}\`, but no node has that id`,
          didYouMean(ref.name, byId.keys()) ?? `nodes are: ${[...byId.keys()].join(", ")}`,
        );
      }
    }
  } else sources = nearestProducers(node.id, byId, edges).map((id) => ({ id, path: node.path }));
  for (const [role, producer, label] of [
    ["documents", "agent", "generate_copy"],
    ["images", "image", "generate_image"],
  ] as const) {
    if (Object.hasOwn(config, role)) continue; // given as a weft setting: passed through
    const from = sources.filter((s) => byId.get(s.id)?.type === producer);
    if (from.length === 0) {
      ok = false;
      if (quiet) continue;
      iss.error(
        "WEFT_SCHEMA",
        sourcesField?.path ?? node.path,
        `attach_to_document node \`${node.id}\` has no ${label} node before it to take ${role} from`,
        `connect a ${label} node to it${sourcesField ? ", or name one in `source_nodes`" : ""}`,
      );
      continue;
    }
    const refs = from.map((s) => `steps.${s.id}.output`);
    set(
      role,
      `{{ ${refs.length === 1 ? refs[0] : `[${refs.join(", ")}]`} }}`,
      sourcesField ? at("source_nodes") : node.path,
    );
  }
  return ok;
}

/** The agent and image nodes nearest before `id`: walking back along edges, through nodes that make neither. */
function nearestProducers(id: string, byId: Map<string, NodeRead>, edges: EdgeRead[]): string[] {
  const found: string[] = [];
  const seen = new Set<string>([id]);
  const queue = [id];
  while (queue.length > 0) {
    const current = queue.shift() as string;
    for (const edge of edges) {
      if (edge.target !== current || seen.has(edge.source)) continue;
      seen.add(edge.source);
      const type = byId.get(edge.source)?.type;
      if (type === "agent" || type === "image") found.push(edge.source);
      else queue.push(edge.source);
    }
  }
  return found;
}
