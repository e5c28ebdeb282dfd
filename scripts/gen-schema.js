#!/usr/bin/env node
/**
 * Writes schema/workflow.schema.json: the JSON Schema editors check workflow files with, generated from the
 * definition readers' key tables and the built-in step types' config schemas (src/definition/schema/; dist/
 * must be built). `--check` exits 1 when the checked-in file differs from what would be generated now, so the
 * schema cannot drift from what weft reads.
 *
 *   node scripts/gen-schema.js                 regenerate
 *   node scripts/gen-schema.js --check         verify (CI: test/definition/schema.test.ts runs it)
 *   node scripts/gen-schema.js --check --file <path>   verify another copy (the test checks that drift fails)
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { targetOf, writeOrCheck } from "./generated-file.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = targetOf(root, join("schema", "workflow.schema.json"));

const { workflowJsonSchema } = await import(join(root, "dist", "definition", "index.js"));
const { createStepTypeRegistry } = await import(join(root, "dist", "steps", "registry.js"));

const text = `${JSON.stringify(workflowJsonSchema(createStepTypeRegistry()), null, 2)}\n`;

writeOrCheck(out, text, {
  matches: "the definition readers",
  stale: "weft's definition readers and step types",
  command: "npm run gen:schema",
});
