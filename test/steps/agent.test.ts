import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMockProvider } from "../../src/agents/mock/index.js";
import type { Provider, ProviderRequest, ProviderResponse } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { RetryableError } from "../../src/core/errors.js";
import type { JsonObject } from "../../src/core/json.js";
import { agentStepType } from "../../src/steps/agent/index.js";
import type { StepArtifacts } from "../../src/steps/step-type.js";
import { type FakeContext, fakeContext, lines } from "./helpers.js";

async function runAgent(config: JsonObject, ctx: FakeContext = fakeContext(), signal = new AbortController().signal) {
  const outcome = await agentStepType.run(ctx, agentStepType.configSchema.parse(config), signal);
  if (outcome.kind !== "completed") throw new Error(`unexpected outcome ${outcome.kind}`);
  return { ctx, output: outcome.output as JsonObject, summary: outcome.summary ?? "" };
}

function session(ctx: FakeContext): JsonObject[] {
  return readFileSync(join(ctx.logDir, "session.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as JsonObject);
}

/** A provider that records requests and answers with `answer(req)`. */
function fakeProvider(
  answer: (req: ProviderRequest) => Partial<ProviderResponse>,
): Provider & { requests: ProviderRequest[] } {
  const requests: ProviderRequest[] = [];
  return {
    name: "fake",
    requests,
    async generate(req) {
      requests.push(req);
      return {
        text: "",
        usage: { inputTokens: 10, outputTokens: 20, costUsd: 0.0123 },
        model: "fake-model",
        transcript: [{ role: "user", content: req.prompt }],
        ...answer(req),
      };
    },
  };
}

describe("agent step", () => {
  it("answers an unconfigured agent with the mock, saying so, as { result }", async () => {
    const ctx = fakeContext({ args: { filePath: "src/auth.ts" } });
    const { output, summary } = await runAgent(
      { agent: "security", prompt: "Scan {{ args.filePath }} for security vulnerabilities" },
      ctx,
    );
    expect(Object.keys(output)).toEqual(["result"]);
    expect(output.result).toMatch(/^\[mock security\] .*Scan src\/auth\.ts for security vulnerabilities/);
    expect(ctx.notices).toEqual(['agent "security" has no configuration; answered by the offline mock provider']);
    expect(lines(ctx, "info")).toContainEqual(expect.stringMatching(/^tokens in\/out \d+\/\d+, model mock-1/));
    expect(lines(ctx, "stdout").join("")).toBe(output.result);
    expect(summary).toMatch(/`security`/);
    expect(summary).toMatch(/mock-1/);
    expect(summary).toMatch(/> \[mock security\]/);
    expect(ctx.inputs).toEqual([
      { agent: "security", provider: "mock", prompt: "Scan src/auth.ts for security vulnerabilities" },
    ]);
  });

  it("writes the transcript to session.jsonl, appending per attempt", async () => {
    const ctx = fakeContext();
    await runAgent({ agent: "writer", prompt: "Write a haiku" }, ctx);
    const ctx2 = fakeContext({ logDir: ctx.logDir, attempt: 2 });
    await runAgent({ agent: "writer", prompt: "Write a haiku" }, ctx2);
    const entries = session(ctx);
    expect(entries.map((e) => e.type)).toEqual(["session", "request", "response", "session", "request", "response"]);
    expect(entries[0]).toMatchObject({ attempt: 1, agent: "writer", provider: "mock", model: "mock-1" });
    expect(entries[3]).toMatchObject({ attempt: 2 });
    expect(entries[1]).toMatchObject({ prompt: "Write a haiku" });
  });

  it("builds the prompt from rendered inputs when there is no prompt (seed 001)", async () => {
    const ctx = fakeContext({ args: { bug: "login fails", n: 4 }, stepId: "triage" });
    const { output } = await runAgent(
      { agent: "bug-triage-agent", inputs: { bug_description: "{{ args.bug }}", count: "{{ args.n }}" } },
      ctx,
    );
    const recorded = ctx.inputs[0] as JsonObject;
    expect(recorded.inputs).toEqual({ bug_description: "login fails", count: 4 });
    expect(recorded.prompt).toMatch(/^Work on step "triage" with these inputs: bug_description, count\. /);
    expect(recorded.prompt).toContain('"bug_description": "login fails"');
    expect(recorded.prompt).toContain('"count": 4');
    expect(output.result).toMatch(/\[mock bug-triage-agent\]/);
  });

  it("appends inputs to a prompt", async () => {
    const ctx = fakeContext({ args: { x: 1 } });
    await runAgent({ agent: "a", prompt: "Do it", inputs: { x: "{{ args.x }}" } }, ctx);
    expect((ctx.inputs[0] as JsonObject).prompt).toBe('Do it\n\nInputs:\n```json\n{\n  "x": 1\n}\n```');
  });

  it("returns the object answer itself when there is an outputSchema", async () => {
    const outputSchema = {
      type: "object",
      properties: { severity: { type: "integer", minimum: 1, maximum: 5 }, summary: { type: "string" } },
      required: ["severity", "summary"],
      additionalProperties: false,
    };
    const { output, ctx } = await runAgent({ agent: "triage", prompt: "Triage the bug", outputSchema });
    expect(Object.keys(output).sort()).toEqual(["severity", "summary"]);
    expect(output.severity).toBeGreaterThanOrEqual(1);
    expect(output.severity).toBeLessThanOrEqual(5);
    expect((ctx.inputs[0] as JsonObject).outputSchema).toEqual(outputSchema);
  });

  it("returns { result, json } for a non-object schema answer", async () => {
    const { output } = await runAgent({
      agent: "lister",
      prompt: "List files",
      outputSchema: { type: "array", items: { type: "string" }, minItems: 2 },
    });
    expect(typeof output.result).toBe("string");
    expect(Array.isArray(output.json)).toBe(true);
    expect(JSON.parse(output.result as string)).toEqual(output.json);
  });

  it("passes the configured agent with the step's overrides to its provider", async () => {
    const provider = fakeProvider(() => ({ text: "done" }));
    const providers = createProviderRegistry({
      agents: { coder: { name: "coder", provider: "fake", model: "big", system: "be brief", temperature: 1 } },
      providers: [provider],
    });
    const ctx = fakeContext({ providers, args: { tone: "formal" } });
    const { output, summary } = await runAgent(
      {
        agent: "coder",
        prompt: "Fix it",
        model: "small",
        system: "be {{ args.tone }}",
        maxTokens: 99,
        permission: "plan",
      },
      ctx,
    );
    expect(output).toEqual({ result: "done" });
    expect(ctx.notices).toEqual([]);
    const req = provider.requests[0] as ProviderRequest;
    expect(req.agent).toMatchObject({
      name: "coder",
      provider: "fake",
      model: "small",
      system: "be formal",
      temperature: 1,
      maxTokens: 99,
    });
    expect(req).toMatchObject({ permission: "plan", idempotencyKey: "run-1:step:0", attempt: 1, cwd: ctx.projectPath });
    expect(lines(ctx, "info")).toContain("tokens in/out 10/20, model fake-model, cost $0.0123");
    expect(summary).toMatch(/\$0\.0123/);
  });

  it("reads JSON from a fenced text answer and fails retryably on one outside the schema", async () => {
    const schema = { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] };
    const fenced = fakeProvider(() => ({ text: '```json\n{"ok": true}\n```' }));
    const ctx = fakeContext({
      providers: createProviderRegistry({ agents: { a: { name: "a", provider: "fake" } }, providers: [fenced] }),
    });
    expect((await runAgent({ agent: "a", prompt: "p", outputSchema: schema }, ctx)).output).toEqual({ ok: true });

    const wrong = fakeProvider(() => ({ text: '{"ok": "yes"}', json: { ok: "yes" } }));
    const ctx2 = fakeContext({
      providers: createProviderRegistry({ agents: { a: { name: "a", provider: "fake" } }, providers: [wrong] }),
    });
    const err = await runAgent({ agent: "a", prompt: "p", outputSchema: schema }, ctx2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/outputSchema.*ok must be boolean/);
  });

  it("rejects with the abort reason when cancelled during the call", async () => {
    const providers = createProviderRegistry({ mock: createMockProvider({ latencyMs: 10_000 }) });
    const controller = new AbortController();
    const reason = new Error("timed out");
    setTimeout(() => controller.abort(reason), 20);
    const started = Date.now();
    await expect(runAgent({ agent: "slow", prompt: "p" }, fakeContext({ providers }), controller.signal)).rejects.toBe(
      reason,
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("puts context documents after the prompt, each under its name, read through ctx.artifacts.readDocument", async () => {
    const texts: Record<string, { name: string; text: string }> = {
      d1: { name: "brief.md", text: "Saffron." },
      d2: { name: "notes.txt", text: "October." },
    };
    const read: string[] = [];
    const none = () => Promise.reject(new Error("not used"));
    const artifacts: StepArtifacts = {
      create: none,
      find: none,
      get: none,
      attach: none,
      attachments: none,
      readDocument: async (id) => {
        read.push(id);
        const d = texts[id];
        if (!d) throw new Error(`no document ${id}`);
        return { id, ...d };
      },
    };
    const ctx = fakeContext({ args: { docs: ["d1", "d2", "d1"] }, artifacts });
    await runAgent({ agent: "w", prompt: "Write.", documents: "{{ args.docs }}" }, ctx);
    expect(read).toEqual(["d1", "d2"]);
    const recorded = ctx.inputs[0] as JsonObject;
    expect(recorded.prompt).toBe(
      'Write.\n\nContext documents:\n\n<document name="brief.md">\nSaffron.\n</document>\n\n<document name="notes.txt">\nOctober.\n</document>',
    );
    expect(recorded.documents).toEqual([
      { id: "d1", name: "brief.md" },
      { id: "d2", name: "notes.txt" },
    ]);
    // None: the prompt alone.
    const plain = await runAgent({ agent: "w", prompt: "Write.", documents: [] });
    expect((plain.ctx.inputs[0] as JsonObject).prompt).toBe("Write.");
    // Something that is not ids fails the step for good.
    const bad = fakeContext({ args: { docs: 3 } });
    await expect(runAgent({ agent: "w", prompt: "Write.", documents: "{{ args.docs }}" }, bad)).rejects.toThrow(
      /must render to document artifact ids/,
    );
  });

  it.each([
    [{ agent: "a" }, /prompt or inputs/],
    [{ agent: "a", prompt: "p", promt: "typo" }, /promt/],
    [{ agent: "a", prompt: "p", outputSchema: { type: "strin" } }, /not a valid JSON Schema/],
    [{ agent: "a", prompt: "p", permission: "yolo" }, /permission/],
    [{ prompt: "p" }, /agent/],
  ])("rejects config %j", (config, message) => {
    const parsed = agentStepType.configSchema.safeParse(config);
    expect(parsed.success).toBe(false);
    expect(JSON.stringify(parsed.error?.issues)).toMatch(message);
  });
});
