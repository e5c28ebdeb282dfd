/**
 * The agents config file, `weft.config.yaml`: its shape (zod, checked with positions by parse.ts) and the
 * typed result. See docs/agents.md for the file format.
 *
 * Terminology: an **agent** is a name workflows use (`security`); a **provider** is the backend answering
 * it (`anthropic`, `claude`, `mock`); a **key reference** (`{ env: NAME }` or `{ secret: NAME }`) says where
 * an API key is read from at call time — the config never holds a key.
 */
import { z } from "zod";
import type { JsonObject } from "../../core/json.js";
import type { RateLimit } from "../limits/limiter.js";
import type { Price } from "../pricing.js";
import type { AgentConfig } from "../provider.js";

/** The providers weft ships (the CLI registers them); plugins may add others. */
export const BUILTIN_PROVIDERS = ["anthropic", "openai", "gemini", "claude", "codex", "gemini-cli", "mock"] as const;

/** Providers that are logged in by other means (CLI agents) or need nothing (mock): they never take a key. */
export const KEYLESS_PROVIDERS: readonly string[] = ["claude", "codex", "gemini-cli", "mock"];

/** The environment variables an SDK provider's key is read from by default, in order. */
export const DEFAULT_KEY_ENV: Readonly<Record<string, readonly string[]>> = {
  anthropic: ["ANTHROPIC_API_KEY"],
  openai: ["OPENAI_API_KEY"],
  gemini: ["GEMINI_API_KEY", "GOOGLE_API_KEY"],
};

/**
 * The hosts the default key variables belong to. An agent sent elsewhere (`baseUrl: http://127.0.0.1:11434/v1`)
 * gets a key only from an explicit `apiKey:` reference: weft does not hand your OpenAI key to another server.
 */
export const OFFICIAL_HOSTS: Readonly<Record<string, string>> = {
  anthropic: "api.anthropic.com",
  openai: "api.openai.com",
  gemini: "generativelanguage.googleapis.com",
};

export const PERMISSIONS = ["default", "plan", "acceptEdits", "bypassPermissions"] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** Where a key is read from: an environment variable, or an entry of the secrets file. */
export type KeyRef = { env: string } | { secret: string };

/** An agent as configured. `name` is its key under `agents:`. */
export interface AgentSettings extends AgentConfig {
  /** Models to switch to, in order, when the model fails transiently. */
  fallback?: string[] | undefined;
  /** CLI agents' default permission mode (a step's `permission` wins). */
  permission?: Permission | undefined;
  apiKey?: KeyRef | undefined;
}

/** Provider-wide defaults under `providers:`; an agent's own settings win. */
export interface ProviderSettings {
  baseUrl?: string | undefined;
  apiKey?: KeyRef | undefined;
  options?: JsonObject | undefined;
}

export interface MockSettings {
  /** Absolute path of a fixture file (see mock/fixtures.ts). */
  fixtures?: string | undefined;
  seed?: string | undefined;
  /** Simulated latency of every answer, ms. */
  latencyMs?: number | undefined;
}

/** The agents config, paths resolved. An empty object is a valid config: every agent is answered by the mock. */
export interface AgentsConfig {
  /** The file it was read from, for messages. */
  file?: string | undefined;
  agents?: Record<string, AgentSettings> | undefined;
  providers?: Record<string, ProviderSettings> | undefined;
  /** Absolute path of the secrets file (`NAME=value` lines, or a YAML/JSON map). */
  secrets?: string | undefined;
  /** USD per million tokens, by model id; wins over the built-in table. */
  prices?: Record<string, Price> | undefined;
  /** By key: `provider` or `provider/model`. */
  rateLimits?: Record<string, RateLimit> | undefined;
  mock?: MockSettings | undefined;
}

const httpUrl = z.url({ protocol: /^https?$/ });
const jsonMapping = z.record(z.string(), z.unknown());
/** apiKey is checked by hand (checks.ts) so that no message can ever quote it. */
const keyRef = z.unknown();
const perMinute = z.number().int().min(1);

