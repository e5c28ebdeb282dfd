/**
 * The editable DAG. Everything it shows comes from the graph read from the YAML; everything the user does is
 * reported as an intent (add, connect, move, delete, change an edge's condition) that the page turns into one
 * edit of the text. While a node is dragged its position lives here; on release it is written to the `ui:` block.
 */
import "@xyflow/react/dist/style.css";
import {
  Background,
  type Connection,
  Controls,
  type Edge,
  type EdgeChange,
  MarkerType,
  MiniMap,
  type NodeChange,
  Panel,
  ReactFlow,
  useReactFlow,
} from "@xyflow/react";
import { LayoutDashboard, Maximize } from "lucide-react";
import { type DragEvent, type MouseEvent, useCallback, useMemo, useRef, useState } from "react";
import { flowEdgeOf } from "../pages/run/edge-style";
import type { BuilderGraph, EdgeOn, Position } from "./doc/types";
import { EdgeMenu } from "./EdgeMenu";
import { type BuilderFlowNode, NODE_H, NODE_W, nodeTypes } from "./nodes";
import { DRAG_MIME } from "./Palette";

export interface EdgeRef {
  from: string;
  to: string;
}

export interface BuilderCanvasProps {
  graph: BuilderGraph;
  positions: Record<string, Position>;
  problems: Map<string, string[]>;
  selectedStep: string | null;
  selectedEdge: EdgeRef | null;
  readOnly: boolean;
  onSelectStep: (id: string | null) => void;
  onSelectEdge: (edge: EdgeRef | null) => void;
  onDrop: (paletteKey: string, at: Position) => void;
  /** `handle`: the branch ("true" / "false") when the edge leaves a seed 000 conditional. */
  onConnect: (from: string, to: string, handle?: "true" | "false") => void;
  onDelete: (steps: string[], edges: EdgeRef[]) => void;
  onMove: (positions: Record<string, Position>) => void;
  onEdgeOn: (edge: EdgeRef, on: EdgeOn) => void;
  onLayout: () => void;
}

const edgeId = (e: EdgeRef) => `${e.from}->${e.to}`;
const negated = (cond: string | undefined) => cond !== undefined && /^\s*(!|not\b)|==\s*false\s*$/.test(cond);

