/**
 * What the SDK providers (anthropic, openai, gemini) share: key resolution, a client cache, progress
 * batching, the conversation shape, JSON answers, transcripts, and the classification of failures into
 * weft's retry semantics:
 *
 * - 429 (or a rate-limit error type) → `ProviderError("rate_limited")` with `retryAfterMs` from `retry-after-ms`,
 *   `retry-after` (seconds or an HTTP date), a provider hint (Gemini's RetryInfo) or Anthropic's exhausted
 *   `anthropic-ratelimit-*-reset`;
 * - 529, an "overloaded" error type, or a 503 saying "overloaded" → `"overloaded"`; other 5xx → `"server"`;
 * - connection failures, timeouts and streams cut short → `"network"`; unreadable bodies → `"malformed"`;
 * - other 4xx (400, 401, 403, 404, 422, …) → `TerminalError(…, "WEFT_PROVIDER")` with the API's own message;
 * - an aborted `signal` → its `reason` (when an Error), so cancellation and timeouts are reported as such.
 *
 * Every message starts with `provider model:`, and the API key is redacted from messages, transcripts and
 * errors (a cause whose text holds the key is dropped rather than attached).
 */
import { createHash } from "node:crypto";
import { ProviderError, type ProviderFailureKind, TerminalError, WeftError } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import type { AgentConfig, ProviderRequest } from "../provider.js";

/** Options every SDK provider factory takes. */
export interface SdkProviderOptions {
  /**
   * The API key for an agent, from the agents configuration (an environment variable or a secret);
   * `undefined` when none is configured. Called on every request, so a rotated key takes effect at once.
   */
  apiKey: (agent: AgentConfig) => string | undefined;
  /**
   * Where the key is expected, as error messages should name it ("ANTHROPIC_API_KEY", "secret WORK_KEY").
   * Default: the provider's usual environment variable. Never the key itself.
   */
  keyHint?: ((agent: AgentConfig) => string) | undefined;
  /** Base URL for agents without their own `baseUrl`. Default: the SDK's (the public API). */
  baseUrl?: string | undefined;
  /** The fetch the SDK uses. Default: the global fetch. */
  fetch?: typeof fetch | undefined;
  /**
   * The longest wait, in ms, for the response to start or for the next streamed event; then the request is
   * aborted and fails as `network`. The step's own timeout also aborts through `signal`. Default 300000
   * (Node's fetch gives up on a silent body after 5 minutes anyway).
   */
  timeoutMs?: number | undefined;
  /** The name agents use in `provider:`. Default: the provider's ("anthropic", "openai", "gemini"). */
  name?: string | undefined;
}

export const DEFAULT_TIMEOUT_MS = 300_000;

/** What a failure message needs to know about the call. */
export interface CallContext {
  provider: string;
  model: string;
  agent: AgentConfig;
  keyHint: string;
  /** Strings that must never appear in a message, transcript or error (the API key). */
  secrets: readonly string[];
  signal: AbortSignal;
}

// ---------------------------------------------------------------------------------------------------------
// Keys, models, clients

/**
 * The agent's key, or `undefined` for a keyless call: when the resolver has no key and the agent either says
 * `options.noKey: true` or has its own `baseUrl` on another host than the provider's (a local Ollama, a
 * proxy: the agents configuration hands such agents no key unless they name one). Otherwise no key is a
 * `TerminalError` naming where the key is expected.
 */
