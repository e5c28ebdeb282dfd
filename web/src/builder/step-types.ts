/**
 * The step types the builder offers, from `GET /api/step-types`: every registered type with its config schema
 * (the JSON Schema of the engine's zod schema), and seed 000's node types with the weft type each maps to. The
 * palette lists both; a node type adds a step of its weft type with the node type's config preset.
 */
import { useQuery } from "@tanstack/react-query";
import { api, call, type paths } from "../api/client";
import type { JsonValue } from "./doc/types";

export type JsonSchema = {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: JsonValue[];
  const?: JsonValue;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  default?: JsonValue;
  description?: string;
  title?: string;
  [key: string]: unknown;
};

/** The answer's shape, from the API's generated types (the server's response schema); the schemas read as JSON. */
type StepTypesData = paths["/api/step-types"]["get"]["responses"][200]["content"]["application/json"]["data"];

export type StepTypeInfo = Omit<StepTypesData["types"][number], "config_schema"> & { config_schema: JsonSchema };

export type NodeTypeInfo = Omit<StepTypesData["node_types"][number], "config"> & { config: Record<string, JsonValue> };

export interface StepTypes {
  types: StepTypeInfo[];
  node_types: NodeTypeInfo[];
}

export function useStepTypes() {
  return useQuery({
    queryKey: ["step-types"],
    queryFn: () => call(api.GET("/api/step-types")) as Promise<StepTypes>,
    staleTime: 5 * 60_000,
  });
}

/** One entry of the palette: a step type, or a seed 000 node type shown as the weft type it becomes. */
export interface PaletteItem {
  key: string;
  /** The weft step type the new step gets. */
  type: string;
  label: string;
  description: string;
  /** Seed 000's node type name, when the item is one. */
  nodeType?: string;
  config: Record<string, JsonValue>;
  /** Extra common keys the new step gets (the "For each" item's `foreach`). */
  foreach?: string;
}

export function paletteItems(types: StepTypes): PaletteItem[] {
  const items: PaletteItem[] = types.types.map((t) => ({
    key: t.type,
    type: t.type,
    label: t.title,
    description: t.description,
    config: {},
  }));
  // `foreach` is a key any step may have, not a type: the palette offers it as a script over a list argument.
  if (types.types.some((t) => t.type === "script") && !types.types.some((t) => t.type === "foreach")) {
    items.push({
      key: "foreach",
      type: "script",
      label: "For each",
      description: "Runs once per item of a list (a script step with foreach); {{ item }} is the current item.",
      config: { command: 'echo "{{ item }}"' },
      foreach: "{{ args.items }}",
    });
  }
  return items;
}

export function nodeTypeItems(types: StepTypes): PaletteItem[] {
  return types.node_types.map((n) => ({
    key: `node:${n.name}`,
    type: n.type,
    label: n.label,
    description: n.description,
    nodeType: n.name,
    config: n.config,
  }));
}

/** The object schema of a step type's config: properties and required keys, unions merged. */
export function objectSchema(schema: JsonSchema | undefined): {
  properties: Record<string, JsonSchema>;
  required: Set<string>;
} {
  const properties: Record<string, JsonSchema> = {};
  const required = new Set<string>();
  const visit = (s: JsonSchema | undefined, inUnion: boolean) => {
    if (!s) return;
    for (const [k, v] of Object.entries(s.properties ?? {})) properties[k] ??= v;
    if (!inUnion) for (const r of s.required ?? []) required.add(r);
    for (const sub of s.allOf ?? []) visit(sub, inUnion);
    for (const sub of [...(s.anyOf ?? []), ...(s.oneOf ?? [])]) visit(sub, true);
  };
  visit(schema, false);
  return { properties, required };
}
