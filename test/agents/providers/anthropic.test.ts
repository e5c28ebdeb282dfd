import { afterEach, describe, expect, it } from "vitest";
import { ANTHROPIC_OUTPUT_TOOL, createAnthropicProvider } from "../../../src/agents/providers/anthropic.js";
import type { SdkProviderOptions } from "../../../src/agents/providers/shared.js";
import { ProviderError, TerminalError } from "../../../src/core/errors.js";
import type { JsonObject } from "../../../src/core/json.js";
import {
  errorBody,
  errorEvent,
  messageEnd,
  messageStart,
  textBlock,
  textMessage,
  toolMessage,
} from "./anthropic-wire.js";
import { CANARY, exposed, failure, onlyBody, providerContract, request } from "./contract.js";
import { type RecordedRequest, type Reply, startServer, type TestServer } from "./server.js";

const bearer = (req: RecordedRequest) => {
  const auth = req.headers.authorization;
  if (typeof auth === "string") return auth.replace(/^Bearer /, "");
  const key = req.headers["x-api-key"];
  return typeof key === "string" ? key : undefined;
};

providerContract({
  provider: "anthropic",
  keyEnv: "ANTHROPIC_API_KEY",
  create: createAnthropicProvider,
  officialBaseUrl: "https://api.anthropic.com",
  baseUrl: (origin) => origin,
  path: () => "/v1/messages",
  keyOf: bearer,
  text: (text, chunk) => textMessage(text, { chunk: chunk ?? 8, inputTokens: 25, outputTokens: 42 }),
  usage: { inputTokens: 25, outputTokens: 42 },
  reportedModel: "claude-test-1",
  partial: (text) => [messageStart(), ...textBlock(text)],
  badJson: () => [{ event: "message_start", data: "{not json" }],
  error: (kind, message) => {
    const [status, type] = {
      rate_limit: [429, "rate_limit_error"],
      overloaded: [529, "overloaded_error"],
      server: [500, "api_error"],
      auth: [401, "authentication_error"],
      invalid: [400, "invalid_request_error"],
      not_found: [404, "not_found_error"],
    }[kind] as [number, string];
    return { status, body: errorBody(type, message) };
  },
});

describe("anthropic: the Messages API request", () => {
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
    createAnthropicProvider({ apiKey: () => CANARY, baseUrl: s.origin, ...opts });

  it("sends a conversation: system prompts joined, earlier turns in order, the prompt last", async () => {
    const s = await serve(() => ({ kind: "sse", events: textMessage("Third answer.") }));
    const res = await make(s).generate(
      request(
        { model: "claude-test-1", system: "You are a careful reviewer.", temperature: 0.3, maxTokens: 900 },
        {
          prompt: "And the third?",
          messages: [
            { role: "system", content: "Answer in one sentence." },
            { role: "user", content: "First question?" },
            { role: "assistant", content: "First answer." },
            { role: "user", content: "Second question?" },
            { role: "assistant", content: "Second answer." },
          ],
        },
      ),
    );
    expect(onlyBody(s)).toEqual({
      model: "claude-test-1",
      max_tokens: 900,
      stream: true,
      temperature: 0.3,
      system: "You are a careful reviewer.\n\nAnswer in one sentence.",
      messages: [
        { role: "user", content: "First question?" },
        { role: "assistant", content: "First answer." },
        { role: "user", content: "Second question?" },
        { role: "assistant", content: "Second answer." },
        { role: "user", content: "And the third?" },
      ],
    });
    expect(s.requests[0]!.headers["anthropic-version"]).toBeTruthy();
    expect(res.text).toBe("Third answer.");
    expect(res.transcript[0]).toMatchObject({ body: onlyBody(s) });
    expect(res.transcript[1]).toMatchObject({ id: "msg_01TEST", stopReason: "end_turn" });
  });

  it("defaults max_tokens to 4096 and counts cache reads as input tokens", async () => {
    const s = await serve(() => ({ kind: "sse", events: textMessage("ok", { inputTokens: 10, cacheReadTokens: 90 }) }));
    const res = await make(s).generate(request({}));
    expect(onlyBody(s)).toMatchObject({ max_tokens: 4096 });
    expect(res.usage).toEqual({ inputTokens: 100, outputTokens: 42 });
    expect(res.transcript[1]).toMatchObject({ usage: { cacheReadInputTokens: 90 } });
  });

  const schema: JsonObject = {
    type: "object",
    properties: { verdict: { type: "string", enum: ["pass", "fail"] }, notes: { type: "string", minLength: 3 } },
    required: ["verdict"],
  };

  it("structured output: output_config.format json_schema (in the API's subset); the answer parsed", async () => {
    const s = await serve(() => ({ kind: "sse", events: textMessage('{"verdict":"pass","notes":"fine"}') }));
    const res = await make(s).generate(request({}, { outputSchema: schema }));
    const body = onlyBody(s) as JsonObject;
    expect(body.output_config).toEqual({
      format: {
        type: "json_schema",
        schema: {
          type: "object",
          properties: {
            verdict: { enum: ["pass", "fail"] },
            notes: { type: "string", description: "{minLength: 3}" },
          },
          required: ["verdict"],
          additionalProperties: false,
        },
      },
    });
    expect(body.tools).toBeUndefined();
    expect(res.json).toEqual({ verdict: "pass", notes: "fine" });
    expect(res.transcript[1]).toMatchObject({ json: { verdict: "pass", notes: "fine" } });
  });

  it("structured output: an answer that is not JSON leaves json undefined", async () => {
    const s = await serve(() => ({ kind: "sse", events: textMessage("I cannot answer that.") }));
    const res = await make(s).generate(request({}, { outputSchema: schema }));
    expect(res.text).toBe("I cannot answer that.");
    expect(res.json).toBeUndefined();
  });

  it('structured output, options.structuredOutput "tool": one forced tool; its streamed input is the answer', async () => {
    const s = await serve(() => ({
      kind: "sse",
      events: toolMessage(ANTHROPIC_OUTPUT_TOOL, '{"verdict": "fail", "notes": "two bugs"}', { chunk: 5 }),
    }));
    const progress: string[] = [];
    const res = await make(s).generate(
      request({ options: { structuredOutput: "tool" } }, { outputSchema: schema, onProgress: (t) => progress.push(t) }),
    );
    const body = onlyBody(s) as JsonObject;
    expect(body.tools).toEqual([expect.objectContaining({ name: ANTHROPIC_OUTPUT_TOOL, input_schema: schema })]);
    expect(body.tool_choice).toEqual({ type: "tool", name: ANTHROPIC_OUTPUT_TOOL });
    expect(body.output_config).toBeUndefined();
    expect(res.json).toEqual({ verdict: "fail", notes: "two bugs" });
    expect(JSON.parse(res.text)).toEqual(res.json);
    expect(progress.join("")).toBe('{"verdict": "fail", "notes": "two bugs"}');
  });

  it("a schema whose root is not an object is wrapped as { result } and unwrapped", async () => {
    const s = await serve(() => ({ kind: "sse", events: textMessage('{"result":["a","b"]}') }));
    const res = await make(s).generate(request({}, { outputSchema: { type: "array", items: { type: "string" } } }));
    const format = ((onlyBody(s) as JsonObject).output_config as JsonObject).format as JsonObject;
    expect(format.schema).toMatchObject({ type: "object", properties: { result: { type: "array" } } });
    expect(res.json).toEqual(["a", "b"]);
    expect(res.text).toBe('["a","b"]');
  });
});

