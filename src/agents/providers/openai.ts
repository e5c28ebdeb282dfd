/**
 * The `openai` provider: Chat Completions through the openai SDK, always streamed — the API OpenAI-compatible
 * servers (Ollama, vLLM, LM Studio, …) implement, so `baseUrl` (e.g. `http://127.0.0.1:11434/v1`) points
 * it elsewhere.
 *
 * Agent settings: `model` (required), `system`, `temperature`, `maxTokens`, `baseUrl`, and `options`:
 * - `noKey: true`: the server needs no key (a local Ollama); no Authorization header is sent. An agent whose
 *   `baseUrl` is on another host than api.openai.com goes keyless too when the key resolver has no key for
 *   it (the agents configuration hands such agents no key unless they name one). A resolver that returns a
 *   placeholder ("ollama") works as well: it is sent as a Bearer token the server ignores.
 * - `maxTokensField`: `"max_completion_tokens"` (default for api.openai.com) or `"max_tokens"` (default when
 *   the agent has a `baseUrl`: what most compatible servers read).
 * - `includeUsage: false`: do not send `stream_options.include_usage` (for servers that reject it; usage is
 *   then reported as 0).
 *
 * An `outputSchema` is sent as `response_format: { type: "json_schema", json_schema: { name, schema, strict } }`,
 * `strict: true` only when the schema qualifies (every object has `additionalProperties: false` and requires
 * all its properties); a schema whose root is not an object is wrapped as `{ result: … }` and unwrapped.
 * The SDK's own retries are off (`maxRetries: 0`); organization and project headers are not sent.
 * Images (`generateImages`, the Images API) are in openai-images.ts.
 */
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from "openai/resources/chat/completions";
import type { Json, JsonObject } from "../../core/json.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../provider.js";
import { openAIImages } from "./openai-images.js";
import {
  type CallContext,
  consumeStream,
  conversationOf,
  createClientCache,
  DEFAULT_TIMEOUT_MS,
  type Failure,
  jsonSafe,
  objectRooted,
  parseJsonAnswer,
  requireModel,
  resolveKey,
  type SdkProviderOptions,
  safeUrl,
  toFailureError,
  transportFailure,
} from "./shared.js";

export type OpenAIProviderOptions = SdkProviderOptions;

export const OPENAI_KEY_ENV = "OPENAI_API_KEY";
/** The public API's host: an agent with a `baseUrl` elsewhere may go without a key. */
export const OPENAI_HOST = "api.openai.com";

export function createOpenAIProvider(opts: OpenAIProviderOptions): Provider {
  const name = opts.name ?? "openai";
  const client = createClientCache(
    (baseUrl, key) =>
      new OpenAI({
        apiKey: key ?? "no-key",
        baseURL: baseUrl,
        organization: null,
        project: null,
        maxRetries: 0,
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        // No key: send no credentials at all (a null default header removes the SDK's auth header).
        ...(key === undefined ? { defaultHeaders: { Authorization: null } } : {}),
      }),
  );

  return {
    name,
    generateImages: openAIImages({ name, opts, client, describe, keyHint: OPENAI_KEY_ENV, host: OPENAI_HOST }),
    async generate(req: ProviderRequest): Promise<ProviderResponse> {
      const keyHint = opts.keyHint?.(req.agent) ?? OPENAI_KEY_ENV;
      const model = requireModel(name, req.agent);
      const key = resolveKey(name, req, opts, keyHint, OPENAI_HOST);
      const ctx: CallContext = {
        provider: name,
        model,
        agent: req.agent,
        keyHint,
        secrets: key === undefined ? [] : [key],
        signal: req.signal,
      };
      const baseUrl = req.agent.baseUrl ?? opts.baseUrl;
      const { params, wrapped } = buildParams(req, model, baseUrl !== undefined);
      const state = newState();
      await consumeStream(ctx, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        onProgress: req.onProgress,
        open: (signal) => client(baseUrl, key).chat.completions.create(params, { signal }),
        onItem: (chunk: ChatCompletionChunk, progress) => onChunk(state, chunk, progress),
        describe,
      });
      if (state.chunks === 0) {
        throw toFailureError(ctx, { type: "malformed", message: "the response held no completion chunks" }, undefined);
      }
      if (state.finishReason === undefined) {
        throw toFailureError(ctx, { type: "network", message: "the stream ended before a finish_reason" }, undefined);
      }

      const json = req.outputSchema ? parseJsonAnswer(state.text, wrapped) : undefined;
      const answer = state.text !== "" ? state.text : state.refusal;
      const text = wrapped && json !== undefined ? JSON.stringify(json) : answer;
      const usage = { inputTokens: state.usage?.prompt_tokens ?? 0, outputTokens: state.usage?.completion_tokens ?? 0 };
      const request: JsonObject = {
        type: "request",
        provider: name,
        agent: req.agent.name,
        ...(baseUrl === undefined ? {} : { baseUrl: safeUrl(baseUrl) ?? null }),
        body: jsonSafe(params, ctx.secrets),
      };
      const response: JsonObject = {
        type: "response",
        id: state.id ?? null,
        model: state.model ?? model,
        text: jsonSafe(text, ctx.secrets),
        finishReason: state.finishReason,
        usage: { ...usage, raw: jsonSafe(state.usage ?? null, ctx.secrets) },
      };
      if (state.refusal !== "") response.refusal = jsonSafe(state.refusal, ctx.secrets);
      if (state.fingerprint !== undefined) response.systemFingerprint = state.fingerprint;
      if (json !== undefined) response.json = jsonSafe(json, ctx.secrets);
      return { text, json, usage, model: state.model ?? model, transcript: [request, response] };
    },
  };
}

