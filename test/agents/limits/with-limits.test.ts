import { describe, expect, it } from "vitest";
import { createRateLimits, estimateTokens, withLimits } from "../../../src/agents/limits/index.js";
import { createMockProvider, type MockFixture } from "../../../src/agents/mock/index.js";
import { createPriceTable } from "../../../src/agents/pricing.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../../../src/agents/provider.js";
import { ProviderError } from "../../../src/core/errors.js";
import { type FakeTimers, fakeTimers } from "./fake-timers.js";

function request(agent: string, prompt: string, extra: Partial<ProviderRequest> = {}): ProviderRequest {
  return {
    agent: { name: agent, provider: "mock" },
    prompt,
    idempotencyKey: `run:${agent}:0`,
    attempt: 1,
    signal: new AbortController().signal,
    ...extra,
  };
}

/** A mock wrapped with limits, counting the calls that reach it. */
function limitedMock(
  timers: FakeTimers,
  limits: Record<string, { requestsPerMinute?: number }>,
  fixtures?: MockFixture,
) {
  const inner = createMockProvider(fixtures ? { fixtures } : {});
  const calls: string[] = [];
  const counting: Provider = {
    name: inner.name,
    generate: (req) => {
      calls.push(req.prompt);
      return inner.generate(req);
    },
  };
  return { provider: withLimits(counting, { limits: createRateLimits(limits, timers) }), calls };
}

