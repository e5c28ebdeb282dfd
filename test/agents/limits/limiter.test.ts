import { describe, expect, it } from "vitest";
import { createKeyLimiter, createRateLimits, type Permit } from "../../../src/agents/limits/index.js";
import type { WeftError } from "../../../src/core/errors.js";
import { fakeTimers } from "./fake-timers.js";

const open = () => new AbortController().signal;

describe("key limiter: requests per minute", () => {
  it("admits up to the limit at once, then queues first in, first out, one window later", async () => {
    const timers = fakeTimers();
    const t0 = timers.now();
    const limiter = createKeyLimiter("anthropic", { requestsPerMinute: 2 }, timers);
    const admitted: Array<[number, number]> = [];
    const all = [0, 1, 2, 3, 4].map((i) =>
      limiter.acquire(1, open()).then(() => admitted.push([i, timers.now() - t0])),
    );
    await timers.settle();
    expect(admitted).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(limiter.queued).toBe(3);
    await timers.advance(59_999);
    expect(admitted).toHaveLength(2);
    await timers.advance(1);
    expect(admitted).toHaveLength(4);
    await timers.advance(60_000);
    await Promise.all(all);
    expect(admitted).toEqual([
      [0, 0],
      [1, 0],
      [2, 60_000],
      [3, 60_000],
      [4, 120_000],
    ]);
    expect(timers.pending()).toBe(0);
  });

  it("a sliding window: a request admitted later frees its slot later", async () => {
    const timers = fakeTimers();
    const t0 = timers.now();
    const limiter = createKeyLimiter("k", { requestsPerMinute: 2 }, timers);
    await limiter.acquire(1, open());
    await timers.advance(30_000);
    await limiter.acquire(1, open());
    let at = -1;
    const third = limiter.acquire(1, open()).then(() => {
      at = timers.now() - t0;
    });
    expect(limiter.expectedWait(1)).toBe(60_000); // behind the third, which waits 30 s
    await timers.advance(30_000);
    await third;
    expect(at).toBe(60_000);
  });
});

describe("key limiter: tokens per minute", () => {
  it("queues a request whose estimate does not fit, and lets it go early when the real usage was smaller", async () => {
    const timers = fakeTimers();
    const limiter = createKeyLimiter("openai", { tokensPerMinute: 1000 }, timers);
    const first = await limiter.acquire(600, open());
    let second: Permit | undefined;
    const pending = limiter.acquire(600, open()).then((p) => {
      second = p;
    });
    await timers.advance(10_000);
    expect(second).toBeUndefined();
    expect(limiter.expectedWait(1)).toBe(50_000 + 0); // the 1-token request fits next to the second one
    first.settle(150); // the call used 150 tokens, not 600
    await timers.settle();
    await pending;
    expect(second).toBeDefined();
  });

  it("waits for the window to drain when the estimate is larger than the usage reported", async () => {
    const timers = fakeTimers();
    const t0 = timers.now();
    const limiter = createKeyLimiter("openai", { tokensPerMinute: 1000 }, timers);
    (await limiter.acquire(100, open())).settle(900);
    let at = -1;
    const next = limiter.acquire(200, open()).then(() => {
      at = timers.now() - t0;
    });
    await timers.advance(60_000);
    await next;
    expect(at).toBe(60_000);
  });

  it("admits a request larger than the whole limit once the window is empty", async () => {
    const timers = fakeTimers();
    const limiter = createKeyLimiter("k", { tokensPerMinute: 100 }, timers);
    await limiter.acquire(5000, open());
    let done = false;
    const next = limiter.acquire(5000, open()).then(() => {
      done = true;
    });
    await timers.advance(59_000);
    expect(done).toBe(false);
    await timers.advance(1000);
    await next;
    expect(done).toBe(true);
  });

  it("is strictly first in, first out: a small request does not overtake a large one", async () => {
    const timers = fakeTimers();
    const limiter = createKeyLimiter("k", { tokensPerMinute: 1000 }, timers);
    await limiter.acquire(900, open());
    const order: string[] = [];
    const big = limiter.acquire(500, open()).then(() => order.push("big"));
    const small = limiter.acquire(50, open()).then(() => order.push("small"));
    await timers.settle();
    expect(order).toEqual([]);
    await timers.advance(60_000);
    await Promise.all([big, small]);
    expect(order).toEqual(["big", "small"]);
  });
});

describe("key limiter: abort and blocks", () => {
  it("an aborted waiter leaves the queue at once, with the signal's reason, and the next moves up", async () => {
    const timers = fakeTimers();
    const limiter = createKeyLimiter("k", { requestsPerMinute: 1 }, timers);
    await limiter.acquire(1, open());
    const controller = new AbortController();
    const aborted = limiter.acquire(1, controller.signal);
    const order: string[] = [];
    const after = limiter.acquire(1, open()).then(() => order.push("after"));
    expect(limiter.queued).toBe(2);
    controller.abort(new Error("step timed out"));
    await expect(aborted).rejects.toThrow("step timed out");
    expect(limiter.queued).toBe(1);
    await timers.advance(60_000);
    await after;
    expect(order).toEqual(["after"]);

    const c2 = new AbortController();
    c2.abort("why");
    const err = await limiter.acquire(1, c2.signal).catch((e: unknown) => e);
    expect((err as WeftError).code).toBe("WEFT_CANCELLED");
  });

  it("a cancelled permit gives its slot back", async () => {
    const timers = fakeTimers();
    const limiter = createKeyLimiter("k", { requestsPerMinute: 1 }, timers);
    const permit = await limiter.acquire(1, open());
    let done = false;
    const next = limiter.acquire(1, open()).then(() => {
      done = true;
    });
    await timers.settle();
    expect(done).toBe(false);
    permit.cancel();
    await next;
    expect(done).toBe(true);
  });

  it("blockUntil holds every request, limited or not, until then", async () => {
    const timers = fakeTimers();
    const t0 = timers.now();
    const limiter = createKeyLimiter("free", {}, timers);
    await limiter.acquire(1, open());
    limiter.blockUntil(t0 + 20_000);
    limiter.blockUntil(t0 + 5_000); // an earlier block changes nothing
    expect(limiter.expectedWait(1)).toBe(20_000);
    let at = -1;
    const next = limiter.acquire(1, open()).then(() => {
      at = timers.now() - t0;
    });
    await timers.advance(19_999);
    expect(at).toBe(-1);
    await timers.advance(1);
    await next;
    expect(at).toBe(20_000);
  });
});

describe("rate limits by key", () => {
  it("routes a request through provider/model, then provider; unknown keys are created without limits", () => {
    const limits = createRateLimits({ anthropic: { requestsPerMinute: 5 }, "openai/gpt-4o": { tokensPerMinute: 9 } });
    expect(limits.limitersFor("anthropic", "claude-haiku-4-5").map((l) => [l.key, l.limit])).toEqual([
      ["anthropic/claude-haiku-4-5", {}],
      ["anthropic", { requestsPerMinute: 5 }],
    ]);
    expect(limits.limitersFor("openai", "gpt-4o")[0]?.limit).toEqual({ tokensPerMinute: 9 });
    expect(limits.limitersFor("gemini", undefined).map((l) => l.key)).toEqual(["gemini"]);
    expect(limits.limiter("anthropic")).toBe(limits.limitersFor("anthropic", "x")[1]);
    expect(limits.blockKeyFor("openai", "gpt-4o")).toBe("openai/gpt-4o");
    expect(limits.blockKeyFor("openai", undefined)).toBe("openai");
  });
});
