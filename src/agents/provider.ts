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
  /** Models tried in turn when the model fails with a rate limit, overload or server error. */
  fallback?: readonly string[] | undefined;
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

/**
 * An image generation request (seed 000's "generate image" node): the agent's provider calls its image API.
 * The model is `agent.model` (an image model: `gpt-image-1`, `gemini-2.5-flash-image`, …).
 */
export interface ImageRequest {
  agent: AgentConfig;
  /** The rendered prompt. */
  prompt: string;
  /** How many images, 1–10. */
  count: number;
  /**
   * `WIDTHxHEIGHT` (`1024x1024`), an aspect ratio (`16:9`), a Gemini size class (`1K`, `2K`, `4K`) or `auto`;
   * each provider maps it to what its API takes. Default: the API's.
   */
  size?: string | undefined;
  /** A style, in words ("watercolor", "flat vector"): added to the prompt; OpenAI's dall-e-3 takes `vivid`/`natural`. */
  style?: string | undefined;
  /** The provider's quality setting (OpenAI: `low` | `medium` | `high` | `auto`, dall-e-3 `standard` | `hd`). */
  quality?: string | undefined;
  /** Stable per step run. */
  idempotencyKey: string;
  attempt: number;
  signal: AbortSignal;
  /** Progress lines ("image 2 of 3"). */
  onProgress?: ((text: string) => void) | undefined;
}

export interface GeneratedImage {
  data: Buffer;
  /** `image/png`, `image/jpeg`, `image/webp`. */
  mimeType: string;
  /** The prompt the model actually used, when it rewrote it (dall-e-3). */
  revisedPrompt?: string | undefined;
}

export interface ImageResponse {
  /** The images, at most `count`; fewer when the API filtered some out. */
  images: GeneratedImage[];
  /** Token usage and cost, when the API reports them. */
  usage?: Usage | undefined;
  /** The model the API reports (else the one asked for). */
  model: string;
  /** The exchange for the step's session log: the request body and the response, images as size + hash only. */
  transcript: JsonObject[];
}

export interface Provider {
  readonly name: string;
  generate(req: ProviderRequest): Promise<ProviderResponse>;
  /** The provider's image API, when it has one (openai, gemini, mock). */
  generateImages?(req: ImageRequest): Promise<ImageResponse>;
}

/** What `resolve(agentName)` returns. */
export interface ResolvedAgent {
  config: AgentConfig;
  provider: Provider;
  /** False when the mock answers because the agent has no configuration, or its key is missing. */
  configured: boolean;
  /**
   * One line for the run's log when the agent is not answered as configured, e.g. "agent security:
   * ANTHROPIC_API_KEY is not set; answered by the offline mock provider". Unset otherwise.
   */
  notice?: string | undefined;
}

/** Resolves agent names to their configuration and provider. */
export interface ProviderRegistry {
  /** Returns the agent's config; an agent with no configuration resolves to the `mock` provider with `configured: false`. */
  resolve(agentName: string): ResolvedAgent;
  /** The provider that answers unconfigured agents (the offline mock); a test run answers every agent with it. */
  readonly mock?: Provider | undefined;
}
