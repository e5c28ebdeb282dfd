/** Workflow definitions: YAML/JSON in any supported dialect → the normalised `Workflow`, validated. */
export { validateArgs } from "./args.js";
export { dependencyLevels, dynamicReason, findCycles, formatCycle, renderTerminalGraph, toMermaid } from "./graph.js";
export { canonicalJson, launchFingerprint, workflowHash } from "./hash.js";
export { type LoadWorkflowOptions, loadWorkflowFile } from "./load.js";
export { MAX_DEFINITION_BYTES } from "./parse.js";
export {
  type ParseWorkflowOptions,
  type ParseWorkflowResult,
  parseWorkflow,
} from "./parse-workflow.js";
export { workflowJsonSchema } from "./schema/workflow-schema.js";
export { configJsonSchema, type StepTypeSchemas } from "./step-config.js";
export {
  argsJsonSchema,
  isTypeScriptWorkflowFile,
  type LoadedTsWorkflow,
  type LoadTypeScriptOptions,
  loadTypeScriptWorkflow,
  parseArgsWithZod,
  TS_WORKFLOW_EXTENSIONS,
  type TsStepOptions,
  type TsStepResult,
  tsStepToWorkflowStep,
} from "./typescript/index.js";
