/**
 * The `{{ … }}` references a step's expressions can use: the workflow's arguments, and the outputs of the
 * steps it runs after (its ancestors through the dependency edges — a step that is not an ancestor may not
 * have run yet). Pure.
 */
import type { BuilderGraph } from "./doc/types";

export interface Reference {
  /** The expression inside the braces, e.g. `args.topic`. */
  expr: string;
  kind: "arg" | "step" | "item";
}

export function ancestorsOf(graph: BuilderGraph, id: string): string[] {
  const parents = new Map<string, string[]>();
  for (const e of graph.edges) parents.set(e.to, [...(parents.get(e.to) ?? []), e.from]);
  const seen = new Set<string>();
  const stack = [...(parents.get(id) ?? [])];
  while (stack.length > 0) {
    const next = stack.pop() as string;
    if (seen.has(next) || next === id) continue;
    seen.add(next);
    stack.push(...(parents.get(next) ?? []));
  }
  // In the graph's step order, so the list reads like the workflow.
  return graph.steps.map((s) => s.id).filter((s) => seen.has(s));
}

export function referencesFor(graph: BuilderGraph, id: string): Reference[] {
  const step = graph.steps.find((s) => s.id === id);
  return [
    ...graph.args.map((a) => ({ expr: `args.${a}`, kind: "arg" as const })),
    ...ancestorsOf(graph, id).map((s) => ({ expr: `steps.${s}.output`, kind: "step" as const })),
    ...(step?.foreach ? [{ expr: "item", kind: "item" as const }] : []),
  ];
}

/** A step id not used yet, from a base (`agent`, `agent_2`, …), in the form step ids take. */
export function freshId(graph: BuilderGraph | undefined, base: string): string {
  const clean =
    base
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, "_")
      .replace(/^_+|_+$/g, "") || "step";
  const start = /^[a-z]/.test(clean) ? clean : `step_${clean}`;
  const taken = new Set(graph?.steps.map((s) => s.id) ?? []);
  if (!taken.has(start)) return start;
  for (let i = 2; ; i++) if (!taken.has(`${start}_${i}`)) return `${start}_${i}`;
}
