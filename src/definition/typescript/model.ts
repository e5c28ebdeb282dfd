/**
 * A loaded `defineWorkflow` result → the normalised Workflow (name, phases, args JSON Schema, the statically
 * extracted steps), with issues located at the definition's properties in the source. Also the zod side of
 * args: a zod argsSchema is published as JSON Schema (its input side) and parses args at launch.
 */
import { LineCounter } from "yaml";
import type { Issue } from "../../core/errors.js";
import { isJsonObject, type Json, type JsonObject } from "../../core/json.js";
import type { Workflow, WorkflowStep } from "../../core/model.js";
import { checkArgsSchema, fieldOfArgPath } from "../args.js";
import { field, readString, readStringList } from "../fields.js";
import { closest, describe, Issues } from "../issues.js";
import { SourceMap } from "../positions.js";
import { keyName, type WorkflowAst } from "./ast.js";
import type { TsWorkflowDefinition } from "./define.js";
import { isZodSchema, zodToJsonSchema } from "./normalise.js";

const KNOWN_KEYS = ["name", "description", "version", "author", "tags", "category", "phases", "argsSchema", "execute"];

/** Offsets of the definition's properties, so issues point at `phases: […]` rather than at line 1. */
export function definitionSourceMap(file: string, text: string, wf: WorkflowAst | undefined): SourceMap {
  const lines = new LineCounter();
  lines.addNewLine(0);
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
  const map = new SourceMap(file, text, lines);
  const root = wf?.object ?? wf?.exportNode;
  map.set([], { valueStart: root?.start ?? 0 });
  for (const [key, prop] of wf?.props ?? []) {
    const value = prop.type === "ObjectProperty" ? prop.value : prop;
    map.set([key], { keyStart: prop.start ?? 0, valueStart: value.start ?? 0 });
    if (value.type === "ArrayExpression") {
      value.elements.forEach((el, i) => {
        if (el) map.set([key, i], { valueStart: el.start ?? 0 });
      });
    }
    if (value.type === "ObjectExpression") {
      for (const p of value.properties) {
        const k = keyName(p);
        if (k !== undefined) map.set([key, k], { keyStart: p.start ?? 0, valueStart: p.start ?? 0 });
      }
    }
  }
  return map;
}

const isZod3 = (v: unknown): boolean =>
  typeof v === "object" && v !== null && "_def" in v && !("_zod" in v) && "safeParse" in v;

/** The args JSON Schema of an argsSchema (zod → its input side as JSON Schema), or why there is none. */
export function argsJsonSchema(schema: unknown): { schema: JsonObject | undefined } | { error: string } {
  if (schema === undefined || schema === null) return { schema: undefined };
  if (isZodSchema(schema)) {
    const json = zodToJsonSchema(schema, "input");
    if (typeof json === "string") return { error: `argsSchema ${json}` };
    if (json.type !== "object") {
      return { error: `argsSchema must be an object schema (z.object({ … })), got a schema of ${describe(json.type)}` };
    }
    return { schema: json };
  }
  if (isZod3(schema))
    return { error: 'argsSchema is a zod 3 schema; weft reads zod 4 schemas: import { z } from "zod"' };
  if (!isJsonObject(schema as Json) || !isPlainJson(schema)) {
    return { error: `argsSchema must be a zod schema or a JSON Schema object, got ${describeValue(schema)}` };
  }
  return { schema: schema as JsonObject };
}

function isPlainJson(value: unknown, depth = 0): boolean {
  if (depth > 100) return false;
  if (value === null || ["string", "boolean"].includes(typeof value)) return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isPlainJson(v, depth + 1));
  if (typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).every((v) => isPlainJson(v, depth + 1));
}

const describeValue = (v: unknown): string =>
  typeof v === "function"
    ? "a function"
    : typeof v === "object" && v !== null && !Array.isArray(v)
      ? "an object that is not JSON"
      : describe(v);

export interface ModelInput {
  definition: TsWorkflowDefinition;
  file: string;
  text: string;
  sourceHash: string;
  wf: WorkflowAst | undefined;
  steps: WorkflowStep[];
}

