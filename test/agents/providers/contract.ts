/**
 * The behaviour every SDK provider shares, run against each through a real local server that speaks its
 * wire format (see `WireAdapter`): streaming with batched progress, usage and transcripts, the key header and
 * its redaction, error classification (429 with Retry-After in seconds and as an HTTP date, 5xx, overloaded,
 * malformed bodies, streams cut short, 401), aborts, timeouts, missing keys and models, and keyless servers.
 */
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import type { Provider, ProviderRequest, ProviderResponse } from "../../../src/agents/provider.js";
import type { SdkProviderOptions } from "../../../src/agents/providers/shared.js";
import { ProviderError, TerminalError, WeftError } from "../../../src/core/errors.js";
import type { Json } from "../../../src/core/json.js";
import { longAnswer, type RecordedRequest, type Reply, type SseEvent, startServer, type TestServer } from "./server.js";

/** A key no message, transcript or error may ever show. */
export const CANARY = "sk-canary-7f3a9c2e51d04b8e6a1d";

export type ErrorKind = "rate_limit" | "overloaded" | "server" | "auth" | "invalid" | "not_found";

export interface WireAdapter {
  provider: string;
  keyEnv: string;
  create(opts: SdkProviderOptions): Provider;
  /** The public API's base URL (never called: tests only check no keyless call goes there). */
  officialBaseUrl: string;
  /** The base URL to give the provider for a server at `origin`. */
  baseUrl(origin: string): string;
  /** The path (without query) a request for `model` goes to. */
  path(model: string): string;
  /** The key as it reached the server, if any. */
  keyOf(req: RecordedRequest): string | undefined;
  /** A complete streamed answer, `chunk` characters per delta. */
  text(text: string, chunk?: number): SseEvent[];
  /** What `text()` reports. */
  usage: { inputTokens: number; outputTokens: number };
  reportedModel: string;
  /** An answer that starts and is never finished (no final event). */
  partial(text: string): SseEvent[];
  /** A stream whose data is not JSON. */
  badJson(): SseEvent[];
  /** The HTTP status and body of an API error. */
  error(kind: ErrorKind, message: string): { status: number; body: Json };
}

export function request(
  agent: Partial<ProviderRequest["agent"]>,
  extra: Partial<ProviderRequest> = {},
): ProviderRequest {
  return {
    agent: { name: "writer", provider: "test", model: "test-model-1", ...agent },
    prompt: "Write a haiku about rivers.",
    idempotencyKey: "run-1:step-1:0",
    attempt: 1,
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Everything about a thrown error or a response that could leak a key: message, stack, causes, fields. */
export function exposed(value: unknown): string {
  return `${inspect(value, { depth: Number.POSITIVE_INFINITY, showHidden: true })}\n${JSON.stringify(value) ?? ""}`;
}

export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  }
  throw new Error("expected the call to fail");
}

