import { writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileSchema } from "../../src/agents/json-schema.js";
import { createMockProvider, type MockProviderOptions } from "../../src/agents/mock/index.js";
import type { Provider, ProviderRequest } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { ProviderError, RetryableError, TerminalError, WeftError } from "../../src/core/errors.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import { tempDir } from "../steps/helpers.js";

function ask(
  provider: Provider,
  agent: string,
  prompt: string,
  extra: Partial<ProviderRequest> = {},
): ReturnType<Provider["generate"]> {
  return provider.generate({
    agent: { name: agent, provider: "mock" },
    prompt,
    idempotencyKey: "run:step:0",
    attempt: 1,
    signal: new AbortController().signal,
    ...extra,
  });
}

const mock = (opts?: MockProviderOptions) => createMockProvider(opts);

describe("mock provider: text", () => {
  it("answers deterministically, naming the agent and the prompt's subject", async () => {
    const a = await ask(mock(), "security", "Scan src/auth.ts for security vulnerabilities.\nBe thorough.");
    const b = await ask(mock(), "security", "Scan src/auth.ts for security vulnerabilities.\nBe thorough.");
    expect(a.text).toBe(b.text);
    expect(a.text).toMatch(
      /^\[mock security\] \w+.* “Scan src\/auth\.ts for security vulnerabilities”: \d findings?\./,
    );
    expect(a.text.split(/(?<=\.) /).length).toBeGreaterThanOrEqual(3);
    expect(a.json).toBeUndefined();
  });

  it("answers differently for another agent, prompt or seed", async () => {
    const base = (await ask(mock(), "writer", "Write the release notes")).text;
    expect((await ask(mock(), "editor", "Write the release notes")).text).not.toBe(base);
    expect((await ask(mock(), "writer", "Write the changelog")).text).not.toBe(base);
    const seeded = await Promise.all(
      ["1", "2", "3", "4"].map(async (seed) => (await ask(mock({ seed }), "writer", "Write the release notes")).text),
    );
    expect(new Set([base, ...seeded]).size).toBeGreaterThan(1);
  });

  it("shortens a long subject", async () => {
    const { text } = await ask(mock(), "a", `Summarise ${"very ".repeat(40)}long text`);
    expect(text).toMatch(/“Summarise very .*…”/);
    expect(text.length).toBeLessThan(600);
  });

  it("streams the answer in a few chunks and reports usage, model and transcript", async () => {
    const chunks: string[] = [];
    const res = await ask(mock(), "security", "Scan it", {
      onProgress: (t) => chunks.push(t),
      agent: { name: "security", provider: "mock", system: "You are careful." },
    });
    expect(chunks.length).toBeGreaterThanOrEqual(2);
    expect(chunks.length).toBeLessThanOrEqual(8);
    expect(chunks.join("")).toBe(res.text);
    expect(res.model).toBe("mock-1");
    expect(res.usage).toEqual({
      inputTokens: Math.ceil("You are careful.".length / 4) + Math.ceil("Scan it".length / 4),
      outputTokens: Math.ceil(res.text.length / 4),
      costUsd: 0,
    });
    expect(res.transcript).toEqual([
      {
        type: "request",
        provider: "mock",
        agent: "security",
        model: "mock-1",
        prompt: "Scan it",
        system: "You are careful.",
      },
      { type: "response", text: res.text, usage: res.usage },
    ]);
  });
});

