/**
 * The JSON Schema editors check workflow files with (schema/workflow.schema.json, written by
 * `npm run gen:schema`), generated from what the parser reads with: the key tables of the readers (values.ts,
 * workflow-keys.ts), the dialects detect.ts tells apart, and the registered step types' zod config schemas
 * (`configJsonSchema`, as `GET /api/step-types` serves them).
 *
 * The top level is a `oneOf` of the dialects' shapes, told apart by a required key as detect.ts tells them apart:
 * `steps` (canonical, seed 002, seed 003), `workflow` (seed 001's wrapper), `nodes` (seed 000's graph). A step's
 * settings are its type's config schema, chosen by `type` or by the key the type is inferred from
 * (TYPE_INFERENCE); any other key is refused (`unevaluatedProperties`), except on a plugin's type, which the
 * schema cannot know.
 *
 * What it cannot say — that ids are unique and references exist, that expressions parse, that there is no cycle,
 * an args schema compiles, a config's refinements — `weft validate` checks.
 */
import type { z } from "zod";
import type { JsonObject } from "../../core/json.js";
import { SEED001_OUTER_KEYS, STEP_ALIASES } from "../dialects/keys.js";
import { configJsonSchema, type StepTypeSchemas } from "../step-config.js";
import { TYPE_INFERENCE } from "../steps.js";
import { conditional, propertiesOf, VALUE_DEFS } from "./values.js";
import {
  SEED000_EDGE_SCHEMA,
  seed000NodeSchema,
  seed000TopProperties,
  stepProperties,
  TOP_KEY_SCHEMAS,
} from "./workflow-keys.js";

const WORKFLOW_SCHEMA_ID = "https://weftflow.dev/schema/workflow.schema.json";

const STEPS_DIALECT =
  "A workflow with `steps:` — weft's canonical dialect, which seed 002's files (`.agent/workflows/definitions/*.yaml`) are written in, and seed 003's (a top-level `config:` block; steps with `key`, `dependencies`, `retryPolicy`, `timeoutMs`, `parallel`).";
const SEED001_DIALECT =
  "Seed 001's dialect: the workflow wrapped in a top-level `workflow:` mapping (`condition`, `on_success`, `on_failure`).";
const SEED000_DIALECT =
  "Seed 000's dialect: a template as its builder stores it — `nodes:` (each a step, by `node_type`) and `edges:` (each a dependency), with `default_params` as the run's arguments.";

/** The schema for these step types (the built-ins, and any plugin's registered beside them). */
export function workflowJsonSchema(stepTypes: StepTypeSchemas): JsonObject {
  const types = [...stepTypes.keys()];
  const configs = Object.fromEntries(
    [...stepTypes].map(([type, t]) => [configDef(type), stepConfigSchema(type, t.configSchema, t.description)]),
  );
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: WORKFLOW_SCHEMA_ID,
    title: "weft workflow",
    description:
      "A weft workflow definition, in any dialect weft reads: `steps:` (canonical; seed 002; seed 003's `config:` and `key`/`dependencies`), seed 001's `workflow:` wrapper, or seed 000's `nodes:`/`edges:`. Reference: docs/workflow-syntax.md. In YAML, add `# yaml-language-server: $schema=<path or URL of this file>` as the first line for autocompletion.",
    oneOf: [
      { title: "weft workflow (steps:)", description: STEPS_DIALECT, $ref: "#/$defs/workflow" },
      {
        title: "seed 001 (workflow:)",
        description: SEED001_DIALECT,
        type: "object",
        required: ["workflow"],
        additionalProperties: false,
        properties: propertiesOf(
          SEED001_OUTER_KEYS,
          {
            workflow: { $ref: "#/$defs/workflow", description: "The workflow." },
            $schema: TOP_KEY_SCHEMAS.$schema,
            ui: TOP_KEY_SCHEMAS.ui,
          },
          "seed 001's top level",
        ),
        not: { required: ["ui"], properties: { workflow: { type: "object", required: ["ui"] } } },
      },
      {
        title: "seed 000 (nodes:, edges:)",
        description: SEED000_DIALECT,
        type: "object",
        required: ["name", "nodes"],
        additionalProperties: false,
        properties: seed000TopProperties(),
        allOf: TOP_EXCLUSIONS,
      },
    ],
    $defs: {
      workflow: {
        type: "object",
        required: ["name", "steps"],
        additionalProperties: false,
        properties: TOP_KEY_SCHEMAS,
        allOf: TOP_EXCLUSIONS,
      },
      step: stepSchema(types),
      ...configs,
      seed000Node: seed000NodeSchema(types),
      seed000Edge: SEED000_EDGE_SCHEMA,
      ...VALUE_DEFS,
    },
  };
}

/** Top-level settings given twice: `args` beside `argsSchema`, seed 003's `config` beside the top-level key. */
const TOP_EXCLUSIONS: JsonObject[] = [
  { not: { required: ["args", "argsSchema"] } },
  ...["timeout", "parallelism"].map((key) => ({
    not: { required: [key, "config"], properties: { config: { type: "object", required: [key] } } },
  })),
];

const configDef = (type: string) => `config-${type}`;

/**
 * A type's config schema as a step's settings: the step's other keys sit beside them, so the config's own
 * `additionalProperties` is dropped and the step's `unevaluatedProperties` refuses what neither names.
 */
function stepConfigSchema(type: string, schema: z.ZodType<unknown>, description: string | undefined): JsonObject {
  const { $schema: _, additionalProperties: __, ...rest } = configJsonSchema(schema);
  if (Object.hasOwn(rest, "$defs")) {
    throw new Error(`the config schema of step type \`${type}\` has $defs, which the workflow schema cannot embed`);
  }
  return {
    ...(rest as JsonObject),
    description: `The settings of \`${type}\` steps.${description ? ` ${description}` : ""}`,
  };
}

/** The step is of `type`: it says so, or it says nothing and has a key the type is inferred from, first. */
function isType(type: string): JsonObject {
  const said = { required: ["type"], properties: { type: { const: type } } };
  const row = TYPE_INFERENCE.findIndex((r) => r.type === type);
  if (row === -1) return said;
  const earlier = TYPE_INFERENCE.slice(0, row).flatMap((r) => [...r.keys]);
  const inferred: JsonObject = {
    not: { anyOf: [{ required: ["type"] }, ...earlier.map((k) => ({ required: [k] }))] },
    anyOf: (TYPE_INFERENCE[row]?.keys ?? []).map((k) => ({ required: [k] })),
  };
  return { anyOf: [said, inferred] };
}

function stepSchema(types: readonly string[]): JsonObject {
  return {
    type: "object",
    description: "A step. Keys other than the common ones are the settings of its type (its config).",
    properties: stepProperties(types),
    allOf: [
      { anyOf: [{ required: ["id"] }, { required: ["key"] }] },
      {
        anyOf: [{ required: ["type"] }, ...TYPE_INFERENCE.flatMap((r) => r.keys.map((k) => ({ required: [k] })))],
      },
      // A seed spelling beside the canonical key sets the same thing twice.
      ...Object.entries(STEP_ALIASES).map(([alias, key]) => ({ not: { required: [alias, key] } })),
      ...types.map((type) => conditional(isType(type), { $ref: `#/$defs/${configDef(type)}` })),
      // A plugin's type: its settings are its own.
      conditional(
        { required: ["type"], properties: { type: { not: { enum: [...types] } } } },
        { additionalProperties: true },
      ),
    ],
    unevaluatedProperties: false,
  };
}
