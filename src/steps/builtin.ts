/**
 * The built-in step types, registered exactly as a user's plugin would be (registry.ts), and their config schemas
 * by type name: the one definition of each built-in type's settings. Everything else about them is derived from
 * these zod schemas — the TypeScript `ctx.step` config types (definition/typescript/step-configs.ts, `z.input`),
 * the JSON Schema editors get (`configJsonSchema`: GET /api/step-types, schema/workflow.schema.json) and the
 * lists of built-in names and settings the readers keep (definition/dialects/keys.ts, checked against this table
 * by the compiler).
 */

import type { z } from "zod";
import { agentConfigSchema, agentStepType } from "./agent/index.js";
import { approvalConfigSchema, approvalStepType } from "./approval/index.js";
import { attachConfigSchema, attachStepType } from "./attach/index.js";
import { createFunctionStepType, functionConfigSchema } from "./function/index.js";
import { imageConfigSchema, imageStepType } from "./image/index.js";
import { noopConfigSchema, noopStepType } from "./noop/index.js";
import { scriptConfigSchema, scriptStepType } from "./script/index.js";
import { sleepConfigSchema, sleepStepType } from "./sleep/index.js";
import type { StepFunction, StepType } from "./step-type.js";

/** Each built-in step type's config schema, by its type name. */
export const builtinConfigSchemas = {
  script: scriptConfigSchema,
  agent: agentConfigSchema,
  approval: approvalConfigSchema,
  sleep: sleepConfigSchema,
  noop: noopConfigSchema,
  function: functionConfigSchema,
  image: imageConfigSchema,
  attach: attachConfigSchema,
} as const;

export type BuiltinConfigSchemas = typeof builtinConfigSchemas;

/** The names of the built-in step types. */
export type BuiltinStepTypeName = keyof BuiltinConfigSchemas;

/** Each built-in type's settings as written: its config schema's input type. */
type BuiltinConfigInputs = { [K in BuiltinStepTypeName]: z.input<BuiltinConfigSchemas[K]> };

// The TypeScript `ctx.step` config types are these inputs: definitions cannot import step types, so the interface
// they read is filled in here.
declare module "../definition/typescript/step-configs.js" {
  interface BuiltinStepConfigs extends BuiltinConfigInputs {}
}

/** The built-in step type names, in registry order. */
export const BUILTIN_STEP_TYPE_NAMES = Object.keys(builtinConfigSchemas) as readonly BuiltinStepTypeName[];

export interface BuiltinStepTypesOptions {
  /** The functions `type: function` steps may call, by name. */
  functions?: ReadonlyMap<string, StepFunction> | undefined;
}

/** Every built-in step type, in the order of `builtinConfigSchemas` (the record makes a missing one a type error). */
export function builtinStepTypes(opts: BuiltinStepTypesOptions = {}): StepType[] {
  const types: { readonly [K in BuiltinStepTypeName]: StepType } = {
    script: scriptStepType,
    agent: agentStepType,
    approval: approvalStepType,
    sleep: sleepStepType,
    noop: noopStepType,
    function: createFunctionStepType(opts.functions ?? new Map()),
    image: imageStepType,
    attach: attachStepType,
  };
  return BUILTIN_STEP_TYPE_NAMES.map((name) => types[name]);
}
