/**
 * Mock fixtures: scripted answers for the mock provider, inline or from a YAML/JSON file.
 *
 * ```yaml
 * responses:
 *   - agent: security            # optional: only this agent
 *     match: "auth\\.ts"         # optional: a JavaScript regex tested against the prompt
 *     json: { findings: [] }     # or text: "…"; neither → the generated answer
 *     delayMs: 200               # optional latency for this entry
 *     fail: { times: 2, kind: rate_limited, retryAfterMs: 1000 }  # fail the first 2 calls per (agent, prompt)
 * ```
 * The first matching entry wins.
 *
 * `fail.kind`:
 * - `rate_limited` (429), `overloaded` (529), `server` (500), `network`, `malformed`: a transient
 *   `ProviderError` of that kind, as the SDK providers throw it (`status` overrides the HTTP status;
 *   `retryAfterMs` is the Retry-After). `rate_limited` with `retryAfterMs` is what the rate limiter waits out.
 * - `terminal`: a `TerminalError` (retrying cannot help).
 * - `rate_limit`: the spelling from before `ProviderError` existed, kept so old fixtures behave as they did —
 *   a plain `RetryableError` with code `WEFT_PROVIDER` that the rate limiter does not intercept (every failure
 *   costs the step an attempt). Write `rate_limited` to simulate a real 429.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { WeftError } from "../../core/errors.js";
import type { Json } from "../../core/json.js";

function isJsonValue(v: unknown): v is Json {
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every(isJsonValue);
  return typeof v === "object" && Object.values(v as object).every(isJsonValue);
}

const validRegex = (source: string) => {
  try {
    new RegExp(source);
    return true;
  } catch {
    return false;
  }
};

export const mockFailureSchema = z.strictObject({
  times: z.number().int().min(1),
  kind: z.enum(["rate_limited", "overloaded", "server", "network", "malformed", "terminal", "rate_limit"]),
  retryAfterMs: z.number().int().min(0).optional(),
  status: z.number().int().min(100).max(599).optional(),
  message: z.string().optional(),
});

export const mockResponseSchema = z.strictObject({
  agent: z.string().min(1).optional(),
  match: z.string().refine(validRegex, "must be a valid JavaScript regular expression").optional(),
  text: z.string().optional(),
  json: z.custom<Json>(isJsonValue, "must be a JSON value").optional(),
  delayMs: z.number().min(0).optional(),
  fail: mockFailureSchema.optional(),
});

export const mockFixtureSchema = z.strictObject({ responses: z.array(mockResponseSchema) });

export type MockFailure = z.infer<typeof mockFailureSchema>;
export type MockResponse = z.infer<typeof mockResponseSchema>;
export type MockFixture = z.infer<typeof mockFixtureSchema>;

function fixtureError(where: string, issues: z.core.$ZodIssue[], locate: (path: PropertyKey[]) => string): WeftError {
  const lines = issues.map((issue) => {
    const path = issue.path
      .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
      .join("")
      .replace(/^\./, "");
    return `  ${locate(issue.path)}${path || "(root)"}: ${issue.message}`;
  });
  return new WeftError("WEFT_PROVIDER", `invalid mock fixture ${where}:\n${lines.join("\n")}`);
}

/** Validates inline fixtures; throws a WeftError listing every problem. */
export function checkFixture(value: unknown, where = "(inline)"): MockFixture {
  const parsed = mockFixtureSchema.safeParse(value);
  if (!parsed.success) throw fixtureError(where, parsed.error.issues, () => "");
  return parsed.data;
}

/** Reads and validates a fixture file (YAML or JSON); errors name the file, the line and the entry. */
export function loadFixtureFile(file: string): MockFixture {
  let source: string;
  try {
    source = readFileSync(file, "utf8");
  } catch (err) {
    throw new WeftError("WEFT_PROVIDER", `cannot read mock fixture file ${file}: ${(err as Error).message}`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const at = e ? lineCounter.linePos(e.pos[0]) : { line: 1, col: 1 };
    throw new WeftError("WEFT_PROVIDER", `${file}:${at.line}:${at.col}: not valid YAML or JSON: ${e?.message ?? ""}`);
  }
  const parsed = mockFixtureSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    throw fixtureError(file, parsed.error.issues, (path) => {
      // The deepest node of the path that exists gives the line.
      for (let n = path.length; n >= 0; n--) {
        const node = doc.getIn(path.slice(0, n) as Array<string | number>, true) as
          | { range?: [number, number] }
          | undefined;
        if (node?.range) {
          const { line, col } = lineCounter.linePos(node.range[0]);
          return `${file}:${line}:${col}: `;
        }
      }
      return `${file}: `;
    });
  }
  return parsed.data;
}
