export {
  CliAgentError,
  type CliAgentOptions,
  type CliProviderOptions,
  cliAgentOptionsSchema,
  createClaudeCodeProvider,
  createCodexProvider,
  createGeminiCliProvider,
} from "./cli/index.js";
export {
  type AgentRuntime,
  type AgentRuntimeOptions,
  type AgentsConfig,
  createAgentRuntime,
  loadAgentsConfig,
  type ProviderDeps,
  type ProviderFactory,
  parseAgentsConfig,
} from "./config/index.js";
export { compileSchema, type SchemaValidator, schemaProblem } from "./json-schema.js";
export { createRateLimits, withLimits } from "./limits/index.js";
export {
  createMockProvider,
  MOCK_MODEL,
  type MockFailure,
  type MockFixture,
  type MockProviderOptions,
  type MockResponse,
  mockFixtureSchema,
} from "./mock/index.js";
export { costOf, createPriceTable } from "./pricing.js";
export type {
  AgentConfig,
  AgentMessage,
  Provider,
  ProviderRegistry,
  ProviderRequest,
  ProviderResponse,
  ResolvedAgent,
  Usage,
} from "./provider.js";
export {
  createAnthropicProvider,
  createGeminiProvider,
  createOpenAIProvider,
  type SdkProviderOptions,
} from "./providers/index.js";
export { createProviderRegistry, type ProviderRegistryOptions } from "./registry.js";
