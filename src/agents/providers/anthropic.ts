/**
 * The `anthropic` provider: the Messages API through @anthropic-ai/sdk, always streamed.
 *
 * Agent settings: `model` (required), `system`, `maxTokens` (default 4096: the API requires one), `baseUrl`
 * (an Anthropic-compatible server), `temperature` (sent when set, though the installed SDK no longer types it:
 * current models may refuse it with a 400), and `options`:
 * - `structuredOutput`: `"native"` (default) sends an `outputSchema` as `output_config.format` (json_schema,
 *   transformed by the SDK's `transformJSONSchema` into the subset the API accepts — constraints it drops
 *   are kept in descriptions and still checked by the agent step); `"tool"` forces a single tool whose
 *   `input_schema` is the schema and takes its input as the answer (for models or servers without
 *   structured outputs). A schema whose root is not an object is wrapped as `{ result: … }` and unwrapped.
 * - `noKey: true`: the server needs no key; no Authorization header is sent. An agent whose `baseUrl` is on
 *   another host than api.anthropic.com goes keyless too when the key resolver has no key for it.
 *
 * The key is sent the way the installed SDK sends it (`Authorization: Bearer …`); the SDK's own retries are
 * off (`maxRetries: 0`): weft retries per the step's policy. Usage: `inputTokens` counts cached and
 * cache-writing input tokens too (the transcript keeps the breakdown).
 */
import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError } from "@anthropic-ai/sdk";
import { transformJSONSchema } from "@anthropic-ai/sdk/lib/transform-json-schema";
import type { MessageCreateParamsStreaming, RawMessageStreamEvent, Tool } from "@anthropic-ai/sdk/resources/messages";
import type { Json, JsonObject } from "../../core/json.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../provider.js";
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

export type AnthropicProviderOptions = SdkProviderOptions;

export const ANTHROPIC_KEY_ENV = "ANTHROPIC_API_KEY";
/** The public API's host: an agent with a `baseUrl` elsewhere may go without a key. */
export const ANTHROPIC_HOST = "api.anthropic.com";
/** `max_tokens` when the agent sets none (the Messages API requires it). */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
/** The forced tool's name in `structuredOutput: "tool"` mode. */
export const ANTHROPIC_OUTPUT_TOOL = "structured_output";

export function createAnthropicProvider(opts: AnthropicProviderOptions): Provider {
  const name = opts.name ?? "anthropic";
  const client = createClientCache(
    (baseUrl, key) =>
      new Anthropic({
        apiKey: key ?? "no-key",
        baseURL: baseUrl,
        maxRetries: 0,
        timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        ...(opts.fetch ? { fetch: opts.fetch } : {}),
        // No key: send no credentials at all (a null default header removes the SDK's auth header).
        ...(key === undefined ? { defaultHeaders: { Authorization: null, "x-api-key": null } } : {}),
      }),
  );

  return {
    name,
    async generate(req: ProviderRequest): Promise<ProviderResponse> {
      const keyHint = opts.keyHint?.(req.agent) ?? ANTHROPIC_KEY_ENV;
      const model = requireModel(name, req.agent);
      const key = resolveKey(name, req, opts, keyHint, ANTHROPIC_HOST);
      const ctx: CallContext = {
        provider: name,
        model,
        agent: req.agent,
        keyHint,
        secrets: key === undefined ? [] : [key],
        signal: req.signal,
      };
      const baseUrl = req.agent.baseUrl ?? opts.baseUrl;
      const { params, wrapped, tool } = buildParams(req, model);
      const state = newState();
      await consumeStream(ctx, {
        timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        onProgress: req.onProgress,
        open: (signal) => client(baseUrl, key).messages.create(params, { signal }),
        onItem: (event: RawMessageStreamEvent, progress) => onEvent(state, event, tool, progress),
        describe,
      });
      if (state.events === 0) {
        throw toFailureError(ctx, { type: "malformed", message: "the response held no server-sent events" }, undefined);
      }
      if (!state.stopped) {
        throw toFailureError(ctx, { type: "network", message: "the stream ended before message_stop" }, undefined);
      }

      const answer = tool ? state.toolJson : state.text;
      const json = req.outputSchema ? parseJsonAnswer(answer, wrapped) : undefined;
      const text =
        tool || (wrapped && json !== undefined) ? (json === undefined ? answer : JSON.stringify(json)) : answer;
      const usage = {
        inputTokens: state.inputTokens + state.cacheCreationTokens + state.cacheReadTokens,
        outputTokens: state.outputTokens,
      };
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
        stopReason: state.stopReason ?? null,
        usage: {
          ...usage,
          cacheCreationInputTokens: state.cacheCreationTokens,
          cacheReadInputTokens: state.cacheReadTokens,
        },
      };
      if (json !== undefined) response.json = jsonSafe(json, ctx.secrets);
      return { text, json, usage, model: state.model ?? model, transcript: [request, response] };
    },
  };
}

/**
 * The installed SDK no longer types `temperature` (deprecated for current models); an agent that sets one
 * still has it sent, and a model that refuses it answers 400 with its own message.
 */
