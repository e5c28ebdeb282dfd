/**
 * A workflow's `argsSchema` is the user's JSON Schema, checked with ajv (draft-07 by default; 2019-09 and
 * 2020-12 when `$schema` says so). Formats from ajv-formats; defaults in the schema are applied to a copy
 * of the args.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Issue } from "../core/errors.js";
import { isJsonObject, type Json, type JsonObject, MAX_NESTING, tooDeep } from "../core/json.js";
import type { Workflow } from "../core/model.js";
import { describe, type Issues } from "./issues.js";
import type { Path } from "./positions.js";

type AnyAjv = Ajv | Ajv2019 | Ajv2020;
type Draft = "draft-07" | "2019-09" | "2020-12";

const addFormats = addFormatsModule as unknown as (ajv: AnyAjv) => AnyAjv;
const instances = new Map<Draft, AnyAjv>();
const compiled = new WeakMap<object, ValidateFunction>();

function draftOf(schema: JsonObject): Draft {
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (declared.includes("2020-12")) return "2020-12";
  if (declared.includes("2019-09")) return "2019-09";
  return "draft-07";
}

function ajvFor(draft: Draft): AnyAjv {
  let ajv = instances.get(draft);
  if (!ajv) {
    const options = { strict: false, allErrors: true, useDefaults: true, addUsedSchema: false } as const;
    ajv = draft === "2020-12" ? new Ajv2020(options) : draft === "2019-09" ? new Ajv2019(options) : new Ajv(options);
    addFormats(ajv);
    instances.set(draft, ajv);
  }
  return ajv;
}

/** Compiles (once per schema object) or throws with ajv's reason. */
function compile(schema: JsonObject): ValidateFunction {
  const hit = compiled.get(schema);
  if (hit) return hit;
  const ajv = ajvFor(draftOf(schema));
  try {
    const fn = ajv.compile(schema);
    compiled.set(schema, fn);
    return fn;
  } finally {
    ajv.removeSchema(schema);
  }
}

/** Reports an argsSchema that is not a valid JSON Schema, at the offending keyword when ajv says which. */
export function checkArgsSchema(schema: JsonObject, path: Path, iss: Issues): void {
  const ajv = ajvFor(draftOf(schema));
  const valid = ajv.validateSchema(schema);
  if (valid === false) {
    for (const e of ajv.errors ?? []) {
      const at = [...path, ...pointer(e.instancePath)];
      const where = e.instancePath === "" ? "argsSchema" : `argsSchema${e.instancePath.replace(/\//g, ".")}`;
      iss.error("WEFT_SCHEMA", at, `${where} is not a valid JSON Schema: ${e.message ?? e.keyword}`, schemaHint(e));
    }
    return;
  }
  try {
    compile(schema);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    iss.error(
      "WEFT_SCHEMA",
      path,
      `argsSchema cannot be compiled: ${message}`,
      "fix the JSON Schema ($ref targets, keywords)",
    );
  }
}

function schemaHint(e: ErrorObject): string {
  if (e.keyword === "enum" && Array.isArray(e.params.allowedValues)) {
    return `use one of: ${(e.params.allowedValues as unknown[]).map(String).join(", ")}`;
  }
  return "see https://json-schema.org/understanding-json-schema/";
}

const pointer = (p: string): string[] =>
  p === ""
    ? []
    : p
        .slice(1)
        .split("/")
        .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));

