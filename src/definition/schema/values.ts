/**
 * The shapes of the values the definition readers accept, as JSON Schema, with what editors show of them. The
 * key sets come from the readers' own tables (dialects/keys.ts, retry.ts, budget.ts, ui.ts, steps.ts); each
 * `*_SCHEMAS` record must give exactly those keys (`propertiesOf` throws otherwise, so a key added to a reader's
 * table fails the schema's generation until it is described here). What the readers check in code (ranges, the
 * duration grammar) is restated here and held to them by test/definition/schema.test.ts, case by case.
 */
import { DURATION_PATTERN, ZERO_DURATION_PATTERN } from "../../core/duration.js";
import type { JsonObject } from "../../core/json.js";
import { BUDGET_KEYS, BUDGET_POLICIES } from "../budget.js";
import { DEFAULTS_KEYS, EXPRESSION_ROOTS, SEED003_CONFIG_KEYS } from "../dialects/keys.js";
import { RETRY_KEYS, RETRY_POLICY_KEYS } from "../retry.js";
import { DEPENDENCY_CONDITIONS, NEED_KEYS, PROTOTYPE_KEYS, STEP_ID_PATTERN } from "../steps.js";
import { POSITION_KEYS, UI_KEYS } from "../ui.js";

const ref = (name: string, description?: string): JsonObject =>
  description === undefined ? { $ref: `#/$defs/${name}` } : { $ref: `#/$defs/${name}`, description };

