/** The agents config (`weft.config.yaml`): reading it, API keys, and the runtime built from it. */
export { type CheckedRefs, checkConfig, readKeyRef } from "./checks.js";
export {
  createKeyResolver,
  describeKeySource,
  type Env,
  type KeyLookup,
  type KeySource,
  keyLookup,
  keySourceOf,
  sourceForRequest,
} from "./keys.js";
export { CONFIG_FILE_NAMES, findAgentsConfig, type LoadAgentsConfigOptions, loadAgentsConfig } from "./load.js";
export { type ParseAgentsConfigOptions, type ParseAgentsConfigResult, parseAgentsConfig } from "./parse.js";
export {
  type AgentRuntime,
  type AgentRuntimeOptions,
  createAgentRuntime,
  type ProviderDeps,
  type ProviderFactory,
} from "./runtime.js";
export {
  type AgentSettings,
  type AgentsConfig,
  BUILTIN_PROVIDERS,
  DEFAULT_KEY_ENV,
  KEYLESS_PROVIDERS,
  type KeyRef,
  type MockSettings,
  PERMISSIONS,
  type Permission,
  type ProviderSettings,
} from "./schema.js";
export { loadSecrets, parseSecrets, type Secrets } from "./secrets.js";
