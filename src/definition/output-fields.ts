/**
 * Does a step's `outputSchema` declare the field an expression reads (`steps.triage.output.severity`,
 * seed 003's `triage.severity`)? `weft validate` warns when it does not: the answer is checked against the
 * schema, so a field the schema leaves out is, at best, one the model may add on its own. Without a schema
 * nothing is known until the step answers, and a comparison on a missing field fails at run time instead.
 *
 * The walk is conservative: it warns only where the schema is plain enough to be sure — `properties`,
 * `additionalProperties`, `items` for a numeric segment, `type`, and the branches of `allOf`/`anyOf`/`oneOf`
 * one level deep (a field declared in any branch counts). `$ref`, `patternProperties`, `if`/`then`,
 * `dependentSchemas` or `unevaluatedProperties` end it with no warning.
 */
import { isJsonObject, type Json, type JsonObject } from "../core/json.js";
import type { WorkflowStep } from "../core/model.js";
import { closest, listOf } from "./issues.js";

/** What the walk found wrong with the path, at which segment. */
export interface Undeclared {
  /** Index into the path of the segment that is not declared. */
  at: number;
  /** The names declared where that segment is read (for a did-you-mean). */
  declared: string[];
  /** Why: `undeclared` (not in properties, additional ones not described), `closed` (additionalProperties: false), or the JSON type that has no fields. */
  why: "undeclared" | "closed" | { type: string };
}

const OPAQUE = ["$ref", "$dynamicRef", "patternProperties", "if", "dependentSchemas", "unevaluatedProperties", "not"];
const PRIMITIVES = new Set(["string", "number", "integer", "boolean", "null"]);
const BRANCHES = ["allOf", "anyOf", "oneOf"] as const;

type Step =
  | { kind: "descend"; schema: Json }
  | { kind: "stop" }
  | { kind: "miss"; declared: string[]; why: Undeclared["why"] };

/** The schema's `type` as a list, or undefined when it names none. */
function typesOf(schema: JsonObject): string[] | undefined {
  const t = schema.type;
  if (typeof t === "string") return [t];
  if (Array.isArray(t) && t.every((x): x is string => typeof x === "string")) return t;
  return undefined;
}

/** One segment read from a value described by `schema`. */
function read(schema: Json, segment: string): Step {
  if (!isJsonObject(schema)) return { kind: "stop" }; // `true`, or not a schema we read
  if (OPAQUE.some((k) => Object.hasOwn(schema, k))) return { kind: "stop" };
  const types = typesOf(schema);
  if (/^(0|[1-9]\d*)$/.test(segment) && (types?.includes("array") || Object.hasOwn(schema, "items"))) {
    return isJsonObject(schema.items) ? { kind: "descend", schema: schema.items } : { kind: "stop" };
  }
  if (types && types.length > 0 && types.every((t) => PRIMITIVES.has(t) || t === "array")) {
    return { kind: "miss", declared: [], why: { type: types.join(" or ") } };
  }
  // The levels that describe the object's properties: the schema itself and its branches.
  const levels: JsonObject[] = [schema];
  for (const key of BRANCHES) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    for (const branch of list) {
      if (!isJsonObject(branch) || OPAQUE.some((k) => Object.hasOwn(branch, k)) || BRANCHES.some((k) => k in branch)) {
        return { kind: "stop" };
      }
      levels.push(branch);
    }
  }
  const found: Json[] = [];
  const declared: string[] = [];
  for (const level of levels) {
    const props = level.properties;
    if (isJsonObject(props)) {
      declared.push(...Object.keys(props));
      if (Object.hasOwn(props, segment)) found.push(props[segment] as Json);
    }
  }
  if (found.length === 1) return { kind: "descend", schema: found[0] as Json };
  if (found.length > 1) return { kind: "stop" };
  // Not declared: what the levels say about other properties.
  const extra = levels.map((l) => (Object.hasOwn(l, "additionalProperties") ? l.additionalProperties : undefined));
  const open = extra.filter((x) => x !== undefined && x !== false);
  if (open.length === 1 && levels.length === 1) return { kind: "descend", schema: open[0] as Json };
  if (open.length > 0) return { kind: "stop" };
  // No properties at all and not closed: a free-form object (or a schema that says nothing about objects).
  if (declared.length === 0 && !extra.includes(false)) return { kind: "stop" };
  return { kind: "miss", declared, why: extra.includes(false) ? "closed" : "undeclared" };
}