type AnthropicParams = MessageCreateParamsStreaming & { temperature?: number };

function buildParams(
  req: ProviderRequest,
  model: string,
): { params: AnthropicParams; wrapped: boolean; tool: boolean } {
  const { system, turns } = conversationOf(req);
  const params: AnthropicParams = {
    model,
    max_tokens: req.agent.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
    messages: turns.map((turn) => ({ role: turn.role, content: turn.content })),
    stream: true,
  };
  if (system !== undefined) params.system = system;
  if (req.agent.temperature !== undefined) params.temperature = req.agent.temperature;
  if (!req.outputSchema) return { params, wrapped: false, tool: false };

  const { schema, wrapped } = objectRooted(req.outputSchema);
  if (req.agent.options?.structuredOutput === "tool") {
    params.tools = [
      {
        name: ANTHROPIC_OUTPUT_TOOL,
        description: "Give the answer: its input is the answer, in the required JSON shape.",
        input_schema: schema as Tool.InputSchema,
      },
    ];
    params.tool_choice = { type: "tool", name: ANTHROPIC_OUTPUT_TOOL };
    return { params, wrapped, tool: true };
  }
  params.output_config = { format: { type: "json_schema", schema: strictSchema(schema) } };
  return { params, wrapped, tool: false };
}

/** The schema in the subset structured outputs accept, or as given when the SDK cannot transform it. */
function strictSchema(schema: JsonObject): JsonObject {
  try {
    return transformJSONSchema(schema) as JsonObject;
  } catch {
    return schema;
  }
}

interface StreamState {
  events: number;
  stopped: boolean;
  id: string | undefined;
  model: string | undefined;
  text: string;
  toolJson: string;
  /** Index of the forced tool's content block. */
  toolBlock: number | undefined;
  stopReason: string | undefined;
  inputTokens: number;
  cacheCreationTokens: number;
  cacheReadTokens: number;
  outputTokens: number;
}

function newState(): StreamState {
  return {
    events: 0,
    stopped: false,
    id: undefined,
    model: undefined,
    text: "",
    toolJson: "",
    toolBlock: undefined,
    stopReason: undefined,
    inputTokens: 0,
    cacheCreationTokens: 0,
    cacheReadTokens: 0,
    outputTokens: 0,
  };
}

function onEvent(state: StreamState, event: RawMessageStreamEvent, tool: boolean, progress: (text: string) => void) {
  state.events++;
  switch (event.type) {
    case "message_start": {
      const { message } = event;
      state.id = message.id;
      state.model = message.model;
      state.inputTokens = message.usage?.input_tokens ?? 0;
      state.cacheCreationTokens = message.usage?.cache_creation_input_tokens ?? 0;
      state.cacheReadTokens = message.usage?.cache_read_input_tokens ?? 0;
      state.outputTokens = message.usage?.output_tokens ?? 0;
      break;
    }
    case "content_block_start":
      if (tool && event.content_block.type === "tool_use" && event.content_block.name === ANTHROPIC_OUTPUT_TOOL) {
        state.toolBlock = event.index;
      }
      break;
    case "content_block_delta":
      if (event.delta.type === "text_delta") {
        state.text += event.delta.text;
        progress(event.delta.text);
      } else if (event.delta.type === "input_json_delta" && event.index === state.toolBlock) {
        state.toolJson += event.delta.partial_json;
        progress(event.delta.partial_json);
      }
      break;
    case "message_delta":
      if (event.delta.stop_reason) state.stopReason = event.delta.stop_reason;
      state.outputTokens = event.usage.output_tokens ?? state.outputTokens;
      if (event.usage.input_tokens != null) state.inputTokens = event.usage.input_tokens;
      if (event.usage.cache_creation_input_tokens != null) {
        state.cacheCreationTokens = event.usage.cache_creation_input_tokens;
      }
      if (event.usage.cache_read_input_tokens != null) state.cacheReadTokens = event.usage.cache_read_input_tokens;
      break;
    case "message_stop":
      state.stopped = true;
      break;
    default:
      break;
  }
}

function describe(err: unknown): Failure {
  if (err instanceof APIConnectionTimeoutError) return { type: "network", message: "the request timed out" };
  if (err instanceof APIConnectionError) return transportFailure(err.cause ?? err);
  if (err instanceof APIError && (err.status !== undefined || err.error !== undefined)) {
    const body = errorBody(err.error);
    return {
      type: "http",
      status: err.status,
      message: err.apiMessage ?? body.message ?? err.message.replace(/^\d{3}\s+/, ""),
      errorType: err.type ?? body.type,
      headers: err.headers,
    };
  }
  return transportFailure(err);
}

function errorBody(body: unknown): { message?: string; type?: string } {
  if (typeof body !== "object" || body === null) return {};
  const inner = (body as { error?: Json }).error;
  if (typeof inner !== "object" || inner === null || Array.isArray(inner)) return {};
  return {
    ...(typeof inner.message === "string" ? { message: inner.message } : {}),
    ...(typeof inner.type === "string" ? { type: inner.type } : {}),
  };
}
