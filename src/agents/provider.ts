/**
 * The Provider interface: what every agent backend implements — the built-in `mock`, and the SDK providers
 * (anthropic, openai, gemini) and CLI agents (claude, codex, gemini) that follow. Designed for streaming,
 * structured output, usage/cost accounting and session logs from the start.
 */
import type { Json, JsonObject } from "../core/json.js";

export interface AgentMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** How an agent name used by a workflow maps to a provider and model (from the agents config). */
export interface AgentConfig {
  name: string;
  provider: string;
  model?: string | undefined;
  system?: string | undefined;
  temperature?: number | undefined;
  maxTokens?: number | undefined;
  baseUrl?: string | undefined;
  /** Provider-specific settings. */
  options?: JsonObject | undefined;
}

export interface ProviderRequest {
  agent: AgentConfig;
  /** The rendered prompt (the last user message). */
  prompt: string;
  /** Earlier conversation, if any. */
  messages?: AgentMessage[] | undefined;
  /** JSON Schema the answer must satisfy; the provider returns the parsed JSON in `json`. */
  outputSchema?: JsonObject | undefined;
  /** CLI agents' permission mode (seed 002). */
  permission?: "default" | "plan" | "acceptEdits" | "bypassPermissions" | undefined;
  /** Working directory for CLI agents. */
  cwd?: string | undefined;
  /**
   * The session of this step run's previous attempt (a CLI agent's session id), when there was one: CLI
   * agents that can resume a session continue it on retry instead of starting over.
   */
  resumeSessionId?: string | undefined;
  /** Stable per step run: providers that support it dedupe on it; CLI agents derive a session from it. */
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  /** Streams text as the model writes it. */
  onProgress?: ((text: string) => void) | undefined;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** US dollars, when the provider's price is known. */
  costUsd?: number | undefined;
}

export interface ProviderResponse {
  text: string;
  json?: Json | undefined;
  usage: Usage;
  model: string;
  sessionId?: string | undefined;
  /** The full exchange, one JSON object per line when written to the step's session log. */
  transcript: JsonObject[];
}

export interface Provider {
  readonly name: string;
  generate(req: ProviderRequest): Promise<ProviderResponse>;
}

/** Resolves agent names to their configuration and provider. */
export interface ProviderRegistry {
  /** Returns the agent's config; an agent with no configuration resolves to the `mock` provider with `configured: false`. */
  resolve(agentName: string): { config: AgentConfig; provider: Provider; configured: boolean };
}
