/**
 * The `mock` provider: deterministic, offline and scriptable, so every template runs with no key and tests
 * need no network.
 *
 * - The same agent + prompt (+ outputSchema, + `seed`) always gives the same answer, on every attempt.
 * - Without fixtures it answers a few readable sentences naming the agent and the prompt's subject; given an
 *   `outputSchema` it answers JSON generated from the schema and checked with ajv (a schema it cannot satisfy
 *   is a `TerminalError`: add a fixture with `json`).
 * - Fixtures script answers, latency and failures (see fixtures.ts). `fail.times` counts per (entry, agent,
 *   prompt) within one provider instance: `rate_limited`, `overloaded`, `server`, `network` and `malformed`
 *   throw a `ProviderError` of that kind (429/529/500, with the scripted Retry-After), `terminal` a
 *   `TerminalError`, the old `rate_limit` a plain `RetryableError`.
 * - Latency honours `signal`: an abort rejects at once with `signal.reason`.
 * Usage: ~4 characters per token, cost 0, model `mock-1`.
 * Images (`generateImages`): tiny solid-colour PNGs whose colours come from the request's hash (images.ts).
 */
import {
  ProviderError,
  type ProviderFailureKind,
  RetryableError,
  TerminalError,
  WeftError,
} from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import { compileSchema } from "../json-schema.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../provider.js";
import { mockAnswer, subjectOf } from "./answer.js";
import { checkFixture, loadFixtureFile, type MockFixture, type MockResponse } from "./fixtures.js";
import { mockImages } from "./images.js";
import { hashOf, rngFrom } from "./rng.js";
import { generateFromSchema, UnsatisfiableSchema } from "./schema-gen.js";

export { type MockFailure, type MockFixture, type MockResponse, mockFixtureSchema } from "./fixtures.js";

export const MOCK_MODEL = "mock-1";
export { MOCK_IMAGE_MODEL } from "./images.js";

export interface MockProviderOptions {
  /** Scripted responses, or the path of a YAML/JSON file holding them (read once, now). */
  fixtures?: MockFixture | string | undefined;
  /** Simulated latency of every answer, in ms. Default 0. */
  latencyMs?: number | undefined;
  /** Mixed into every answer's hash: another seed, other (equally deterministic) answers. Default "". */
  seed?: string | undefined;
}

const estimateTokens = (text: string) => Math.ceil(text.length / 4);

function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error
    ? signal.reason
    : new WeftError("WEFT_CANCELLED", "the agent call was cancelled");
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

/** Splits `text` into about four pieces at spaces, concatenating back to `text`. */
function chunks(text: string): string[] {
  const size = Math.max(16, Math.ceil(text.length / 4));
  const out: string[] = [];
  let at = 0;
  while (at < text.length) {
    let end = Math.min(text.length, at + size);
    const space = text.indexOf(" ", end);
    end = space < 0 || space - end > 24 ? end : space + 1;
    out.push(text.slice(at, end));
    at = end;
  }
  return out;
}

function tryParse(text: string | undefined): Json | undefined {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Json;
  } catch {
    return undefined;
  }
}

/** How each scripted transient failure reads, and its HTTP status. */
const SIMULATED: Record<ProviderFailureKind, { status: number | undefined; says: string }> = {
  rate_limited: { status: 429, says: "rate limited" },
  overloaded: { status: 529, says: "overloaded" },
  server: { status: 500, says: "server error" },
  network: { status: undefined, says: "network error (connection reset)" },
  malformed: { status: undefined, says: "malformed answer (the response could not be read)" },
};

