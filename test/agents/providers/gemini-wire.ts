/** The Gemini API's streaming wire format (`POST /v1/models/{model}:streamGenerateContent?alt=sse`, v1 being the SDK's default API version). */
import type { Json } from "../../../src/core/json.js";
import { pieces, type SseEvent } from "./server.js";

export interface GenerateOptions {
  model?: string;
  responseId?: string;
  promptTokens?: number;
  candidatesTokens?: number;
  thoughtsTokens?: number;
  finishReason?: string;
  /** Characters per chunk. Default 8. */
  chunk?: number;
  /** A thought part streamed before the answer (not part of the text). */
  thought?: string;
}

export function response(parts: Json[], opts: GenerateOptions = {}, finishReason?: string, usage?: Json): SseEvent {
  const candidate: { [key: string]: Json } = { content: { parts, role: "model" }, index: 0 };
  if (finishReason) candidate.finishReason = finishReason;
  const body: { [key: string]: Json } = {
    candidates: [candidate],
    modelVersion: opts.model ?? "gemini-test-1",
    responseId: opts.responseId ?? "resp-TEST",
  };
  if (usage !== undefined) body.usageMetadata = usage;
  return { data: JSON.stringify(body) };
}

/** A whole streamed answer; the last chunk carries finishReason and usageMetadata. */
export function generation(text: string, opts: GenerateOptions = {}): SseEvent[] {
  const parts = pieces(text, opts.chunk ?? 8);
  const usage = {
    promptTokenCount: opts.promptTokens ?? 12,
    candidatesTokenCount: opts.candidatesTokens ?? 20,
    ...(opts.thoughtsTokens ? { thoughtsTokenCount: opts.thoughtsTokens } : {}),
    totalTokenCount: (opts.promptTokens ?? 12) + (opts.candidatesTokens ?? 20) + (opts.thoughtsTokens ?? 0),
  };
  const events: SseEvent[] = [];
  if (opts.thought) events.push(response([{ text: opts.thought, thought: true }], opts));
  parts.forEach((piece, i) => {
    const last = i === parts.length - 1;
    events.push(
      response([{ text: piece }], opts, last ? (opts.finishReason ?? "STOP") : undefined, last ? usage : undefined),
    );
  });
  return events;
}

/** The API's error envelope (google.rpc.Status). */
export function errorBody(code: number, status: string, message: string, retryDelay?: string): Json {
  const details: Json[] = retryDelay ? [{ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay }] : [];
  return { error: { code, message, status, details } };
}
