/**
 * The pre-run graph of a TypeScript workflow: the `ctx.step` calls of `execute` read from the source, so
 * `weft graph` and the UI can draw the workflow before it runs. These steps are for drawing only; the engine
 * creates the real ones as the code runs.
 *
 * Order and dependencies follow the code: an awaited call waits for the steps before it; calls that are not
 * awaited one by one (`await Promise.all([ctx.step(a), ctx.step(b)])`, or promises kept and awaited later)
 * start together from the same point, and the next `await` joins them. What only the run can tell is drawn
 * and marked in `config.$static.dynamic`: `conditional` (inside `if`, `?:`, `&&`, `switch`, `catch`), `loop`
 * (inside a loop or a `map`/`forEach` callback), `callback` (inside another function), `id` (the id is
 * computed, or named by the engine: `ctx.sleep`, `ctx.waitForApproval`, `ctx.exec` without an id).
 */
import type { CallExpression, Node, ObjectExpression } from "@babel/types";
import type { JsonObject } from "../../core/json.js";
import { DEFAULT_RETRY, type WorkflowStep } from "../../core/model.js";
import {
  type CtxBinding,
  childNodes,
  ctxBinding,
  ctxMethod,
  type FunctionNode,
  HOLE,
  isCtx,
  isFunction,
  keyName,
  literalString,
  locOf,
  templateText,
  unwrap,
  type WorkflowAst,
} from "./ast.js";

export type DynamicReason = "conditional" | "loop" | "callback" | "id";

/** What `config.$static` of an extracted step holds. */
export interface StaticInfo {
  /** The ctx method: step, sleep, waitForApproval or exec. */
  call: string;
  line: number;
  column: number;
  /** Why the step may run differently (or under another id) than drawn; absent: it runs exactly as drawn. */
  dynamic?: DynamicReason;
  /** A second call with an id already drawn (e.g. in both branches of an `if`): the id it repeats. */
  repeatOf?: string;
}

const STEP_METHODS = new Set(["step", "sleep", "waitForApproval", "exec"]);
const LOOP_METHODS = new Set(["map", "forEach", "flatMap", "filter", "reduce", "reduceRight", "some", "every", "find"]);
const LOOPS = new Set(["ForStatement", "ForOfStatement", "ForInStatement", "WhileStatement", "DoWhileStatement"]);

interface State {
  /** The steps the next awaited step waits for. */
  frontier: string[];
  /** Steps started but not awaited yet (joined by the next `await`). */
  pending: string[];
}

interface Env {
  ctx: CtxBinding;
  dynamic?: DynamicReason | undefined;
}

const clone = (s: State): State => ({ frontier: [...s.frontier], pending: [...s.pending] });

/** The steps `execute` calls, in source order, with their dependencies and locations. */
export function extractSteps(wf: WorkflowAst): WorkflowStep[] {
  if (!wf.execute || !wf.ctx) return [];
  const x = new Extractor(wf);
  x.body(wf.execute, { frontier: [], pending: [] }, { ctx: wf.ctx });
  return x.steps;
}

class Extractor {
  readonly steps: WorkflowStep[] = [];
  private readonly byId = new Map<string, WorkflowStep>();
  private readonly inlining = new Set<FunctionNode>();

  constructor(private readonly wf: WorkflowAst) {}

  body(fn: FunctionNode, s: State, env: Env): void {
    this.visit(fn.body, s, env);
  }

  private visit(node: Node, s: State, env: Env): void {
    switch (node.type) {
      case "AwaitExpression": {
        const arg = unwrap(node.argument);
        if (arg.type === "CallExpression" && this.call(arg, s, env, true)) return;
        this.visit(node.argument, s, env);
        // Awaiting anything else (a kept promise, Promise.all…) waits for what was started; ctx.checkpoint,
        // ctx.comment and the like are journal writes that wait for nothing.
        if (arg.type !== "CallExpression" || ctxMethod(arg.callee, env.ctx) === undefined) this.join(s);
        return;
      }
      case "CallExpression":
      case "OptionalCallExpression":
        if (!this.call(node, s, env, false)) this.children(node, s, env);
        return;
      case "IfStatement":
        this.visit(node.test, s, env);
        this.branches(s, env, [node.consequent, node.alternate ?? undefined]);
        return;
      case "ConditionalExpression":
        this.visit(node.test, s, env);
        this.branches(s, env, [node.consequent, node.alternate]);
        return;
      case "LogicalExpression":
        this.visit(node.left, s, env);
        this.branches(s, env, [node.right, undefined]);
        return;
      case "SwitchStatement":
        this.visit(node.discriminant, s, env);
        this.branches(s, env, [...node.cases, undefined]);
        return;
      case "TryStatement": {
        const before = clone(s);
        this.visit(node.block, s, env);
        if (node.handler) {
          // The handler runs when something in the block failed: a branch from before the block.
          this.visit(node.handler.body, before, { ...env, dynamic: env.dynamic ?? "conditional" });
          merge(s, [clone(s), before]);
        }
        if (node.finalizer) this.visit(node.finalizer, s, env);
        return;
      }
      default:
        if (LOOPS.has(node.type)) {
          this.loop(node, s, env);
          return;
        }
        if (isFunction(node)) {
          // A function defined here runs later, if at all: a branch from this point, joined by the next await.
          this.branch(node, s, { ...env, dynamic: env.dynamic ?? "callback" });
          return;
        }
        this.children(node, s, env);
    }
  }

