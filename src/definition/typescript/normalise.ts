/**
 * tsStepToWorkflowStep: the runtime normaliser the engine calls for every `ctx.step(id, config)`. The config
 * is read by the YAML step reader (same keys, type inference, retry/timeout rules and messages), after the
 * TypeScript-only parts are taken out: `fn` (kept aside by the engine) and zod `outputSchema`s (turned into
 * JSON Schema). What is left must be JSON: it is journaled and shown in the UI.
 */
import { LineCounter } from "yaml";
import { z } from "zod";
import type { SourceLocation } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import { DEFAULT_RETRY, type Workflow, type WorkflowStep } from "../../core/model.js";
import { didYouMean, Issues } from "../issues.js";
import { SourceMap } from "../positions.js";
import { checkStepConfigs, type StepTypeSchemas } from "../step-config.js";
import { readStep, STEP_ID_PATTERN } from "../steps.js";
import type { TsStepConfig } from "./define.js";

export interface TsStepOptions {
  /** Registered step types: the type must be one, and the config must pass its `configSchema`. */
  stepTypes?: StepTypeSchemas | undefined;
  /** The workflow's phases: when non-empty, the step's `phase` must be one of them. */
  phases?: readonly string[] | undefined;
  /** Where the step is called, for the step's `location`. */
  location?: SourceLocation | undefined;
}

export type TsStepResult = { step: WorkflowStep; warnings: string[] } | { error: string };

/** YAML step keys that mean nothing in code: the code's order, `if` and loops decide. */
const CODE_DECIDES: Readonly<Record<string, string>> = {
  needs: "steps run when the code calls them: await the steps it depends on first",
  dependencies: "steps run when the code calls them: await the steps it depends on first",
  on_success: "call the next step in code after this one",
  on_failure: "catch the StepFailedError (or make the step optional) and call the handler in code",
  if: "write an `if` around the ctx.step call",
  condition: "write an `if` around the ctx.step call",
  foreach: "call ctx.step in a loop, with one id per item (e.g. a template literal naming the item)",
  id: "pass the id as ctx.step's first argument",
  key: "pass the id as ctx.step's first argument",
};

/** A zod 4 schema (of any copy of zod 4). */
export const isZodSchema = (v: unknown): v is z.ZodType =>
  typeof v === "object" && v !== null && "_zod" in v && typeof (v as { safeParse?: unknown }).safeParse === "function";

/**
 * Validates and normalises one `ctx.step(id, config)` call into a WorkflowStep (`needs` empty: the engine
 * orders steps by the code). Never throws: an error names the step id and the offending key.
 */
export function tsStepToWorkflowStep(id: string, config: TsStepConfig, opts: TsStepOptions = {}): TsStepResult {
  const idError = checkStepId(id);
  if (idError) return { error: idError };
  const label = `step \`${id}\``;
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    return { error: `${label}: the config must be an object such as { type: "script", command: "…" }` };
  }
  const plain: Record<string, unknown> = { id };
  let fn: unknown;
  for (const key of Object.keys(config)) {
    const value = config[key];
    if (key === "fn") {
      fn = value;
      continue;
    }
    if (Object.hasOwn(CODE_DECIDES, key)) {
      return { error: `${label}: \`${key}\` is not a setting of TypeScript steps; ${CODE_DECIDES[key]}` };
    }
    if (value === undefined) continue; // `cwd: opts.cwd` with no cwd: as if absent (JSON drops it too)
    if (key === "outputSchema" && isZodSchema(value)) {
      const converted = zodToJsonSchema(value);
      if (typeof converted === "string") return { error: `${label}: \`outputSchema\` ${converted}` };
      plain[key] = converted;
      continue;
    }
    const json = toJson(value, key);
    if (typeof json === "string") return { error: `${label}: ${json}` };
    Object.defineProperty(plain, key, { value: json.value, enumerable: true, writable: true, configurable: true });
  }

  if (fn !== undefined) {
    if (typeof fn !== "function") return { error: `${label}: \`fn\` must be a function, got ${typeof fn}` };
    if (plain.type === undefined) plain.type = "function";
    else if (plain.type !== "function") {
      return {
        error: `${label}: \`fn\` runs inline in function steps, but the step's type is \`${String(plain.type)}\``,
      };
    }
  }

  const iss = new Issues(new SourceMap(opts.location?.file ?? "<step>", "", new LineCounter()));
  const draft = readStep(plain, [], 0, iss);
  if (!draft) return { error: `${label}: the config must be an object` };
  if (fn !== undefined) {
    const extra = Object.keys(draft.config);
    if (extra.length > 0) {
      return {
        error: `${label}: \`${extra[0]}\` is not a setting of inline function steps (\`fn\` receives only its context; read values from the surrounding code)`,
      };
    }
  }
  const phases = opts.phases ?? [];
  if (draft.phase !== undefined && phases.length > 0 && !phases.includes(draft.phase)) {
    const hint = didYouMean(draft.phase, phases) ?? `the phases are ${phases.join(", ")}`;
    iss.error("WEFT_SCHEMA", ["phase"], `phase \`${draft.phase}\` is not one of the workflow's phases; ${hint}`);
  }
  const step: WorkflowStep = {
    id,
    name: draft.name ?? id,
    type: draft.type ?? "",
    needs: [],
    optional: draft.optional ?? false,
    retry: { ...DEFAULT_RETRY, ...draft.retry },
    priority: draft.priority ?? 0,
    config: draft.config,
  };
  if (draft.phase !== undefined) step.phase = draft.phase;
  if (draft.timeoutMs !== undefined) step.timeoutMs = draft.timeoutMs;
  if (opts.location) step.location = opts.location;
  // An inline `fn` is run by the engine directly: there is no config for the function type to check.
  if (fn === undefined && !iss.hasErrors) {
    const single: Workflow = { name: id, tags: [], phases: [], steps: [step] };
    checkStepConfigs(single, [draft], opts.stepTypes, iss);
  }

  const errors = iss.list.filter((i) => i.severity === "error");
  const render = (i: (typeof iss.list)[number]) => {
    const text = i.message.startsWith("step ") ? i.message : `${label}: ${i.message}`;
    return i.hint ? `${text} (${i.hint})` : text;
  };
  if (errors.length > 0) return { error: errors.map(render).join("; ") };
  return { step, warnings: iss.list.filter((i) => i.severity === "warning").map(render) };
}