export function providerContract(wire: WireAdapter) {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (reply: (req: RecordedRequest, index: number) => Reply) => {
    server = await startServer(reply);
    return server;
  };
  const make = (s: TestServer, opts: Partial<SdkProviderOptions> = {}) =>
    wire.create({ apiKey: () => CANARY, baseUrl: wire.baseUrl(s.origin), ...opts });
  const errorReply = (kind: ErrorKind, message: string, headers?: Record<string, string>): Reply => {
    const { status, body } = wire.error(kind, message);
    return { kind: "json", status, body, ...(headers ? { headers } : {}) };
  };

  describe(`${wire.provider}: streaming`, () => {
    it("streams a long answer through a few batched progress events, with usage, model and transcript", async () => {
      const answer = longAnswer(150);
      const s = await serve(() => ({ kind: "sse", events: wire.text(answer, 3) }));
      const progress: string[] = [];
      const res = await make(s).generate(request({}, { onProgress: (t) => progress.push(t) }));

      expect(res.text).toBe(answer);
      expect(res.json).toBeUndefined();
      expect(res.usage).toEqual(wire.usage);
      expect(res.usage.costUsd).toBeUndefined();
      expect(res.model).toBe(wire.reportedModel);
      // ~3,000 deltas of 3 characters became tens of events, line-aligned, concatenating to the answer.
      expect(progress.join("")).toBe(answer);
      expect(progress.length).toBeGreaterThan(5);
      expect(progress.length).toBeLessThan(100);
      expect(progress.filter((p) => p.endsWith("\n")).length).toBeGreaterThan(progress.length / 2);

      expect(s.requests).toHaveLength(1);
      const sent = s.requests[0]!;
      expect(sent.method).toBe("POST");
      expect(sent.url.split("?")[0]).toBe(wire.path("test-model-1"));
      expect(wire.keyOf(sent)).toBe(CANARY);
      expect(JSON.stringify(sent.body)).toContain("Write a haiku about rivers.");

      const [req, resp] = res.transcript;
      expect(req).toMatchObject({ type: "request", provider: wire.provider, agent: "writer" });
      expect(resp).toMatchObject({ type: "response", text: answer, model: wire.reportedModel });
      expect(JSON.parse(JSON.stringify(res.transcript))).toEqual(res.transcript);
      expect(exposed(res)).not.toContain(CANARY);
    });

    it("uses a rotated key at once (the resolver is asked on every call)", async () => {
      const s = await serve(() => ({ kind: "sse", events: wire.text("ok") }));
      let key = `${CANARY}-one`;
      const provider = make(s, { apiKey: () => key });
      await provider.generate(request({}));
      key = `${CANARY}-two`;
      await provider.generate(request({}));
      expect(s.requests.map((r) => wire.keyOf(r))).toEqual([`${CANARY}-one`, `${CANARY}-two`]);
    });

    it("talks to a keyless server when the agent says `options.noKey: true`", async () => {
      const s = await serve(() => ({ kind: "sse", events: wire.text("keyless") }));
      const res = await make(s, { apiKey: () => undefined }).generate(request({ options: { noKey: true } }));
      expect(res.text).toBe("keyless");
      const key = wire.keyOf(s.requests[0]!);
      expect(key === undefined || key === "no-key").toBe(true);
    });
  });

  it(`${wire.provider}: an agent with its own baseUrl elsewhere and no key goes keyless`, async () => {
    const s = await serve(() => ({ kind: "sse", events: wire.text("proxied") }));
    const provider = wire.create({ apiKey: () => undefined });
    const res = await provider.generate(request({ baseUrl: wire.baseUrl(s.origin) }));
    expect(res.text).toBe("proxied");
    expect(s.requests).toHaveLength(1);
  });

  describe(`${wire.provider}: configuration errors`, () => {
    it("fails terminally without a key, naming where the key is expected (and sends nothing)", async () => {
      const s = await serve(() => ({ kind: "sse", events: wire.text("never") }));
      const err = await failure(make(s, { apiKey: () => undefined }).generate(request({})));
      expect(err).toBeInstanceOf(TerminalError);
      expect((err as TerminalError).code).toBe("WEFT_PROVIDER");
      expect(err.message).toContain(wire.keyEnv);
      expect(err.message).toContain('agent "writer"');
      const hinted = await failure(
        make(s, { apiKey: () => "", keyHint: () => "secret TEAM_KEY" }).generate(request({})),
      );
      expect(hinted.message).toContain("secret TEAM_KEY");
      // The provider's own host, named as the agent's baseUrl, still needs the key.
      const official = wire.officialBaseUrl;
      const own = await failure(wire.create({ apiKey: () => undefined }).generate(request({ baseUrl: official })));
      expect(own).toBeInstanceOf(TerminalError);
      expect(s.requests).toHaveLength(0);
    });

    it("fails terminally without a model", async () => {
      const s = await serve(() => ({ kind: "sse", events: wire.text("never") }));
      const err = await failure(make(s).generate(request({ model: undefined })));
      expect(err).toBeInstanceOf(TerminalError);
      expect(err.message).toMatch(/agent "writer" has no model/);
    });
  });

  describe(`${wire.provider}: failures`, () => {
    it("429 with Retry-After in seconds → rate_limited with retryAfterMs, and the SDK does not retry", async () => {
      const s = await serve(() => errorReply("rate_limit", "Slow down", { "retry-after": "7" }));
      const err = await failure(make(s).generate(request({})));
      expect(err).toBeInstanceOf(ProviderError);
      const e = err as ProviderError;
      expect([e.kind, e.status, e.retryAfterMs, e.code]).toEqual(["rate_limited", 429, 7000, "WEFT_RATE_LIMITED"]);
      expect(e.message).toMatch(new RegExp(`^${wire.provider} test-model-1: 429`));
      expect(e.message).toContain("Slow down");
      expect(s.requests).toHaveLength(1);
    });

    it("429 with Retry-After as an HTTP date → retryAfterMs until then", async () => {
      const at = new Date(Math.ceil(Date.now() / 1000) * 1000 + 30_000).toUTCString();
      const s = await serve(() => errorReply("rate_limit", "Quota", { "retry-after": at }));
      const e = (await failure(make(s).generate(request({})))) as ProviderError;
      expect(e.kind).toBe("rate_limited");
      expect(e.retryAfterMs).toBeGreaterThan(25_000);
      expect(e.retryAfterMs).toBeLessThanOrEqual(31_000);
    });

    it("5xx → server; overloaded → overloaded", async () => {
      let s = await serve(() => errorReply("server", "Internal error"));
      const server = (await failure(make(s).generate(request({})))) as ProviderError;
      expect([server.constructor, server.kind, server.status, server.code]).toEqual([
        ProviderError,
        "server",
        wire.error("server", "").status,
        "WEFT_PROVIDER",
      ]);
      await s.close();
      s = await serve(() => errorReply("overloaded", "Overloaded"));
      const overloaded = (await failure(make(s).generate(request({})))) as ProviderError;
      expect([overloaded.kind, overloaded.code]).toEqual(["overloaded", "WEFT_RATE_LIMITED"]);
      expect(overloaded.message).toContain("Overloaded");
    });

    it("a stream of non-JSON data → malformed; a body that is no event stream → malformed", async () => {
      let s = await serve(() => ({ kind: "sse", events: wire.badJson() }));
      const bad = (await failure(make(s).generate(request({})))) as ProviderError;
      expect(bad).toBeInstanceOf(ProviderError);
      expect(bad.kind).toBe("malformed");
      await s.close();
      s = await serve(() => ({ kind: "raw", status: 200, body: "{ this is not json", headers: {} }));
      const raw = (await failure(make(s).generate(request({})))) as ProviderError;
      expect(raw).toBeInstanceOf(ProviderError);
      expect(raw.kind).toBe("malformed");
    });

    it("a stream cut mid-way (socket destroyed, or closed before the end) → network", async () => {
      let s = await serve(() => ({ kind: "sse", events: wire.partial("The river runs"), after: "destroy" }));
      const cut = (await failure(make(s).generate(request({})))) as ProviderError;
      expect(cut).toBeInstanceOf(ProviderError);
      expect(cut.kind).toBe("network");
      expect(cut.message).toMatch(new RegExp(`^${wire.provider} test-model-1: network error`));
      await s.close();
      s = await serve(() => ({ kind: "sse", events: wire.partial("The river runs"), after: "end" }));
      const early = (await failure(make(s).generate(request({})))) as ProviderError;
      expect(early.kind).toBe("network");
    });

    it("a refused connection → network", async () => {
      const s = await serve(() => ({ kind: "sse", events: [] }));
      const baseUrl = wire.baseUrl(s.origin);
      await s.close();
      const err = (await failure(
        wire.create({ apiKey: () => CANARY, baseUrl }).generate(request({})),
      )) as ProviderError;
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.kind).toBe("network");
    });

    it("401 → TerminalError with the API's message and where the key comes from; the key never shows", async () => {
      // The server echoes the key, as some do: it must be redacted everywhere.
      const s = await serve((req) => errorReply("auth", `invalid key ${wire.keyOf(req) ?? "?"}`));
      const err = await failure(make(s).generate(request({})));
      expect(err).toBeInstanceOf(TerminalError);
      expect((err as TerminalError).code).toBe("WEFT_PROVIDER");
      expect(err.message).toMatch(new RegExp(`^${wire.provider} test-model-1: 401`));
      expect(err.message).toContain("invalid key [redacted]");
      expect(err.message).toContain(`check ${wire.keyEnv}`);
      expect(exposed(err)).not.toContain(CANARY);
    });

    it("400 and 404 → TerminalError with the API's message (404 names the model)", async () => {
      let s = await serve(() => errorReply("invalid", "messages: field required"));
      const bad = await failure(make(s).generate(request({})));
      expect(bad).toBeInstanceOf(TerminalError);
      expect(bad.message).toContain("messages: field required");
      await s.close();
      s = await serve(() => errorReply("not_found", "model not found"));
      const missing = await failure(make(s).generate(request({})));
      expect(missing).toBeInstanceOf(TerminalError);
      expect(missing.message).toContain("model not found");
      expect(missing.message).toContain('"test-model-1"');
    });
  });

  describe(`${wire.provider}: cancellation and timeouts`, () => {
    it("an abort mid-stream ends the call promptly with the signal's reason and closes the connection", async () => {
      const s = await serve(() => ({ kind: "sse", events: wire.partial(`${"x".repeat(60)}\n`), after: "hold" }));
      const controller = new AbortController();
      const reason = new WeftError("WEFT_TIMEOUT", "step timed out");
      const call = make(s).generate(
        request({}, { signal: controller.signal, onProgress: () => controller.abort(reason) }),
      );
      // The server holds the stream open for ever: only the abort can end the call (or the test times out).
      const err = await failure(call);
      expect(err).toBe(reason);
      await s.closed;
    });

    it("an abort before the call sends nothing; a non-Error reason becomes WEFT_CANCELLED", async () => {
      const s = await serve(() => ({ kind: "sse", events: wire.text("never") }));
      const controller = new AbortController();
      controller.abort("stop");
      const err = await failure(make(s).generate(request({}, { signal: controller.signal })));
      expect((err as WeftError).code).toBe("WEFT_CANCELLED");
      expect(s.requests).toHaveLength(0);
    });

    it("a server that never answers → network after timeoutMs", async () => {
      const s = await serve(() => ({ kind: "sse", events: [], after: "hold" }));
      const err = (await failure(make(s, { timeoutMs: 300 }).generate(request({})))) as ProviderError;
      expect(err).toBeInstanceOf(ProviderError);
      expect(err.kind).toBe("network");
    });
  });
}

/** The JSON body of the only request. */
export function onlyBody(s: TestServer): Json {
  expect(s.requests).toHaveLength(1);
  return s.requests[0]!.body ?? null;
}

export type { ProviderResponse };
