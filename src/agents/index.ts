export { compileSchema, type SchemaValidator, schemaProblem } from "./json-schema.js";
export {
  createMockProvider,
  MOCK_MODEL,
  type MockFailure,
  type MockFixture,
  type MockProviderOptions,
  type MockResponse,
  mockFixtureSchema,
} from "./mock/index.js";
export type {
  AgentConfig,
  AgentMessage,
  Provider,
  ProviderRegistry,
  ProviderRequest,
  ProviderResponse,
  Usage,
} from "./provider.js";
export { createProviderRegistry, type ProviderRegistryOptions } from "./registry.js";
