/**
 * The public API of `weftflow`. Explicit named exports only; database drivers live behind subpaths
 * (`weftflow/sqlite`), so importing this module loads none.
 */
export type {
  AgentConfig,
  Provider,
  ProviderRegistry,
  ProviderRequest,
  ProviderResponse,
  Usage,
} from "./agents/index.js";
export {
  type AgentRuntime,
  type AgentsConfig,
  createAgentRuntime,
  createAnthropicProvider,
  createClaudeCodeProvider,
  createCodexProvider,
  createGeminiCliProvider,
  createGeminiProvider,
  createMockProvider,
  createOpenAIProvider,
  createProviderRegistry,
  loadAgentsConfig,
  type MockFixture,
  type ResolvedAgent,
} from "./agents/index.js";
export { formatDuration, parseDuration } from "./core/duration.js";
export { ALLOWED_ENV, pickEnv, type StepEnvOptions, stepBaseEnv } from "./core/environment.js";
export {
  ERROR_CODES,
  type ErrorCode,
  type ErrorInfo,
  formatIssue,
  type Issue,
  ProviderError,
  RetryableError,
  type SourceLocation,
  TerminalError,
  ValidationError,
  WeftError,
} from "./core/errors.js";
export type { EventMap, EventRecord, EventType, NewEvent } from "./core/events.js";
export type { Json, JsonObject } from "./core/json.js";
export {
  type AttemptRecord,
  type CheckpointRecord,
  type Dependency,
  type Lease,
  type Owner,
  type RetryPolicy,
  RUN_STATUSES,
  type RunRecord,
  type RunStatus,
  STEP_STATUSES,
  type StepRunRecord,
  type StepStatus,
  type Workflow,
  type WorkflowStep,
} from "./core/model.js";
export {
  dependencyLevels,
  type LoadedTsWorkflow,
  type LoadTypeScriptOptions,
  loadTypeScriptWorkflow,
  loadWorkflowFile,
  parseArgsWithZod,
  parseWorkflow,
  renderTerminalGraph,
  toMermaid,
  tsStepToWorkflowStep,
  validateArgs,
  workflowHash,
} from "./definition/index.js";
export {
  type AgentOutputOf,
  type AgentPermission,
  type AgentStepOutput,
  type ApprovalResult,
  type ArgsOf,
  type ArgsSchema,
  type BuiltinStepConfig,
  type BuiltinStepTypeName,
  type Duration,
  defineWorkflow,
  type ExecResult,
  isTsWorkflow,
  type OutputSchema,
  type RetryOptions,
  type ScriptStepOutput,
  type SleepStepOutput,
  type StepCommonKeys,
  StepFailedError,
  type StepFunctionContext,
  type StepResult,
  type TsAgentStepConfig,
  type TsApprovalStepConfig,
  type TsAttachStepConfig,
  type TsBuiltinStepConfig,
  type TsImageStepConfig,
  type TsInlineFunctionStepConfig,
  type TsNamedFunctionStepConfig,
  type TsNoopStepConfig,
  type TsPluginStepConfig,
  type TsScriptStepConfig,
  type TsSleepStepConfig,
  type TsStepCommon,
  type TsStepConfig,
  type TsWorkflowDefinition,
  type TsWorkflowInput,
  type WaitForApprovalOptions,
  type WorkflowContext,
  type ZodLike,
} from "./definition/typescript/index.js";
export type { Clock, Logger } from "./engine/core.js";
export {
  createEngine,
  type Engine,
  type EngineOptions,
  type EventListener,
  type LaunchOptions,
} from "./engine/engine.js";
export {
  builtinStepTypes,
  createStepTypeRegistry,
  defineStepType,
  type StepContext,
  type StepFunction,
  type StepOutcome,
  type StepType,
  type StepTypeRegistry,
} from "./steps/index.js";
export { type BwrapOptions, createBwrapSandbox, type Sandbox } from "./steps/script/sandbox.js";
export {
  ConflictError,
  type Durability,
  FencedError,
  type Store,
  type Transition,
} from "./store/store.js";
