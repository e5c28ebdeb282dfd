import { afterEach, describe, expect, it } from "vitest";
import { createGeminiProvider } from "../../../src/agents/providers/gemini.js";
import type { SdkProviderOptions } from "../../../src/agents/providers/shared.js";
import { ProviderError, TerminalError } from "../../../src/core/errors.js";
import type { JsonObject } from "../../../src/core/json.js";
import { CANARY, failure, onlyBody, providerContract, request } from "./contract.js";
import { errorBody, generation, response } from "./gemini-wire.js";
import { type RecordedRequest, type Reply, startServer, type TestServer } from "./server.js";

const googKey = (req: RecordedRequest) => {
  const key = req.headers["x-goog-api-key"];
  return typeof key === "string" ? key : undefined;
};

providerContract({
  provider: "gemini",
  keyEnv: "GEMINI_API_KEY",
  create: createGeminiProvider,
  officialBaseUrl: "https://generativelanguage.googleapis.com",
  baseUrl: (origin) => origin,
  path: (model) => `/v1/models/${model}:streamGenerateContent`,
  keyOf: googKey,
  text: (text, size) => generation(text, { chunk: size ?? 8 }),
  usage: { inputTokens: 12, outputTokens: 20 },
  reportedModel: "gemini-test-1",
  partial: (text) => [response([{ text }])],
  badJson: () => [{ data: "{not json" }],
  error: (kind, message) => {
    const [status, name] = {
      rate_limit: [429, "RESOURCE_EXHAUSTED"],
      overloaded: [503, "UNAVAILABLE"],
      server: [500, "INTERNAL"],
      auth: [401, "UNAUTHENTICATED"],
      invalid: [400, "INVALID_ARGUMENT"],
      not_found: [404, "NOT_FOUND"],
    }[kind] as [number, string];
    // Gemini says "The model is overloaded." with 503 UNAVAILABLE.
    return { status, body: errorBody(status, name, kind === "overloaded" ? `The model is ${message}.` : message) };
  },
});

describe("gemini: the generateContent request", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (reply: (req: RecordedRequest) => Reply) => {
    server = await startServer(reply);
    return server;
  };
  const make = (s: TestServer, opts: Partial<SdkProviderOptions> = {}) =>
    createGeminiProvider({ apiKey: () => CANARY, baseUrl: s.origin, ...opts });

  it("sends a conversation: systemInstruction, user/model turns, the prompt last, generationConfig", async () => {
    const s = await serve(() => ({ kind: "sse", events: generation("Third answer.") }));
    const res = await make(s).generate(
      request(
        { model: "gemini-test-1", system: "You are terse.", temperature: 0.5, maxTokens: 256 },
        {
          prompt: "And the third?",
          messages: [
            { role: "user", content: "First?" },
            { role: "assistant", content: "One." },
            { role: "user", content: "Second?" },
            { role: "assistant", content: "Two." },
          ],
        },
      ),
    );
    expect(s.requests[0]!.url).toBe("/v1/models/gemini-test-1:streamGenerateContent?alt=sse");
    const body = onlyBody(s) as JsonObject;
    expect(body.contents).toEqual([
      { role: "user", parts: [{ text: "First?" }] },
      { role: "model", parts: [{ text: "One." }] },
      { role: "user", parts: [{ text: "Second?" }] },
      { role: "model", parts: [{ text: "Two." }] },
      { role: "user", parts: [{ text: "And the third?" }] },
    ]);
    expect(body.systemInstruction).toMatchObject({ parts: [{ text: "You are terse." }] });
    expect(body.generationConfig).toEqual({ temperature: 0.5, maxOutputTokens: 256 });
    expect(res.text).toBe("Third answer.");
    expect(res.transcript[1]).toMatchObject({ id: "resp-TEST", finishReason: "STOP" });
  });

  it("structured output: responseMimeType application/json and responseJsonSchema; the answer parsed", async () => {
    const schema: JsonObject = {
      type: "object",
      properties: { tags: { type: "array", items: { type: "string" } } },
      required: ["tags"],
    };
    const s = await serve(() => ({ kind: "sse", events: generation('{"tags": ["river", "haiku"]}') }));
    const res = await make(s).generate(request({}, { outputSchema: schema }));
    expect((onlyBody(s) as JsonObject).generationConfig).toEqual({
      responseMimeType: "application/json",
      responseJsonSchema: schema,
    });
    expect(res.json).toEqual({ tags: ["river", "haiku"] });
  });

  it("options.apiVersion picks the API version in the path", async () => {
    const s = await serve(() => ({ kind: "sse", events: generation("ok") }));
    await make(s).generate(request({ options: { apiVersion: "v1beta" } }));
    expect(s.requests[0]!.url).toBe("/v1beta/models/test-model-1:streamGenerateContent?alt=sse");
  });

  it("thought parts are not part of the answer; thought tokens count as output", async () => {
    const s = await serve(() => ({
      kind: "sse",
      events: generation("Answer.", { thought: "Let me think…", thoughtsTokens: 30 }),
    }));
    const progress: string[] = [];
    const res = await make(s).generate(request({}, { onProgress: (t) => progress.push(t) }));
    expect(res.text).toBe("Answer.");
    expect(progress.join("")).toBe("Answer.");
    expect(res.usage).toEqual({ inputTokens: 12, outputTokens: 50 });
  });

  it("a blocked prompt → TerminalError", async () => {
    const s = await serve(() => ({
      kind: "sse",
      events: [{ data: JSON.stringify({ promptFeedback: { blockReason: "SAFETY" }, modelVersion: "gemini-test-1" }) }],
    }));
    const err = await failure(make(s).generate(request({})));
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toMatch(/^gemini test-model-1: the API blocked the prompt \(SAFETY\)/);
  });

  it("429 without Retry-After: google.rpc.RetryInfo's retryDelay", async () => {
    const s = await serve(() => ({
      kind: "json",
      status: 429,
      body: errorBody(429, "RESOURCE_EXHAUSTED", "Quota exceeded", "17s"),
    }));
    const err = (await failure(make(s).generate(request({})))) as ProviderError;
    expect([err.kind, err.retryAfterMs]).toEqual(["rate_limited", 17_000]);
  });

  it('400 "API key not valid" (how Gemini answers a bad key) → TerminalError naming where the key comes from', async () => {
    const s = await serve(() => ({
      kind: "json",
      status: 400,
      body: errorBody(400, "INVALID_ARGUMENT", "API key not valid. Please pass a valid API key."),
    }));
    const err = await failure(make(s).generate(request({})));
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain("API key not valid");
    expect(err.message).toContain("check GEMINI_API_KEY");
  });

  it("an error chunk inside a 200 stream → classified by its code", async () => {
    const s = await serve(() => ({
      kind: "sse",
      events: [
        response([{ text: "Part" }]),
        { data: JSON.stringify(errorBody(503, "UNAVAILABLE", "The model is overloaded.")) },
      ],
    }));
    const err = (await failure(make(s).generate(request({})))) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("overloaded");
  });
});
