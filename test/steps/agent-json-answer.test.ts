/**
 * An agent step without an outputSchema whose answer is a JSON object: its fields are the output's, beside
 * `result` (the text), so seed 001's `{{steps.triage.output.severity}}` reads them. What counts as a JSON answer
 * is strict: the whole answer, or one fenced block that is the whole answer.
 */
import { describe, expect, it } from "vitest";
import { createMockProvider } from "../../src/agents/mock/index.js";
import type { Provider } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import type { JsonObject } from "../../src/core/json.js";
import { agentStepType } from "../../src/steps/agent/index.js";
import { parseJsonText } from "../../src/steps/agent/json-answer.js";
import { fakeContext } from "./helpers.js";

/** A provider answering `text` to everything. */
const answering = (text: string): Provider => ({
  name: "fake",
  async generate() {
    return { text, usage: { inputTokens: 1, outputTokens: 1 }, model: "fake-model", transcript: [] };
  },
});

async function outputFor(text: string, config: JsonObject = {}): Promise<JsonObject> {
  const providers = createProviderRegistry({
    agents: { triage: { name: "triage", provider: "fake" } },
    providers: [answering(text)],
  });
  const ctx = fakeContext({ providers });
  const parsed = agentStepType.configSchema.parse({ agent: "triage", prompt: "Triage the bug", ...config });
  const outcome = await agentStepType.run(ctx, parsed, new AbortController().signal);
  if (outcome.kind !== "completed") throw new Error(`unexpected outcome ${outcome.kind}`);
  return outcome.output as JsonObject;
}

describe("an agent's JSON answer without an outputSchema", () => {
  it.each<[string, string, JsonObject]>([
    ["a plain JSON object", '{"severity": 5, "area": "editor"}', { severity: 5, area: "editor" }],
    ["with whitespace around it", '\n  {"severity": 2}\n\n', { severity: 2 }],
    ["in a ```json fence", '```json\n{"severity": 4}\n```', { severity: 4 }],
    ["in a bare ``` fence", '```\n{"severity": 1,\n "tags": ["ui"]}\n```', { severity: 1, tags: ["ui"] }],
  ])("%s: its fields beside `result`, the text", async (_, text, fields) => {
    expect(await outputFor(text)).toEqual({ ...fields, result: text });
  });

  it.each<[string, string]>([
    ["prose around the JSON", 'Here is the triage: {"severity": 5}'],
    ["text after the fence", '```json\n{"severity": 5}\n```\nHope this helps.'],
    ["another language's fence", '```yaml\n{"severity": 5}\n```'],
    ["two fenced blocks", '```json\n{"severity": 5}\n```\n```json\n{"severity": 1}\n```'],
    ["a JSON array", '[{"severity": 5}]'],
    ["a JSON number", "5"],
    ["a JSON string", '"severity 5"'],
    ["invalid JSON", "{severity: 5}"],
    ["nesting deeper than 64 levels", `${'{"a":'.repeat(70)}1${"}".repeat(70)}`],
  ])("%s: only `result`, as before", async (_, text) => {
    expect(await outputFor(text)).toEqual({ result: text });
  });

  it("keeps the answer's own `result` field instead of the text", async () => {
    expect(await outputFor('{"result": "pass", "failures": 0}')).toEqual({ result: "pass", failures: 0 });
  });

  it("keeps an own `__proto__` key as data, without touching the prototype", async () => {
    const output = await outputFor('{"__proto__": {"polluted": true}, "severity": 3}');
    expect(Object.getPrototypeOf(output)).toBe(Object.prototype);
    expect(Object.hasOwn(output, "__proto__")).toBe(true);
    expect(({} as JsonObject).polluted).toBeUndefined();
    expect(output.severity).toBe(3);
  });

  it("reads the mock provider's scripted JSON the same way", async () => {
    const mock = createMockProvider({ fixtures: { responses: [{ agent: "triage", json: { severity: 5 } }] } });
    const ctx = fakeContext({ providers: createProviderRegistry({ mock }) });
    const parsed = agentStepType.configSchema.parse({ agent: "triage", prompt: "Triage" });
    const outcome = await agentStepType.run(ctx, parsed, new AbortController().signal);
    expect(outcome).toMatchObject({ kind: "completed", output: { severity: 5, result: '{\n  "severity": 5\n}' } });
  });

  it("an outputSchema answer is unchanged: the object alone", async () => {
    const outputSchema = { type: "object", properties: { severity: { type: "integer" } }, required: ["severity"] };
    expect(await outputFor('```json\n{"severity": 5}\n```', { outputSchema })).toEqual({ severity: 5 });
  });

  it("parseJsonText: the whole answer or one whole fence", () => {
    expect(parseJsonText(' {"a": 1} ')).toEqual({ a: 1 });
    expect(parseJsonText("```json\n[1, 2]\n```")).toEqual([1, 2]);
    expect(parseJsonText("```json \n1\n```")).toBe(1);
    expect(parseJsonText("say ```json\n1\n```")).toBeUndefined();
    expect(parseJsonText("")).toBeUndefined();
  });
});
