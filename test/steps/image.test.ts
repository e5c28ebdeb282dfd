import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMockProvider } from "../../src/agents/mock/index.js";
import type { ImageRequest, ImageResponse, Provider } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { RetryableError, TerminalError } from "../../src/core/errors.js";
import type { JsonObject } from "../../src/core/json.js";
import { imageStepType } from "../../src/steps/image/index.js";
import { type ArtifactEnv, artifactEnv } from "./artifact-env.js";
import type { FakeContext } from "./helpers.js";

const signal = new AbortController().signal;
let a: ArtifactEnv;
beforeEach(async () => {
  a = await artifactEnv();
});
afterEach(async () => {
  await a.cleanup();
});

async function runImage(ctx: FakeContext, config: JsonObject) {
  const outcome = await imageStepType.run(ctx, imageStepType.configSchema.parse(config), signal);
  if (outcome.kind !== "completed") throw new Error(`unexpected outcome ${outcome.kind}`);
  return { output: outcome.output as { images: JsonObject[]; image_ids: string[] }, summary: outcome.summary ?? "" };
}

/** An image provider that records requests; `answer` picks how many images to return. */
function countingProvider(answer: (req: ImageRequest) => number = (req) => req.count) {
  const mock = createMockProvider();
  const requests: ImageRequest[] = [];
  const provider: Provider = {
    name: "pictures",
    generate: (req) => mock.generate(req),
    async generateImages(req): Promise<ImageResponse> {
      requests.push(req);
      const res = await (mock.generateImages as (r: ImageRequest) => Promise<ImageResponse>)(req);
      return { ...res, images: res.images.slice(0, answer(req)), usage: { inputTokens: 5, outputTokens: 100 } };
    },
  };
  const providers = createProviderRegistry({
    providers: [provider],
    agents: { designer: { name: "designer", provider: "pictures", model: "pic-1" } },
  });
  return { providers, requests };
}