  private children(node: Node, s: State, env: Env): void {
    for (const child of childNodes(node)) this.visit(child, s, env);
  }

  private loop(node: Node, s: State, env: Env): void {
    const inner = { ...env, dynamic: env.dynamic === "conditional" ? env.dynamic : "loop" } as Env;
    for (const child of childNodes(node)) {
      const isBody = child === (node as { body?: Node }).body;
      this.visit(child, s, isBody ? inner : env);
    }
  }

  /** Each branch starts from the current state; afterwards the state waits for the ends of all of them. */
  private branches(s: State, env: Env, nodes: (Node | undefined)[]): void {
    const dyn = { ...env, dynamic: env.dynamic ?? "conditional" };
    const ends = nodes.map((n) => {
      const b = clone(s);
      if (n) this.visit(n, b, dyn);
      return b;
    });
    s.frontier = [];
    s.pending = [];
    merge(s, ends);
  }

  /** A function's body as a branch: its steps start from here; its end joins at the next await. */
  private branch(fn: FunctionNode, s: State, env: Env): void {
    const b: State = { frontier: [...s.frontier], pending: [] };
    this.visit(fn.body, b, env);
    this.join(b);
    for (const id of b.frontier) if (!s.frontier.includes(id) && !s.pending.includes(id)) s.pending.push(id);
  }

  private join(s: State): void {
    if (s.pending.length === 0) return;
    s.frontier = prune([...s.frontier, ...s.pending], this.byId);
    s.pending = [];
  }

  /** Handles a ctx call, an IIFE or a helper given the context; false when `node` is none of them. */
  private call(node: CallExpression | Node, s: State, env: Env, awaited: boolean): boolean {
    if (node.type !== "CallExpression" && node.type !== "OptionalCallExpression") return false;
    const method = ctxMethod(node.callee, env.ctx);
    if (method !== undefined) {
      if (!STEP_METHODS.has(method)) return false;
      for (const arg of node.arguments) this.visitArgument(arg, s, env);
      const step = this.stepOf(method, node, env);
      step.needs = s.frontier.map((id) => ({ step: id, on: "success" as const }));
      if (awaited) s.frontier = [step.id];
      else s.pending.push(step.id);
      return true;
    }
    const callee = unwrap(node.callee);
    // (async () => { … })(): runs now, as a branch (awaited: joined at once).
    if (isFunction(callee)) {
      for (const arg of node.arguments) this.visit(arg, s, env);
      this.branch(callee, s, env);
      if (awaited) this.join(s);
      return true;
    }
    // A helper of this module given the context: its steps are drawn where it is called.
    if (callee.type === "Identifier") {
      const helper = this.wf.functions.get(callee.name);
      const index = node.arguments.findIndex((a) => isCtx(a, env.ctx));
      if (helper && index >= 0 && !this.inlining.has(helper)) {
        const binding = ctxBinding(helper, index);
        if (binding) {
          for (const arg of node.arguments) this.visit(arg, s, env);
          this.inlining.add(helper);
          this.branch(helper, s, { ...env, ctx: binding });
          this.inlining.delete(helper);
          if (awaited) this.join(s);
          return true;
        }
      }
    }
    // Callbacks of map/forEach… run once per item: a loop.
    if (callee.type === "MemberExpression" || callee.type === "OptionalMemberExpression") {
      const name = callee.property.type === "Identifier" ? callee.property.name : undefined;
      if (name !== undefined && LOOP_METHODS.has(name)) {
        this.visit(callee.object, s, env);
        const loopEnv: Env = { ...env, dynamic: env.dynamic === "conditional" ? env.dynamic : "loop" };
        for (const arg of node.arguments) this.visit(arg, s, isFunction(unwrap(arg)) ? loopEnv : env);
        return true;
      }
    }
    return false;
  }

  /** Arguments of a ctx call are evaluated first; a step's `fn` runs inside the step, so it is not walked. */
  private visitArgument(arg: Node, s: State, env: Env): void {
    const a = unwrap(arg);
    if (a.type !== "ObjectExpression") {
      if (!isFunction(a)) this.visit(a, s, env);
      return;
    }
    for (const prop of a.properties) {
      if (prop.type === "ObjectMethod") continue;
      if (prop.type === "ObjectProperty" && keyName(prop) === "fn") continue;
      if (prop.type === "ObjectProperty" && isFunction(unwrap(prop.value))) continue;
      this.visit(prop, s, env);
    }
  }

