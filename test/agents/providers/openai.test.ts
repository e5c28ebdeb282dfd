import { afterEach, describe, expect, it } from "vitest";
import { createOpenAIProvider, qualifiesForStrict } from "../../../src/agents/providers/openai.js";
import type { SdkProviderOptions } from "../../../src/agents/providers/shared.js";
import { ProviderError } from "../../../src/core/errors.js";
import type { JsonObject } from "../../../src/core/json.js";
import { CANARY, exposed, failure, onlyBody, providerContract, request } from "./contract.js";
import { chunk, completion, errorBody } from "./openai-wire.js";
import { type RecordedRequest, type Reply, startServer, type TestServer } from "./server.js";

const bearer = (req: RecordedRequest) => {
  const auth = req.headers.authorization;
  return typeof auth === "string" ? auth.replace(/^Bearer /, "") : undefined;
};

providerContract({
  provider: "openai",
  keyEnv: "OPENAI_API_KEY",
  create: createOpenAIProvider,
  officialBaseUrl: "https://api.openai.com/v1",
  baseUrl: (origin) => `${origin}/v1`,
  path: () => "/v1/chat/completions",
  keyOf: bearer,
  text: (text, size) => completion(text, { chunk: size ?? 8 }),
  usage: { inputTokens: 31, outputTokens: 17 },
  reportedModel: "gpt-test-1",
  partial: (text) => [chunk({ role: "assistant", content: "" }), chunk({ content: text })],
  badJson: () => [{ data: "{not json" }],
  error: (kind, message) => {
    const [status, type, code] = {
      rate_limit: [429, "requests", "rate_limit_exceeded"],
      overloaded: [503, "server_error", null],
      server: [500, "server_error", null],
      auth: [401, "invalid_request_error", "invalid_api_key"],
      invalid: [400, "invalid_request_error", null],
      not_found: [404, "invalid_request_error", "model_not_found"],
    }[kind] as [number, string, string | null];
    return { status, body: errorBody(message, type, code) };
  },
});