export function createMockProvider(opts: MockProviderOptions = {}): Provider {
  const fixture =
    typeof opts.fixtures === "string"
      ? loadFixtureFile(opts.fixtures)
      : opts.fixtures
        ? checkFixture(opts.fixtures)
        : { responses: [] };
  const where = typeof opts.fixtures === "string" ? opts.fixtures : "inline fixtures";
  const patterns = fixture.responses.map((r) => (r.match === undefined ? undefined : new RegExp(r.match)));
  const failures = new Map<string, number>();
  const seed = opts.seed ?? "";

  const find = (agent: string, prompt: string): { entry: MockResponse; index: number } | undefined => {
    for (const [index, entry] of fixture.responses.entries()) {
      if (entry.agent !== undefined && entry.agent !== agent) continue;
      if (patterns[index]?.test(prompt) === false) continue;
      return { entry, index };
    }
    return undefined;
  };

  const fail = (entry: MockResponse, index: number, agent: string, prompt: string) => {
    if (!entry.fail) return;
    const key = hashOf(String(index), agent, prompt);
    const count = failures.get(key) ?? 0;
    if (count >= entry.fail.times) return;
    failures.set(key, count + 1);
    const what = `failure ${count + 1} of ${entry.fail.times} scripted by ${where} (responses[${index}])`;
    const { kind, retryAfterMs, message } = entry.fail;
    if (kind === "terminal")
      throw new TerminalError(message ?? `mock: agent "${agent}" failed; ${what}`, "WEFT_PROVIDER");
    if (kind === "rate_limit") {
      throw new RetryableError(message ?? `mock: rate limited (429) for agent "${agent}"; ${what}`, {
        code: "WEFT_PROVIDER",
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    const { status: defaultStatus, says } = SIMULATED[kind];
    const status = entry.fail.status ?? defaultStatus;
    const shown = status === undefined ? says : `${says} (${status})`;
    throw new ProviderError(kind, message ?? `mock: ${shown} for agent "${agent}"; ${what}`, { status, retryAfterMs });
  };

  const answerJson = (req: ProviderRequest, schema: JsonObject, scripted: Json | undefined): Json => {
    const agent = req.agent.name;
    let validate: ReturnType<typeof compileSchema>;
    try {
      validate = compileSchema(schema);
    } catch (err) {
      throw new TerminalError(
        `the outputSchema of agent "${agent}" is not a valid JSON Schema: ${(err as Error).message}`,
        "WEFT_PROVIDER",
      );
    }
    if (scripted !== undefined) {
      if (validate(scripted)) return scripted;
      throw new TerminalError(
        `the mock fixture's answer for agent "${agent}" (${where}) does not match the outputSchema: ${validate.errors}`,
        "WEFT_PROVIDER",
      );
    }
    const rng = rngFrom(hashOf(seed, agent, req.prompt, JSON.stringify(schema)));
    let value: Json;
    try {
      value = generateFromSchema(schema, { rng, agent, subject: subjectOf(req.prompt) });
    } catch (err) {
      throw err instanceof UnsatisfiableSchema ? unsatisfiable(agent, err.message) : err;
    }
    if (!validate(value)) throw unsatisfiable(agent, validate.errors);
    return value;
  };

  return {
    name: "mock",
    generateImages: mockImages({ seed, latencyMs: opts.latencyMs ?? 0, wait: delay }),
    async generate(req: ProviderRequest): Promise<ProviderResponse> {
      const agent = req.agent.name;
      const found = find(agent, req.prompt);
      await delay(found?.entry.delayMs ?? opts.latencyMs ?? 0, req.signal);
      if (found) fail(found.entry, found.index, agent, req.prompt);
      const entry = found?.entry;

      let text: string;
      let json: Json | undefined;
      if (req.outputSchema) {
        json = answerJson(req, req.outputSchema, entry?.json ?? tryParse(entry?.text));
        text = entry?.text ?? JSON.stringify(json, null, 2);
      } else {
        json = entry?.json;
        text =
          entry?.text ??
          (json !== undefined ? JSON.stringify(json, null, 2) : undefined) ??
          mockAnswer(agent, req.prompt, rngFrom(hashOf(seed, agent, req.prompt)));
      }
      if (req.signal.aborted) throw abortError(req.signal);
      for (const piece of chunks(text)) req.onProgress?.(piece);

      const system = req.agent.system ?? "";
      const history = (req.messages ?? []).map((m) => m.content).join("\n");
      const usage = {
        inputTokens: estimateTokens(system) + estimateTokens(history) + estimateTokens(req.prompt),
        outputTokens: estimateTokens(text),
        costUsd: 0,
      };
      const request: JsonObject = { type: "request", provider: "mock", agent, model: MOCK_MODEL, prompt: req.prompt };
      if (req.agent.system !== undefined) request.system = req.agent.system;
      if (req.messages?.length) request.messages = req.messages.map((m) => ({ role: m.role, content: m.content }));
      if (req.outputSchema) request.outputSchema = req.outputSchema;
      const response: JsonObject = { type: "response", text, usage: { ...usage } };
      if (json !== undefined) response.json = json;
      return { text, json, usage, model: MOCK_MODEL, sessionId: req.idempotencyKey, transcript: [request, response] };
    },
  };
}

function unsatisfiable(agent: string, why: string): TerminalError {
  return new TerminalError(
    `the mock provider cannot produce JSON that satisfies the outputSchema of agent "${agent}" (${why}); ` +
      "simplify the schema or add a mock fixture response with `json` for this agent",
    "WEFT_PROVIDER",
  );
}
