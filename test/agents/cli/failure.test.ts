import { describe, expect, it } from "vitest";
import { retryAfterFrom, transientKind } from "../../../src/agents/cli/failure.js";

describe("transientKind", () => {
  it.each([
    ['API Error: 429 {"type":"error","error":{"type":"rate_limit_error"}}', "rate_limited"],
    ["exceeded retry limit, last status: 429 Too Many Requests", "rate_limited"],
    ["Claude AI usage limit reached|1767225600", "rate_limited"],
    ["status: 429 RESOURCE_EXHAUSTED", "rate_limited"],
    ['API Error: 529 {"type":"error","error":{"type":"overloaded_error"}}', "overloaded"],
    ["the model is overloaded", "overloaded"],
    ["unexpected status 500 Internal Server Error", "server"],
    ["API Error: 502 Bad Gateway", "server"],
    ["[API Error: status 503 UNAVAILABLE]", "server"],
    ["stream disconnected before completion: error sending request", "network"],
    ["Error: socket hang up", "network"],
    ["getaddrinfo ENOTFOUND api.anthropic.com", "network"],
    ["got status UNAVAILABLE from the backend", "server"],
    ["Invalid API key · Please run /login", undefined],
    ["The model `gpt-9` does not exist or is unavailable to you", undefined],
    ["You exceeded your current quota: insufficient_quota, check your plan and billing details", undefined],
    ["Error: unknown option '--json-schema'", undefined],
    ["stopped at its turn limit (error_max_turns, 30 turns)", undefined],
  ])("%j → %s", (text, kind) => {
    expect(transientKind(text)).toBe(kind);
  });
});

describe("retryAfterFrom", () => {
  const now = 1_767_225_000_000;
  it.each([
    ["Claude AI usage limit reached|1767225600", 600_000],
    ["429 Too Many Requests, retry after 7 seconds", 7000],
    ["Retry-After: 30", 30_000],
    ["please try again in 1.5s", 1500],
    ["try again in 250ms", 250],
    ["rate limit resets in 2 minutes", 120_000],
    ["You've hit your usage limit; try again in 3 days 2 hours", 3 * 86_400_000],
    ["retry after 1 hour", 3_600_000],
    ["rate limited", undefined],
  ])("%j → %s ms", (text, ms) => {
    expect(retryAfterFrom(text, now)).toBe(ms);
  });
});
