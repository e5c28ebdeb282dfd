/**
 * Which CLI failures retrying can fix. Only the CLI's error text and its stderr are read — never the model's
 * answer, which may well talk about rate limits.
 */
import { ProviderError, type ProviderFailureKind } from "../../core/errors.js";

const BILLING = /insufficient[_ ]quota|billing|credit balance is too low|payment required/i;

const PATTERNS: Array<[ProviderFailureKind, RegExp]> = [
  [
    "rate_limited",
    /\b429\b|rate[ _-]?limit|too many requests|usage limit|quota exceeded|exceeded your current quota|resource[_ ]exhausted/i,
  ],
  ["overloaded", /overloaded|\b529\b|at capacity|capacity constraints/i],
  [
    "server",
    /(?:api error|status(?: code)?|http|error code)[:\s]*5\d\d\b|\b5\d\d (?:internal|bad gateway|service unavailable|gateway)|internal server error|bad gateway|service unavailable|gateway time-?out|\bapi_error\b|server_error/i,
  ],
  // gRPC's status name (Gemini), in capitals only: "the model is unavailable in your region" is not transient.
  ["server", /\bUNAVAILABLE\b/],
  [
    "network",
    /ECONNRESET|ETIMEDOUT|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EPIPE|socket hang up|network error|fetch failed|connection (?:error|reset|refused|closed|timed out)|stream disconnected|request timed out|deadline exceeded/i,
  ],
];

/** The transient kind of a failure described by `text`, or undefined when retrying cannot help. */
export function transientKind(text: string): ProviderFailureKind | undefined {
  if (BILLING.test(text)) return undefined;
  for (const [kind, pattern] of PATTERNS) if (pattern.test(text)) return kind;
  return undefined;
}

function unitMs(unit: string | undefined): number {
  const u = (unit ?? "s").toLowerCase();
  if (u === "ms" || u.startsWith("milli")) return 1;
  if (u.startsWith("m")) return 60_000;
  if (u.startsWith("h")) return 3_600_000;
  if (u.startsWith("d")) return 86_400_000;
  return 1000;
}

/**
 * When the text says how long to wait: "retry after 20s", "try again in 1.5 seconds", or Claude's
 * "usage limit reached|<epoch seconds>". In ms, from `now`.
 */
export function retryAfterFrom(text: string, now = Date.now()): number | undefined {
  const reset = /limit reached\|(\d{10})\b/i.exec(text);
  if (reset) return Math.max(0, Number(reset[1]) * 1000 - now);
  const wait =
    /(?:retry[- ]after|try again in|retry in|resets? in)[:\s]*(\d+(?:\.\d+)?)\s*(ms|milliseconds?|secs?|seconds?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)?\b/i.exec(
      text,
    );
  if (!wait) return undefined;
  return Math.round(Number(wait[1]) * unitMs(wait[2]));
}

/** A transient CLI failure. `sessionId` is the session it ran in, which a retry can resume. */
export class CliAgentError extends ProviderError {
  readonly sessionId: string | undefined;
  constructor(
    kind: ProviderFailureKind,
    message: string,
    opts: { sessionId?: string | undefined; retryAfterMs?: number | undefined } = {},
  ) {
    super(kind, message, { retryAfterMs: opts.retryAfterMs });
    this.name = "CliAgentError";
    this.sessionId = opts.sessionId;
  }
}
