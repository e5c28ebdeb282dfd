/**
 * `createAgentRuntime`: the agents config turned into the registry the engine asks for providers.
 *
 * - Every provider (the mock too) is wrapped by `withLimits`: the config's `rateLimits` queue calls, a 429
 *   with Retry-After is waited out inside the call, and `usage.costUsd` is filled from the price table (the
 *   config's `prices` over the built-in list) when the provider did not report it.
 * - Providers get the agents' API keys only through `apiKey(agent)`, read at call time from the environment
 *   or the secrets file; nothing else holds a key.
 * - An agent whose key is missing is answered by the mock with a notice naming the variable
 *   ("agent security: ANTHROPIC_API_KEY is not set; answered by the offline mock provider") and
 *   `configured: false`; so is an agent the config does not name (without a notice, as before).
 * - An agent naming a provider that was not registered is an error at creation, not at the first run.
 */
import { resolve as resolvePath } from "node:path";
import { type Issue, WeftError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { type LimiterClock, systemLimiterClock } from "../limits/clock.js";
import { createRateLimits, type RateLimits } from "../limits/rate-limits.js";
import { withLimits } from "../limits/with-limits.js";
import { createMockProvider } from "../mock/index.js";
import { createPriceTable, type PriceTable } from "../pricing.js";
import type { AgentConfig, Provider } from "../provider.js";
import type { AgentRegistry, ResolvedAgent } from "../registry.js";
import {
  createKeyResolver,
  describeKeySource,
  type Env,
  type KeySource,
  keyLookup,
  keySourceOf,
  sourceForRequest,
} from "./keys.js";
import { findAgentsConfig, loadAgentsConfig } from "./load.js";
import type { AgentSettings, AgentsConfig, Permission } from "./schema.js";
import { loadSecrets } from "./secrets.js";

/** What a provider factory gets from the runtime. */
export interface ProviderDeps {
  /** The API key of the agent a request is for, read now (environment or secrets file). Do not keep it. */
  apiKey(agent: AgentConfig): string | undefined;
  /** Where that key is expected, for error messages: "ANTHROPIC_API_KEY", "the secret WORK_KEY". */
  keyHint(agent: AgentConfig): string;
}

/** Creates a provider; called once, when the runtime is created. */
export type ProviderFactory = (deps: ProviderDeps) => Provider;

export interface AgentRuntimeOptions {
  /**
   * The agents config: already read, or the path of the file (relative to `cwd`). Default: `weft.config.yaml`
   * (or `.yml`, `.json`) in `cwd` when there is one; otherwise no agents are configured.
   */
  config?: AgentsConfig | string | undefined;
  /** Where keys are read from at call time: `process.env`, read by the CLI or server, never deeper. */
  env: Env;
  /** The working directory: where the config is looked for. */
  cwd: string;
  /** The providers agents may name besides `mock`: instances, or factories given the key resolver. */
  providers?: ReadonlyArray<Provider | ProviderFactory> | undefined;
  /** The rate limiters' clock. Default: real time. */
  clock?: LimiterClock | undefined;
  /** Replaces the mock the config's `mock:` section describes. */
  mock?: Provider | undefined;
  /** Overrides `mock.fixtures` of the config (the CLI's `--mock-fixtures`). */
  mockFixtures?: string | undefined;
  /** Retries of a 429 with Retry-After inside one call. Default 3. */
  maxRateLimitRetries?: number | undefined;
  /** The most Retry-After one call waits out, in ms. Default 300 000. */
  maxRetryWaitMs?: number | undefined;
}

export interface AgentRuntime extends AgentRegistry {
  /** The config file read, if any. */
  readonly configFile: string | undefined;
  /** The secrets file it names, if any (a sandbox hides it from scripts). */
  readonly secretsFile: string | undefined;
  /** The config's warnings (errors throw at creation). */
  readonly warnings: readonly Issue[];
  readonly prices: PriceTable;
  readonly limits: RateLimits;
  /** The key resolver providers get, for providers created outside the runtime. */
  apiKey(agent: AgentConfig): string | undefined;
}

function readConfig(
  opts: AgentRuntimeOptions,
  providerNames: readonly string[],
): { config: AgentsConfig; warnings: Issue[] } {
  if (opts.config !== undefined && typeof opts.config !== "string") return { config: opts.config, warnings: [] };
  const file = opts.config === undefined ? findAgentsConfig(opts.cwd) : resolvePath(opts.cwd, opts.config);
  if (file === undefined) return { config: {}, warnings: [] };
  return loadAgentsConfig(file, { providerNames });
}

function withPermission(provider: Provider, permission: Permission): Provider {
  return {
    name: provider.name,
    generate: (req) => provider.generate(req.permission === undefined ? { ...req, permission } : req),
    ...(provider.generateImages ? { generateImages: provider.generateImages.bind(provider) } : {}),
  };
}

interface Agent {
  config: AgentConfig;
  provider: Provider;
  key: KeySource;
}

/**
 * Builds the agent registry from the config.
 * @throws ValidationError when the config file (or the secrets file) has errors; WeftError `WEFT_NOT_FOUND`
 *   when a named config file cannot be read; WeftError `WEFT_PROVIDER` when two providers share a name or an
 *   agent names a provider that is not registered.
 */
export function createAgentRuntime(opts: AgentRuntimeOptions): AgentRuntime {
  // Factories run before the config is read (their names decide which providers the config may name); the
  // resolver they get reads the config only when a request is made.
  let config: AgentsConfig = {};
  let resolveKey: (agent: AgentConfig) => string | undefined = () => undefined;
  const deps: ProviderDeps = {
    apiKey: (agent) => resolveKey(agent),
    keyHint: (agent) => describeKeySource(sourceForRequest(agent, config), agent.provider),
  };
  const given = (opts.providers ?? []).map((p) => (typeof p === "function" ? p(deps) : p));
  const names = [...new Set(["mock", ...given.map((p) => p.name)])];
  const read = readConfig(opts, names);
  config = read.config;
  const warnings = read.warnings;

  const secrets = config.secrets === undefined ? undefined : loadSecrets(config.secrets);
  const lookup = keyLookup(opts.env, secrets, config.secrets);
  resolveKey = createKeyResolver(config, lookup);

  const clock = opts.clock ?? systemLimiterClock;
  const limits = createRateLimits(config.rateLimits ?? {}, clock);
  const prices = createPriceTable(config.prices ?? {});
  const wrap = (provider: Provider) =>
    withLimits(provider, {
      limits,
      prices,
      maxRateLimitRetries: opts.maxRateLimitRetries,
      maxRetryWaitMs: opts.maxRetryWaitMs,
    });
  const fixtures = opts.mockFixtures ?? config.mock?.fixtures;
  const mock = wrap(
    opts.mock ??
      createMockProvider({
        ...(fixtures === undefined ? {} : { fixtures }),
        seed: config.mock?.seed,
        latencyMs: config.mock?.latencyMs,
      }),
  );
  const byName = new Map<string, Provider>([["mock", mock]]);
  for (const provider of given) {
    if (byName.has(provider.name)) {
      throw new WeftError("WEFT_PROVIDER", `two providers are named "${provider.name}"; provider names must be unique`);
    }
    byName.set(provider.name, wrap(provider));
  }

  const agents = new Map<string, Agent>();
  for (const [name, settings] of Object.entries(config.agents ?? {})) {
    const provider = byName.get(settings.provider);
    if (!provider) {
      const known = [...byName.keys()].sort().join(", ");
      throw new WeftError(
        "WEFT_PROVIDER",
        `agent "${name}" uses provider "${settings.provider}", which is not available (available: ${known}); fix the agents configuration or register the provider`,
      );
    }
    const agentConfig = agentConfigOf(name, settings, config);
    agents.set(name, {
      config: agentConfig,
      provider: settings.permission ? withPermission(provider, settings.permission) : provider,
      key: keySourceOf({ ...agentConfig, apiKey: settings.apiKey }, config),
    });
  }

  return {
    configFile: config.file,
    secretsFile: config.secrets,
    warnings,
    prices,
    limits,
    apiKey: deps.apiKey,
    mock,
    resolve(agentName): ResolvedAgent {
      const agent = agents.get(agentName);
      if (!agent) return { config: { name: agentName, provider: "mock" }, provider: mock, configured: false };
      if (agent.key.kind === "none" || lookup.read(agent.key) !== undefined) {
        return { config: agent.config, provider: agent.provider, configured: true };
      }
      const { system, temperature, maxTokens } = agent.config;
      const fallback: AgentConfig = { name: agentName, provider: "mock" };
      if (system !== undefined) fallback.system = system;
      if (temperature !== undefined) fallback.temperature = temperature;
      if (maxTokens !== undefined) fallback.maxTokens = maxTokens;
      return {
        config: fallback,
        provider: mock,
        configured: false,
        notice: `agent ${agentName}: ${lookup.missing(agent.key)}; answered by the offline mock provider`,
      };
    },
  };
}

/** The agent as providers see it: provider-wide `baseUrl` and `options` applied, no key reference. */
function agentConfigOf(name: string, settings: AgentSettings, config: AgentsConfig): AgentSettings {
  const { apiKey: _reference, ...rest } = settings;
  const defaults = config.providers?.[settings.provider];
  const out: AgentSettings = { ...rest, name };
  const baseUrl = settings.baseUrl ?? defaults?.baseUrl;
  if (baseUrl !== undefined) out.baseUrl = baseUrl;
  if (defaults?.options || settings.options) {
    out.options = { ...(defaults?.options ?? {}), ...(settings.options ?? {}) } as JsonObject;
  }
  return out;
}
