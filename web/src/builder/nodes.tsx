/**
 * The canvas's node components: one card per step (its icon, name, type, and marks for what changes how it
 * runs: a pause for steps that wait for a person, a loop for foreach, a branch for `if`), and seed 000's
 * conditional as a diamond with its two branches. Problems from validation outline the node in red with a count.
 */
import { Handle, type Node, type NodeProps, Position } from "@xyflow/react";
import { GitBranch, Pause, Repeat } from "lucide-react";
import { memo } from "react";
import type { BuilderStep } from "./doc/types";
import { PAUSING, StepGlyph } from "./StepGlyph";

export const NODE_W = 232;
export const NODE_H = 64;
export const DIAMOND = 96;

export interface BuilderNodeData {
  [key: string]: unknown;
  step: BuilderStep;
  problems: string[];
}

export type BuilderFlowNode = Node<BuilderNodeData, "step" | "conditional">;

function typeCaption(step: BuilderStep): string {
  return step.nodeType ? `${step.nodeType.replaceAll("_", " ")} → ${step.type}` : step.type;
}

function ProblemBadge({ problems }: { problems: string[] }) {
  if (problems.length === 0) return null;
  return (
    <span className="bnode-problems" title={problems.join("\n")}>
      {problems.length}
      <span className="visually-hidden"> {problems.length === 1 ? "problem" : "problems"}</span>
    </span>
  );
}

export const StepCard = memo(function StepCard({ data, selected }: NodeProps<BuilderFlowNode>) {
  const { step, problems } = data;
  const glyph = step.nodeType ?? step.type;
  const pausing = PAUSING.has(step.type) || PAUSING.has(step.nodeType ?? "");
  return (
    <div
      className={`bnode bnode-${step.type}${selected ? " is-selected" : ""}${problems.length ? " has-problems" : ""}`}
      data-step={step.id}
    >
      <Handle type="target" position={Position.Top} className="bnode-handle" />
      <span className={`bnode-icon palette-icon-${step.type}`}>
        <StepGlyph type={glyph} size={17} />
      </span>
      <span className="bnode-body">
        <span className="bnode-name" title={step.name ?? step.id}>
          {step.name ?? step.id}
        </span>
        <span className="bnode-meta">
          <span className="bnode-type">{typeCaption(step)}</span>
          {step.name && step.name !== step.id && <span className="bnode-id">{step.id}</span>}
        </span>
      </span>
      <span className="bnode-marks">
        {pausing && (
          <span className="bnode-mark bnode-pause" title="Waits for a person">
            <Pause size={11} aria-hidden="true" />
            <span className="visually-hidden">waits for a person</span>
          </span>
        )}
        {step.foreach && (
          <span className="bnode-mark" title={`For each of ${step.foreach}`}>
            <Repeat size={11} aria-hidden="true" />
            <span className="visually-hidden">runs for each item</span>
          </span>
        )}
        {step.if && (
          <span className="bnode-mark" title={`Only if ${step.if}`}>
            <GitBranch size={11} aria-hidden="true" />
            <span className="visually-hidden">conditional</span>
          </span>
        )}
      </span>
      <ProblemBadge problems={problems} />
      <Handle type="source" position={Position.Bottom} className="bnode-handle" />
    </div>
  );
});

/** Seed 000's conditional: a diamond; its targets carry the branch as their `if:`, true below, false to the right. */
export const ConditionalNode = memo(function ConditionalNode({ data, selected }: NodeProps<BuilderFlowNode>) {
  const { step, problems } = data;
  return (
    <div
      className={`bnode-cond${selected ? " is-selected" : ""}${problems.length ? " has-problems" : ""}`}
      data-step={step.id}
    >
      <Handle type="target" position={Position.Top} className="bnode-handle" />
      <div className="bnode-diamond" aria-hidden="true">
        <StepGlyph type="conditional" size={18} />
      </div>
      <span className="bnode-cond-label" title={step.name ?? step.id}>
        {step.name ?? step.id}
      </span>
      <span className="bnode-branch bnode-branch-true">true</span>
      <span className="bnode-branch bnode-branch-false">false</span>
      <Handle type="source" id="true" position={Position.Bottom} className="bnode-handle bnode-handle-true" />
      <Handle type="source" id="false" position={Position.Right} className="bnode-handle bnode-handle-false" />
      <ProblemBadge problems={problems} />
    </div>
  );
});

export const nodeTypes = { step: StepCard, conditional: ConditionalNode };
