/** The built-in step types, registered exactly as a user's plugin would be. */
import { WeftError } from "../core/errors.js";
import { agentStepType } from "./agent/index.js";
import { approvalStepType } from "./approval/index.js";
import { attachStepType } from "./attach/index.js";
import { createFunctionStepType } from "./function/index.js";
import { imageStepType } from "./image/index.js";
import { noopStepType } from "./noop/index.js";
import { scriptStepType } from "./script/index.js";
import { sleepStepType } from "./sleep/index.js";
import type { StepFunction, StepType } from "./step-type.js";

export interface BuiltinStepTypesOptions {
  /** The functions `type: function` steps may call, by name. */
  functions?: ReadonlyMap<string, StepFunction> | undefined;
}

/** script, agent, approval, sleep, noop, function, image, attach. */
export function builtinStepTypes(opts: BuiltinStepTypesOptions = {}): StepType[] {
  return [
    scriptStepType,
    agentStepType,
    approvalStepType,
    sleepStepType,
    noopStepType,
    createFunctionStepType(opts.functions ?? new Map()),
    imageStepType,
    attachStepType,
  ];
}

/** Indexes step types by `type`; two with one name are an error (a plugin cannot silently replace a built-in). */
export function stepTypeRegistry(types: readonly StepType[]): ReadonlyMap<string, StepType> {
  const registry = new Map<string, StepType>();
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
