/**
 * The rate limiters of one runtime, by key: `provider` (every model of the provider) or `provider/model`.
 * A request goes through both of its keys, the model's first. Keys without configured limits exist too, created
 * on first use: they admit at once unless a provider's Retry-After blocked them.
 */
import { type LimiterClock, systemLimiterClock } from "./clock.js";
import { createKeyLimiter, type KeyLimiter, type RateLimit } from "./limiter.js";

export interface RateLimits {
  readonly clock: LimiterClock;
  /** The limiters a request to `provider` for `model` passes, most specific first: `provider/model`, `provider`. */
  limitersFor(provider: string, model: string | undefined): KeyLimiter[];
  /** The limiter of `key`, created without limits when not configured. */
  limiter(key: string): KeyLimiter;
  /** The key a provider's Retry-After blocks: the model's when known, else the provider's. */
  blockKeyFor(provider: string, model: string | undefined): string;
}

/** `limits` by key, as in the config's `rateLimits:` (`anthropic`, `openai/gpt-4o`). */
export function createRateLimits(
  limits: Readonly<Record<string, RateLimit>> = {},
  clock: LimiterClock = systemLimiterClock,
): RateLimits {
  const byKey = new Map<string, KeyLimiter>();
  const limiter = (key: string): KeyLimiter => {
    let found = byKey.get(key);
    if (!found) {
      found = createKeyLimiter(key, Object.hasOwn(limits, key) ? (limits[key] as RateLimit) : {}, clock);
      byKey.set(key, found);
    }
    return found;
  };
  const modelKey = (provider: string, model: string | undefined) =>
    model === undefined || model === "" ? undefined : `${provider}/${model}`;
  return {
    clock,
    limiter,
    limitersFor(provider, model) {
      const specific = modelKey(provider, model);
      return specific === undefined ? [limiter(provider)] : [limiter(specific), limiter(provider)];
    },
    blockKeyFor: (provider, model) => modelKey(provider, model) ?? provider,
  };
}
