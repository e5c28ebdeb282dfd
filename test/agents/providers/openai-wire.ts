/** The Chat Completions streaming wire format (`POST /v1/chat/completions`, `chat.completion.chunk` events). */
import type { Json } from "../../../src/core/json.js";
import { pieces, type SseEvent } from "./server.js";

export interface CompletionOptions {
  id?: string;
  model?: string;
  promptTokens?: number;
  completionTokens?: number;
  finishReason?: string;
  /** Characters per content delta. Default 8. */
  chunk?: number;
  /** Send the usage chunk (what `stream_options.include_usage` asks for). Default true. */
  usage?: boolean;
  /** Send `data: [DONE]` at the end. Default true. */
  done?: boolean;
}

export function chunk(delta: Json, finishReason: string | null = null, opts: CompletionOptions = {}): SseEvent {
  return {
    data: JSON.stringify({
      id: opts.id ?? "chatcmpl-TEST",
      object: "chat.completion.chunk",
      created: 1_760_000_000,
      model: opts.model ?? "gpt-test-1",
      system_fingerprint: "fp_test",
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    }),
  };
}

/** A whole streamed completion: role, content deltas, finish, usage chunk, [DONE]. */
export function completion(text: string, opts: CompletionOptions = {}): SseEvent[] {
  const events = [
    chunk({ role: "assistant", content: "" }, null, opts),
    ...pieces(text, opts.chunk ?? 8).map((piece) => chunk({ content: piece }, null, opts)),
    chunk({}, opts.finishReason ?? "stop", opts),
  ];
  if (opts.usage !== false) {
    events.push({
      data: JSON.stringify({
        id: opts.id ?? "chatcmpl-TEST",
        object: "chat.completion.chunk",
        created: 1_760_000_000,
        model: opts.model ?? "gpt-test-1",
        choices: [],
        usage: {
          prompt_tokens: opts.promptTokens ?? 31,
          completion_tokens: opts.completionTokens ?? 17,
          total_tokens: (opts.promptTokens ?? 31) + (opts.completionTokens ?? 17),
        },
      }),
    });
  }
  if (opts.done !== false) events.push({ data: "[DONE]" });
  return events;
}

/** The API's error envelope. */
export function errorBody(message: string, type: string, code: string | null = null): Json {
  return { error: { message, type, param: null, code } };
}
