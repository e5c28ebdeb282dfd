/**
 * Where each agent's API key comes from, and the resolver providers call for it at call time.
 *
 * The source, first that applies: the agent's `apiKey`; the provider's `apiKey` under `providers:`; the
 * provider's default environment variables (ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY then
 * GOOGLE_API_KEY) — but only while the agent talks to the provider's own host: an agent with another `baseUrl`
 * (a local Ollama, a proxy) gets no key unless it names one. CLI agents and the mock take no key, nor does an
 * agent with `options.noKey: true` (a server that needs none, on the official host name through a tunnel…).
 * An empty variable counts as unset. The key is read on every call and never kept anywhere else.
 */
import type { AgentConfig } from "../provider.js";
import {
  type AgentSettings,
  type AgentsConfig,
  DEFAULT_KEY_ENV,
  KEYLESS_PROVIDERS,
  type KeyRef,
  OFFICIAL_HOSTS,
} from "./schema.js";
import type { Secrets } from "./secrets.js";

export type Env = Readonly<Record<string, string | undefined>>;

/** Where an agent's key is read from; `none`: the agent takes no key. */
export type KeySource = { kind: "none" } | { kind: "env"; names: readonly string[] } | { kind: "secret"; name: string };

function onOfficialHost(provider: string, baseUrl: string | undefined): boolean {
  if (baseUrl === undefined) return true;
  try {
    return new URL(baseUrl).hostname === OFFICIAL_HOSTS[provider];
  } catch {
    return false;
  }
}

/** The key source of an agent (its provider-wide defaults applied). */
export function keySourceOf(
  agent: Pick<AgentSettings, "provider" | "baseUrl" | "apiKey" | "options">,
  config: AgentsConfig,
): KeySource {
  const provider = agent.provider;
  if (KEYLESS_PROVIDERS.includes(provider)) return { kind: "none" };
  const defaults = config.providers?.[provider];
  const ref: KeyRef | undefined = agent.apiKey ?? defaults?.apiKey;
  if (ref) return "env" in ref ? { kind: "env", names: [ref.env] } : { kind: "secret", name: ref.secret };
  const names = DEFAULT_KEY_ENV[provider];
  if (agent.options?.noKey === true || defaults?.options?.noKey === true) return { kind: "none" };
  if (!names || !onOfficialHost(provider, agent.baseUrl ?? defaults?.baseUrl)) return { kind: "none" };
  return { kind: "env", names };
}

/** Where a source's key is expected, for messages: "ANTHROPIC_API_KEY", "the secret WORK_KEY". Never the key. */
export function describeKeySource(source: KeySource, provider: string): string {
  if (source.kind === "env") return source.names.join(" or ");
  if (source.kind === "secret") return `the secret ${source.name}`;
  return DEFAULT_KEY_ENV[provider]?.join(" or ") ?? "an API key";
}

export interface KeyLookup {
  /** The key from `source`, or undefined when it is not set. */
  read(source: KeySource): string | undefined;
  /** Why `source` gave no key, for a notice: "ANTHROPIC_API_KEY is not set". */
  missing(source: Exclude<KeySource, { kind: "none" }>): string;
}

/** Reads keys from `env` and the secrets (undefined: the config's secrets file does not exist). */
export function keyLookup(env: Env, secrets: Secrets | undefined, secretsFile: string | undefined): KeyLookup {
  const nonEmpty = (v: string | undefined) => (v === undefined || v === "" ? undefined : v);
  return {
    read(source) {
      if (source.kind === "none") return undefined;
      if (source.kind === "secret") return nonEmpty(secrets?.get(source.name));
      for (const name of source.names) {
        const value = nonEmpty(env[name]);
        if (value !== undefined) return value;
      }
      return undefined;
    },
    missing(source) {
      if (source.kind === "env") return `${source.names.join(" or ")} is not set`;
      if (!secrets) return `the secrets file ${secretsFile ?? "(none)"} does not exist (it should hold ${source.name})`;
      return `the secret ${source.name} is not in ${secretsFile ?? "the secrets file"}`;
    },
  };
}

/**
 * The function handed to providers: the API key of the agent a request is for, read now. Agents are looked
 * up by name in the config; an agent the config does not know uses its provider's defaults.
 */
export function createKeyResolver(config: AgentsConfig, lookup: KeyLookup): (agent: AgentConfig) => string | undefined {
  return (agent) => lookup.read(sourceForRequest(agent, config));
}

/** The key source of the agent a request is for (by name in the config, else its provider's defaults). */
export function sourceForRequest(agent: AgentConfig, config: AgentsConfig): KeySource {
  const configured = config.agents?.[agent.name];
  const settings = configured && configured.provider === agent.provider ? configured : agent;
  return keySourceOf({ ...settings, baseUrl: agent.baseUrl ?? settings.baseUrl }, config);
}