export const agentSchema = z.strictObject({
  provider: z.string().min(1),
  model: z.string().min(1).optional(),
  system: z.string().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().min(1).optional(),
  baseUrl: httpUrl.optional(),
  fallback: z.array(z.string().min(1)).optional(),
  permission: z.enum(PERMISSIONS).optional(),
  apiKey: keyRef.optional(),
  options: jsonMapping.optional(),
});

export const providerSchema = z.strictObject({
  baseUrl: httpUrl.optional(),
  apiKey: keyRef.optional(),
  options: jsonMapping.optional(),
});

export const priceSchema = z.strictObject({ input: z.number().min(0), output: z.number().min(0) });

export const rateLimitSchema = z.strictObject({
  requestsPerMinute: perMinute.optional(),
  tokensPerMinute: perMinute.optional(),
});

export const mockSchema = z.strictObject({
  fixtures: z.string().min(1).optional(),
  seed: z.union([z.string(), z.number()]).optional(),
  latencyMs: z.number().min(0).optional(),
});

/** The file as written. Sections may be empty (`agents:` with nothing under it). */
export const configFileSchema = z.strictObject({
  agents: z.record(z.string().min(1), agentSchema).nullable().optional(),
  providers: z.record(z.string().min(1), providerSchema).nullable().optional(),
  secrets: z.string().min(1).optional(),
  prices: z.record(z.string().min(1), priceSchema).nullable().optional(),
  rateLimits: z.record(z.string().min(1), rateLimitSchema).nullable().optional(),
  mock: mockSchema.nullable().optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;

/** What a field must hold and how to write it, for messages. Keyed by the field's name. */
export const FIELDS: Readonly<Record<string, { what: string; hint: string }>> = {
  agents: {
    what: "a mapping of agent names to their settings",
    hint: "write `agents: { security: { provider: anthropic } }`",
  },
  providers: { what: "a mapping of provider names to defaults", hint: "write `providers: { openai: { baseUrl: … } }`" },
  prices: {
    what: "a mapping of model ids to prices",
    hint: 'write `prices: { "my-model": { input: 3, output: 15 } }`',
  },
  rateLimits: {
    what: "a mapping of `provider` or `provider/model` to limits",
    hint: "write `rateLimits: { anthropic: { requestsPerMinute: 50 } }`",
  },
  mock: { what: "a mapping", hint: "write `mock: { fixtures: ./fixtures.yaml, seed: 7 }`" },
  provider: { what: "a provider name", hint: `write one of ${BUILTIN_PROVIDERS.join(", ")}` },
  model: { what: "a model id", hint: "write the provider's model id, e.g. claude-sonnet-4-5" },
  system: { what: "a string", hint: 'write the system prompt as a string: "You are…"' },
  temperature: { what: "a number from 0 to 2", hint: "write e.g. `temperature: 0.2`" },
  maxTokens: { what: "a whole number ≥ 1", hint: "write the most tokens an answer may use, e.g. `maxTokens: 4096`" },
  baseUrl: { what: "an http(s) URL", hint: "write e.g. `baseUrl: http://127.0.0.1:11434/v1`" },
  fallback: { what: "a list of model ids", hint: "write `fallback: [claude-haiku-4-5]`, even for one model" },
  permission: { what: `one of ${PERMISSIONS.join(", ")}`, hint: `write one of ${PERMISSIONS.join(", ")}` },
  options: { what: "a mapping", hint: "write the provider's own settings as key: value pairs" },
  secrets: { what: "a file path", hint: "write the path of a NAME=value file, relative to this config file" },
  fixtures: { what: "a file path", hint: "write the path of a mock fixture file, relative to this config file" },
  seed: { what: "a string or a number", hint: "write e.g. `seed: 7`" },
  latencyMs: { what: "a number of milliseconds ≥ 0", hint: "write e.g. `latencyMs: 200`" },
  input: { what: "a price ≥ 0 (USD per million input tokens)", hint: "write e.g. `input: 3`" },
  output: { what: "a price ≥ 0 (USD per million output tokens)", hint: "write e.g. `output: 15`" },
  requestsPerMinute: {
    what: "a whole number ≥ 1",
    hint: "a limit is a positive number of requests per minute; remove the key for no limit",
  },
  tokensPerMinute: {
    what: "a whole number ≥ 1",
    hint: "a limit is a positive number of tokens per minute; remove the key for no limit",
  },
};
