import { describe, expect, it } from "vitest";
import { BUILTIN_PRICES, costOf, createPriceTable } from "../../src/agents/pricing.js";

const table = createPriceTable();

describe("pricing: the built-in table", () => {
  it.each([
    ["claude-sonnet-4-5", { input: 3, output: 15 }],
    ["claude-sonnet-4-5-20250929", { input: 3, output: 15 }],
    ["claude-opus-4-1@20250805", { input: 15, output: 75 }],
    ["claude-opus-4-20250514", { input: 15, output: 75 }],
    ["claude-opus-4-5", { input: 5, output: 25 }],
    ["claude-haiku-4-5-20251001", { input: 1, output: 5 }],
    ["claude-3-5-haiku-latest", { input: 0.8, output: 4 }],
    ["gpt-4o-2024-08-06", { input: 2.5, output: 10 }],
    ["gpt-4o-mini-2024-07-18", { input: 0.15, output: 0.6 }],
    ["gpt-4.1-nano", { input: 0.1, output: 0.4 }],
    ["gpt-5-mini-2025-08-07", { input: 0.25, output: 2 }],
    ["o3", { input: 2, output: 8 }],
    ["o4-mini-2025-04-16", { input: 1.1, output: 4.4 }],
    ["gemini-2.5-pro", { input: 1.25, output: 10 }],
    ["gemini-2.5-flash-preview-09-2025", { input: 0.3, output: 2.5 }],
    ["gemini-2.5-flash-lite", { input: 0.1, output: 0.4 }],
    ["models/gemini-2.5-flash", { input: 0.3, output: 2.5 }],
    ["anthropic/claude-haiku-4-5", { input: 1, output: 5 }],
  ])("%s", (model, price) => {
    expect(table.priceOf(model)).toEqual(price);
  });

  it.each([
    "claude-opus-4-9", // a one-digit suffix is another model, not a date
    "gpt-4o-audio-preview-2024-12-17",
    "gpt-5.1-codex-max",
    "llama3.1",
    "mock-1",
    "",
  ])("does not price %s", (model) => {
    expect(table.priceOf(model)).toBeUndefined();
    expect(costOf(model, { inputTokens: 10, outputTokens: 10 })).toBeUndefined();
  });

  it("covers the current Claude, OpenAI and Gemini families", () => {
    for (const id of [
      "claude-opus-4-5",
      "claude-sonnet-4-5",
      "claude-haiku-4-5",
      "gpt-4o",
      "gpt-4o-mini",
      "gpt-4.1",
      "gpt-4.1-mini",
      "gpt-5",
      "gpt-5-nano",
      "o3-mini",
      "gemini-2.5-pro",
      "gemini-2.5-flash",
      "gemini-2.5-flash-lite",
    ]) {
      expect(BUILTIN_PRICES[id], id).toBeDefined();
    }
    for (const price of Object.values(BUILTIN_PRICES)) {
      expect(price.input).toBeGreaterThan(0);
      expect(price.output).toBeGreaterThanOrEqual(price.input);
    }
  });

  it("costs usage in US dollars per million tokens", () => {
    expect(costOf("claude-sonnet-4-5", { inputTokens: 1_000_000, outputTokens: 0 })).toBe(3);
    expect(costOf("claude-sonnet-4-5", { inputTokens: 2000, outputTokens: 1000 })).toBeCloseTo(0.006 + 0.015, 12);
    expect(costOf("gpt-4o-mini", { inputTokens: 0, outputTokens: 0 })).toBe(0);
  });
});

describe("pricing: overrides", () => {
  it("win over the built-in table, match dated ids the same way, and price unknown models", () => {
    const custom = createPriceTable({ "gpt-4o": { input: 1, output: 2 }, "my-model": { input: 3, output: 15 } });
    expect(custom.priceOf("gpt-4o-2024-08-06")).toEqual({ input: 1, output: 2 });
    expect(custom.priceOf("gpt-4o-mini")).toEqual({ input: 0.15, output: 0.6 });
    expect(custom.costOf("my-model", { inputTokens: 1_000_000, outputTokens: 1_000_000 })).toBe(18);
    expect(custom.priceOf("claude-haiku-4-5")).toEqual({ input: 1, output: 5 });
  });
});