function buildParams(
  req: ProviderRequest,
  model: string,
  customBaseUrl: boolean,
): { params: ChatCompletionCreateParamsStreaming; wrapped: boolean } {
  const { system, turns } = conversationOf(req);
  const messages: ChatCompletionMessageParam[] = [];
  if (system !== undefined) messages.push({ role: "system", content: system });
  for (const turn of turns) messages.push({ role: turn.role, content: turn.content });
  const params: ChatCompletionCreateParamsStreaming = { model, messages, stream: true };
  if (req.agent.options?.includeUsage !== false) params.stream_options = { include_usage: true };
  if (req.agent.temperature !== undefined) params.temperature = req.agent.temperature;
  if (req.agent.maxTokens !== undefined) {
    const field = req.agent.options?.maxTokensField ?? (customBaseUrl ? "max_tokens" : "max_completion_tokens");
    if (field === "max_tokens") params.max_tokens = req.agent.maxTokens;
    else params.max_completion_tokens = req.agent.maxTokens;
  }
  if (!req.outputSchema) return { params, wrapped: false };
  const { schema, wrapped } = objectRooted(req.outputSchema);
  params.response_format = {
    type: "json_schema",
    json_schema: { name: schemaName(req.outputSchema), schema, strict: qualifiesForStrict(schema) },
  };
  return { params, wrapped };
}

/** The schema's title as a response_format name (`^[a-zA-Z0-9_-]{1,64}$`), else "output". */
function schemaName(schema: JsonObject): string {
  const title = typeof schema.title === "string" ? schema.title.replace(/[^a-zA-Z0-9_-]+/g, "_").slice(0, 64) : "";
  return /[a-zA-Z0-9]/.test(title) ? title : "output";
}

/**
 * Whether OpenAI's strict mode accepts the schema as it is: every object (anywhere: properties, items,
 * combinators, definitions) has `additionalProperties: false` and lists all its properties in `required`.
 */
export function qualifiesForStrict(schema: Json): boolean {
  if (Array.isArray(schema)) return schema.every(qualifiesForStrict);
  if (typeof schema !== "object" || schema === null) return true;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const properties = schema.properties;
  if (types.includes("object") || properties !== undefined) {
    if (schema.additionalProperties !== false) return false;
    const keys = typeof properties === "object" && properties !== null && !Array.isArray(properties) ? properties : {};
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (!Object.keys(keys).every((key) => required.includes(key))) return false;
    if (!Object.values(keys).every(qualifiesForStrict)) return false;
  }
  for (const key of ["items", "prefixItems", "anyOf", "allOf", "oneOf", "not"]) {
    const sub = schema[key];
    if (sub !== undefined && !qualifiesForStrict(sub)) return false;
  }
  for (const key of ["$defs", "definitions"]) {
    const defs = schema[key];
    if (typeof defs === "object" && defs !== null && !Array.isArray(defs)) {
      if (!Object.values(defs).every(qualifiesForStrict)) return false;
    }
  }
  return true;
}

interface StreamState {
  chunks: number;
  id: string | undefined;
  model: string | undefined;
  fingerprint: string | undefined;
  text: string;
  refusal: string;
  finishReason: string | undefined;
  usage: ChatCompletionChunk["usage"];
}

function newState(): StreamState {
  return {
    chunks: 0,
    id: undefined,
    model: undefined,
    fingerprint: undefined,
    text: "",
    refusal: "",
    finishReason: undefined,
    usage: undefined,
  };
}

function onChunk(state: StreamState, chunk: ChatCompletionChunk, progress: (text: string) => void) {
  state.chunks++;
  state.id ??= chunk.id;
  if (chunk.model) state.model = chunk.model;
  if (chunk.system_fingerprint) state.fingerprint = chunk.system_fingerprint;
  if (chunk.usage) state.usage = chunk.usage;
  const choice = chunk.choices?.find((c) => c.index === 0) ?? chunk.choices?.[0];
  if (!choice) return;
  const { content, refusal } = choice.delta ?? {};
  if (content) {
    state.text += content;
    progress(content);
  }
  if (refusal) {
    state.refusal += refusal;
    progress(refusal);
  }
  if (choice.finish_reason) state.finishReason = choice.finish_reason;
}

function describe(err: unknown): Failure {
  if (err instanceof APIConnectionTimeoutError) return { type: "network", message: "the request timed out" };
  if (err instanceof APIConnectionError) return transportFailure(err.cause ?? err);
  if (err instanceof APIError && (err.status !== undefined || err.error !== undefined)) {
    const body = typeof err.error === "object" && err.error !== null ? (err.error as { message?: unknown }) : {};
    return {
      type: "http",
      status: err.status,
      message: typeof body.message === "string" ? body.message : err.message.replace(/^\d{3}\s+/, ""),
      errorType: err.type ?? err.code ?? undefined,
      headers: err.headers,
    };
  }
  return transportFailure(err);
}