/** `properties` for exactly `keys`, in their order: a key without a schema, or a schema of no key, throws. */
export function propertiesOf(keys: readonly string[], schemas: Readonly<Record<string, JsonObject>>, where: string) {
  const missing = keys.filter((k) => !Object.hasOwn(schemas, k));
  const extra = Object.keys(schemas).filter((k) => !keys.includes(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(
      `the schema of ${where} does not match its reader's keys: ${[
        ...missing.map((k) => `\`${k}\` has no schema`),
        ...extra.map((k) => `\`${k}\` is not a key`),
      ].join(", ")}`,
    );
  }
  return Object.fromEntries(keys.map((k) => [k, schemas[k] as JsonObject]));
}

/** JSON Schema's `{ if, then }`: a plain JSON document, never awaited. */
export function conditional(condition: JsonObject, consequence: JsonObject): JsonObject {
  // biome-ignore lint/suspicious/noThenProperty: the JSON Schema keyword.
  return { if: condition, then: consequence };
}

/** A closed mapping of `keys`. */
const mapping = (
  keys: readonly string[],
  schemas: Readonly<Record<string, JsonObject>>,
  where: string,
  extra: JsonObject = {},
): JsonObject => ({
  type: "object",
  ...extra,
  additionalProperties: false,
  properties: propertiesOf(keys, schemas, where),
});

const integer = (minimum: number, maximum?: number): JsonObject =>
  maximum === undefined ? { type: "integer", minimum } : { type: "integer", minimum, maximum };
const number = (minimum: number, maximum?: number): JsonObject =>
  maximum === undefined ? { type: "number", minimum } : { type: "number", minimum, maximum };

const DURATION_TEXT = "Milliseconds (a number), or a string such as `500ms`, `30s`, `5m`, `1h30m`, `2d`.";

const retryPolicy: Record<(typeof RETRY_KEYS)[number], JsonObject> = {
  maxAttempts: { ...integer(1, 100), description: "Total tries including the first. Default 1." },
  delay: ref("durationOrZero", "Delay before the second attempt. Default 1s."),
  backoff: { ...number(1, 100), description: "Each further delay is the previous one times this. Default 2." },
  maxDelay: ref("durationOrZero", "Upper bound of one delay. Default 60s."),
  jitter: { ...number(0, 1), description: "Each delay is scaled by a random factor in [1 - jitter, 1]. Default 0.2." },
  retryOn: {
    type: "array",
    items: { type: "string" },
    description:
      "Only these error codes are retried (e.g. WEFT_TIMEOUT, WEFT_SCRIPT_EXIT, WEFT_PROVIDER). Default: every retryable error.",
  },
};

const seed003RetryPolicy: Record<(typeof RETRY_POLICY_KEYS)[number], JsonObject> = {
  maxRetries: { ...integer(0, 99), description: "Retries after the first try: n retries are n + 1 attempts." },
  retryDelayMs: { ...number(0), description: "Milliseconds before the first retry." },
  retryBackoffMultiplier: { ...number(1, 100), description: "Each further delay is the previous one times this." },
  retryableErrors: {
    type: "array",
    items: { type: "string" },
    description: "Only these error codes are retried (weft's codes: WEFT_TIMEOUT, WEFT_PROVIDER, …).",
  },
  maxDelayMs: { ...number(0), description: "Upper bound of one delay, in milliseconds." },
};

const budget: Record<(typeof BUDGET_KEYS)[number], JsonObject> = {
  tokens: { ...integer(1), description: "Input plus output tokens." },
  cost_usd: { ...number(0.000001), description: "US dollars (from the price table)." },
  costUsd: { ...number(0.000001), description: "Alias of `cost_usd`." },
  on_exceed: { enum: [...BUDGET_POLICIES], description: "`pause` (default) or `fail`." },
  onExceed: { enum: [...BUDGET_POLICIES], description: "Alias of `on_exceed`." },
};

const position: Record<(typeof POSITION_KEYS)[number], JsonObject> = {
  x: { type: "number" },
  y: { type: "number" },
};

const ui: Record<(typeof UI_KEYS)[number], JsonObject> = {
  positions: {
    type: "object",
    description: "Step id → where its node sits on the canvas.",
    additionalProperties: ref("position"),
  },
};

const defaults: Record<(typeof DEFAULTS_KEYS)[number], JsonObject> = {
  retry: ref("retry"),
  timeout: ref("duration", "Default step timeout."),
  optional: { type: "boolean", description: "Default `optional` of every step." },
};

const seed003Config: Record<(typeof SEED003_CONFIG_KEYS)[number], JsonObject> = {
  timeout: ref("duration", "Whole-run timeout (as the top-level `timeout`; give one of the two)."),
  maxRetries: {
    ...integer(0, 99),
    description: "Every step's default retries: n retries are n + 1 attempts (`defaults.retry`).",
  },
  checkpointInterval: ref("durationOrZero", "Accepted and ignored: weft checkpoints after every step."),
  parallelism: {
    ...integer(1),
    description: "At most this many steps at once (as the top-level `parallelism`; give one of the two).",
  },
  continueOnError: { type: "boolean", description: "Steps are optional by default (`defaults.optional`)." },
};

const need: Record<(typeof NEED_KEYS)[number], JsonObject> = {
  step: ref("stepId"),
  on: {
    enum: [...DEPENDENCY_CONDITIONS],
    default: "success",
    description:
      "success: the step completed (or failed but is optional). failure: it failed. always: it ended, whatever the outcome (also when skipped).",
  },
};

/** A string with something in it besides whitespace (the readers' `nonEmpty`). */
export const NON_EMPTY = { type: "string", pattern: "\\S" } as const satisfies JsonObject;

/** The `$defs` every dialect's branch refers to. */
export const VALUE_DEFS: Record<string, JsonObject> = {
  duration: {
    description: `${DURATION_TEXT} Longer than 0.`,
    anyOf: [
      { type: "number", minimum: 0.5 },
      { type: "string", pattern: DURATION_PATTERN, not: { pattern: ZERO_DURATION_PATTERN } },
    ],
  },
  durationOrZero: {
    description: DURATION_TEXT,
    anyOf: [
      { type: "number", minimum: 0 },
      { type: "string", pattern: DURATION_PATTERN },
    ],
  },
  stepId: {
    type: "string",
    pattern: STEP_ID_PATTERN.source,
    not: { enum: [...EXPRESSION_ROOTS, ...PROTOTYPE_KEYS] },
    description: "A step id: letters, digits, `_` and `-`, starting with a letter or `_`.",
  },
  stepRefs: {
    description: "A step id or a list of step ids.",
    anyOf: [{ $ref: "#/$defs/stepId" }, { type: "array", items: { $ref: "#/$defs/stepId" } }, { type: "null" }],
  },
  need: {
    anyOf: [ref("stepId"), mapping(NEED_KEYS, need, "a dependency", { required: ["step"] })],
  },
  needs: {
    description: "Steps that must complete first: an id, or a list of ids and `{ step, on }` entries.",
    anyOf: [ref("stepId"), { type: "array", items: ref("need") }, { type: "null" }],
  },
  retry: {
    description: "A number of attempts (`3` = the first try and up to two retries), or a retry policy.",
    anyOf: [integer(1, 100), mapping(RETRY_KEYS, retryPolicy, "`retry`")],
  },
  retryPolicy: mapping(RETRY_POLICY_KEYS, seed003RetryPolicy, "`retryPolicy`", {
    description: "Seed 003's retry policy (alias of `retry`).",
  }),
  budget: mapping(BUDGET_KEYS, budget, "`budget`", {
    description:
      "Most tokens and US dollars the run's agent calls may spend. Past it, `on_exceed: pause` (default) pauses the run until a person raises it (`weft budget`), `fail` fails the step with WEFT_BUDGET.",
    anyOf: [{ required: ["tokens"] }, { required: ["cost_usd"] }, { required: ["costUsd"] }],
  }),
  defaults: mapping(DEFAULTS_KEYS, defaults, "`defaults`", {
    description: "Settings every step gets unless it sets its own.",
  }),
  seed003Config: mapping(SEED003_CONFIG_KEYS, seed003Config, "`config`", {
    description:
      "Seed 003's settings block: `timeout`, `maxRetries`, `parallelism`, `continueOnError`, `checkpointInterval`.",
  }),
  position: mapping(POSITION_KEYS, position, "a position", { required: ["x", "y"] }),
  ui: mapping(UI_KEYS, ui, "`ui`", {
    description:
      "Editor state weft ignores when it runs the workflow, and leaves out of the workflow hash: the builder's canvas positions.",
  }),
  argsSchema: {
    type: "object",
    description:
      "JSON Schema (draft-07 by default; 2019-09 / 2020-12 via `$schema`) of the run's arguments. Defaults in it are applied when a run starts; the UI builds its launch form from it.",
    examples: [
      {
        type: "object",
        properties: { environment: { type: "string", enum: ["dev", "staging", "production"] } },
        required: ["environment"],
      },
    ],
  },
};