export function resolveKey(
  provider: string,
  req: ProviderRequest,
  opts: SdkProviderOptions,
  keyHint: string,
  officialHost: string,
): string | undefined {
  const key = opts.apiKey(req.agent);
  if (key !== undefined && key !== "") return key;
  if (req.agent.options?.noKey === true) return undefined;
  if (req.agent.baseUrl !== undefined && hostOf(req.agent.baseUrl) !== officialHost) return undefined;
  throw new TerminalError(
    `${provider}: no API key for agent "${req.agent.name}"; set ${keyHint}, or set \`options.noKey: true\` on the agent ` +
      "if its server needs none (e.g. a local OpenAI-compatible server)",
    "WEFT_PROVIDER",
  );
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

export function requireModel(provider: string, agent: AgentConfig): string {
  if (agent.model !== undefined && agent.model.trim() !== "") return agent.model;
  throw new TerminalError(
    `${provider}: agent "${agent.name}" has no model; set \`model\` for it in the agents configuration`,
    "WEFT_PROVIDER",
  );
}

/**
 * SDK clients, one per (base URL, key hash) so connections are reused; the key itself is not kept as a map key.
 * Bounded: the least recently used client is dropped past `max`.
 */
export function createClientCache<C>(create: (baseUrl: string | undefined, key: string | undefined) => C, max = 16) {
  const clients = new Map<string, C>();
  return (baseUrl: string | undefined, key: string | undefined): C => {
    const id = `${baseUrl ?? ""}\u0000${key === undefined ? "-" : createHash("sha256").update(key).digest("hex")}`;
    let client = clients.get(id);
    if (client !== undefined) {
      clients.delete(id);
    } else {
      client = create(baseUrl, key);
      if (clients.size >= max) {
        const oldest = clients.keys().next();
        if (!oldest.done) clients.delete(oldest.value);
      }
    }
    clients.set(id, client);
    return client;
  };
}

// ---------------------------------------------------------------------------------------------------------
// Progress

export interface ProgressBuffer {
  /** Adds streamed text; flushes when due. Never throws. */
  push(text: string): void;
  /** Flushes what is left and stops the timer; rethrows the first error `onProgress` threw. */
  end(): void;
  /** After a failure: flushes what is left and stops the timer, ignoring `onProgress` errors. */
  abandon(): void;
}

export interface ProgressBufferOptions {
  /** Flush once this many characters are buffered. Default 200. */
  maxChars?: number | undefined;
  /** Flush this long (ms) after the first unflushed character arrived. Default 150. */
  maxDelayMs?: number | undefined;
  /** A line end flushes once at least this many characters are buffered. Default 100. */
  minChars?: number | undefined;
}

/**
 * Batches streamed text for `onProgress`, so a long answer becomes tens of progress events, not one per
 * token. It flushes at a line end once `minChars` are buffered and when `maxChars` are (both up to the last
 * line end, so pieces end with whole lines where they can), `maxDelayMs` after the oldest unflushed
 * character (everything: a line being written still shows), and at `end()`. The pieces concatenate to the
 * streamed text. `push` never throws: an error from `onProgress` stops further calls and `end()` rethrows it.
 */
export function createProgressBuffer(
  onProgress: ((text: string) => void) | undefined,
  opts: ProgressBufferOptions = {},
): ProgressBuffer {
  if (!onProgress) return { push() {}, end() {}, abandon() {} };
  const maxChars = opts.maxChars ?? 200;
  const maxDelayMs = opts.maxDelayMs ?? 150;
  const minChars = opts.minChars ?? 100;
  let buffer = "";
  let timer: ReturnType<typeof setTimeout> | undefined;
  let failed: { error: unknown } | undefined;

  const stopTimer = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  const emit = (count: number) => {
    stopTimer();
    const piece = buffer.slice(0, count);
    buffer = buffer.slice(count);
    if (buffer !== "") startTimer();
    if (piece === "" || failed) return;
    try {
      onProgress(piece);
    } catch (error) {
      failed = { error };
      stopTimer();
    }
  };
  const startTimer = () => {
    timer = setTimeout(() => {
      timer = undefined;
      emit(buffer.length);
    }, maxDelayMs);
    timer.unref?.();
  };

  return {
    push(text) {
      if (text === "" || failed) return;
      buffer += text;
      if (buffer.length >= maxChars || (buffer.length >= minChars && text.includes("\n"))) {
        return emit(buffer.lastIndexOf("\n") + 1 || buffer.length);
      }
      if (timer === undefined) startTimer();
    },
    end() {
      emit(buffer.length);
      stopTimer();
      if (failed) throw failed.error;
    },
    abandon() {
      emit(buffer.length);
      stopTimer();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// The streamed call

/**
 * Opens a stream and feeds each item to `onItem` (which pushes text to the progress buffer), with an idle
 * timeout of `timeoutMs` between the request and the first item and between items. Failures become weft's
 * errors: an aborted `ctx.signal` → its reason; the idle timeout → `network`; others as `describe` says.
 * Returns normally when the stream ends; the caller then checks that it ended complete.
 */
export async function consumeStream<T>(
  ctx: CallContext,
  opts: {
    timeoutMs: number;
    onProgress: ((text: string) => void) | undefined;
    open: (signal: AbortSignal) => Promise<AsyncIterable<T>>;
    onItem: (item: T, progress: (text: string) => void) => void;
    describe: (err: unknown) => Failure;
  },
): Promise<void> {
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  const controller = new AbortController();
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error(`no data for ${opts.timeoutMs} ms`));
    }, opts.timeoutMs);
  };
  const onAbort = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  const idle: Failure = { type: "network", message: `no response data for ${opts.timeoutMs} ms (timeoutMs)` };
  const progress = createProgressBuffer(opts.onProgress);
  try {
    arm();
    const stream = await opts.open(controller.signal);
    for await (const item of stream) {
      arm();
      opts.onItem(item, progress.push);
    }
  } catch (err) {
    progress.abandon();
    throw toFailureError(ctx, timedOut ? idle : opts.describe(err), err);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onAbort);
  }
  progress.end();
  // The SDKs end a stream quietly when its request is aborted.
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  if (timedOut) throw toFailureError(ctx, idle, undefined);
}

