/**
 * Where each node is drawn: its stored position (the `ui:` block, or seed 000's `position`), else where dagre
 * puts it left to right (the run page's layout). Auto-layout writes dagre's positions for every step.
 */
import { layout } from "../pages/run/graph-model";
import type { BuilderGraph, Position } from "./doc/types";

const round = (p: Position): Position => ({ x: Math.round(p.x), y: Math.round(p.y) });

export function autoLayout(graph: BuilderGraph): Record<string, Position> {
  const laid = layout(
    graph.steps.map((s) => s.id),
    graph.edges,
    // Top to bottom: the canvas sits between the palette and the YAML, taller than it is wide.
    "TB",
  );
  const out: Record<string, Position> = {};
  for (const [id, p] of laid) out[id] = round(p);
  return out;
}

export function positionsOf(graph: BuilderGraph): Record<string, Position> {
  const stored = graph.positions;
  const missing = graph.steps.some((s) => !stored[s.id]);
  const laid = missing ? autoLayout(graph) : {};
  const out: Record<string, Position> = {};
  for (const s of graph.steps) {
    const p = stored[s.id] ?? laid[s.id];
    if (p) out[s.id] = p;
  }
  return out;
}

/** A free spot for a step added without a drop point: below `after` (beside what is there), else below everything. */
export function freeSpot(positions: Record<string, Position>, after?: string): Position {
  const base = after ? positions[after] : undefined;
  const taken = Object.values(positions);
  if (base) {
    const y = base.y + 120;
    let x = base.x;
    while (taken.some((p) => Math.abs(p.x - x) < 240 && Math.abs(p.y - y) < 80)) x += 264;
    return { x, y };
  }
  if (taken.length === 0) return { x: 0, y: 0 };
  return { x: Math.min(...taken.map((p) => p.x)), y: Math.max(...taken.map((p) => p.y)) + 120 };
}
