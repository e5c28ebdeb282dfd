/**
 * The `gemini` provider: `generateContentStream` of @google/genai against the Gemini API
 * (`POST {baseUrl}/{apiVersion}/models/{model}:streamGenerateContent?alt=sse`, key in `x-goog-api-key`; the
 * installed SDK's default API version is `v1`, `options.apiVersion` picks another, e.g. `v1beta`).
 *
 * Agent settings: `model` (required), `system` (→ `systemInstruction`), `temperature`, `maxTokens`
 * (→ `maxOutputTokens`), `baseUrl` (→ `httpOptions.baseUrl`, a proxy or a local test server), and `options`:
 * - `apiVersion`: the API version in the path (e.g. `"v1beta"` for features only it has). Default: the SDK's.
 * - `noKey: true`: the server needs no key (so does an agent whose `baseUrl` is on another host than
 *   generativelanguage.googleapis.com, when the resolver has no key); the SDK cannot omit its key header, so
 *   the placeholder `no-key` is sent.
 *
 * An `outputSchema` is sent natively: `responseMimeType: "application/json"` and `responseJsonSchema`.
 * Thought parts are not part of the answer; `outputTokens` counts them (they are billed as output).
 * A prompt the API blocks (`promptFeedback.blockReason`) is a `TerminalError`: the same prompt is blocked again.
 * The client is always the Gemini API (`vertexai: false`) and the SDK does not retry (no `retryOptions`).
 * Gemini's errors carry no headers in the SDK, so each request's fetch is wrapped to keep the response
 * headers (`Retry-After`); the body's `google.rpc.RetryInfo.retryDelay` is used when there is none.
 * Images (`generateImages`, Gemini image models through generateContent) are in gemini-images.ts.
 */
import { ApiError, type GenerateContentConfig, type GenerateContentResponse, GoogleGenAI } from "@google/genai";
import { TerminalError } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import { isJsonObject } from "../../core/json.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../provider.js";
import { geminiImages } from "./gemini-images.js";
import {
  type CallContext,
  consumeStream,
  conversationOf,
  createClientCache,
  DEFAULT_TIMEOUT_MS,
  type Failure,
  jsonSafe,
  parseJsonAnswer,
  requireModel,
  resolveKey,
  type SdkProviderOptions,
  safeUrl,
  toFailureError,
  transportFailure,
} from "./shared.js";

export type GeminiProviderOptions = SdkProviderOptions;

export const GEMINI_KEY_ENV = "GEMINI_API_KEY (or GOOGLE_API_KEY)";
/** The public API's host: an agent with a `baseUrl` elsewhere may go without a key. */
export const GEMINI_HOST = "generativelanguage.googleapis.com";

export function createGeminiProvider(opts: GeminiProviderOptions): Provider {
  const name = opts.name ?? "gemini";
  const client = createClientCache(
    (baseUrl, key) =>
      new GoogleGenAI({
        vertexai: false,
        apiKey: key ?? "no-key",
        ...(baseUrl === undefined ? {} : { httpOptions: { baseUrl } }),
      }),
  );
  const apiVersionOf = (req: { agent: ProviderRequest["agent"] }) => {
    const version = req.agent.options?.apiVersion;
    return typeof version === "string" && version !== "" ? { apiVersion: version } : {};
  };

  return {
    name,
    generateImages: geminiImages({
      name,
      opts,
      client,
      describe,
      apiVersionOf,
      keyHint: GEMINI_KEY_ENV,
      host: GEMINI_HOST,
    }),
    async generate(req: ProviderRequest): Promise<ProviderResponse> {
      const keyHint = opts.keyHint?.(req.agent) ?? GEMINI_KEY_ENV;
      const model = requireModel(name, req.agent);
      const key = resolveKey(name, req, opts, keyHint, GEMINI_HOST);
      const ctx: CallContext = {
        provider: name,
        model,
        agent: req.agent,
        keyHint,
        secrets: key === undefined ? [] : [key],
        signal: req.signal,
      };
      const baseUrl = req.agent.baseUrl ?? opts.baseUrl;
      const { system, turns } = conversationOf(req);
      const contents = turns.map((turn) => ({
        role: turn.role === "assistant" ? "model" : "user",
        parts: [{ text: turn.content }],
      }));
      const config: GenerateContentConfig = {};
      if (system !== undefined) config.systemInstruction = system;
      if (req.agent.temperature !== undefined) config.temperature = req.agent.temperature;
      if (req.agent.maxTokens !== undefined) config.maxOutputTokens = req.agent.maxTokens;
      if (req.outputSchema) {
        config.responseMimeType = "application/json";
        config.responseJsonSchema = req.outputSchema;
      }

      // The headers of this request's last response: ApiError does not carry them.
      let lastHeaders: Headers | undefined;
      const baseFetch = opts.fetch ?? globalThis.fetch;
      const capturingFetch: typeof fetch = async (input, init) => {
        const response = await baseFetch(input, init);
        lastHeaders = response.headers;
        return response;
      };
      const state = newState();
      await consumeStream(ctx, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        onProgress: req.onProgress,
        open: (signal) =>
          client(baseUrl, key).models.generateContentStream({
            model,
            contents,
            config: { ...config, abortSignal: signal, httpOptions: { fetch: capturingFetch, ...apiVersionOf(req) } },
          }),
        onItem: (chunk: GenerateContentResponse, progress) => onChunk(state, chunk, progress),
        describe: (err) => describe(err, lastHeaders, state.chunks),
      });
      if (state.chunks === 0) {
        throw toFailureError(ctx, { type: "malformed", message: "the response held no server-sent events" }, undefined);
      }
      if (state.blockReason !== undefined) {
        throw new TerminalError(
          `${name} ${model}: the API blocked the prompt (${state.blockReason}); the same prompt would be blocked again`,
          "WEFT_PROVIDER",
        );
      }
      if (state.finishReason === undefined) {
        throw toFailureError(ctx, { type: "network", message: "the stream ended before a finishReason" }, undefined);
      }

      const json = req.outputSchema ? parseJsonAnswer(state.text) : undefined;
      const text = state.text;
      const usage = { inputTokens: state.inputTokens, outputTokens: state.outputTokens };
      const request: JsonObject = {
        type: "request",
        provider: name,
        agent: req.agent.name,
        ...(baseUrl === undefined ? {} : { baseUrl: safeUrl(baseUrl) ?? null }),
        body: jsonSafe({ model, contents, config }, ctx.secrets),
      };
      const response: JsonObject = {
        type: "response",
        id: state.id ?? null,
        model: state.model ?? model,
        text: jsonSafe(text, ctx.secrets),
        finishReason: state.finishReason,
        usage: { ...usage, raw: jsonSafe(state.usageMetadata ?? null, ctx.secrets) },
      };
      if (json !== undefined) response.json = jsonSafe(json, ctx.secrets);
      return { text, json, usage, model: state.model ?? model, transcript: [request, response] };
    },
  };
}

