/**
 * A workflow definition's DAG, read-only, before any run (loaded lazily: @xyflow/react and dagre stay out of
 * the gallery's first load). The run page's layout (graph-model's dagre `layout`) and step icons; nodes show
 * the step's name, type and phase instead of a status.
 */
import "@xyflow/react/dist/style.css";
import {
  Background,
  Controls,
  type Edge,
  Handle,
  type Node,
  type NodeProps,
  Position,
  ReactFlow,
  useReactFlow,
  useStore,
} from "@xyflow/react";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { flowEdgeOf, READ_ONLY_FLOW } from "../run/edge-style";
import { layout, NODE_H, NODE_W } from "../run/graph-model";
import { StepIcon } from "../run/StepIcon";
import type { Definition } from "./queries";

type StepDef = Definition["steps"][number];
type DefNodeData = { [key: string]: unknown; step: StepDef };
type DefFlowNode = Node<DefNodeData, "def">;

/** What a TypeScript step drawn from code may do at run time (the api's `dynamic`). */
const DYNAMIC: Record<NonNullable<StepDef["dynamic"]>, string> = {
  conditional: "Inside a condition in the code: it may not run",
  loop: "Inside a loop in the code: it may run several times",
  callback: "Inside another function in the code: it runs when that function is called",
  id: "Its id is computed when the code runs",
};
const DYNAMIC_SHORT: Record<NonNullable<StepDef["dynamic"]>, string> = {
  conditional: "may not run",
  loop: "may repeat",
  callback: "in a callback",
  id: "id at run time",
};

const DefNode = memo(function DefNode({ data, targetPosition, sourcePosition }: NodeProps<DefFlowNode>) {
  const { step } = data;
  const pauses = step.type === "approval";
  return (
    <>
      <Handle type="target" position={targetPosition ?? Position.Left} isConnectable={false} />
      <div className={`def-node def-node-${step.type}${step.dynamic ? " is-dynamic" : ""}`} data-step={step.id}>
        <span className="def-node-icon">
          <StepIcon type={step.type} />
        </span>
        <span className="def-node-body">
          <span className="def-node-name" title={step.name}>
            {step.name}
          </span>
          <span className="def-node-meta">
            <span>{step.type}</span>
            {step.foreach && <span>· for each</span>}
            {step.if && <span title={`if: ${step.if}`}>· conditional</span>}
            {pauses && <span>· waits for a person</span>}
            {step.dynamic && <span title={DYNAMIC[step.dynamic]}>· {DYNAMIC_SHORT[step.dynamic]}</span>}
          </span>
        </span>
      </div>
      <Handle type="source" position={sourcePosition ?? Position.Right} isConnectable={false} />
    </>
  );
});

const nodeTypes = { def: DefNode };

/** Below this zoom the names cannot be read: a long graph starts at its first steps instead, and pans. */
const MIN_READABLE_ZOOM = 0.6;
const PAD = 24;
const CONTROLS_W = 40;

interface Bounds {
  minX: number;
  minY: number;
  width: number;
  height: number;
}

/**
 * The first view, once the box has a size: the whole graph when it fits at a readable zoom, else its start
 * (left-aligned, vertically centred) at that zoom — the controls' "fit view" still shows it all.
 */
function InitialView({ bounds, onClipped }: { bounds: Bounds; onClipped: () => void }) {
  const width = useStore((s) => s.width);
  const height = useStore((s) => s.height);
  const { setViewport } = useReactFlow();
  const done = useRef(false);
  useEffect(() => {
    if (done.current || width === 0 || height === 0) return;
    done.current = true;
    // The zoom controls sit at the right: the graph keeps clear of them.
    const across = width - 2 * PAD - CONTROLS_W;
    const fit = Math.min(1, across / bounds.width, (height - 2 * PAD) / bounds.height);
    const zoom = Math.max(fit, MIN_READABLE_ZOOM);
    const x =
      fit >= MIN_READABLE_ZOOM
        ? PAD + (across - bounds.width * zoom) / 2 - bounds.minX * zoom
        : PAD - bounds.minX * zoom;
    const y = (height - bounds.height * zoom) / 2 - bounds.minY * zoom;
    void setViewport({ x, y, zoom });
    if (fit < MIN_READABLE_ZOOM) onClipped();
  }, [width, height, bounds, setViewport, onClipped]);
  return null;
}

export interface DefinitionGraphProps {
  steps: Definition["steps"];
  edges: Definition["edges"];
  /** The tallest the box may be; it is as tall as the graph needs up to that. */
  maxHeight: number;
}

export default function DefinitionGraph({ steps, edges, maxHeight }: DefinitionGraphProps) {
  const positions = useMemo(
    () =>
      layout(
        steps.map((s) => s.id),
        edges,
        "LR",
      ),
    [steps, edges],
  );
  const bounds = useMemo((): Bounds => {
    const all = [...positions.values()];
    if (all.length === 0) return { minX: 0, minY: 0, width: 1, height: 1 };
    const minX = Math.min(...all.map((p) => p.x));
    const minY = Math.min(...all.map((p) => p.y));
    return {
      minX,
      minY,
      width: Math.max(...all.map((p) => p.x + NODE_W)) - minX,
      height: Math.max(...all.map((p) => p.y + NODE_H)) - minY,
    };
  }, [positions]);
  const height = Math.min(maxHeight, Math.max(180, bounds.height + 2 * PAD + 40));
  const [clipped, setClipped] = useState(false);
  const onClipped = useCallback(() => setClipped(true), []);
  const nodes: DefFlowNode[] = steps.map((s) => ({
    id: s.id,
    type: "def",
    position: positions.get(s.id) ?? { x: 0, y: 0 },
    width: NODE_W,
    height: NODE_H,
    targetPosition: Position.Left,
    sourcePosition: Position.Right,
    draggable: false,
    selectable: false,
    focusable: false,
    data: { step: s },
  }));
  const flowEdges: Edge[] = edges.map(flowEdgeOf);
  return (
    <figure className="def-graph" style={{ height }} aria-label={`Workflow graph: ${steps.length} steps`}>
      <ReactFlow nodes={nodes} edges={flowEdges} nodeTypes={nodeTypes} minZoom={0.15} maxZoom={1.5} {...READ_ONLY_FLOW}>
        <InitialView bounds={bounds} onClipped={onClipped} />
        <Background gap={20} size={1} color="#e3e5eb" />
        <Controls showInteractive={false} position="bottom-right" />
      </ReactFlow>
      {clipped && (
        <figcaption className="def-graph-hint">
          The first steps · drag, or fit the view, to see all {steps.length}
        </figcaption>
      )}
    </figure>
  );
}
