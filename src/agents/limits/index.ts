/** Rate limits for agent calls: per-key limiters, the set of them, and the provider wrapper that applies them. */
export { type LimiterClock, systemLimiterClock } from "./clock.js";
export { createKeyLimiter, type KeyLimiter, type Permit, type RateLimit, WINDOW_MS } from "./limiter.js";
export { createRateLimits, type RateLimits } from "./rate-limits.js";
export { estimateTokens, type WithLimitsOptions, withLimits } from "./with-limits.js";
