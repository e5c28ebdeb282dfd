/**
 * The step-type registry: the built-in step types and a user's plugins, by name. The engine runs steps with
 * it; the server (GET /api/step-types, definition checks), the CLI and `npm run gen:schema` validate workflows
 * and describe step types with one built the same way, so they agree on which types exist and on each one's
 * config schema.
 */
import { WeftError } from "../core/errors.js";
import { type BuiltinStepTypesOptions, builtinStepTypes } from "./builtin.js";
import type { StepType } from "./step-type.js";

export type StepTypeRegistry = ReadonlyMap<string, StepType<unknown>>;

export interface StepTypeRegistryOptions extends BuiltinStepTypesOptions {
  /** Plugins' step types, registered after the built-ins. */
  stepTypes?: readonly StepType<unknown>[] | undefined;
}

/** The built-in step types and `opts.stepTypes`; a plugin named like a built-in or like another plugin is an error. */
export function createStepTypeRegistry(opts: StepTypeRegistryOptions = {}): StepTypeRegistry {
  return stepTypeRegistry([...builtinStepTypes(opts), ...(opts.stepTypes ?? [])]);
}

/** Indexes step types by `type`; two with one name are an error (a plugin cannot silently replace a built-in). */
export function stepTypeRegistry(types: readonly StepType<unknown>[]): StepTypeRegistry {
  const registry = new Map<string, StepType<unknown>>();
  for (const stepType of types) {
    if (!stepType.type) throw new WeftError("WEFT_UNKNOWN_STEP_TYPE", "a step type has an empty `type` name");
    if (registry.has(stepType.type)) {
      throw new WeftError(
        "WEFT_CONFLICT",
        `two step types are named "${stepType.type}"; each step type needs its own name (a plugin cannot replace a built-in)`,
      );
    }
    registry.set(stepType.type, stepType);
  }
  return registry;
}
