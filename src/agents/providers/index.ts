/**
 * The SDK providers: `anthropic` (Messages API), `openai` (Chat Completions, and any OpenAI-compatible
 * server through `baseUrl`) and `gemini` (@google/genai). Each factory takes the same options
 * (`SdkProviderOptions`: a key resolver from the agents configuration, base URL, fetch, timeout); see
 * README.md next to this file for how each maps an agent's settings.
 */
export {
  ANTHROPIC_DEFAULT_MAX_TOKENS,
  ANTHROPIC_HOST,
  ANTHROPIC_KEY_ENV,
  ANTHROPIC_OUTPUT_TOOL,
  type AnthropicProviderOptions,
  createAnthropicProvider,
} from "./anthropic.js";
export { createGeminiProvider, GEMINI_HOST, GEMINI_KEY_ENV, type GeminiProviderOptions } from "./gemini.js";
export {
  createOpenAIProvider,
  OPENAI_HOST,
  OPENAI_KEY_ENV,
  type OpenAIProviderOptions,
  qualifiesForStrict,
} from "./openai.js";
export {
  createProgressBuffer,
  DEFAULT_TIMEOUT_MS,
  type ProgressBuffer,
  type ProgressBufferOptions,
  parseRetryAfter,
  type SdkProviderOptions,
} from "./shared.js";
