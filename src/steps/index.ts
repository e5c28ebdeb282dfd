export { type AgentStepConfig, agentConfigSchema, agentStepType } from "./agent/index.js";
export { type ApprovalConfig, approvalConfigSchema, approvalStepType } from "./approval/index.js";
export { type BuiltinStepTypesOptions, builtinStepTypes, stepTypeRegistry } from "./builtin.js";
export { createFunctionStepType, type FunctionConfig, functionConfigSchema } from "./function/index.js";
export { type NoopConfig, noopConfigSchema, noopStepType } from "./noop/index.js";
export {
  compileShellTemplate,
  MAX_CAPTURE_BYTES,
  type ScriptConfig,
  type ShellTemplate,
  type ShellTemplateOptions,
  scriptConfigSchema,
  scriptStepType,
} from "./script/index.js";
export { type SleepConfig, sleepConfigSchema, sleepStepType } from "./sleep/index.js";
export {
  defineStepType,
  type StepContext,
  type StepFunction,
  type StepOutcome,
  type StepType,
} from "./step-type.js";