export function BuilderCanvas(props: BuilderCanvasProps) {
  const { graph, positions, problems, selectedStep, selectedEdge, readOnly } = props;
  const { screenToFlowPosition, fitView, flowToScreenPosition } = useReactFlow();
  const wrapper = useRef<HTMLDivElement>(null);
  const [dragging, setDragging] = useState<Record<string, Position>>({});
  const [menuAt, setMenuAt] = useState<{ x: number; y: number } | null>(null);
  // Fitted once when it opens with steps; an empty canvas keeps its viewport, so the first drop stays put.
  const [fitOnOpen] = useState(graph.steps.length > 0);

  const nodes: BuilderFlowNode[] = useMemo(
    () =>
      graph.steps.map((s) => {
        const conditional = s.nodeType === "conditional";
        return {
          id: s.id,
          type: conditional ? "conditional" : "step",
          position: dragging[s.id] ?? positions[s.id] ?? { x: 0, y: 0 },
          width: conditional ? 96 : NODE_W,
          height: conditional ? 96 : NODE_H,
          selected: s.id === selectedStep,
          draggable: !readOnly,
          connectable: !readOnly,
          ariaLabel: `Step ${s.name ?? s.id}, ${s.nodeType ?? s.type}${problems.get(s.id)?.length ? `, ${problems.get(s.id)?.length} problems` : ""}`,
          data: { step: s, problems: problems.get(s.id) ?? [] },
        };
      }),
    [graph, positions, dragging, selectedStep, readOnly, problems],
  );

  const edges: Edge[] = useMemo(() => {
    const byId = new Map(graph.steps.map((s) => [s.id, s]));
    return graph.edges.map((e) => {
      // Drawn like the run page's edges; here they can be selected (the edge menu) and focused.
      const base = flowEdgeOf(e);
      const fromConditional = byId.get(e.from)?.nodeType === "conditional";
      const selected = selectedEdge !== null && selectedEdge.from === e.from && selectedEdge.to === e.to;
      return {
        ...base,
        id: edgeId(e),
        focusable: true,
        selectable: true,
        ...(fromConditional ? { sourceHandle: e.handle ?? (negated(byId.get(e.to)?.if) ? "false" : "true") } : {}),
        selected,
        className: `bedge bedge-${e.on}`,
        ariaLabel: `Dependency ${e.from} to ${e.to}, on ${e.on}`,
        ...(selected
          ? {
              style: { ...base.style, stroke: "var(--accent)", strokeWidth: 2.25 },
              markerEnd: { type: MarkerType.ArrowClosed, color: "#4f46e5", width: 16, height: 16 },
            }
          : {}),
        interactionWidth: 18,
      };
    });
  }, [graph, selectedEdge]);

  const onNodesChange = useCallback(
    (changes: NodeChange<BuilderFlowNode>[]) => {
      const moved: Record<string, Position> = {};
      let select: string | null | undefined;
      for (const c of changes) {
        if (c.type === "position" && c.position) moved[c.id] = c.position;
        if (c.type === "select") {
          if (c.selected) select = c.id;
          else if (select === undefined && c.id === selectedStep) select = null;
        }
      }
      if (Object.keys(moved).length > 0) setDragging((d) => ({ ...d, ...moved }));
      if (select !== undefined) props.onSelectStep(select);
    },
    [props.onSelectStep, selectedStep],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange[]) => {
      for (const c of changes) {
        if (c.type !== "select") continue;
        const e = graph.edges.find((x) => edgeId(x) === c.id);
        if (c.selected && e) {
          props.onSelectEdge({ from: e.from, to: e.to });
          if (!menuAt) {
            // Selected from the keyboard: the menu opens between the two nodes.
            const a = positions[e.from];
            const b = positions[e.to];
            const box = wrapper.current?.getBoundingClientRect();
            if (a && b && box) {
              const mid = flowToScreenPosition({ x: (a.x + b.x + NODE_W) / 2, y: (a.y + b.y + NODE_H) / 2 });
              setMenuAt({ x: mid.x - box.left, y: mid.y - box.top });
            }
          }
        } else if (!c.selected && selectedEdge && c.id === edgeId(selectedEdge)) {
          props.onSelectEdge(null);
          setMenuAt(null);
        }
      }
    },
    [graph, positions, selectedEdge, menuAt, props.onSelectEdge, flowToScreenPosition],
  );

  const onNodeDragStop = useCallback(
    (_: unknown, _node: BuilderFlowNode, moved: BuilderFlowNode[]) => {
      const at: Record<string, Position> = {};
      for (const n of moved) {
        const p = { x: Math.round(n.position.x), y: Math.round(n.position.y) };
        const was = positions[n.id];
        if (!was || was.x !== p.x || was.y !== p.y) at[n.id] = p;
      }
      setDragging({});
      if (Object.keys(at).length > 0) props.onMove(at);
    },
    [props.onMove, positions],
  );

  const onDragOver = (e: DragEvent) => {
    if (readOnly || !e.dataTransfer.types.includes(DRAG_MIME)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = "copy";
  };
  const onDrop = (e: DragEvent) => {
    const key = e.dataTransfer.getData(DRAG_MIME);
    if (readOnly || !key) return;
    e.preventDefault();
    const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    props.onDrop(key, { x: Math.round(p.x - NODE_W / 2), y: Math.round(p.y - NODE_H / 2) });
  };

  const onConnect = (c: Connection) => {
    if (!c.source || !c.target || c.source === c.target) return;
    const branch = c.sourceHandle === "true" || c.sourceHandle === "false" ? c.sourceHandle : undefined;
    props.onConnect(c.source, c.target, branch);
  };

  const onEdgeClick = (e: MouseEvent, edge: Edge) => {
    const box = wrapper.current?.getBoundingClientRect();
    if (!box) return;
    setMenuAt({ x: e.clientX - box.left, y: e.clientY - box.top });
    const ref = graph.edges.find((x) => edgeId(x) === edge.id);
    if (ref) props.onSelectEdge({ from: ref.from, to: ref.to });
  };

  const current = selectedEdge
    ? graph.edges.find((e) => e.from === selectedEdge.from && e.to === selectedEdge.to)
    : undefined;

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target; the palette's Add buttons do the same by keyboard
    <div className="canvas" ref={wrapper} onDragOver={onDragOver} onDrop={onDrop}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onNodeDragStop={onNodeDragStop}
        onConnect={onConnect}
        isValidConnection={(c) =>
          c.source !== c.target && !graph.edges.some((e) => e.from === c.source && e.to === c.target)
        }
        onEdgeClick={onEdgeClick}
        onPaneClick={() => {
          setMenuAt(null);
          props.onSelectEdge(null);
          props.onSelectStep(null);
        }}
        onDelete={({ nodes: ns, edges: es }) => {
          setMenuAt(null);
          props.onDelete(
            ns.map((n) => n.id),
            es.flatMap((e) => {
              const ref = graph.edges.find((x) => edgeId(x) === e.id);
              return ref ? [{ from: ref.from, to: ref.to }] : [];
            }),
          );
        }}
        deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
        nodesConnectable={!readOnly}
        nodesDraggable={!readOnly}
        fitView={fitOnOpen}
        fitViewOptions={{ padding: 0.2, minZoom: 0.5, maxZoom: 1 }}
        minZoom={0.2}
        maxZoom={1.75}
        snapToGrid
        snapGrid={[8, 8]}
        proOptions={{ hideAttribution: true }}
        aria-label="Workflow canvas"
      >
        <Background gap={16} size={1} color="#dfe2e8" />
        <MiniMap
          pannable
          zoomable
          ariaLabel="Minimap"
          style={{ width: 144, height: 96 }}
          nodeColor="#c7cad3"
          maskColor="rgb(247 247 249 / 70%)"
        />
        <Controls showInteractive={false} position="bottom-left" />
        <Panel position="top-right" className="canvas-tools">
          {!readOnly && (
            <button
              type="button"
              className="btn btn-sm"
              onClick={props.onLayout}
              title="Lay the graph out left to right"
            >
              <LayoutDashboard size={15} aria-hidden="true" /> Auto-layout
            </button>
          )}
          <button
            type="button"
            className="btn btn-sm"
            onClick={() => void fitView({ padding: 0.2, maxZoom: 1, duration: 200 })}
          >
            <Maximize size={15} aria-hidden="true" /> Fit
          </button>
        </Panel>
      </ReactFlow>
      {graph.steps.length === 0 && (
        <div className="canvas-empty">
          <p>
            <strong>An empty workflow.</strong>
          </p>
          <p className="muted">Drag a step from the palette, or write it in the YAML.</p>
        </div>
      )}
      {current && menuAt && (
        <EdgeMenu
          edge={current}
          at={menuAt}
          readOnly={readOnly}
          onOn={(on) => props.onEdgeOn(current, on)}
          onRemove={() => {
            setMenuAt(null);
            props.onDelete([], [current]);
          }}
          onClose={() => {
            setMenuAt(null);
            props.onSelectEdge(null);
          }}
        />
      )}
    </div>
  );
}