// ---------------------------------------------------------------------------------------------------------
// Conversation, structured output

export interface Turn {
  role: "user" | "assistant";
  content: string;
}

/** The agent's system prompt and any system messages, then the earlier turns and the prompt as the last user turn. */
export function conversationOf(req: ProviderRequest): { system: string | undefined; turns: Turn[] } {
  const system: string[] = [];
  if (req.agent.system) system.push(req.agent.system);
  const turns: Turn[] = [];
  for (const message of req.messages ?? []) {
    if (message.role === "system") {
      if (message.content) system.push(message.content);
    } else {
      turns.push({ role: message.role, content: message.content });
    }
  }
  turns.push({ role: "user", content: req.prompt });
  return { system: system.length ? system.join("\n\n") : undefined, turns };
}

/** The property a non-object schema is wrapped in, for APIs whose structured output needs an object root. */
export const WRAPPED_KEY = "result";

/**
 * APIs that require an object at the root of a structured answer get `{ result: <schema> }` for any other
 * schema; `unwrap` takes the answer back out.
 */
export function objectRooted(schema: JsonObject): { schema: JsonObject; wrapped: boolean } {
  if (schema.type === "object") return { schema, wrapped: false };
  const { $schema, $defs, definitions, ...inner } = schema;
  const root: JsonObject = {
    type: "object",
    properties: { [WRAPPED_KEY]: inner },
    required: [WRAPPED_KEY],
    additionalProperties: false,
  };
  if ($schema !== undefined) root.$schema = $schema;
  if ($defs !== undefined) root.$defs = $defs;
  if (definitions !== undefined) root.definitions = definitions;
  return { schema: root, wrapped: true };
}

/**
 * The JSON of an answer, or `undefined` when it is not JSON. Tolerates one Markdown code fence around it
 * (OpenAI-compatible servers without native structured output often add one).
 */
export function parseJsonAnswer(text: string, wrapped = false): Json | undefined {
  const value = parseLoose(text);
  if (!wrapped || value === undefined) return value;
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, WRAPPED_KEY)
    ? value[WRAPPED_KEY]
    : undefined;
}

function parseLoose(text: string): Json | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  const fenced = /^```[\w-]*\s*\n([\s\S]*?)\n?```$/.exec(trimmed);
  for (const candidate of fenced?.[1] === undefined ? [trimmed] : [trimmed, fenced[1]]) {
    try {
      return JSON.parse(candidate) as Json;
    } catch {
      // not JSON (or not this candidate)
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Transcripts

/** Replaces every secret in `text` with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out;
}

/** A JSON-safe copy for a transcript: drops undefined and functions, redacts secrets, stops cycles. */
export function jsonSafe(value: unknown, secrets: readonly string[], seen = new WeakSet<object>()): Json {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "string") return redact(value, secrets);
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (typeof value !== "object") return null;
  if (seen.has(value)) return "[cycle]";
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => jsonSafe(item, secrets, seen));
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === "function" || typeof item === "symbol") continue;
    out[key] = jsonSafe(item, secrets, seen);
  }
  return out;
}

/** A base URL as the transcript may show it: no credentials, query or fragment. */
export function safeUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return "[unparseable URL]";
  }
}

// ---------------------------------------------------------------------------------------------------------
// Failures

/** Response headers as the SDKs expose them (a `Headers`). */
export interface HeaderSource {
  get(name: string): string | null;
}

/** A provider failure, as each provider describes its SDK's errors for `toFailureError`. */
export type Failure =
  | {
      type: "http";
      /** Undefined for an error event inside a stream that had started with 200. */
      status: number | undefined;
      /** The API's own message. */
      message: string;
      /** The API's error type or status name ("overloaded_error", "RESOURCE_EXHAUSTED"). */
      errorType?: string | undefined;
      headers?: HeaderSource | undefined;
      /** A provider-specific hint (Gemini's RetryInfo); `retry-after` headers win. */
      retryAfterMs?: number | undefined;
    }
  | { type: "network" | "malformed"; message: string };

const TERMINAL_TYPES = new Set([
  "authentication_error",
  "permission_error",
  "invalid_request_error",
  "not_found_error",
  "request_too_large",
  "billing_error",
  "invalid_argument",
  "unauthenticated",
  "permission_denied",
  "not_found",
  "failed_precondition",
]);

function kindOf(status: number | undefined, errorType: string, message: string): ProviderFailureKind | "terminal" {
  const type = errorType.toLowerCase();
  if (status === 529 || type.includes("overloaded") || (status === 503 && /overloaded/i.test(message))) {
    return "overloaded";
  }
  if (status === 429 || type.includes("rate_limit") || type === "resource_exhausted") return "rate_limited";
  if (status === 408 || type === "deadline_exceeded" || type.includes("timeout")) return "network";
  if (status === undefined) return TERMINAL_TYPES.has(type) ? "terminal" : "server";
  if (status >= 500 || status === 409) return "server";
  return "terminal";
}