  private stepOf(method: string, node: CallExpression | Node, env: Env): WorkflowStep {
    const call = node as CallExpression;
    const loc = locOf(node, this.wf.file);
    const args = call.arguments.map((a) => unwrap(a));
    const at = `@${loc.line}`;
    let id: string | undefined;
    let name: string | undefined;
    let config: ObjectExpression | undefined;
    let type = "?";
    let idDynamic = false;
    const out: JsonObject = {};
    if (method === "step") {
      const idArg = args[0];
      id = this.literal(idArg);
      if (id === undefined) {
        idDynamic = true;
        const text = idArg ? templateText(idArg) : undefined;
        name = text;
        id = text === undefined ? `<dynamic${at}>` : `${text.split(HOLE).join("*")}${at}`;
      }
      config = this.objectOf(args[1]);
      if (config) type = "";
    } else if (method === "sleep") {
      type = "sleep";
      id = this.literal(args[1]);
      const duration = args[0] ? this.literalValue(args[0]) : undefined;
      if (duration !== undefined) out.duration = duration;
    } else if (method === "waitForApproval") {
      type = "approval";
      config = this.objectOf(args[0]);
    } else {
      type = "script";
      const command = args[0] ? (this.literal(args[0]) ?? templateText(args[0])) : undefined;
      if (command !== undefined) out.command = command;
    }
    const props = new Map<string, Node>();
    for (const prop of config?.properties ?? []) {
      const key = keyName(prop);
      if (key !== undefined) props.set(key, prop);
    }
    const read = (key: string): string | undefined => {
      const p = props.get(key);
      return p?.type === "ObjectProperty" ? this.literal(p.value) : undefined;
    };
    if (method === "waitForApproval") id = read("id");
    if (method !== "step" && id === undefined) {
      idDynamic = true;
      id = `$${method === "waitForApproval" ? "approval" : method}${at}`;
    }
    if (type === "") {
      type =
        read("type") ??
        (props.has("command")
          ? "script"
          : props.has("agent") || props.has("prompt")
            ? "agent"
            : props.has("fn") || props.has("function")
              ? "function"
              : "?");
    }
    for (const key of ["agent", "command", "function", "message", "duration", "until"]) {
      const p = props.get(key);
      if (p?.type !== "ObjectProperty") continue;
      const value = this.literal(p.value) ?? templateText(p.value);
      if (value !== undefined) out[key] = value;
    }
    const optional = props.get("optional");
    const step: WorkflowStep = {
      id: this.unique(id as string),
      name: read("name") ?? name ?? (id as string),
      type,
      needs: [],
      optional:
        optional?.type === "ObjectProperty" && unwrap(optional.value).type === "BooleanLiteral"
          ? (unwrap(optional.value) as { value: boolean }).value
          : false,
      retry: { ...DEFAULT_RETRY },
      priority: 0,
      config: out,
      location: loc,
    };
    const phase = read("phase");
    if (phase !== undefined) step.phase = phase;
    const info: StaticInfo = { call: method, line: loc.line, column: loc.column };
    const dynamic = env.dynamic ?? (idDynamic ? "id" : undefined);
    if (dynamic) info.dynamic = dynamic;
    if (step.id !== id) info.repeatOf = id as string;
    out.$static = info as unknown as JsonObject;
    this.steps.push(step);
    this.byId.set(step.id, step);
    return step;
  }

  /** A string literal, or a top-level `const` holding one. */
  private literal(node: Node | undefined): string | undefined {
    if (!node) return undefined;
    const n = unwrap(node);
    if (n.type === "Identifier") {
      const value = this.wf.values.get(n.name);
      return value ? literalString(value) : undefined;
    }
    return literalString(n);
  }

  private literalValue(node: Node): string | number | undefined {
    const n = unwrap(node);
    if (n.type === "NumericLiteral") return n.value;
    return this.literal(n);
  }

  private objectOf(node: Node | undefined): ObjectExpression | undefined {
    if (!node) return undefined;
    const n = unwrap(node);
    if (n.type === "ObjectExpression") return n;
    if (n.type === "Identifier") {
      const value = this.wf.values.get(n.name);
      const v = value ? unwrap(value) : undefined;
      if (v?.type === "ObjectExpression") return v;
    }
    return undefined;
  }

  private unique(id: string): string {
    if (!this.byId.has(id)) return id;
    for (let n = 2; ; n++) if (!this.byId.has(`${id}#${n}`)) return `${id}#${n}`;
  }
}

/**
 * Sets `s` to wait for the ends of all `ends`. Not pruned: a step that waits for a conditional step also waits
 * for what that step would have waited for, since the condition may skip it.
 */
function merge(s: State, ends: State[]): void {
  s.frontier = [...new Set(ends.flatMap((e) => e.frontier))];
  s.pending = [...new Set(ends.flatMap((e) => e.pending))];
}

/** Unique ids, without those another id of the list already (transitively) waits for. */
function prune(ids: string[], byId: ReadonlyMap<string, WorkflowStep>): string[] {
  const unique = [...new Set(ids)];
  const ancestors = new Set<string>();
  const walk = (id: string) => {
    for (const dep of byId.get(id)?.needs ?? []) {
      if (ancestors.has(dep.step)) continue;
      ancestors.add(dep.step);
      walk(dep.step);
    }
  };
  for (const id of unique) walk(id);
  return unique.filter((id) => !ancestors.has(id));
}
