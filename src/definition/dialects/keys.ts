/**
 * The keys each dialect uses. Every dialect is read by one reader: the seed dialects' spellings are aliases
 * of canonical keys (`key` → `id`, `dependencies` → `needs`, `condition` → `if`, `continueOnError` →
 * `optional`, `retryPolicy` → `retry`, `timeoutMs` → `timeout`), accepted in any file.
 */
import type { BuiltinStepConfigs, BuiltinStepTypeName } from "../typescript/step-configs.js";

/** Canonical top-level keys (plus `config`, seed 003's settings block, and `$schema` and `ui` for editors). */
export const TOP_KEYS = [
  "name",
  "description",
  "version",
  "author",
  "tags",
  "category",
  "phases",
  "argsSchema",
  "args",
  "parallelism",
  "timeout",
  "budget",
  "checkpoints",
  "mode",
  "defaults",
  "steps",
  "config",
  "$schema",
  "ui",
] as const;

export const DEFAULTS_KEYS = ["retry", "timeout", "optional"] as const;

/** Seed 001's top level: the workflow wrapped in `workflow:`, with editor keys beside it. */
export const SEED001_OUTER_KEYS = ["workflow", "$schema", "ui"] as const;

/** `mode:` — `dag` (declared dependencies order steps) or `sequential` (also file order). */
export const WORKFLOW_MODES = ["dag", "sequential"] as const;

/** Seed 003's top-level `config`. */
export const SEED003_CONFIG_KEYS = [
  "timeout",
  "maxRetries",
  "checkpointInterval",
  "parallelism",
  "continueOnError",
] as const;

/** Keys every step may have; anything else on a step belongs to its type's `config`. */
export const STEP_KEYS = [
  "id",
  "name",
  "type",
  "phase",
  "needs",
  "if",
  "optional",
  "retry",
  "timeout",
  "foreach",
  "priority",
  "on_success",
  "on_failure",
  "description",
] as const;

/** Seed spellings of step keys → the canonical key. */
export const STEP_ALIASES: Readonly<Record<string, (typeof STEP_KEYS)[number]>> = {
  key: "id",
  dependencies: "needs",
  condition: "if",
  continueOnError: "optional",
  retryPolicy: "retry",
  timeoutMs: "timeout",
};

/** Accepted and ignored: seed 003's `parallel` (the DAG decides what runs in parallel). */
export const STEP_IGNORED_KEYS = ["parallel"];

/** A setting of some built-in step type: a key of its config schema's input (steps/builtin.ts). */
type BuiltinConfigKey = { [K in BuiltinStepTypeName]: keyof BuiltinStepConfigs[K] }[BuiltinStepTypeName];

/**
 * The built-in step types' settings, so they are never mistaken for misspelt step keys. The readers do not load
 * the step types, so the list is written here — and the compiler holds it to their config schemas: a setting
 * missing here, or one no built-in type has, is a type error.
 */
export const KNOWN_CONFIG_KEYS: readonly string[] = Object.keys({
  // agent
  agent: true,
  prompt: true,
  inputs: true,
  system: true,
  model: true,
  outputSchema: true,
  permission: true,
  temperature: true,
  maxTokens: true,
  documents: true,
  document: true,
  repairs: true,
  fallback: true,
  budget: true,
  // script
  command: true,
  cwd: true,
  env: true,
  shell: true,
  network: true,
  // approval
  message: true,
  timeout: true,
  onTimeout: true,
  // sleep
  duration: true,
  until: true,
  // noop
  output: true,
  // function
  function: true,
  input: true,
  // image
  count: true,
  size: true,
  style: true,
  quality: true,
  filename: true,
  // attach
  images: true,
  strategy: true,
  primary: true,
} satisfies Record<BuiltinConfigKey, true>);

/** The built-in step types' names (the order hints list them in); the compiler holds it to the registry's. */
export const BUILTIN_STEP_TYPES: readonly string[] = Object.keys({
  agent: true,
  script: true,
  approval: true,
  sleep: true,
  noop: true,
  function: true,
  image: true,
  attach: true,
} satisfies Record<BuiltinStepTypeName, true>);

/** Names an expression may start with besides step ids and argument names. */
export const EXPRESSION_ROOTS = ["args", "input", "context", "steps", "run", "workflow", "item", "index"];

export const SEED002_TOP_KEYS = ["name", "description", "argsSchema", "phases", "steps"];
export const SEED002_STEP_KEYS = ["id", "name", "phase", "type", "agent", "prompt", "permission", "command", "cwd"];
export const SEED003_STEP_MARKERS = ["key", "dependencies", "retryPolicy", "timeoutMs", "parallel", "continueOnError"];