/** The Workflow of a loaded definition, and every issue found (errors make `workflow` undefined). */
export function tsWorkflowModel(input: ModelInput): { workflow: Workflow | undefined; issues: Issue[] } {
  const { definition: def, file } = input;
  const iss = new Issues(definitionSourceMap(file, input.text, input.wf));
  const obj = def as unknown as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const near = closest(key, KNOWN_KEYS);
    iss.warn(
      "WEFT_SCHEMA",
      [key],
      `\`${key}\` is not a key of defineWorkflow, so it is ignored`,
      near ? `did you mean \`${near}\`?` : `the keys are ${KNOWN_KEYS.join(", ")}`,
      "key",
    );
  }
  const get = (key: string) => field(obj, key, []);
  const name = get("name");
  const workflow: Workflow = { name: "", tags: [], phases: [], steps: input.steps };
  if (name) workflow.name = readString(name, iss, { nonEmpty: true }) ?? "";
  else iss.error("WEFT_SCHEMA", [], "the workflow has no `name`", 'add `name: "…"` to defineWorkflow({ … })');
  for (const key of ["description", "version", "author", "category"] as const) {
    const f = get(key);
    if (f && f.value !== undefined) {
      const value = readString(f, iss);
      if (value !== undefined) workflow[key] = value;
    }
  }
  const tags = get("tags");
  if (tags && tags.value !== undefined) workflow.tags = readStringList(tags, iss) ?? [];

  const phases = get("phases");
  if (phases && phases.value !== undefined) {
    const list = Array.isArray(phases.value) ? readStringList(phases, iss) : undefined;
    if (!Array.isArray(phases.value)) {
      iss.error(
        "WEFT_SCHEMA",
        phases.path,
        `\`phases\` must be a list of phase names, got ${describe(phases.value)}`,
        'write `phases: ["plan", "build"]`',
      );
    }
    const seen = new Set<string>();
    (list ?? []).forEach((phase, i) => {
      if (phase.trim() === "")
        iss.error("WEFT_SCHEMA", ["phases", i], "a phase name must not be empty", "name the phase");
      else if (seen.has(phase))
        iss.error("WEFT_SCHEMA", ["phases", i], `phase \`${phase}\` is listed twice`, "list each phase once");
      seen.add(phase);
    });
    workflow.phases = [...seen];
  }

  const args = get("argsSchema");
  if (args && args.value !== undefined) {
    const res = argsJsonSchema(args.value);
    if ("error" in res) {
      iss.error("WEFT_SCHEMA", ["argsSchema"], res.error, "write argsSchema: z.object({ … }) or a JSON Schema object");
    } else if (res.schema) {
      if (!isZodSchema(args.value)) checkArgsSchema(res.schema, ["argsSchema"], iss);
      workflow.argsSchema = res.schema;
    }
  }
  if (typeof obj.execute !== "function") {
    iss.error("WEFT_SCHEMA", ["execute"], "`execute` must be a function", "write `async execute(ctx) { … }`");
  }
  checkStepPhases(workflow, phases !== undefined && phases.value !== undefined, iss);
  workflow.source = { file, format: "ts", dialect: "typescript", sourceHash: input.sourceHash };
  const issues = iss.list;
  return { workflow: iss.hasErrors ? undefined : workflow, issues };
}

/** A phase written in a step must be listed; with no `phases`, the steps' phases in order of appearance. */
function checkStepPhases(workflow: Workflow, declared: boolean, iss: Issues): void {
  for (const step of workflow.steps) {
    if (step.phase === undefined) continue;
    if (!declared) {
      if (!workflow.phases.includes(step.phase)) workflow.phases.push(step.phase);
      continue;
    }
    if (workflow.phases.includes(step.phase)) continue;
    const near = closest(step.phase, workflow.phases);
    iss.add({
      code: "WEFT_SCHEMA",
      severity: "error",
      message: `step \`${step.id}\` is in phase \`${step.phase}\`, which is not listed in \`phases\` (${workflow.phases.join(", ")})`,
      hint: near ? `did you mean \`${near}\`?` : `add \`${step.phase}\` to \`phases\`, or use one of the listed phases`,
      location: step.location ?? iss.map.locate([]),
    });
  }
}

/** `args.a[0].b` for a zod issue path. */
function argPath(path: readonly PropertyKey[]): string {
  let out = "args";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string" && /^[A-Za-z_$][\w$-]*$/.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}

/**
 * With a zod argsSchema: parses a run's args with it (defaults and coercions applied), as the engine does at
 * launch besides the JSON Schema check. Without one: the args as given. Issues name `args.<path>`.
 */
export function parseArgsWithZod(
  definition: Pick<TsWorkflowDefinition, "argsSchema">,
  args: JsonObject,
  file = "args",
): { args: JsonObject } | { issues: Issue[] } {
  const schema = definition.argsSchema;
  if (!isZodSchema(schema)) return { args };
  const location = { file, line: 1, column: 1 };
  const res = schema.safeParse(args);
  if (!res.success) {
    return {
      issues: res.error.issues.map((i) => {
        const keys = i.code === "unrecognized_keys" ? i.keys : [];
        const message =
          keys.length > 0
            ? `${argPath(i.path)} has unknown argument${keys.length > 1 ? "s" : ""} ${keys.map((k) => `\`${k}\``).join(", ")}`
            : `${argPath(i.path)}: ${i.message}`;
        // An unknown key is about that key (the first, when there are several).
        const at = fieldOfArgPath(argPath(keys.length > 0 ? [...i.path, keys[0] as string] : i.path));
        return {
          code: "WEFT_ARGS" as const,
          severity: "error" as const,
          message,
          hint:
            keys.length > 0 ? "remove it, or declare it in the workflow's argsSchema" : "see the workflow's argsSchema",
          location,
          ...(at === undefined ? {} : { field: at }),
        };
      }),
    };
  }
  if (!isJsonObject(res.data as Json) || !isPlainJson(res.data)) {
    return {
      issues: [
        {
          code: "WEFT_ARGS",
          severity: "error",
          message: "the workflow's argsSchema turns the args into something that is not JSON (a Date, a Map…)",
          hint: "args are stored with the run: keep argsSchema's output JSON (no transforms to objects)",
          location,
        },
      ],
    };
  }
  return { args: res.data as JsonObject };
}
