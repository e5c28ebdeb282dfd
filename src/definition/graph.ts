/**
 * The dependency graph of a workflow: cycles (with their path), dependency levels, and two renderings —
 * Mermaid for docs/UI and plain text for `weft graph`.
 */
import type { Workflow } from "../core/model.js";

interface GraphStep {
  readonly id: string;
  readonly needs: readonly { readonly step: string }[];
}

/**
 * Every dependency cycle, once each (one per strongly connected component), as a closed path in dependency
 * direction starting from its earliest step in file order: `["a", "b", "a"]` means a needs b and b needs a.
 * Dependencies on unknown steps are ignored.
 */
export function findCycles(steps: readonly GraphStep[]): string[][] {
  const order = new Map(steps.map((s, i) => [s.id, i]));
  const edges = new Map<string, string[]>();
  for (const s of steps) edges.set(s.id, [...new Set(s.needs.map((d) => d.step).filter((id) => order.has(id)))]);

  // Tarjan's strongly connected components, iterative so a long chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of steps) {
    if (index.has(start.id)) continue;
    const work: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    index.set(start.id, counter);
    low.set(start.id, counter++);
    stack.push(start.id);
    onStack.add(start.id);
    while (work.length > 0) {
      const frame = work[work.length - 1] as { id: string; next: number };
      const out = edges.get(frame.id) ?? [];
      if (frame.next < out.length) {
        const to = out[frame.next++] as string;
        if (!index.has(to)) {
          index.set(to, counter);
          low.set(to, counter++);
          stack.push(to);
          onStack.add(to);
          work.push({ id: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(to) as number));
        }
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
      if (low.get(frame.id) === index.get(frame.id)) {
        const component: string[] = [];
        let id: string;
        do {
          id = stack.pop() as string;
          onStack.delete(id);
          component.push(id);
        } while (id !== frame.id);
        components.push(component);
      }
    }
  }

  const cycles: string[][] = [];
  for (const component of components) {
    const first = component.reduce((a, b) => ((order.get(a) as number) <= (order.get(b) as number) ? a : b));
    if (component.length === 1 && !(edges.get(first) ?? []).includes(first)) continue;
    cycles.push(shortestCycle(first, new Set(component), edges));
  }
  return cycles.sort((a, b) => (order.get(a[0] as string) as number) - (order.get(b[0] as string) as number));
}

/** Breadth-first search inside one component for the shortest way from `start` back to itself. */
function shortestCycle(start: string, members: ReadonlySet<string>, edges: ReadonlyMap<string, string[]>): string[] {
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    for (const to of edges.get(id) ?? []) {
      if (!members.has(to)) continue;
      if (to === start) {
        const path = [start];
        for (let at: string | undefined = id; at !== undefined && at !== start; at = previous.get(at))
          path.splice(1, 0, at);
        path.push(start);
        return path;
      }
      if (!previous.has(to)) {
        previous.set(to, id);
        queue.push(to);
      }
    }
  }
  return [start, start];
}

/** A cycle longer than this many steps is shown as its first and last steps around "… (k more) …". */
const CYCLE_SHOWN = 10;

/**
 * `a → b → a`. A long cycle keeps a bounded message: its first 6 and last 3 steps (the last being its first
 * again) around "… (k more) …", so a 10,000-step cycle is not a 100 KB error.
 */
export function formatCycle(cycle: readonly string[]): string {
  if (cycle.length <= CYCLE_SHOWN) return cycle.join(" → ");
  const head = cycle.slice(0, 6);
  const tail = cycle.slice(-3);
  return [...head, `… (${cycle.length - head.length - tail.length} more) …`, ...tail].join(" → ");
}

/**
 * Steps grouped by depth: level 0 has no dependencies, level n depends on something at level n - 1. Within a
 * level, file order. Steps caught in a cycle (an invalid workflow) form a last level.
 */
export function dependencyLevels(workflow: Pick<Workflow, "steps">): string[][] {
  const ids = new Set(workflow.steps.map((s) => s.id));
  const waiting = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const step of workflow.steps) {
    const deps = new Set(step.needs.map((d) => d.step).filter((id) => ids.has(id)));
    waiting.set(step.id, deps.size);
    for (const dep of deps) (dependents.get(dep) ?? dependents.set(dep, []).get(dep))?.push(step.id);
  }
  // Kahn's algorithm: a step's level is one more than its deepest dependency.
  const level = new Map<string, number>();
  const queue = workflow.steps.filter((s) => waiting.get(s.id) === 0).map((s) => s.id);
  for (const id of queue) level.set(id, 0);
  for (let i = 0; i < queue.length; i++) {
    const id = queue[i] as string;
    const l = level.get(id) as number;
    for (const next of dependents.get(id) ?? []) {
      level.set(next, Math.max(level.get(next) ?? 0, l + 1));
      const left = (waiting.get(next) as number) - 1;
      waiting.set(next, left);
      if (left === 0) queue.push(next);
    }
  }
  const levels: string[][] = [];
  const stuck: string[] = [];
  for (const step of workflow.steps) {
    const l = level.get(step.id);
    if (l === undefined || (waiting.get(step.id) as number) > 0) stuck.push(step.id);
    else {
      levels[l] ??= [];
      levels[l].push(step.id);
    }
  }
  if (stuck.length > 0) levels.push(stuck);
  return levels;
}