describe("openai: the Chat Completions request", () => {
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
    createOpenAIProvider({ apiKey: () => CANARY, baseUrl: `${s.origin}/v1`, ...opts });

  it("sends a conversation: one system message, earlier turns in order, the prompt last, usage requested", async () => {
    const s = await serve(() => ({ kind: "sse", events: completion("Third answer.") }));
    const res = await make(s).generate(
      request(
        { model: "gpt-test-1", system: "You are terse.", temperature: 0, maxTokens: 300 },
        {
          prompt: "And the third?",
          messages: [
            { role: "user", content: "First?" },
            { role: "assistant", content: "One." },
            { role: "system", content: "Use digits." },
            { role: "user", content: "Second?" },
            { role: "assistant", content: "2." },
          ],
        },
      ),
    );
    expect(onlyBody(s)).toEqual({
      model: "gpt-test-1",
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0,
      max_tokens: 300,
      messages: [
        { role: "system", content: "You are terse.\n\nUse digits." },
        { role: "user", content: "First?" },
        { role: "assistant", content: "One." },
        { role: "user", content: "Second?" },
        { role: "assistant", content: "2." },
        { role: "user", content: "And the third?" },
      ],
    });
    expect(res.text).toBe("Third answer.");
    expect(res.transcript[1]).toMatchObject({ id: "chatcmpl-TEST", finishReason: "stop" });
  });

  it("maxTokensField picks max_completion_tokens; includeUsage: false leaves usage at 0", async () => {
    const s = await serve(() => ({ kind: "sse", events: completion("ok", { usage: false }) }));
    const res = await make(s).generate(
      request({ maxTokens: 50, options: { maxTokensField: "max_completion_tokens", includeUsage: false } }),
    );
    const body = onlyBody(s) as JsonObject;
    expect(body.max_completion_tokens).toBe(50);
    expect(body.max_tokens).toBeUndefined();
    expect(body.stream_options).toBeUndefined();
    expect(res.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it("an OpenAI-compatible server at /v1 (Ollama-style) works with no key, or with a placeholder key", async () => {
    const s = await serve(() => ({ kind: "sse", events: completion("local answer", { model: "llama3.2:3b" }) }));
    const agent = { model: "llama3.2:3b", baseUrl: `${s.origin}/v1`, options: { noKey: true } };
    const keyless = createOpenAIProvider({ apiKey: () => undefined });
    const res = await keyless.generate(request(agent));
    expect(res).toMatchObject({ text: "local answer", model: "llama3.2:3b" });
    expect(s.requests[0]!.headers.authorization).toBeUndefined();
    expect(s.requests[0]!.url).toBe("/v1/chat/completions");

    await createOpenAIProvider({ apiKey: () => "ollama" }).generate(request({ ...agent, options: {} }));
    expect(s.requests[1]!.headers.authorization).toBe("Bearer ollama");
  });

  const strictSchema: JsonObject = {
    title: "Review result",
    type: "object",
    properties: {
      verdict: { type: "string", enum: ["pass", "fail"] },
      findings: {
        type: "array",
        items: {
          type: "object",
          properties: { line: { type: "integer" }, note: { type: "string" } },
          required: ["line", "note"],
          additionalProperties: false,
        },
      },
    },
    required: ["verdict", "findings"],
    additionalProperties: false,
  };

  it("structured output: response_format json_schema, strict when the schema qualifies; the answer parsed", async () => {
    const answer = '{"verdict":"fail","findings":[{"line":3,"note":"off by one"}]}';
    const s = await serve(() => ({ kind: "sse", events: completion(answer) }));
    const res = await make(s).generate(request({}, { outputSchema: strictSchema }));
    expect((onlyBody(s) as JsonObject).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "Review_result", schema: strictSchema, strict: true },
    });
    expect(res.json).toEqual({ verdict: "fail", findings: [{ line: 3, note: "off by one" }] });
  });

  it("structured output: strict false otherwise; a fenced JSON answer still parses", async () => {
    const loose: JsonObject = { type: "object", properties: { a: { type: "string" } } };
    const s = await serve(() => ({ kind: "sse", events: completion('```json\n{"a": "x"}\n```') }));
    const res = await make(s).generate(request({}, { outputSchema: loose }));
    expect((onlyBody(s) as JsonObject).response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "output", schema: loose, strict: false },
    });
    expect(res.json).toEqual({ a: "x" });
  });

  it("a refusal is the answer's text, with no JSON", async () => {
    const s = await serve(() => ({
      kind: "sse",
      events: [
        chunk({ role: "assistant", refusal: "" }),
        chunk({ refusal: "I can't help with that." }),
        chunk({}, "stop"),
        { data: "[DONE]" },
      ],
    }));
    const res = await make(s).generate(request({}, { outputSchema: strictSchema }));
    expect(res.text).toBe("I can't help with that.");
    expect(res.json).toBeUndefined();
    expect(res.transcript[1]).toMatchObject({ refusal: "I can't help with that." });
  });

  it("an error object inside the stream → server; the key never shows", async () => {
    const s = await serve(() => ({
      kind: "sse",
      events: [
        chunk({ role: "assistant", content: "Hal" }),
        { data: JSON.stringify({ error: { message: `upstream failed for ${CANARY}`, type: "server_error" } }) },
      ],
    }));
    const err = (await failure(make(s).generate(request({})))) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("server");
    expect(exposed(err)).not.toContain(CANARY);
  });

  it("Retry-After-Ms wins over Retry-After", async () => {
    const s = await serve(() => ({
      kind: "json",
      status: 429,
      body: errorBody("Rate limit reached", "requests", "rate_limit_exceeded"),
      headers: { "retry-after-ms": "1500", "retry-after": "9" },
    }));
    const err = (await failure(make(s).generate(request({})))) as ProviderError;
    expect(err.retryAfterMs).toBe(1500);
  });
});

describe("openai: strict-mode qualification", () => {
  const object = (extra: JsonObject = {}): JsonObject => ({
    type: "object",
    properties: { a: { type: "string" } },
    required: ["a"],
    additionalProperties: false,
    ...extra,
  });
  it.each<[string, JsonObject, boolean]>([
    ["closed object, all required", object(), true],
    ["additionalProperties missing", { type: "object", properties: { a: { type: "string" } }, required: ["a"] }, false],
    ["a property not required", object({ required: [] }), false],
    ["open object in items", object({ properties: { a: { type: "array", items: { type: "object" } } } }), false],
    ["closed object in anyOf", object({ properties: { a: { anyOf: [object(), { type: "null" }] } } }), true],
    ["open object in $defs", object({ $defs: { x: { type: "object", properties: {} } } }), false],
    ["a string", { type: "string" }, true],
  ])("%s → %s", (_name, schema, expected) => {
    expect(qualifiesForStrict(schema)).toBe(expected);
  });
});