describe("mock provider: JSON for an outputSchema", () => {
  const schemas: Array<[string, JsonObject]> = [
    [
      "flat object",
      {
        type: "object",
        properties: { severity: { type: "integer", minimum: 1, maximum: 5 }, title: { type: "string" } },
        required: ["severity", "title"],
      },
    ],
    [
      "nested and arrays",
      {
        type: "object",
        properties: {
          findings: {
            type: "array",
            minItems: 2,
            maxItems: 4,
            items: {
              type: "object",
              properties: {
                file: { type: "string" },
                line: { type: "integer", minimum: 1 },
                fixed: { type: "boolean" },
              },
              required: ["file", "line"],
              additionalProperties: false,
            },
          },
        },
        required: ["findings"],
      },
    ],
    [
      "formats",
      {
        type: "object",
        properties: {
          at: { type: "string", format: "date-time" },
          day: { type: "string", format: "date" },
          mail: { type: "string", format: "email" },
          url: { type: "string", format: "uri" },
          id: { type: "string", format: "uuid" },
          host: { type: "string", format: "hostname" },
          ip: { type: "string", format: "ipv4" },
        },
        required: ["at", "day", "mail", "url", "id", "host", "ip"],
      },
    ],
    [
      "enum, const, null",
      {
        type: "object",
        properties: {
          level: { enum: ["low", "medium", "high"] },
          kind: { const: "review" },
          nothing: { type: "null" },
        },
        required: ["level", "kind", "nothing"],
      },
    ],
    [
      "string lengths",
      {
        type: "object",
        properties: { code: { type: "string", minLength: 40, maxLength: 50 }, tiny: { type: "string", maxLength: 3 } },
        required: ["code", "tiny"],
      },
    ],
    [
      "numbers",
      {
        type: "object",
        properties: {
          ratio: { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 1 },
          even: { type: "integer", multipleOf: 2, minimum: 7, maximum: 9 },
          neg: { type: "number", maximum: -5 },
        },
        required: ["ratio", "even", "neg"],
      },
    ],
    [
      "oneOf / anyOf",
      {
        type: "object",
        properties: {
          a: { oneOf: [{ type: "string" }, { type: "number" }] },
          b: { anyOf: [{ type: "integer", minimum: 3 }, { type: "null" }] },
        },
        required: ["a", "b"],
      },
    ],
    [
      "$ref to $defs",
      {
        $defs: {
          item: {
            type: "object",
            properties: { name: { type: "string" }, tags: { type: "array", items: { $ref: "#/$defs/tag" } } },
            required: ["name", "tags"],
          },
          tag: { type: "string", enum: ["x", "y"] },
        },
        type: "array",
        items: { $ref: "#/$defs/item" },
        minItems: 1,
      },
    ],
    [
      "allOf",
      {
        allOf: [
          { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
          { properties: { b: { type: "boolean" } }, required: ["b"] },
        ],
      },
    ],
    [
      "draft 2020-12 tuple",
      {
        $schema: "https://json-schema.org/draft/2020-12/schema",
        type: "array",
        prefixItems: [{ type: "string" }, { type: "integer" }],
        items: false,
      },
    ],
    ["type list", { type: ["null", "object"], properties: { ok: { type: "boolean" } }, required: ["ok"] }],
    ["scalar", { type: "integer", minimum: 10, maximum: 10 }],
    ["unique enum items", { type: "array", items: { enum: ["a", "b", "c"] }, minItems: 3, uniqueItems: true }],
    ["min properties", { type: "object", minProperties: 2, additionalProperties: { type: "number" } }],
    [
      "simple pattern",
      { type: "object", properties: { zip: { type: "string", pattern: "^[0-9]+$" } }, required: ["zip"] },
    ],
  ];

  it.each(schemas)("%s: valid and deterministic", async (_name, schema) => {
    const a = await ask(mock(), "triage", "Triage the bug", { outputSchema: schema });
    const b = await ask(mock(), "triage", "Triage the bug", { outputSchema: schema });
    const validate = compileSchema(schema);
    expect(validate(a.json as Json), validate.errors).toBe(true);
    expect(a.json).toEqual(b.json);
    expect(JSON.parse(a.text)).toEqual(a.json);
    expect(a.transcript[1]).toMatchObject({ json: a.json });
  });

  it.each([
    ["a pattern it cannot meet", { type: "string", pattern: "^\\d{5}-[A-Z]{3}$" }],
    ["contradictory bounds", { type: "integer", minimum: 5, maximum: 4 }],
    ["`not`", { type: "string", not: { type: "string" } }],
    ["false", { type: "object", properties: { a: false }, required: ["a"] }],
    ["a remote $ref", { $ref: "https://example.com/schema.json" }],
  ])("refuses, terminally, %s", async (_name, schema) => {
    const err = await ask(mock(), "triage", "p", { outputSchema: schema as JsonObject }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toMatch(/outputSchema/);
  });

  it("produces valid JSON for generated schemas (property)", async () => {
    const leaf = fc.oneof(
      fc.record({
        type: fc.constant("string"),
        minLength: fc.integer({ min: 0, max: 5 }),
        maxLength: fc.integer({ min: 5, max: 30 }),
      }),
      fc.record({ type: fc.constant("string"), format: fc.constantFrom("date-time", "date", "email", "uri", "uuid") }),
      fc.record({
        type: fc.constant("string"),
        enum: fc.uniqueArray(fc.string({ maxLength: 6 }), { minLength: 1, maxLength: 4 }),
      }),
      fc.integer({ min: -1000, max: 1000 }).chain((min) =>
        fc.record({
          type: fc.constantFrom("integer", "number"),
          minimum: fc.constant(min),
          maximum: fc.integer({ min, max: min + 500 }),
        }),
      ),
      fc.record({ type: fc.constantFrom("boolean", "null") }),
      fc.record({ const: fc.oneof(fc.string(), fc.integer(), fc.boolean()) }),
    );
    const schema: fc.Arbitrary<JsonObject> = fc.letrec<{ node: JsonObject }>((tie) => ({
      node: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.dictionary(fc.stringMatching(/^[a-z][a-zA-Z_]{0,8}$/), tie("node"), { maxKeys: 4 }).chain((properties) =>
          fc.record({
            type: fc.constant("object"),
            properties: fc.constant(properties),
            required: fc.subarray(Object.keys(properties)),
            additionalProperties: fc.boolean(),
          }),
        ),
        fc.integer({ min: 0, max: 3 }).chain((minItems) =>
          fc.record({
            type: fc.constant("array"),
            items: tie("node"),
            minItems: fc.constant(minItems),
            maxItems: fc.integer({ min: minItems, max: minItems + 3 }),
          }),
        ),
        fc.record({ anyOf: fc.array(tie("node"), { minLength: 1, maxLength: 3 }) }),
      ),
    })).node as fc.Arbitrary<JsonObject>;

    const provider = mock();
    await fc.assert(
      fc.asyncProperty(schema, fc.string({ maxLength: 40 }), async (s, prompt) => {
        const res = await ask(provider, "prop", prompt, { outputSchema: s });
        const validate = compileSchema(s);
        expect(validate(res.json as Json), `${JSON.stringify(s)} → ${res.text}: ${validate.errors}`).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe("mock provider: fixtures", () => {
  it("answers with the first matching entry: by agent, then by prompt regex", async () => {
    const provider = mock({
      fixtures: {
        responses: [
          { agent: "security", match: "auth\\.ts", text: "auth is fine" },
          { agent: "security", json: { findings: [] } },
          { match: "^Write", text: "written" },
        ],
      },
    });
    expect((await ask(provider, "security", "Scan auth.ts")).text).toBe("auth is fine");
    const other = await ask(provider, "security", "Scan db.ts");
    expect(other.json).toEqual({ findings: [] });
    expect(JSON.parse(other.text)).toEqual({ findings: [] });
    expect((await ask(provider, "writer", "Write docs")).text).toBe("written");
    expect((await ask(provider, "writer", "Edit docs")).text).toMatch(/^\[mock writer\]/);
  });

  it("checks a fixture's json against the outputSchema", async () => {
    const provider = mock({ fixtures: { responses: [{ agent: "t", json: { severity: "high" } }] } });
    const schema = { type: "object", properties: { severity: { type: "integer" } } };
    const err = await ask(provider, "t", "p", { outputSchema: schema }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toMatch(/does not match the outputSchema.*severity must be integer/);
    const ok = mock({ fixtures: { responses: [{ agent: "t", text: '{"severity": 4}' }] } });
    expect((await ask(ok, "t", "p", { outputSchema: schema })).json).toEqual({ severity: 4 });
  });

  it("fails `times` times per agent and prompt, then answers", async () => {
    const provider = mock({
      fixtures: {
        responses: [{ agent: "flaky", text: "finally", fail: { times: 2, kind: "rate_limit", retryAfterMs: 1500 } }],
      },
    });
    for (let i = 1; i <= 2; i++) {
      const err = await ask(provider, "flaky", "p").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RetryableError);
      expect((err as RetryableError).retryAfterMs).toBe(1500);
      expect((err as RetryableError).code).toBe("WEFT_PROVIDER");
      expect((err as Error).message).toMatch(new RegExp(`rate limited.*failure ${i} of 2`));
    }
    expect((await ask(provider, "flaky", "p")).text).toBe("finally");
    // Another prompt counts on its own; another provider instance starts again.
    await expect(ask(provider, "flaky", "q")).rejects.toBeInstanceOf(RetryableError);
    const fresh = mock({ fixtures: { responses: [{ agent: "flaky", fail: { times: 1, kind: "server" } }] } });
    await expect(ask(fresh, "flaky", "p")).rejects.toThrow(/server error/);
    expect((await ask(fresh, "flaky", "p")).text).toMatch(/^\[mock flaky\]/);
  });

  it("fails terminally with the given message", async () => {
    const provider = mock({
      fixtures: { responses: [{ fail: { times: 1, kind: "terminal", message: "quota gone" } }] },
    });
    const err = await ask(provider, "any", "p").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toBe("quota gone");
  });

  it("loads YAML and JSON fixture files", async () => {
    const dir = tempDir();
    const yamlFile = join(dir, "fixtures.yaml");
    writeFileSync(yamlFile, "responses:\n  - agent: writer\n    text: |\n      from yaml\n");
    expect((await ask(mock({ fixtures: yamlFile }), "writer", "x")).text).toBe("from yaml\n");
    const jsonFile = join(dir, "fixtures.json");
    writeFileSync(jsonFile, JSON.stringify({ responses: [{ json: [1, 2] }] }));
    expect((await ask(mock({ fixtures: jsonFile }), "any", "x")).json).toEqual([1, 2]);
  });

  it("says which file, line and entry is wrong", () => {
    const dir = tempDir();
    const file = join(dir, "bad.yaml");
    writeFileSync(file, "responses:\n  - text: ok\n  - agent: x\n    fail:\n      times: 2\n      kind: flaky\n");
    expect(() => mock({ fixtures: file })).toThrow(WeftError);
    expect(() => mock({ fixtures: file })).toThrow(/bad\.yaml:6:13: responses\[1\]\.fail\.kind/);
    writeFileSync(file, "responses: [\n");
    expect(() => mock({ fixtures: file })).toThrow(/bad\.yaml:\d+:\d+: not valid YAML/);
    expect(() => mock({ fixtures: join(dir, "missing.yaml") })).toThrow(
      /cannot read mock fixture file .*missing\.yaml/,
    );
    expect(() => mock({ fixtures: { responses: [{ match: "(" }] } as never })).toThrow(/responses\[0\]\.match/);
    expect(() => mock({ fixtures: { responses: [{ txt: "x" }] } as never })).toThrow(/txt/);
  });
});

describe("mock provider: simulated provider failures", () => {
  it.each([
    ["rate_limited", 429, "WEFT_RATE_LIMITED", /rate limited \(429\)/],
    ["overloaded", 529, "WEFT_RATE_LIMITED", /overloaded \(529\)/],
    ["server", 500, "WEFT_PROVIDER", /server error \(500\)/],
    ["network", undefined, "WEFT_PROVIDER", /network error/],
    ["malformed", undefined, "WEFT_PROVIDER", /malformed answer/],
  ] as const)("%s: a ProviderError of that kind, N times, then the answer", async (kind, status, code, text) => {
    const provider = mock({
      fixtures: { responses: [{ agent: "a", text: "ok", fail: { times: 2, kind, retryAfterMs: 7000 } }] },
    });
    for (let i = 1; i <= 2; i++) {
      const err = await ask(provider, "a", "p").catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderError);
      expect(err).toBeInstanceOf(RetryableError);
      const e = err as ProviderError;
      expect([e.kind, e.status, e.code, e.retryAfterMs]).toEqual([kind, status, code, 7000]);
      expect(e.message).toMatch(text);
      expect(e.message).toMatch(new RegExp(`failure ${i} of 2`));
    }
    expect((await ask(provider, "a", "p")).text).toBe("ok");
  });

  it("takes the HTTP status and message from the fixture, and reads them from a file", async () => {
    const dir = tempDir();
    const file = join(dir, "fixtures.yaml");
    writeFileSync(
      file,
      "responses:\n  - match: quota\n    fail: { times: 1, kind: server, status: 503, message: upstream down }\n",
    );
    const provider = mock({ fixtures: file });
    const err = (await ask(provider, "any", "quota please").catch((e: unknown) => e)) as ProviderError;
    expect([err.kind, err.status, err.message]).toEqual(["server", 503, "upstream down"]);
    expect(() => mock({ fixtures: { responses: [{ fail: { times: 1, kind: "server", status: 42 } }] } })).toThrow(
      /responses\[0\]\.fail\.status/,
    );
  });

  it("keeps the old `rate_limit` kind as it was: a plain RetryableError the rate limiter does not intercept", async () => {
    const provider = mock({ fixtures: { responses: [{ fail: { times: 1, kind: "rate_limit", retryAfterMs: 5 } }] } });
    const err = await ask(provider, "a", "p").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect(err).not.toBeInstanceOf(ProviderError);
  });
});

describe("mock provider: latency", () => {
  it("waits latencyMs, or an entry's delayMs", async () => {
    const started = Date.now();
    await ask(mock({ latencyMs: 120 }), "a", "p");
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    // The entry's delay replaces a latency of 10 minutes (the test would time out on it).
    await ask(mock({ latencyMs: 600_000, fixtures: { responses: [{ delayMs: 10 }] } }), "a", "p");
  });

  it("rejects promptly with the abort reason", async () => {
    const controller = new AbortController();
    // A latency of 10 minutes: only the abort can end the call before the test times out.
    const pending = ask(mock({ latencyMs: 600_000 }), "a", "p", { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 30);
    await expect(pending).rejects.toThrow("stop");
    const c2 = new AbortController();
    c2.abort("why");
    const err = await ask(mock(), "a", "p", { signal: c2.signal }).catch((e: unknown) => e);
    expect((err as WeftError).code).toBe("WEFT_CANCELLED");
  });
});

describe("provider registry", () => {
  const other: Provider = {
    name: "openai",
    generate: async () => ({ text: "real", usage: { inputTokens: 1, outputTokens: 1 }, model: "m", transcript: [] }),
  };

  it("maps configured agents to their provider and others to the mock", () => {
    const fallback = mock();
    const registry = createProviderRegistry({
      agents: {
        coder: { name: "coder", provider: "openai", model: "gpt" },
        tester: { name: "tester", provider: "mock" },
      },
      providers: [other],
      mock: fallback,
    });
    expect(registry.resolve("coder")).toEqual({
      config: { name: "coder", provider: "openai", model: "gpt" },
      provider: other,
      configured: true,
    });
    expect(registry.resolve("tester")).toMatchObject({ provider: fallback, configured: true });
    expect(registry.resolve("nobody")).toEqual({
      config: { name: "nobody", provider: "mock" },
      provider: fallback,
      configured: false,
    });
  });

  it("creates its own mock when none is given", async () => {
    const { provider, configured } = createProviderRegistry().resolve("x");
    expect(provider.name).toBe("mock");
    expect(configured).toBe(false);
    expect((await ask(provider, "x", "Say hi")).text).toMatch(/^\[mock x\]/);
  });

  it("refuses an unknown provider name and duplicate providers when created", () => {
    expect(() =>
      createProviderRegistry({ agents: { a: { name: "a", provider: "antropic" } }, providers: [other] }),
    ).toThrow(/agent "a" uses provider "antropic", which is not available \(available: mock, openai\)/);
    expect(() => createProviderRegistry({ providers: [other, { ...other }] })).toThrow(
      /two providers are named "openai"/,
    );
  });
});
