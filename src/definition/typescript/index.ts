/** TypeScript workflows: `defineWorkflow`, loading workflow modules, the runtime step normaliser, the static graph. */
export { type CtxBinding, findWorkflow, parseModule, type WorkflowAst } from "./ast.js";
export { defaultCacheDir } from "./bundle.js";
export {
  type ArgsOf,
  type ArgsSchema,
  defineWorkflow,
  isTsWorkflow,
  StepFailedError,
  type StepResult,
  TS_WORKFLOW,
  type TsStepCommon,
  type TsStepConfig,
  type TsWorkflowDefinition,
  type TsWorkflowInput,
  type WaitForApprovalOptions,
  type WorkflowContext,
} from "./define.js";
export { type DynamicReason, extractSteps, type StaticInfo } from "./extract.js";
export { lintDeterminism } from "./lint.js";
export {
  isTypeScriptWorkflowFile,
  type LoadedTsWorkflow,
  type LoadTypeScriptOptions,
  loadTypeScriptWorkflow,
  TS_WORKFLOW_EXTENSIONS,
} from "./load.js";
export { argsJsonSchema, parseArgsWithZod, tsWorkflowModel } from "./model.js";
export { type TsStepOptions, type TsStepResult, tsStepToWorkflowStep, zodToJsonSchema } from "./normalise.js";
export type * from "./step-configs.js";
