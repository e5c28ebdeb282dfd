/** schema/workflow.schema.json as the tests read it, and a validator compiled from it. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { repoRoot } from "./helpers.js";

// biome-ignore lint/suspicious/noExplicitAny: a JSON document the tests walk freely.
export const schema: any = JSON.parse(readFileSync(path.join(repoRoot, "schema/workflow.schema.json"), "utf8"));

/**
 * Ajv in strict mode, except `strictRequired` — an Ajv rule, not JSON Schema's: the schema's `required` in
 * `anyOf`/`not` branches name properties declared beside them, as JSON Schema intends.
 */
export function compileSchema() {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
  return ajv.compile(schema);
}