/** Ids follow the YAML rule; `$…` ids belong to the engine's own journal entries ($sleep-3, $exec-5…). */
function checkStepId(id: unknown): string | undefined {
  if (typeof id !== "string" || id.trim() === "") {
    return `ctx.step needs a step id as its first argument (a non-empty string), got ${typeof id === "string" ? "an empty string" : typeof id}`;
  }
  if (id.startsWith("$")) {
    return `step id \`${id}\` is reserved: ids starting with \`$\` name the engine's own journal entries (sleep, exec, approvals); rename the step`;
  }
  if (!STEP_ID_PATTERN.test(id)) {
    return `step id \`${id}\` may contain only letters, digits, \`_\` and \`-\`, and must start with a letter or \`_\``;
  }
  return undefined;
}

/** A zod schema as JSON Schema (draft 2020-12), or why it cannot be one. */
export function zodToJsonSchema(schema: z.ZodType, io: "input" | "output" = "output"): JsonObject | string {
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: "any" }) as JsonObject;
  } catch (err) {
    return `cannot be written as JSON Schema: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * A config value as JSON: plain objects, arrays, strings, finite numbers, booleans, null. `undefined`
 * properties are dropped (as JSON.stringify does); anything else is refused with the key path.
 */
function toJson(value: unknown, path: string, depth = 0): { value: Json } | string {
  if (depth > 100) return `\`${path}\` is nested too deeply`;
  if (value === null || typeof value === "string" || typeof value === "boolean") return { value };
  if (typeof value === "number") {
    return Number.isFinite(value) ? { value } : `\`${path}\` must be a finite number, got ${String(value)}`;
  }
  if (Array.isArray(value)) {
    const out: Json[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = toJson(value[i] ?? null, `${path}[${i}]`, depth + 1);
      if (typeof item === "string") return item;
      out.push(item.value);
    }
    return { value: out };
  }
  if (typeof value === "object") {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as object).constructor?.name ?? "object";
      const hint = value instanceof Date ? " (pass date.toISOString())" : "";
      return `\`${path}\` must be JSON data, got a ${kind}${hint}`;
    }
    const out: JsonObject = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const item = toJson(v, `${path}.${key}`, depth + 1);
      if (typeof item === "string") return item;
      Object.defineProperty(out, key, { value: item.value, enumerable: true, writable: true, configurable: true });
    }
    return { value: out };
  }
  if (typeof value === "function") {
    return `\`${path}\` is a function: only \`fn\` (of a function step) may be one; settings must be JSON data`;
  }
  return `\`${path}\` must be JSON data, got a ${typeof value}`;
}
