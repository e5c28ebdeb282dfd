/**
 * How a dependency is drawn in a read-only DAG (the run page's, the gallery's preview): grey for success, red
 * dashed "on failure", slate dotted "always", with an arrow.
 */
import { type Edge, MarkerType } from "@xyflow/react";
import type { GraphEdge } from "./graph-model";

const EDGE_STYLE: Record<GraphEdge["on"], { stroke: string; dash?: string; label?: string }> = {
  success: { stroke: "#a3a9b6" },
  failure: { stroke: "#dc2626", dash: "6 4", label: "on failure" },
  always: { stroke: "#64748b", dash: "2 4", label: "always" },
};

/** The xyflow edge of a dependency (neither focusable nor selectable). */
export function flowEdgeOf(e: GraphEdge): Edge {
  const s = EDGE_STYLE[e.on];
  return {
    id: `${e.from}->${e.to}:${e.on}`,
    source: e.from,
    target: e.to,
    focusable: false,
    selectable: false,
    style: { stroke: s.stroke, strokeWidth: 1.5, ...(s.dash ? { strokeDasharray: s.dash } : {}) },
    markerEnd: { type: MarkerType.ArrowClosed, color: s.stroke, width: 16, height: 16 },
    ...(s.label
      ? {
          label: s.label,
          labelStyle: {
            fill: e.on === "failure" ? "var(--st-failed-text)" : "var(--text-2)",
            fontSize: 11,
            fontWeight: 600,
          },
          labelBgStyle: { fill: "var(--surface)" },
          labelBgPadding: [4, 2] as [number, number],
          labelBgBorderRadius: 4,
        }
      : {}),
  };
}

/** The props that make a React Flow view read-only: nothing to drag, connect, select or focus; the page scrolls. */
export const READ_ONLY_FLOW = {
  nodesDraggable: false,
  nodesConnectable: false,
  nodesFocusable: false,
  edgesFocusable: false,
  elementsSelectable: false,
  zoomOnScroll: false,
  preventScrolling: false,
  proOptions: { hideAttribution: true },
} as const;
