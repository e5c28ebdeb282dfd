/** The Anthropic Messages API's streaming wire format (`POST /v1/messages`, server-sent events). */
import type { Json } from "../../../src/core/json.js";
import { pieces, type SseEvent } from "./server.js";

export interface MessageOptions {
  id?: string;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  stopReason?: string;
  /** Characters per text delta. Default 8. */
  chunk?: number;
}

const ev = (event: string, data: Json): SseEvent => ({ event, data: JSON.stringify(data) });

export function messageStart(opts: MessageOptions = {}): SseEvent {
  return ev("message_start", {
    type: "message_start",
    message: {
      id: opts.id ?? "msg_01TEST",
      type: "message",
      role: "assistant",
      model: opts.model ?? "claude-test-1",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: opts.inputTokens ?? 25,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: opts.cacheReadTokens ?? 0,
        output_tokens: 1,
      },
    },
  });
}

export function messageEnd(opts: MessageOptions = {}): SseEvent[] {
  return [
    ev("message_delta", {
      type: "message_delta",
      delta: { stop_reason: opts.stopReason ?? "end_turn", stop_sequence: null },
      usage: { output_tokens: opts.outputTokens ?? 42 },
    }),
    ev("message_stop", { type: "message_stop" }),
  ];
}

/** The text block events of one answer, `chunk` characters per delta. */
export function textBlock(text: string, index = 0, chunk = 8): SseEvent[] {
  return [
    ev("content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }),
    { event: "ping", data: JSON.stringify({ type: "ping" }) },
    ...pieces(text, chunk).map((piece) =>
      ev("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: piece } }),
    ),
    ev("content_block_stop", { type: "content_block_stop", index }),
  ];
}

/** A whole text answer. */
export function textMessage(text: string, opts: MessageOptions = {}): SseEvent[] {
  return [messageStart(opts), ...textBlock(text, 0, opts.chunk), ...messageEnd(opts)];
}

/** A whole answer that is one tool_use block whose input streams as `input_json_delta`s. */
export function toolMessage(name: string, input: string, opts: MessageOptions = {}): SseEvent[] {
  return [
    messageStart(opts),
    ev("content_block_start", {
      type: "content_block_start",
      index: 0,
      content_block: { type: "tool_use", id: "toolu_01TEST", name, input: {} },
    }),
    ...pieces(input, opts.chunk ?? 8).map((piece) =>
      ev("content_block_delta", {
        type: "content_block_delta",
        index: 0,
        delta: { type: "input_json_delta", partial_json: piece },
      }),
    ),
    ev("content_block_stop", { type: "content_block_stop", index: 0 }),
    ...messageEnd({ stopReason: "tool_use", ...opts }),
  ];
}

/** The API's error envelope, as an HTTP body or an `error` event. */
export function errorBody(type: string, message: string): Json {
  return { type: "error", error: { type, message }, request_id: "req_01TEST" };
}

export function errorEvent(type: string, message: string): SseEvent {
  return { event: "error", data: JSON.stringify(errorBody(type, message)) };
}
