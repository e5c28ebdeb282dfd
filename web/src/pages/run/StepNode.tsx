import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { memo } from "react";
import { Elapsed } from "./Elapsed";
import type { StepNodeData } from "./graph-model";
import { StepIcon } from "./StepIcon";

export type StepFlowNode = Node<StepNodeData, "step">;

/** A step in the DAG: its type's icon, name, status, and duration/attempt (or its foreach items' progress). */
export const StepNode = memo(function StepNode({ data, targetPosition, sourcePosition }: NodeProps<StepFlowNode>) {
  const { def, step, status, items, selected } = data;
  const attempt = step && step.attempt > 1 ? ` · attempt ${step.attempt}` : "";
  const waiting =
    step?.waiting_for === "approval" ? "needs approval" : step?.waiting_for === "timer" ? "sleeping" : null;
  return (
    <>
      <Handle type="target" position={targetPosition ?? Position.Left} isConnectable={false} />
      <button
        type="button"
        className={`step-node step-node-${status}${selected ? " is-selected" : ""}`}
        data-step={def.id}
        data-status={status}
        aria-label={`${def.name}, ${status}${waiting ? `, ${waiting}` : ""}. Open step details`}
        aria-pressed={selected}
        onClick={() => data.onOpen(def.id)}
      >
        <span className="step-node-icon">
          <StepIcon type={def.type} />
        </span>
        <span className="step-node-body">
          <span className="step-node-name" title={def.name}>
            {def.name}
          </span>
          <span className="step-node-meta">
            <span className={`step-node-status st-text-${status}`}>{waiting ?? status}</span>
            {items ? (
              <span>
                {items.finished}/{items.total} items{items.failed > 0 ? ` · ${items.failed} failed` : ""}
              </span>
            ) : step?.started_at ? (
              <span>
                <Elapsed start={step.started_at} end={step.completed_at} ms={step.duration_ms} />
                {attempt}
              </span>
            ) : null}
          </span>
          {items && (
            <span className="step-node-items" aria-hidden="true">
              <span style={{ width: `${(items.finished / items.total) * 100}%` }} />
            </span>
          )}
        </span>
      </button>
      <Handle type="source" position={sourcePosition ?? Position.Right} isConnectable={false} />
    </>
  );
});