describe("withLimits: queueing", () => {
  it("queues over the limit, says so once through onProgress, and records the wait in the transcript", async () => {
    const timers = fakeTimers();
    const { provider, calls } = limitedMock(timers, { mock: { requestsPerMinute: 1 } });
    const first = await provider.generate(request("a", "one"));
    expect(first.transcript[0]).toMatchObject({ type: "request" });

    const progress: string[] = [];
    let second: ProviderResponse | undefined;
    const pending = provider.generate(request("a", "two", { onProgress: (t) => progress.push(t) })).then((r) => {
      second = r;
    });
    await timers.settle();
    expect(progress).toEqual(["waiting 60 s for the mock rate limit\n"]);
    expect(calls).toEqual(["one"]);
    await timers.advance(60_000);
    await pending;
    expect(calls).toEqual(["one", "two"]);
    expect(second?.transcript[0]).toEqual({ type: "rate_limit", provider: "mock", waitedMs: 60_000, retries: 0 });
    expect(progress.slice(1).join("")).toBe(second?.text);
  });

  it("answers in the order the calls came", async () => {
    const timers = fakeTimers();
    const { provider, calls } = limitedMock(timers, { mock: { requestsPerMinute: 2 } });
    const all = ["a", "b", "c", "d", "e"].map((p) => provider.generate(request("x", p)));
    await timers.advance(120_000);
    await Promise.all(all);
    expect(calls).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("an abort while queued rejects at once and never reaches the provider", async () => {
    const timers = fakeTimers();
    const { provider, calls } = limitedMock(timers, { mock: { requestsPerMinute: 1 } });
    await provider.generate(request("a", "one"));
    const controller = new AbortController();
    const pending = provider.generate(request("a", "two", { signal: controller.signal }));
    await timers.settle();
    controller.abort(new Error("cancelled by the user"));
    await expect(pending).rejects.toThrow("cancelled by the user");
    await timers.advance(120_000);
    expect(calls).toEqual(["one"]);
  });

  it("estimates a request's tokens from its text, ~4 characters a token", () => {
    const req = request("a", "x".repeat(40), {
      agent: { name: "a", provider: "mock", system: "y".repeat(8) },
      messages: [{ role: "user", content: "z".repeat(4) }],
      outputSchema: { type: "object" },
    });
    expect(estimateTokens(req)).toBe(10 + 2 + 1 + Math.ceil(JSON.stringify({ type: "object" }).length / 4));
  });
});

describe("withLimits: Retry-After", () => {
  const flaky = (times: number, retryAfterMs?: number): MockFixture => ({
    responses: [
      {
        agent: "flaky",
        text: "finally",
        fail: { times, kind: "rate_limited", ...(retryAfterMs === undefined ? {} : { retryAfterMs }) },
      },
    ],
  });

  it("waits out a 429's Retry-After and tries again inside the same call", async () => {
    const timers = fakeTimers();
    const { provider, calls } = limitedMock(timers, {}, flaky(2, 20_000));
    const progress: string[] = [];
    let result: ProviderResponse | undefined;
    const pending = provider.generate(request("flaky", "p", { onProgress: (t) => progress.push(t) })).then((r) => {
      result = r;
    });
    await timers.settle();
    expect(calls).toHaveLength(1);
    await timers.advance(19_999);
    expect(calls).toHaveLength(1);
    await timers.advance(1);
    expect(calls).toHaveLength(2);
    await timers.advance(20_000);
    await pending;
    expect(calls).toHaveLength(3);
    expect(result?.text).toBe("finally");
    expect(result?.transcript[0]).toEqual({ type: "rate_limit", provider: "mock", waitedMs: 40_000, retries: 2 });
    expect(progress.slice(0, 2)).toEqual([
      "rate limited by mock; trying again in 20 s\n",
      "rate limited by mock; trying again in 20 s\n",
    ]);
  });

  it("holds other calls to the same model until the Retry-After has passed; the retried call goes first", async () => {
    const timers = fakeTimers();
    const t0 = timers.now();
    const { provider, calls } = limitedMock(timers, {}, flaky(1, 10_000));
    const flakyCall = provider.generate(
      request("flaky", "p", { agent: { name: "flaky", provider: "mock", model: "m" } }),
    );
    await timers.settle();
    const other = provider.generate(request("other", "q", { agent: { name: "other", provider: "mock", model: "m" } }));
    const free = provider.generate(request("free", "r", { agent: { name: "free", provider: "mock", model: "n" } }));
    await timers.settle();
    expect(calls).toEqual(["p", "r"]); // model n is not blocked
    await timers.advance(10_000);
    await Promise.all([flakyCall, other, free]);
    expect(calls).toEqual(["p", "r", "p", "q"]);
    expect(timers.now() - t0).toBe(10_000);
  });

  it("gives up after maxRateLimitRetries and throws the provider's error", async () => {
    const timers = fakeTimers();
    const inner = createMockProvider({ fixtures: flaky(5, 1000) });
    const provider = withLimits(inner, { limits: createRateLimits({}, timers), maxRateLimitRetries: 2 });
    const outcome = provider.generate(request("flaky", "p")).catch((e: unknown) => e);
    await timers.advance(10_000);
    const err = await outcome;
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe("rate_limited");
    expect((err as Error).message).toMatch(/failure 3 of 5/);
  });

  it("gives up when the Retry-Afters would exceed maxRetryWaitMs", async () => {
    const timers = fakeTimers();
    const inner = createMockProvider({ fixtures: flaky(1, 600_000) });
    const provider = withLimits(inner, { limits: createRateLimits({}, timers) });
    const err = await provider.generate(request("flaky", "p")).catch((e: unknown) => e);
    expect((err as ProviderError).retryAfterMs).toBe(600_000);
  });

  it("throws a 429 without Retry-After, and other failures, unchanged", async () => {
    const timers = fakeTimers();
    const { provider, calls } = limitedMock(timers, {}, flaky(1));
    await expect(provider.generate(request("flaky", "p"))).rejects.toBeInstanceOf(ProviderError);
    expect(calls).toHaveLength(1);
    const server = limitedMock(
      timers,
      {},
      {
        responses: [{ fail: { times: 1, kind: "server", retryAfterMs: 5 } }],
      },
    );
    const err = await server.provider.generate(request("a", "p")).catch((e: unknown) => e);
    expect((err as ProviderError).kind).toBe("server");
    expect(server.calls).toHaveLength(1);
  });

  it("an abort during the Retry-After wait rejects with the signal's reason", async () => {
    const timers = fakeTimers();
    const { provider, calls } = limitedMock(timers, {}, flaky(3, 30_000));
    const controller = new AbortController();
    const pending = provider.generate(request("flaky", "p", { signal: controller.signal }));
    await timers.advance(1000);
    controller.abort(new Error("timeout"));
    await expect(pending).rejects.toThrow("timeout");
    await timers.advance(60_000);
    expect(calls).toHaveLength(1);
  });
});

describe("withLimits: cost", () => {
  const answering = (usage: ProviderResponse["usage"], model: string): Provider => ({
    name: "anthropic",
    generate: async () => ({ text: "ok", usage, model, transcript: [] }),
  });

  it("fills usage.costUsd from the price table when the provider did not", async () => {
    const limits = createRateLimits({}, fakeTimers());
    const provider = withLimits(
      answering({ inputTokens: 1_000_000, outputTokens: 100_000 }, "claude-sonnet-4-5-20250929"),
      {
        limits,
      },
    );
    const res = await provider.generate(request("a", "p"));
    expect(res.usage.costUsd).toBeCloseTo(3 + 1.5, 10);
    expect(res.transcript).toEqual([]);
  });

  it("keeps a cost the provider reported, and leaves an unknown model's cost unset", async () => {
    const limits = createRateLimits({}, fakeTimers());
    const reported = withLimits(answering({ inputTokens: 10, outputTokens: 10, costUsd: 0.5 }, "claude-sonnet-4-5"), {
      limits,
    });
    expect((await reported.generate(request("a", "p"))).usage.costUsd).toBe(0.5);
    const unknown = withLimits(answering({ inputTokens: 10, outputTokens: 10 }, "llama3.1"), { limits });
    expect((await unknown.generate(request("a", "p"))).usage.costUsd).toBeUndefined();
    const priced = withLimits(answering({ inputTokens: 2_000_000, outputTokens: 0 }, "llama3.1"), {
      limits,
      prices: createPriceTable({ "llama3.1": { input: 0.5, output: 1 } }),
    });
    expect((await priced.generate(request("a", "p"))).usage.costUsd).toBe(1);
  });
});
