/**
 * Maps agent names to providers. Configured agents use the provider their config names (an unknown provider
 * name is an error now, at creation, not at the first run); any other agent name is answered by the mock
 * provider and reported as `configured: false`, so a workflow runs before anyone has set up a key.
 *
 * `createProviderRegistry` takes agents and providers as they are; `createAgentRuntime` (config/runtime.ts)
 * builds a registry from `weft.config.yaml`, with keys, rate limits and prices.
 */
import { WeftError } from "../core/errors.js";
import { createMockProvider } from "./mock/index.js";
import type { AgentConfig, Provider, ProviderRegistry, ResolvedAgent } from "./provider.js";

export type { ResolvedAgent } from "./provider.js";

/** A `ProviderRegistry` whose answers may carry a notice. */
export interface AgentRegistry extends ProviderRegistry {
  resolve(agentName: string): ResolvedAgent;
}

export interface ProviderRegistryOptions {
  /** Agent configurations by agent name (the key is the name workflows use). */
  agents?: Record<string, AgentConfig> | undefined;
  /** Providers agents may name, besides `mock`. */
  providers?: Provider[] | undefined;
  /** The provider named `mock`, which also answers unconfigured agents. Default: `createMockProvider()`. */
  mock?: Provider | undefined;
}

export function createProviderRegistry(opts: ProviderRegistryOptions = {}): AgentRegistry {
  const mock = opts.mock ?? createMockProvider();
  const byName = new Map<string, Provider>([["mock", mock]]);
  for (const provider of opts.providers ?? []) {
    if (byName.has(provider.name) && byName.get(provider.name) !== provider) {
      throw new WeftError("WEFT_PROVIDER", `two providers are named "${provider.name}"; provider names must be unique`);
    }
    byName.set(provider.name, provider);
  }
  const resolved = new Map<string, ResolvedAgent>();
  for (const [name, config] of Object.entries(opts.agents ?? {})) {
    const provider = byName.get(config.provider);
    if (!provider) {
      const known = [...byName.keys()].sort().join(", ");
      throw new WeftError(
        "WEFT_PROVIDER",
        `agent "${name}" uses provider "${config.provider}", which is not available (available: ${known}); fix the agents configuration or register the provider`,
      );
    }
    resolved.set(name, { config: { ...config, name }, provider, configured: true });
  }
  return {
    mock,
    resolve(agentName) {
      return (
        resolved.get(agentName) ?? { config: { name: agentName, provider: "mock" }, provider: mock, configured: false }
      );
    },
  };
}

/**
 * The registry of a test run: every agent answered by `mock`, whatever `base` configures it with. An agent
 * `base` sends to another provider keeps its model, system prompt, temperature and max tokens (what the mock
 * records), not its provider's settings, and the run's log says once that it was mocked.
 */
export function testRunRegistry(base: ProviderRegistry, mock: Provider): ProviderRegistry {
  return {
    mock,
    resolve(agentName) {
      const r = base.resolve(agentName);
      if (r.provider === mock || r.provider.name === "mock") return r;
      const { model, system, temperature, maxTokens } = r.config;
      const config: AgentConfig = { name: agentName, provider: "mock" };
      if (model !== undefined) config.model = model;
      if (system !== undefined) config.system = system;
      if (temperature !== undefined) config.temperature = temperature;
      if (maxTokens !== undefined) config.maxTokens = maxTokens;
      return {
        config,
        provider: mock,
        configured: false,
        notice: `agent ${agentName}: a test run; answered by the offline mock provider instead of ${r.provider.name}`,
      };
    },
  };
}