/** The number of ms to wait, from `retry-after-ms`, `retry-after` (seconds or HTTP date) or Anthropic's resets. */
export function parseRetryAfter(headers: HeaderSource | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return Math.ceil(ms);
  const after = headers.get("retry-after")?.trim();
  if (after) {
    if (/^\d+(\.\d+)?$/.test(after)) return Math.ceil(Number.parseFloat(after) * 1000);
    const at = Date.parse(after);
    if (Number.isFinite(at)) return Math.max(0, at - now);
  }
  // Anthropic: the reset of each exhausted limit (RFC 3339); wait for the latest.
  let latest: number | undefined;
  for (const limit of ["requests", "tokens", "input-tokens", "output-tokens"]) {
    if (headers.get(`anthropic-ratelimit-${limit}-remaining`)?.trim() !== "0") continue;
    const at = Date.parse(headers.get(`anthropic-ratelimit-${limit}-reset`) ?? "");
    if (Number.isFinite(at)) latest = Math.max(latest ?? 0, at - now);
  }
  return latest === undefined ? undefined : Math.max(0, latest);
}

/** What `signal` was aborted with, as an Error to throw. */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new WeftError("WEFT_CANCELLED", "the agent call was cancelled");
}

/** Describes an error that is not an HTTP error of the API: malformed data or the transport. */
export function transportFailure(err: unknown): Failure {
  const message = messageChain(err);
  if (err instanceof SyntaxError) return { type: "malformed", message: `the response could not be parsed: ${message}` };
  const name = err instanceof Error ? err.name : "";
  if (name === "TimeoutError" || name === "AbortError") {
    return { type: "network", message: `the request timed out or was aborted (${message})` };
  }
  return { type: "network", message };
}

function messageChain(err: unknown): string {
  const parts: string[] = [];
  let at: unknown = err;
  for (let depth = 0; depth < 4 && at !== undefined && at !== null; depth++) {
    const text = at instanceof Error ? at.message : String(at);
    if (text && !parts.includes(text)) parts.push(text);
    at = at instanceof Error ? at.cause : undefined;
  }
  return parts.join(": ") || "unknown error";
}

function clip(text: string, max = 500): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The error to throw for a failure: a `ProviderError` for transient kinds, a `TerminalError` otherwise. */
export function toFailureError(ctx: CallContext, failure: Failure, cause: unknown): Error {
  if (ctx.signal.aborted) return abortError(ctx.signal);
  const prefix = `${ctx.provider} ${ctx.model}:`;
  const safeCause = causeIfClean(cause, ctx.secrets);
  if (failure.type !== "http") {
    const what = failure.type === "malformed" ? "malformed response" : "network error";
    return new ProviderError(failure.type, redact(`${prefix} ${what}: ${clip(failure.message)}`, ctx.secrets), {
      cause: safeCause,
    });
  }
  const { status, errorType = "" } = failure;
  const apiMessage = clip(failure.message || "no message");
  const kind = kindOf(status, errorType, apiMessage);
  const head = `${prefix} ${status ?? "error in the stream"}${errorType ? ` ${errorType}` : ""}: ${apiMessage}`;
  if (kind === "terminal") {
    const auth =
      status === 401 ||
      status === 403 ||
      /auth|permission|unauthenticated/i.test(errorType) ||
      /api[ _-]?key/i.test(apiMessage);
    const hint = auth
      ? ` — check ${ctx.keyHint}`
      : status === 404
        ? ` — check the model name "${ctx.model}" and the base URL of agent "${ctx.agent.name}"`
        : "";
    return new TerminalError(redact(head + hint, ctx.secrets), "WEFT_PROVIDER", { cause: safeCause });
  }
  const retryAfterMs = parseRetryAfter(failure.headers) ?? failure.retryAfterMs;
  const wait = retryAfterMs === undefined ? "" : ` (retry after ${Math.ceil(retryAfterMs / 1000)}s)`;
  return new ProviderError(kind, redact(head + wait, ctx.secrets), {
    status,
    retryAfterMs,
    cause: safeCause,
  });
}

function causeIfClean(cause: unknown, secrets: readonly string[]): unknown {
  if (cause === undefined || secrets.length === 0) return cause;
  let text: string;
  try {
    text =
      cause instanceof Error ? `${cause.stack ?? ""}\n${messageChain(cause)}\n${JSON.stringify(cause)}` : String(cause);
  } catch {
    return undefined;
  }
  return secrets.some((secret) => text.includes(secret)) ? undefined : cause;
}
