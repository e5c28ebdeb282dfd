/**
 * A workflow definition's DAG, read-only, before any run (loaded lazily: @xyflow/react and dagre stay out of
 * the gallery's first load). The run page's layout (graph-model's dagre `layout`) and step icons; nodes show
 * the step's name, type and phase instead of a status.
 */
import "@xyflow/react/dist/style.css";
import { Background, Controls, type Edge, Handle, type Node, type NodeProps, Position, ReactFlow } from "@xyflow/react";
import { memo, useMemo } from "react";
import { flowEdgeOf } from "../run/edge-style";
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

export interface DefinitionGraphProps {
  steps: Definition["steps"];
  edges: Definition["edges"];
  height: number;
}

export default function DefinitionGraph({ steps, edges, height }: DefinitionGraphProps) {
  const positions = useMemo(
    () =>
      layout(
        steps.map((s) => s.id),
        edges,
        "LR",
      ),
    [steps, edges],
  );
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
      <ReactFlow
        nodes={nodes}
        edges={flowEdges}
        nodeTypes={nodeTypes}
        fitView
        fitViewOptions={{ padding: 0.1, minZoom: 0.3, maxZoom: 1 }}
        minZoom={0.15}
        maxZoom={1.5}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        edgesFocusable={false}
        elementsSelectable={false}
        zoomOnScroll={false}
        preventScrolling={false}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={20} size={1} color="#e3e5eb" />
        <Controls showInteractive={false} position="bottom-right" />
      </ReactFlow>
    </figure>
  );
}