/**
 * The first segment of `fields` (read from the step's output) that `schema` does not declare, or undefined
 * when every one is declared or the schema does not say. `added` names fields weft itself puts beside the
 * answer (`document_id` when the step keeps a document). A schema for a non-object answer gives the output
 * `{ result, json }`: `json` is then read against the schema.
 */
export function undeclaredField(
  schema: JsonObject,
  fields: readonly string[],
  added: readonly string[],
): Undeclared | undefined {
  const first = fields[0];
  if (first === undefined || added.includes(first)) return undefined;
  let current: Json = schema;
  let i = 0;
  const types = typesOf(schema);
  if (types && !types.includes("object")) {
    // A non-object answer: the output is `{ result: <text>, json: <answer> }`.
    if (first === "result") return undefined;
    if (first !== "json") return { at: 0, declared: ["result", "json", ...added], why: "closed" };
    i = 1;
  }
  for (; i < fields.length; i++) {
    const step = read(current, fields[i] as string);
    if (step.kind === "stop") return undefined;
    if (step.kind === "miss") return { at: i, declared: step.declared, why: step.why };
    current = step.schema;
  }
  return undefined;
}

/** A warning about `fields` read from `target`'s output, with the index of the segment it is about. */
export interface FieldWarning {
  index: number;
  message: string;
  hint: string;
}

/**
 * The warning for an expression of step `reader` (in its setting `source`) that reads `fields` from the
 * output of `target`, written as `shown` (`steps.triage.output` or `triage`). Only agent steps with an
 * `outputSchema` and no `foreach` (whose output is a list of the items' outputs) are checked.
 */
export function outputFieldWarning(
  reader: string,
  source: string,
  target: WorkflowStep,
  shown: string,
  fields: readonly string[],
): FieldWarning | undefined {
  const schema = target.config.outputSchema;
  if (target.type !== "agent" || !isJsonObject(schema) || target.foreach !== undefined) return undefined;
  const added = target.config.document === undefined ? [] : ["document_id"];
  const miss = undeclaredField(schema, fields, added);
  if (!miss) return undefined;
  const field = fields[miss.at] as string;
  const parent = [shown, ...fields.slice(0, miss.at)].join(".");
  const read = `step \`${reader}\` reads \`${[shown, ...fields].join(".")}\` in \`${source}\``;
  const close = closest(field, miss.declared);
  const named = miss.declared.length > 0 ? `it declares ${listOf(miss.declared.slice(0, 12))}` : "";
  if (typeof miss.why === "object") {
    return {
      index: miss.at,
      message: `${read}, but the outputSchema of \`${target.id}\` makes \`${parent}\` ${miss.why.type === "array" ? "an array" : `a ${miss.why.type}`}, which has no \`${field}\``,
      hint: "read the value itself, or change the outputSchema",
    };
  }
  const why =
    miss.why === "closed"
      ? `does not allow \`${field}\` (additionalProperties: false), so it is always missing`
      : `does not declare \`${field}\`, so the answer may not have it`;
  const hints = [
    close === undefined ? undefined : `did you mean \`${close}\`?`,
    named,
    miss.why === "closed" ? `add \`${field}\` to its properties` : `declare \`${field}\` under its properties`,
  ];
  return {
    index: miss.at,
    message: `${read}, but the outputSchema of \`${target.id}\` ${why}${miss.at > 0 ? ` at \`${parent}\`` : ""}`,
    hint: hints.filter((h) => h !== undefined && h !== "").join("; "),
  };
}