interface StreamState {
  chunks: number;
  id: string | undefined;
  model: string | undefined;
  text: string;
  finishReason: string | undefined;
  blockReason: string | undefined;
  inputTokens: number;
  outputTokens: number;
  usageMetadata: GenerateContentResponse["usageMetadata"];
}

function newState(): StreamState {
  return {
    chunks: 0,
    id: undefined,
    model: undefined,
    text: "",
    finishReason: undefined,
    blockReason: undefined,
    inputTokens: 0,
    outputTokens: 0,
    usageMetadata: undefined,
  };
}

function onChunk(state: StreamState, chunk: GenerateContentResponse, progress: (text: string) => void) {
  state.chunks++;
  state.id ??= chunk.responseId;
  if (chunk.modelVersion) state.model = chunk.modelVersion;
  if (chunk.promptFeedback?.blockReason) state.blockReason = chunk.promptFeedback.blockReason;
  const usage = chunk.usageMetadata;
  if (usage) {
    state.usageMetadata = usage;
    state.inputTokens = (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0);
    state.outputTokens = (usage.candidatesTokenCount ?? 0) + (usage.thoughtsTokenCount ?? 0);
  }
  const candidate = chunk.candidates?.[0];
  if (!candidate) return;
  for (const part of candidate.content?.parts ?? []) {
    if (part.thought || !part.text) continue;
    state.text += part.text;
    progress(part.text);
  }
  if (candidate.finishReason) state.finishReason = candidate.finishReason;
}

function describe(err: unknown, headers: Headers | undefined, chunks: number): Failure {
  if (err instanceof ApiError) {
    const body = errorBody(err.message);
    return {
      type: "http",
      status: err.status,
      message: body?.message ?? err.message,
      errorType: body?.status,
      headers,
      retryAfterMs: body?.retryAfterMs,
    };
  }
  // The SDK's words for a body that ended inside an event: no event at all means it was no event stream.
  if (err instanceof Error && /Incomplete JSON segment/.test(err.message)) {
    return chunks === 0
      ? { type: "malformed", message: `the response is not a server-sent event stream (${err.message})` }
      : { type: "network", message: `the stream was cut short (${err.message})` };
  }
  return transportFailure(err);
}

/** The `{ error: { message, status, details } }` envelope inside an ApiError's message. */
function errorBody(message: string): { message?: string; status?: string; retryAfterMs?: number } | undefined {
  const start = message.indexOf("{");
  if (start < 0) return undefined;
  let parsed: Json;
  try {
    parsed = JSON.parse(message.slice(start)) as Json;
  } catch {
    return undefined;
  }
  const error = isJsonObject(parsed) ? parsed.error : undefined;
  if (!isJsonObject(error)) return undefined;
  const out: { message?: string; status?: string; retryAfterMs?: number } = {};
  if (typeof error.message === "string") out.message = error.message;
  if (typeof error.status === "string") out.status = error.status;
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    if (!isJsonObject(detail) || typeof detail.retryDelay !== "string") continue;
    const seconds = /^(\d+(?:\.\d+)?)s$/.exec(detail.retryDelay.trim());
    if (seconds?.[1] !== undefined) out.retryAfterMs = Math.ceil(Number.parseFloat(seconds[1]) * 1000);
  }
  return out;
}
