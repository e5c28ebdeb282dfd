export { type AgentStepConfig, agentConfigSchema, agentStepType } from "./agent/index.js";
export { type ApprovalConfig, approvalConfigSchema, approvalStepType } from "./approval/index.js";
export { type ArtifactRef, type DocumentOptions, type ImageOptions, writeDocument, writeImage } from "./artifacts.js";
export { type AttachStepConfig, attachConfigSchema, attachStepType } from "./attach/index.js";
export {
  BUILTIN_STEP_TYPE_NAMES,
  type BuiltinConfigSchemas,
  type BuiltinStepTypesOptions,
  builtinConfigSchemas,
  builtinStepTypes,
} from "./builtin.js";
export { createFunctionStepType, type FunctionConfig, functionConfigSchema } from "./function/index.js";
export { IMAGE_PROVIDERS, type ImageStepConfig, imageConfigSchema, imageStepType } from "./image/index.js";
export { type NoopConfig, noopConfigSchema, noopStepType } from "./noop/index.js";
export {
  createStepTypeRegistry,
  type StepTypeRegistry,
  type StepTypeRegistryOptions,
  stepTypeRegistry,
} from "./registry.js";
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
  type NewStepArtifact,
  type StepArtifact,
  type StepArtifacts,
  type StepAttachment,
  type StepContext,
  type StepFunction,
  type StepOutcome,
  type StepType,
} from "./step-type.js";
