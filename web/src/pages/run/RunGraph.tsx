/**
 * The live DAG (loaded lazily: @xyflow/react and dagre stay out of the first load). Positions are laid out
 * once per shape (steps, edges, direction); statuses only change the nodes' data, so a live event recolours a
 * node without moving anything.
 */
import "@xyflow/react/dist/style.css";
import { Background, Controls, type Edge, Position, ReactFlow, useReactFlow, useStore } from "@xyflow/react";
import { useEffect, useMemo } from "react";
import { flowEdgeOf, READ_ONLY_FLOW } from "./edge-style";
import { countsOf, edgesOf, groupSteps, layout, NODE_H, NODE_W } from "./graph-model";
import { type StepFlowNode, StepNode } from "./StepNode";
import type { RunDetail, StepStatus } from "./types";

const nodeTypes = { step: StepNode };

/** Fits the graph again when its box changes size (the drawer opens, the window is resized). */
function FitOnResize() {
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const { fitView } = useReactFlow();
  useEffect(() => {
    if (width > 0 && height > 0) void fitView({ padding: 0.12, minZoom: 0.6, maxZoom: 1 });
  }, [width, height, fitView]);
  return null;
}

export interface RunGraphProps {
  run: RunDetail;
  selected: string | null;
  onOpen: (key: string) => void;
  direction: "LR" | "TB";
  /** The tallest the graph may get before it is zoomed out to fit. */
  maxHeight: number;
}

export default function RunGraph({ run, selected, onOpen, direction, maxHeight }: RunGraphProps) {
  const groups = useMemo(() => groupSteps(run), [run]);
  const edges = useMemo(() => edgesOf(run), [run]);
  const shape = `${direction}|${groups.map((g) => g.def.id).join(",")}|${edges.map((e) => `${e.from}>${e.to}:${e.on}`).join(",")}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: laid out again only when the shape changes
  const positions = useMemo(
    () =>
      layout(
        groups.map((g) => g.def.id),
        edges,
        direction,
      ),
    [shape],
  );
  let bottom = 0;
  for (const p of positions.values()) bottom = Math.max(bottom, p.y + NODE_H);
  const height = Math.min(Math.max(bottom + 96, 200), maxHeight);
  const statusOf = new Map<string, StepStatus>(groups.map((g) => [g.def.id, g.status]));

  const nodes: StepFlowNode[] = groups.map((g) => ({
    id: g.def.id,
    type: "step",
    position: positions.get(g.def.id) ?? { x: 0, y: 0 },
    width: NODE_W,
    height: NODE_H,
    targetPosition: direction === "LR" ? Position.Left : Position.Top,
    sourcePosition: direction === "LR" ? Position.Right : Position.Bottom,
    draggable: false,
    selectable: false,
    focusable: false,
    data: {
      def: g.def,
      step: g.step,
      status: g.status,
      items: countsOf(g.items),
      selected: selected === g.def.id,
      onOpen,
    },
  }));

  const flowEdges: Edge[] = edges.map((e) => ({
    ...flowEdgeOf(e),
    type: "default",
    animated: statusOf.get(e.to) === "running" && statusOf.get(e.from) !== "pending",
    className: `run-edge run-edge-${e.on}`,
  }));

  return (
    <div className="graph" style={{ height }}>
      <ReactFlow
        nodes={nodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        key={shape}
        fitView
        fitViewOptions={{ padding: 0.12, minZoom: 0.6, maxZoom: 1 }}
        minZoom={0.2}
        maxZoom={1.5}
        {...READ_ONLY_FLOW}
        panOnScroll={false}
        aria-label="Steps of the run"
      >
        <FitOnResize />
        <Background gap={20} size={1} color="#e3e5eb" />
        <Controls showInteractive={false} position="bottom-right" />
      </ReactFlow>
    </div>
  );
}