/** `args.a[0].b` for the JSON pointer `/a/0/b`. */
function argPath(instancePath: string, extra?: string): string {
  let out = "args";
  for (const seg of [...pointer(instancePath), ...(extra === undefined ? [] : [extra])]) {
    out += /^\d+$/.test(seg) ? `[${seg}]` : /^[A-Za-z_$][\w$-]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return out;
}

/** The field of an issue at `args.a[0].b`: `a[0].b` (`["odd key"]` stays bracketed); undefined for `args`. */
export function fieldOfArgPath(path: string): string | undefined {
  const field = path.replace(/^args\.?/, "");
  return field === "" ? undefined : field;
}

function valueAt(root: Json, instancePath: string): Json | undefined {
  let at: Json | undefined = root;
  for (const seg of pointer(instancePath)) {
    if (Array.isArray(at)) at = at[Number(seg)];
    else if (isJsonObject(at as Json) && Object.hasOwn(at as JsonObject, seg)) at = (at as JsonObject)[seg];
    else return undefined;
  }
  return at;
}

function argIssue(e: ErrorObject, args: Json, location: Issue["location"]): Issue {
  const issue = describeArgError(e, args, location);
  // A missing or unknown argument is about that argument, not the object holding it.
  const extra =
    e.keyword === "required"
      ? String(e.params.missingProperty)
      : e.keyword === "additionalProperties"
        ? String(e.params.additionalProperty)
        : undefined;
  const field = fieldOfArgPath(argPath(e.instancePath, extra));
  return field === undefined ? issue : { ...issue, field };
}

function describeArgError(e: ErrorObject, args: Json, location: Issue["location"]): Issue {
  const base = { code: "WEFT_ARGS" as const, severity: "error" as const, location };
  const where = argPath(e.instancePath);
  const got = () => {
    const v = valueAt(args, e.instancePath);
    return v === undefined ? "" : `, got ${describe(v)}`;
  };
  switch (e.keyword) {
    case "required": {
      const missing = String(e.params.missingProperty);
      return {
        ...base,
        message: `${argPath(e.instancePath, missing)} is required`,
        hint: `pass a value for \`${missing}\``,
      };
    }
    case "enum": {
      const allowed = (e.params.allowedValues as unknown[]).map((v) => (typeof v === "string" ? v : JSON.stringify(v)));
      return {
        ...base,
        message: `${where} must be one of ${allowed.join(", ")}${got()}`,
        hint: `use one of: ${allowed.join(", ")}`,
      };
    }
    case "type":
      return { ...base, message: `${where} must be ${e.params.type}${got()}`, hint: `pass a ${e.params.type}` };
    case "additionalProperties": {
      const extra = String(e.params.additionalProperty);
      return {
        ...base,
        message: `${where} has an unknown argument \`${extra}\``,
        hint: "remove it, or declare it in the workflow's argsSchema",
      };
    }
    default:
      return {
        ...base,
        message: `${where} ${e.message ?? `fails ${e.keyword}`}`,
        hint: "see the workflow's argsSchema",
      };
  }
}

/**
 * Checks a run's args against the workflow's argsSchema. Returns a copy of the args with the schema's
 * defaults applied, and every problem (empty when valid). Args must be a JSON object.
 */
export function validateArgs(workflow: Workflow, args: unknown, file?: string): { args: JsonObject; issues: Issue[] } {
  const location = { file: file ?? "args", line: 1, column: 1 };
  if (!isJsonObject(args as Json)) {
    return {
      args: {},
      issues: [
        {
          code: "WEFT_ARGS",
          severity: "error",
          message: `args must be an object of named values, got ${describe(args)}`,
          hint: 'pass args as a JSON object, e.g. {"environment": "dev"}',
          location,
        },
      ],
    };
  }
  // Before anything walks them recursively (structuredClone, ajv): deeper args would overflow the stack.
  const deep = tooDeep(args, "args");
  if (deep !== undefined) {
    return {
      args: {},
      issues: [
        {
          code: "WEFT_ARGS",
          severity: "error",
          message: `args are nested deeper than ${MAX_NESTING} levels (at ${deep})`,
          hint: `nest objects and arrays at most ${MAX_NESTING} levels deep`,
          location,
        },
      ],
    };
  }
  const copy = structuredClone(args) as JsonObject;
  if (!workflow.argsSchema) return { args: copy, issues: [] };
  let validate: ValidateFunction;
  try {
    validate = compile(workflow.argsSchema);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return {
      args: copy,
      issues: [
        {
          code: "WEFT_SCHEMA",
          severity: "error",
          message: `the workflow's argsSchema cannot be compiled: ${message}`,
          hint: "fix the workflow's argsSchema",
          location,
        },
      ],
    };
  }
  if (validate(copy)) return { args: copy, issues: [] };
  return { args: copy, issues: (validate.errors ?? []).map((e) => argIssue(e, copy, location)) };
}
