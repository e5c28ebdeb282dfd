/**
 * `withLimits(provider, …)`: the provider as every agent call should see it — rate-limited, priced, and
 * patient with a provider's Retry-After.
 *
 * - Before the call, the request waits its turn at its limiters (`provider/model`, then `provider`), with a
 *   token estimate of ~4 characters per token of the system prompt, the history, the prompt and the
 *   outputSchema (the answer's tokens are unknown until it comes; the estimate is corrected with the real
 *   usage afterwards). A wait is announced once through `onProgress` ("waiting 12 s for the anthropic rate
 *   limit"). Aborting the signal while queued rejects at once with the signal's reason.
 * - A `ProviderError` of kind `rate_limited` with `retryAfterMs` blocks the model's key (the provider's when
 *   the request names no model) until then, and the same call queues again at the front and retries: a 429
 *   does not cost the step an attempt. At most `maxRateLimitRetries` times and `maxRetryWaitMs` of
 *   Retry-After in total; after that (or without a Retry-After) the error is thrown as it came, and the
 *   step's retry policy takes over. Other errors are thrown unchanged.
 * - A response without `usage.costUsd` gets it from the price table (by the model the response names), when
 *   the price is known.
 * - When the call waited, the transcript starts with `{ type: "rate_limit", waitedMs, retries }`.
 */
import { ProviderError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import { createPriceTable, type PriceTable } from "../pricing.js";
import type { ImageRequest, ImageResponse, Provider, ProviderRequest, ProviderResponse } from "../provider.js";
import { abortReason, type KeyLimiter, type Permit } from "./limiter.js";
import type { RateLimits } from "./rate-limits.js";

export interface WithLimitsOptions {
  limits: RateLimits;
  /** Default: the built-in list prices. */
  prices?: PriceTable | undefined;
  /** Retries of a call answered `rate_limited` with a Retry-After, inside the call. Default 3. */
  maxRateLimitRetries?: number | undefined;
  /** The most Retry-After one call waits out in total, in ms. Default 300 000 (5 minutes). */
  maxRetryWaitMs?: number | undefined;
}

const chars = (text: string | undefined) => Math.ceil((text?.length ?? 0) / 4);

/** The request's input tokens, roughly: ~4 characters per token. */
export function estimateTokens(req: ProviderRequest): number {
  const history = (req.messages ?? []).reduce((n, m) => n + chars(m.content), 0);
  const schema = req.outputSchema ? chars(JSON.stringify(req.outputSchema)) : 0;
  return chars(req.agent.system) + history + chars(req.prompt) + schema;
}

const seconds = (ms: number) => (ms < 10_000 ? Math.max(1, Math.round(ms / 100) / 10) : Math.ceil(ms / 1000));

export function withLimits(provider: Provider, opts: WithLimitsOptions): Provider {
  const { limits } = opts;
  const clock = limits.clock;
  const prices = opts.prices ?? createPriceTable();
  const maxRetries = opts.maxRateLimitRetries ?? 3;
  const maxRetryWaitMs = opts.maxRetryWaitMs ?? 300_000;

  /** Waits at every limiter in turn; on abort gives back what it already holds. */
  const acquireAll = async (
    chain: KeyLimiter[],
    tokens: number,
    req: ProviderRequest,
    front: boolean,
    announce: boolean,
  ): Promise<Permit[]> => {
    if (announce) {
      let longest: { key: string; ms: number } | undefined;
      for (const limiter of chain) {
        const ms = limiter.expectedWait(tokens);
        if (ms > 0 && ms > (longest?.ms ?? 0)) longest = { key: limiter.key, ms };
      }
      if (longest) req.onProgress?.(`waiting ${seconds(longest.ms)} s for the ${longest.key} rate limit\n`);
    }
    const permits: Permit[] = [];
    try {
      for (const limiter of chain) permits.push(await limiter.acquire(tokens, req.signal, { front }));
    } catch (err) {
      for (const permit of permits) permit.cancel();
      throw err;
    }
    return permits;
  };

  /** Images wait at the same limiters (the prompt as the token estimate) and get their cost priced. */
  const images = (generateImages: NonNullable<Provider["generateImages"]>) => async (req: ImageRequest) => {
    const chain = limits.limitersFor(provider.name, req.agent.model);
    const estimate = chars(req.prompt);
    const permits = await acquireAll(chain, estimate, req, false, true);
    let response: ImageResponse;
    try {
      response = await generateImages(req);
    } catch (err) {
      for (const permit of permits) permit.settle(estimate);
      throw err;
    }
    const usage = response.usage;
    for (const permit of permits) permit.settle(usage ? usage.inputTokens + usage.outputTokens : estimate);
    if (!usage || usage.costUsd !== undefined) return response;
    const costUsd = prices.costOf(response.model || (req.agent.model ?? ""), usage);
    return costUsd === undefined ? response : { ...response, usage: { ...usage, costUsd } };
  };

  return {
    name: provider.name,
    ...(provider.generateImages ? { generateImages: images(provider.generateImages.bind(provider)) } : {}),
    async generate(req) {
      const chain = limits.limitersFor(provider.name, req.agent.model);
      const estimate = estimateTokens(req);
      let waitedMs = 0;
      let retries = 0;
      let retryWaitMs = 0;
      for (;;) {
        const queuedAt = clock.now();
        const permits = await acquireAll(chain, estimate, req, retries > 0, retries === 0);
        waitedMs += clock.now() - queuedAt;
        let response: ProviderResponse;
        try {
          response = await provider.generate(req);
        } catch (err) {
          const after = err instanceof ProviderError && err.kind === "rate_limited" ? err.retryAfterMs : undefined;
          if (after === undefined) {
            for (const permit of permits) permit.settle(estimate);
            throw err;
          }
          // Refused: the request used no tokens; everyone waits out the Retry-After.
          for (const permit of permits) permit.settle(0);
          limits.limiter(limits.blockKeyFor(provider.name, req.agent.model)).blockUntil(clock.now() + after);
          if (retries >= maxRetries || retryWaitMs + after > maxRetryWaitMs) throw err;
          if (req.signal.aborted) throw abortReason(req.signal);
          retries++;
          retryWaitMs += after;
          req.onProgress?.(`rate limited by ${provider.name}; trying again in ${seconds(after)} s\n`);
          continue;
        }
        for (const permit of permits) permit.settle(response.usage.inputTokens + response.usage.outputTokens);
        return finish(response, req, waitedMs, retries);
      }
    },
  };

  function finish(response: ProviderResponse, req: ProviderRequest, waitedMs: number, retries: number) {
    let out = response;
    if (response.usage.costUsd === undefined) {
      const costUsd = prices.costOf(response.model || (req.agent.model ?? ""), response.usage);
      if (costUsd !== undefined) out = { ...out, usage: { ...response.usage, costUsd } };
    }
    if (waitedMs > 0 || retries > 0) {
      const note: JsonObject = { type: "rate_limit", provider: provider.name, waitedMs, retries };
      if (req.agent.model !== undefined) note.model = req.agent.model;
      out = { ...out, transcript: [note, ...response.transcript] };
    }
    return out;
  }
}
