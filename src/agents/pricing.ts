/**
 * What a model call costs: a built-in table of list prices, overridable from `weft.config.yaml` (`prices:`).
 *
 * Prices are US dollars per million tokens, the standard (non-batch) tier and the shortest context band: a
 * prompt over a provider's long-context threshold (Claude Sonnet 4/4.5 and Gemini 2.5 Pro above 200k input
 * tokens) is billed higher than shown, and cache reads/writes are not modelled. Source: the providers' own
 * pricing pages (anthropic.com/pricing, openai.com/api/pricing, ai.google.dev/gemini-api/docs/pricing) as
 * published in March 2026. Prices change: override them in the config rather than trusting this table blindly.
 *
 * A model id matches an entry exactly, or as the entry followed by version suffixes: a date
 * (`claude-sonnet-4-5-20250929`, `gpt-4o-2024-08-06`, `claude-opus-4-1@20250805`), `latest`, `preview`, `exp`,
 * or a number of two or more digits (`gemini-2.5-flash-preview-09-2025`, `gemini-2.0-flash-001`). The longest
 * match wins, so `gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`, not `gpt-4o`. A one-digit suffix does
 * not match (`claude-opus-4-9` is not `claude-opus-4`): an unknown model has no price rather than a wrong one.
 * A leading `provider/` or `models/` is ignored.
 */
import type { Usage } from "./provider.js";

/** US dollars per million tokens. */
export interface Price {
  input: number;
  output: number;
}

export const BUILTIN_PRICES: Readonly<Record<string, Price>> = Object.freeze({
  // Anthropic
  "claude-opus-4-7": { input: 5, output: 25 },
  "claude-opus-4-6": { input: 5, output: 25 },
  "claude-opus-4-5": { input: 5, output: 25 },
  "claude-opus-4-1": { input: 15, output: 75 },
  "claude-opus-4-0": { input: 15, output: 75 },
  "claude-opus-4": { input: 15, output: 75 },
  "claude-sonnet-4-6": { input: 3, output: 15 },
  "claude-sonnet-4-5": { input: 3, output: 15 },
  "claude-sonnet-4-0": { input: 3, output: 15 },
  "claude-sonnet-4": { input: 3, output: 15 },
  "claude-haiku-4-5": { input: 1, output: 5 },
  "claude-3-7-sonnet": { input: 3, output: 15 },
  "claude-3-5-haiku": { input: 0.8, output: 4 },
  "claude-3-haiku": { input: 0.25, output: 1.25 },
  // OpenAI
  "gpt-5.4": { input: 2.5, output: 15 },
  "gpt-5.1": { input: 1.25, output: 10 },
  "gpt-5": { input: 1.25, output: 10 },
  "gpt-5-chat-latest": { input: 1.25, output: 10 },
  "gpt-5-codex": { input: 1.25, output: 10 },
  "gpt-5-mini": { input: 0.25, output: 2 },
  "gpt-5-nano": { input: 0.05, output: 0.4 },
  "gpt-5-pro": { input: 15, output: 120 },
  "gpt-4.1": { input: 2, output: 8 },
  "gpt-4.1-mini": { input: 0.4, output: 1.6 },
  "gpt-4.1-nano": { input: 0.1, output: 0.4 },
  "gpt-4o": { input: 2.5, output: 10 },
  "gpt-4o-mini": { input: 0.15, output: 0.6 },
  o1: { input: 15, output: 60 },
  "o1-mini": { input: 1.1, output: 4.4 },
  "o1-pro": { input: 150, output: 600 },
  o3: { input: 2, output: 8 },
  "o3-mini": { input: 1.1, output: 4.4 },
  "o3-pro": { input: 20, output: 80 },
  "o4-mini": { input: 1.1, output: 4.4 },
  // Google Gemini
  "gemini-2.5-pro": { input: 1.25, output: 10 },
  "gemini-2.5-flash": { input: 0.3, output: 2.5 },
  "gemini-2.5-flash-lite": { input: 0.1, output: 0.4 },
  "gemini-2.0-flash": { input: 0.1, output: 0.4 },
  "gemini-2.0-flash-lite": { input: 0.075, output: 0.3 },
});

const VERSION_TOKEN = /^(?:\d{2,}|latest|preview|exp)$/;

/** Whether `rest` (what follows a table id in a model id) is only version suffixes. */
function isVersionSuffix(rest: string): boolean {
  if (rest === "") return true;
  if (!/^[-@:]/.test(rest)) return false;
  return rest
    .slice(1)
    .split(/[-@:]/)
    .every((token) => VERSION_TOKEN.test(token));
}

function lookup(table: Readonly<Record<string, Price>>, model: string): { id: string; price: Price } | undefined {
  if (Object.hasOwn(table, model)) return { id: model, price: table[model] as Price };
  let best: string | undefined;
  for (const id of Object.keys(table)) {
    if (model.startsWith(id) && isVersionSuffix(model.slice(id.length)) && id.length > (best?.length ?? 0)) best = id;
  }
  return best === undefined ? undefined : { id: best, price: table[best] as Price };
}

export interface PriceTable {
  /** The price of `model`, from the overrides first, then the built-in table; undefined when unknown. */
  priceOf(model: string): Price | undefined;
  /** US dollars for `usage` on `model`; undefined when the model's price is unknown. */
  costOf(model: string, usage: Pick<Usage, "inputTokens" | "outputTokens">): number | undefined;
}

/**
 * A price table: `overrides` (the config's `prices:`, matched the same way) win over the built-in table —
 * an override for `gpt-4o` also prices `gpt-4o-2024-08-06`.
 */
export function createPriceTable(overrides: Readonly<Record<string, Price>> = {}): PriceTable {
  const priceOf = (model: string): Price | undefined => {
    const bare = model.slice(model.lastIndexOf("/") + 1);
    for (const candidate of bare === model ? [model] : [model, bare]) {
      const found = lookup(overrides, candidate) ?? lookup(BUILTIN_PRICES, candidate);
      if (found) return found.price;
    }
    return undefined;
  };
  return {
    priceOf,
    costOf(model, usage) {
      const price = priceOf(model);
      if (!price) return undefined;
      return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1_000_000;
    },
  };
}

const builtin = createPriceTable();

/** US dollars for `usage` on `model` at the built-in list prices; undefined for a model the table does not know. */
export function costOf(model: string, usage: Pick<Usage, "inputTokens" | "outputTokens">): number | undefined {
  return builtin.costOf(model, usage);
}