describe("image step", () => {
  it("answers an unconfigured agent with the mock, stores each image as an artifact, and outputs their ids", async () => {
    const ctx = a.context({ args: { subject: "a lighthouse" } });
    const { output, summary } = await runImage(ctx, {
      agent: "illustrator",
      prompt: "Hero image of {{ args.subject }}",
      count: 3,
      size: "16:9",
    });
    expect(ctx.notices).toEqual(['agent "illustrator" has no configuration; images made by the offline mock provider']);
    expect(output.image_ids).toHaveLength(3);
    expect(output.images.map((i) => [i.name, i.mime_type])).toEqual([
      ["hero-1.png", "image/png"],
      ["hero-2.png", "image/png"],
      ["hero-3.png", "image/png"],
    ]);
    const stored = await a.env.store.artifacts.list(a.runId);
    expect(stored.map((s) => [s.id, s.fileType, s.stepKey])).toEqual(
      output.image_ids.map((id) => [id, "image", "hero"]),
    );
    for (const s of stored) {
      expect(s.storageKey).toBe(`runs/${a.runId}/artifacts/hero/${s.id}.png`);
      const bytes = readFileSync(join(a.env.dir, s.storageKey));
      expect(bytes.subarray(1, 4).toString("latin1")).toBe("PNG");
      expect(bytes.length).toBe(s.sizeBytes);
    }
    expect(a.files()).toEqual(stored.map((s) => `hero/${s.id}.png`).sort());
    const events = (await a.env.store.events.list(a.runId)).filter((e) => e.type === "workflow.artifact.created");
    expect(events.map((e) => e.data)).toEqual(
      stored.map((s) => ({ artifact_id: s.id, step_id: "hero", name: s.name, file_type: "image" })),
    );
    expect(ctx.inputs).toEqual([
      { agent: "illustrator", provider: "mock", prompt: "Hero image of a lighthouse", count: 3, size: "16:9" },
    ]);
    expect(ctx.reported).toEqual([
      expect.objectContaining({ provider: "mock", model: "mock-image-1", outputTokens: 0 }),
    ]);
    const session = readFileSync(join(ctx.logDir, "session.jsonl"), "utf8").trim().split("\n");
    expect(session.map((l) => (JSON.parse(l) as { type: string }).type)).toEqual(["session", "request", "response"]);
    expect(summary).toMatch(/3 image\(s\) by agent `illustrator`/);
  });

  it("names a single image after `filename`, or the step", async () => {
    const { output } = await runImage(a.context(), { agent: "x", prompt: "a cat" });
    expect(output.images.map((i) => i.name)).toEqual(["hero.png"]);
    const other = await runImage(a.context({ stepId: "banner" }), {
      agent: "x",
      prompt: "a cat",
      filename: "Banner art",
    });
    expect(other.output.images.map((i) => i.name)).toEqual(["Banner art.png"]);
  });

  it("is idempotent: a retry finds the stored images and does not ask the provider again", async () => {
    const { providers, requests } = countingProvider();
    const config = { agent: "designer", prompt: "a harbour", count: 3 };
    const first = await runImage(a.context({ providers }), config);
    const again = await runImage(a.context({ providers, attempt: 2 }), config);
    expect(again.output).toEqual(first.output);
    expect(requests).toHaveLength(1);
    expect(await a.env.store.artifacts.list(a.runId)).toHaveLength(3);
    expect(a.files()).toHaveLength(3);
    const created = (await a.env.store.events.list(a.runId)).filter((e) => e.type === "workflow.artifact.created");
    expect(created).toHaveLength(3);
  });

  it("keeps what a short answer gave, fails retryably, and asks only for the rest on retry", async () => {
    const { providers, requests } = countingProvider((req) => (req.count === 3 ? 2 : req.count));
    const config = { agent: "designer", prompt: "a harbour", count: 3 };
    const err = await runImage(a.context({ providers }), config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryableError);
    expect((err as Error).message).toMatch(/asked for 3 image\(s\) and returned 2; those are stored/);
    expect(await a.env.store.artifacts.list(a.runId)).toHaveLength(2);
    const { output } = await runImage(a.context({ providers, attempt: 2 }), config);
    expect(requests.map((r) => r.count)).toEqual([3, 1]);
    expect(output.image_ids).toHaveLength(3);
    expect(new Set(output.image_ids).size).toBe(3);
    expect(await a.env.store.artifacts.list(a.runId)).toHaveLength(3);
  });

  it("fails terminally, naming the providers that have one, when the agent's provider has no image API", async () => {
    const textOnly: Provider = { name: "anthropic", generate: () => Promise.reject(new Error("unused")) };
    const providers = createProviderRegistry({
      providers: [textOnly],
      agents: { writer: { name: "writer", provider: "anthropic", model: "claude-x" } },
    });
    const err = await runImage(a.context({ providers }), { agent: "writer", prompt: "a cat" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect(err).toMatchObject({ code: "WEFT_PROVIDER" });
    expect((err as Error).message).toMatch(/provider "anthropic", which has no image API.*openai, gemini, mock/);
    expect(await a.env.store.artifacts.list(a.runId)).toEqual([]);
  });

  it("renders a templated count and size, and refuses what they render to when it is no count or size", async () => {
    const ctx = a.context({ args: { n: 2, size: "4:3" } });
    const { output } = await runImage(ctx, { agent: "x", prompt: "p", count: "{{ args.n }}", size: "{{ args.size }}" });
    expect(output.image_ids).toHaveLength(2);
    const bad = a.context({ stepId: "other", args: { n: 40, size: "huge" } });
    await expect(runImage(bad, { agent: "x", prompt: "p", count: "{{ args.n }}" })).rejects.toThrow(
      /count "40" is not a whole number from 1 to 10/,
    );
    await expect(runImage(bad, { agent: "x", prompt: "p", size: "{{ args.size }}" })).rejects.toThrow(
      /size "huge" is not WIDTHxHEIGHT/,
    );
  });

  it("validates its config with clear messages", () => {
    const problems = (config: JsonObject) => {
      const res = imageStepType.configSchema.safeParse(config);
      return res.success ? [] : res.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    };
    expect(problems({ agent: "a", prompt: "p", count: 3, size: "1024x1024", style: "flat", quality: "hd" })).toEqual(
      [],
    );
    expect(problems({ agent: "a", prompt: "p", count: 0 })).toEqual([
      "count: must be a whole number from 1 to 10 (got 0); image APIs make at most 10 per request",
    ]);
    expect(problems({ agent: "a", prompt: "p", count: 11 })[0]).toMatch(/from 1 to 10 \(got 11\)/);
    expect(problems({ agent: "a", prompt: "p", count: 2.5 })[0]).toMatch(/whole number/);
    expect(problems({ agent: "a", prompt: "p", count: "three" })[0]).toMatch(/or a \{\{ … \}\} template/);
    expect(problems({ agent: "a", prompt: "p", size: "huge" })).toEqual([
      'size: must be WIDTHxHEIGHT ("1024x1024"), an aspect ratio ("16:9"), 1K, 2K, 4K or auto',
    ]);
    expect(problems({ agent: "a", prompt: "  " })).toEqual([
      "prompt: an image step needs a prompt that describes the image",
    ]);
    expect(problems({ agent: "a", prompt: "p", filename: "../x" })[0]).toMatch(/not a path/);
    expect(problems({ agent: "a", prompt: "p", colour: "red" })[0]).toMatch(/colour/);
  });
});
