/**
 * A stored definition as the builder opens it, and the graph of one whose source is code (a TypeScript
 * definition: the server's pre-run steps and edges, shown read-only).
 */
import type { paths } from "../api/client";
import type { BuilderGraph } from "./doc/types";

export type Definition =
  paths["/api/workflow-definitions/{id}"]["get"]["responses"]["200"]["content"]["application/json"]["data"];

export function graphOfDefinition(def: Definition): BuilderGraph {
  const argsProps = (def.args_schema as { properties?: Record<string, unknown> } | null)?.properties ?? {};
  return {
    name: def.name,
    ...(def.description ? { description: def.description } : {}),
    dialect: "canonical",
    phases: def.phases,
    args: Object.keys(argsProps),
    steps: def.steps.map((s) => ({
      id: s.id,
      type: s.type,
      typeWritten: true,
      name: s.name,
      ...(s.phase ? { phase: s.phase } : {}),
      ...(s.if ? { if: s.if } : {}),
      ...(s.foreach ? { foreach: s.foreach } : {}),
      config: {},
      raw: {},
      span: { line: 1, column: 1, start: 0, end: 0, endLine: 1, endColumn: 1 },
    })),
    edges: def.edges.map((e) => ({ from: e.from, to: e.to, on: e.on })),
    positions: {},
  };
}

/** A file name for the download: the workflow's name, kebab-cased. */
export function fileName(name: string, format: string): string {
  const base =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "") || "workflow";
  return `${base}.${format === "json" ? "json" : format === "ts" ? "ts" : "yaml"}`;
}

export const NEW_WORKFLOW = `# A new workflow: add steps from the palette, or write them here.
name: Untitled workflow
description: Describe what this workflow does.
mode: dag
steps: []
`;
