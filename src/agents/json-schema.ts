/**
 * Validation of agents' JSON answers against users' JSON Schemas (ajv, with formats). Draft-07 by default;
 * a schema that declares `$schema` 2019-09 or 2020-12 is compiled by that draft's validator.
 */
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormatsModule from "ajv-formats";
import type { Json, JsonObject } from "../core/json.js";

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, typed as the namespace.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv,
) => Ajv;

export interface SchemaValidator {
  (value: Json): boolean;
  /** Why the last validated value failed, e.g. `output.severity must be integer`; "" after a success. */
  readonly errors: string;
}

const options = { strict: false, allErrors: true } as const;
let instances: { draft7: Ajv; draft2019: Ajv; draft2020: Ajv } | undefined;

function ajvFor(schema: JsonObject): Ajv {
  instances ??= {
    draft7: addFormats(new Ajv(options)),
    draft2019: addFormats(new Ajv2019(options) as unknown as Ajv),
    draft2020: addFormats(new Ajv2020(options) as unknown as Ajv),
  };
  const declared = typeof schema.$schema === "string" ? schema.$schema : "";
  if (declared.includes("2020-12")) return instances.draft2020;
  if (declared.includes("2019-09")) return instances.draft2019;
  return instances.draft7;
}

const cache = new Map<string, ValidateFunction>();
const MAX_CACHED = 256;

/** Compiles (and caches) a validator. Throws an Error saying what is wrong when `schema` is not a valid schema. */
export function compileSchema(schema: JsonObject): SchemaValidator {
  const key = JSON.stringify(schema);
  let validate = cache.get(key);
  if (!validate) {
    const ajv = ajvFor(schema);
    // `$id`s would collide between schemas in one ajv instance; identical text is cached above instead.
    const { $id: _id, ...rest } = schema;
    validate = ajv.compile(rest);
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, validate);
  }
  const fn = validate;
  let errors = "";
  const validator = ((value: Json) => {
    const ok = fn(value) === true;
    errors = ok ? "" : ajvFor(schema).errorsText(fn.errors, { dataVar: "output", separator: "; " });
    return ok;
  }) as SchemaValidator;
  Object.defineProperty(validator, "errors", { get: () => errors });
  return validator;
}

/** Undefined when `schema` compiles, else the reason. */
export function schemaProblem(schema: JsonObject): string | undefined {
  try {
    compileSchema(schema);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