describe("anthropic: errors", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const run = async (reply: Reply) => {
    server = await startServer(() => reply);
    return failure(createAnthropicProvider({ apiKey: () => CANARY, baseUrl: server.origin }).generate(request({})));
  };

  it("an overloaded_error event inside a 200 stream → overloaded", async () => {
    const err = (await run({
      kind: "sse",
      events: [messageStart(), ...textBlock("Partial"), errorEvent("overloaded_error", "Overloaded")],
    })) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("overloaded");
    expect(err.message).toContain("Overloaded");
  });

  it("an invalid_request_error event inside a stream → TerminalError", async () => {
    const err = await run({ kind: "sse", events: [messageStart(), errorEvent("invalid_request_error", "bad")] });
    expect(err).toBeInstanceOf(TerminalError);
  });

  it("429 without Retry-After: the exhausted limit's anthropic-ratelimit-*-reset", async () => {
    const reset = new Date(Date.now() + 20_000).toISOString();
    const err = (await run({
      kind: "json",
      status: 429,
      body: errorBody("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"),
      headers: {
        "anthropic-ratelimit-requests-remaining": "12",
        "anthropic-ratelimit-requests-reset": new Date(Date.now() + 90_000).toISOString(),
        "anthropic-ratelimit-input-tokens-remaining": "0",
        "anthropic-ratelimit-input-tokens-reset": reset,
      },
    })) as ProviderError;
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAfterMs).toBeGreaterThan(15_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(20_000);
  });

  it("a 500 whose body is not JSON → server, with the body as message", async () => {
    const err = (await run({ kind: "raw", status: 502, body: "<html>Bad gateway</html>" })) as ProviderError;
    expect(err.kind).toBe("server");
    expect(err.status).toBe(502);
    expect(err.message).toContain("Bad gateway");
  });

  it("the key never reaches a transcript or an error, even when the stream echoes it", async () => {
    const err = await run({
      kind: "sse",
      events: [messageStart(), errorEvent("api_error", `upstream rejected ${CANARY}`)],
    });
    expect(err.message).toContain("[redacted]");
    expect(exposed(err)).not.toContain(CANARY);
  });

  it("message_delta and message_stop after the content are required (a stream missing them failed)", async () => {
    const err = (await run({
      kind: "sse",
      events: [messageStart(), ...textBlock("All of it"), messageEnd()[0]!],
    })) as ProviderError;
    expect(err.kind).toBe("network");
    expect(err.message).toContain("message_stop");
  });
});
