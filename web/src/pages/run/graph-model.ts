/**
 * The run's DAG as nodes and edges, laid out by dagre: one node per step of the workflow (a foreach step's
 * items are grouped under it with a count), one edge per dependency with its condition (`success`, `failure`,
 * `always`). Pure: the same run gives the same graph; positions are recomputed only when the shape changes.
 */
import dagre from "@dagrejs/dagre";
import type { RunDetail, StepDef, StepStatus, StepSummary } from "./types";

export const NODE_W = 232;
export const NODE_H = 68;

export type EdgeOn = "success" | "failure" | "always";

export interface GraphEdge {
  from: string;
  to: string;
  on: EdgeOn;
}

export interface ItemCounts {
  total: number;
  finished: number;
  failed: number;
  running: number;
}

export interface StepNodeData {
  [key: string]: unknown;
  def: StepDef;
  /** The step's own run record (a foreach step's parent record), if it exists yet. */
  step: StepSummary | undefined;
  status: StepStatus;
  items: ItemCounts | null;
  selected: boolean;
  onOpen: (key: string) => void;
}

/** The dependencies with their conditions: the definition's `edges` where the API gives them, else `needs`. */
export function edgesOf(run: RunDetail): GraphEdge[] {
  const def = run.workflow_definition as RunDetail["workflow_definition"] & {
    edges?: { from: string; to: string; on?: string }[];
  };
  if (Array.isArray(def.edges)) {
    return def.edges.map((e) => ({
      from: e.from,
      to: e.to,
      on: e.on === "failure" || e.on === "always" ? e.on : "success",
    }));
  }
  return def.steps.flatMap((s) => s.needs.map((n) => ({ from: n, to: s.id, on: "success" as const })));
}

const FINISHED = new Set<StepStatus>(["completed", "failed", "skipped", "cancelled"]);

/** A foreach step's status from its items when it has no record of its own yet. */
function aggregate(items: StepSummary[]): StepStatus {
  if (items.some((i) => i.status === "running")) return "running";
  if (items.some((i) => i.status === "waiting")) return "waiting";
  if (items.some((i) => i.status === "failed")) return "failed";
  if (items.every((i) => FINISHED.has(i.status))) return "completed";
  return "pending";
}

export interface StepGroup {
  def: StepDef;
  step: StepSummary | undefined;
  items: StepSummary[];
  status: StepStatus;
}

/** Each step of the workflow with its record and its foreach items, in definition order. */
export function groupSteps(run: RunDetail): StepGroup[] {
  return run.workflow_definition.steps.map((def) => {
    const step = run.steps.find((s) => s.step_id === def.id && s.iteration === null);
    const items = run.steps
      .filter((s) => s.step_id === def.id && s.iteration !== null)
      .sort((a, b) => (a.iteration ?? 0) - (b.iteration ?? 0));
    const status = step?.status ?? (items.length > 0 ? aggregate(items) : "pending");
    return { def, step, items, status };
  });
}

export function countsOf(items: StepSummary[]): ItemCounts | null {
  if (items.length === 0) return null;
  return {
    total: items.length,
    finished: items.filter((i) => FINISHED.has(i.status)).length,
    failed: items.filter((i) => i.status === "failed").length,
    running: items.filter((i) => i.status === "running").length,
  };
}

/** Positions (top-left corners) of each step, left to right by dependency. */
export function layout(
  stepIds: string[],
  edges: GraphEdge[],
  direction: "LR" | "TB",
): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: direction, nodesep: 28, ranksep: direction === "LR" ? 64 : 48, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const id of stepIds) g.setNode(id, { width: NODE_W, height: NODE_H });
  const ids = new Set(stepIds);
  for (const e of edges) if (ids.has(e.from) && ids.has(e.to)) g.setEdge(e.from, e.to);
  dagre.layout(g);
  const out = new Map<string, { x: number; y: number }>();
  for (const id of stepIds) {
    const n = g.node(id);
    out.set(id, { x: (n?.x ?? 0) - NODE_W / 2, y: (n?.y ?? 0) - NODE_H / 2 });
  }
  return out;
}
