import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createClientCache,
  createProgressBuffer,
  jsonSafe,
  objectRooted,
  parseJsonAnswer,
  parseRetryAfter,
  redact,
  safeUrl,
} from "../../../src/agents/providers/shared.js";

describe("createProgressBuffer", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("turns thousands of token deltas into tens of line-aligned events that concatenate to the text", () => {
    const events: string[] = [];
    const buffer = createProgressBuffer((t) => events.push(t));
    const text = Array.from({ length: 200 }, (_, i) => `Step ${i}: check the inputs and the outputs.\n`).join("");
    for (let at = 0; at < text.length; at += 3) buffer.push(text.slice(at, at + 3));
    buffer.end();
    expect(events.join("")).toBe(text);
    expect(events.length).toBeGreaterThan(20);
    expect(events.length).toBeLessThan(text.length / 100);
    expect(events.slice(0, -1).every((e) => e.endsWith("\n"))).toBe(true);
  });

  it("flushes a partial line after maxDelayMs, and the rest at end()", () => {
    const events: string[] = [];
    const buffer = createProgressBuffer((t) => events.push(t), { maxDelayMs: 150 });
    buffer.push("Thinking");
    vi.advanceTimersByTime(149);
    expect(events).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(events).toEqual(["Thinking"]);
    buffer.push("…");
    buffer.end();
    expect(events).toEqual(["Thinking", "…"]);
    vi.advanceTimersByTime(1_000);
    expect(events).toHaveLength(2);
  });

  it("flushes at maxChars even without a line end", () => {
    const events: string[] = [];
    const buffer = createProgressBuffer((t) => events.push(t), { maxChars: 10 });
    buffer.push("abcdefghij");
    expect(events).toEqual(["abcdefghij"]);
  });

  it("never throws from push; end() rethrows onProgress's error, abandon() does not", () => {
    const boom = new Error("listener failed");
    const buffer = createProgressBuffer(
      () => {
        throw boom;
      },
      { maxChars: 2 },
    );
    expect(() => buffer.push("abc")).not.toThrow();
    expect(() => buffer.end()).toThrow(boom);
    const other = createProgressBuffer(
      () => {
        throw boom;
      },
      { maxChars: 2 },
    );
    other.push("abc");
    expect(() => other.abandon()).not.toThrow();
  });

  it("is a no-op without onProgress: no timer armed, nothing thrown", () => {
    const buffer = createProgressBuffer(undefined, { maxDelayMs: 10, maxChars: 2 });
    buffer.push("x");
    expect(vi.getTimerCount()).toBe(0);
    expect(() => buffer.push("a longer text\n")).not.toThrow();
    expect(() => buffer.end()).not.toThrow();
    expect(() => buffer.abandon()).not.toThrow();
    expect(vi.getTimerCount()).toBe(0);
    // The same push with a listener arms the flush timer: the count above is not zero by accident.
    const events: string[] = [];
    createProgressBuffer((t) => events.push(t), { maxDelayMs: 10 }).push("x");
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(10);
    expect(events).toEqual(["x"]);
  });
});

describe("parseRetryAfter", () => {
  const headers = (h: Record<string, string>) => new Headers(h);
  const now = Date.parse("2026-01-01T00:00:00Z");
  it.each<[string, Record<string, string>, number | undefined]>([
    ["seconds", { "retry-after": "12" }, 12_000],
    ["fractional seconds", { "retry-after": "0.5" }, 500],
    ["an HTTP date", { "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }, 30_000],
    ["a date in the past", { "retry-after": "Wed, 31 Dec 2025 23:00:00 GMT" }, 0],
    ["retry-after-ms first", { "retry-after-ms": "250", "retry-after": "9" }, 250],
    ["garbage", { "retry-after": "soon" }, undefined],
    [
      "the latest exhausted Anthropic limit",
      {
        "anthropic-ratelimit-requests-remaining": "0",
        "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:05Z",
        "anthropic-ratelimit-output-tokens-remaining": "0",
        "anthropic-ratelimit-output-tokens-reset": "2026-01-01T00:00:40Z",
        "anthropic-ratelimit-input-tokens-remaining": "900",
        "anthropic-ratelimit-input-tokens-reset": "2026-01-01T00:01:00Z",
      },
      40_000,
    ],
    ["nothing", {}, undefined],
  ])("%s", (_name, h, expected) => {
    expect(parseRetryAfter(headers(h), now)).toBe(expected);
  });
});

describe("JSON answers and schemas", () => {
  it("parses JSON, fenced JSON, and nothing else", () => {
    expect(parseJsonAnswer(' {"a": 1} ')).toEqual({ a: 1 });
    expect(parseJsonAnswer('```json\n{"a": [1, 2]}\n```')).toEqual({ a: [1, 2] });
    expect(parseJsonAnswer("Here you go: {}")).toBeUndefined();
    expect(parseJsonAnswer("")).toBeUndefined();
    expect(parseJsonAnswer('{"result": 3}', true)).toBe(3);
    expect(parseJsonAnswer('{"other": 3}', true)).toBeUndefined();
  });

  it("wraps non-object roots, keeping $schema and definitions at the root", () => {
    expect(objectRooted({ type: "object" })).toEqual({ schema: { type: "object" }, wrapped: false });
    const { schema, wrapped } = objectRooted({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: { tag: { type: "string" } },
      type: "array",
      items: { $ref: "#/$defs/tag" },
    });
    expect(wrapped).toBe(true);
    expect(schema).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $defs: { tag: { type: "string" } },
      type: "object",
      properties: { result: { type: "array", items: { $ref: "#/$defs/tag" } } },
      required: ["result"],
      additionalProperties: false,
    });
  });
});

describe("transcript safety", () => {
  it("jsonSafe drops undefined and functions, redacts secrets, survives cycles", () => {
    const cyclic: Record<string, unknown> = { a: 1, skip: undefined, fn: () => 1, text: "key sk-secret-1 here" };
    cyclic.self = cyclic;
    expect(jsonSafe(cyclic, ["sk-secret-1"])).toEqual({ a: 1, text: "key [redacted] here", self: "[cycle]" });
    expect(jsonSafe([Number.NaN, 2n, new Date(0)], [])).toEqual([null, "2", "1970-01-01T00:00:00.000Z"]);
  });

  it("redact ignores empty and tiny secrets; safeUrl strips credentials and queries", () => {
    expect(redact("abc", ["", "a"])).toBe("abc");
    expect(safeUrl("https://user:pw@example.com/v1?key=x#f")).toBe("https://example.com/v1");
    expect(safeUrl("not a url")).toBe("[unparseable URL]");
  });
});

describe("createClientCache", () => {
  it("reuses a client per (base URL, key) and evicts the least recently used", () => {
    let made = 0;
    const get = createClientCache(() => ({ n: ++made }), 2);
    const a = get("http://a", "k1");
    expect(get("http://a", "k1")).toBe(a);
    expect(get("http://a", "k2")).not.toBe(a);
    expect(get(undefined, undefined)).not.toBe(a);
    expect(get("http://a", "k1")).not.toBe(a);
    expect(made).toBe(4);
  });
});