/**
 * Why a statically drawn step of a TypeScript workflow may run differently than drawn (`config.$static.dynamic`:
 * conditional, loop, callback, id), or undefined for a step that runs as drawn.
 */
export function dynamicReason(step: Workflow["steps"][number]): string | undefined {
  const info = Object.hasOwn(step.config, "$static") ? step.config.$static : undefined;
  if (typeof info !== "object" || info === null || Array.isArray(info)) return undefined;
  const reason = Object.hasOwn(info, "dynamic") ? info.dynamic : undefined;
  return typeof reason === "string" ? reason : undefined;
}

const mermaidText = (text: string): string =>
  text.replace(/"/g, "#quot;").replace(/[<>]/g, (c) => (c === "<" ? "#lt;" : "#gt;"));

/**
 * A Mermaid flowchart: one subgraph per phase, nodes `id (type)`, failure/always edges labelled. Steps known only
 * at run time (TypeScript workflows: in a branch, a loop, with a computed id) get a dashed border.
 */
export function toMermaid(workflow: Pick<Workflow, "steps" | "phases">): string {
  const node = new Map(workflow.steps.map((s, i) => [s.id, `s${i}`]));
  const lines = ["flowchart TD"];
  const nodeLine = (s: Workflow["steps"][number], indent: string) =>
    `${indent}${node.get(s.id)}["${mermaidText(s.id)} (${mermaidText(s.type)})"]`;
  workflow.phases.forEach((phase, i) => {
    const members = workflow.steps.filter((s) => s.phase === phase);
    if (members.length === 0) return;
    lines.push(`  subgraph phase${i}["${mermaidText(phase)}"]`);
    for (const s of members) lines.push(nodeLine(s, "    "));
    lines.push("  end");
  });
  for (const s of workflow.steps) {
    if (s.phase === undefined || !workflow.phases.includes(s.phase)) lines.push(nodeLine(s, "  "));
  }
  for (const s of workflow.steps) {
    for (const dep of s.needs) {
      const from = node.get(dep.step);
      if (from === undefined) continue;
      const to = node.get(s.id);
      if (dep.on === "success") lines.push(`  ${from} --> ${to}`);
      else if (dep.on === "failure") lines.push(`  ${from} -.->|failure| ${to}`);
      else lines.push(`  ${from} -->|always| ${to}`);
    }
  }
  const dynamic = workflow.steps.filter((s) => dynamicReason(s) !== undefined).map((s) => node.get(s.id));
  if (dynamic.length > 0) {
    lines.push("  classDef dynamic stroke-dasharray: 5 5", `  class ${dynamic.join(",")} dynamic`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Plain text for `weft graph`: the levels of the DAG, each step with its type, phase, flags (`dynamic: loop` for
 * a TypeScript step known only at run time) and dependencies.
 */
export function renderTerminalGraph(workflow: Pick<Workflow, "name" | "steps">): string {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const levels = dependencyLevels(workflow);
  const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;
  const lines = [`${workflow.name} — ${count(workflow.steps.length, "step")}, ${count(levels.length, "level")}`];
  levels.forEach((ids, i) => {
    lines.push("", `level ${i + 1}${ids.length > 1 ? ` (${ids.length} in parallel)` : ""}`);
    for (const id of ids) {
      const s = byId.get(id);
      if (!s) continue;
      const tags = [s.type];
      if (s.phase) tags.push(`phase ${s.phase}`);
      if (s.optional) tags.push("optional");
      if (s.foreach) tags.push(`foreach ${s.foreach}`);
      if (s.if) tags.push(`if ${s.if}`);
      const dynamic = dynamicReason(s);
      if (dynamic) tags.push(`dynamic: ${dynamic}`);
      const deps = s.needs.map((d) => (d.on === "success" ? d.step : `${d.step} (on ${d.on})`));
      lines.push(`  ${id}  [${tags.join(", ")}]${deps.length > 0 ? `  ← ${deps.join(", ")}` : ""}`);
    }
  });
  return `${lines.join("\n")}\n`;
}
