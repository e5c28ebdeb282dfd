/**
 * Image APIs: the real openai and @google/genai SDKs against a local server speaking each API's wire format
 * (base64 PNGs in JSON), and the mock provider's deterministic, valid PNGs.
 */
import { inflateSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { createMockProvider } from "../../../src/agents/mock/index.js";
import { crc32, solidPng } from "../../../src/agents/mock/png.js";
import type { ImageRequest, Provider } from "../../../src/agents/provider.js";
import { createGeminiProvider } from "../../../src/agents/providers/gemini.js";
import { nearestAspect, parseImageSize, sniffImageType } from "../../../src/agents/providers/images.js";
import { createOpenAIProvider } from "../../../src/agents/providers/openai.js";
import { ProviderError, TerminalError } from "../../../src/core/errors.js";
import type { Json, JsonObject } from "../../../src/core/json.js";
import { CANARY } from "./contract.js";
import { errorBody as geminiError } from "./gemini-wire.js";
import { errorBody as openaiError } from "./openai-wire.js";
import { type RecordedRequest, type Reply, startServer, type TestServer } from "./server.js";

const RED = solidPng(4, 2, [255, 0, 0]);
const BLUE = solidPng(4, 2, [0, 0, 255]);
const b64 = (png: Buffer) => png.toString("base64");

function imageRequest(agent: Partial<ImageRequest["agent"]>, extra: Partial<ImageRequest> = {}): ImageRequest {
  return {
    agent: { name: "designer", provider: "test", model: "gpt-image-1", ...agent },
    prompt: "A lighthouse at dusk",
    count: 1,
    idempotencyKey: "run-1:hero:0",
    attempt: 1,
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Decodes a PNG far enough to check it: signature, chunk CRCs, IHDR, and the pixel rows' size. */
function readPng(png: Buffer): { width: number; height: number; colorType: number; pixels: Buffer } {
  expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let at = 8;
  const chunks: Array<{ type: string; data: Buffer }> = [];
  while (at < png.length) {
    const length = png.readUInt32BE(at);
    const type = png.subarray(at + 4, at + 8).toString("latin1");
    const data = png.subarray(at + 8, at + 8 + length);
    expect(png.readUInt32BE(at + 8 + length), `CRC of ${type}`).toBe(crc32(png.subarray(at + 4, at + 8 + length)));
    chunks.push({ type, data });
    at += 12 + length;
  }
  expect(chunks.map((c) => c.type)).toEqual(["IHDR", "IDAT", "IEND"]);
  const ihdr = chunks[0]?.data as Buffer;
  expect(ihdr.length).toBe(13);
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const pixels = inflateSync(chunks[1]?.data as Buffer);
  expect(pixels.length).toBe(height * (1 + width * 3));
  return { width, height, colorType: ihdr[9] as number, pixels };
}

const imagesOf = (p: Provider) => {
  if (!p.generateImages) throw new Error(`${p.name} has no image API`);
  return p.generateImages.bind(p);
};

describe("mock images", () => {
  it("are valid PNGs, deterministic per request, different per image, and cost nothing", async () => {
    const generate = imagesOf(createMockProvider());
    const req = imageRequest({ provider: "mock" }, { count: 3, size: "16:9", style: "watercolor" });
    const a = await generate(req);
    const b = await generate({ ...req, attempt: 2 });
    expect(a.images).toHaveLength(3);
    expect(a.images.map((i) => i.data.toString("hex"))).toEqual(b.images.map((i) => i.data.toString("hex")));
    expect(new Set(a.images.map((i) => i.data.toString("hex"))).size).toBe(3);
    for (const image of a.images) {
      expect(image.mimeType).toBe("image/png");
      expect(sniffImageType(image.data)).toBe("image/png");
      const png = readPng(image.data);
      expect([png.width, png.height, png.colorType]).toEqual([32, 18, 2]);
      expect(image.data.length).toBeLessThan(200);
    }
    expect(a.usage).toMatchObject({ outputTokens: 0, costUsd: 0 });
    expect(a.model).toBe("mock-image-1");
    expect(a.transcript[0]).toMatchObject({ type: "request", provider: "mock", count: 3, style: "watercolor" });
    expect((a.transcript[1] as { images: Json[] }).images).toHaveLength(3);
  });

  it("change with the prompt and the seed", async () => {
    const req = imageRequest({ provider: "mock" });
    const one = (await imagesOf(createMockProvider())(req)).images[0]?.data;
    const other = (await imagesOf(createMockProvider())({ ...req, prompt: "A forest" })).images[0]?.data;
    const seeded = (await imagesOf(createMockProvider({ seed: "x" }))(req)).images[0]?.data;
    expect(one?.equals(other as Buffer)).toBe(false);
    expect(one?.equals(seeded as Buffer)).toBe(false);
    expect(readPng(one as Buffer)).toMatchObject({ width: 16, height: 16 });
  });

  it("honour an aborted signal", async () => {
    const controller = new AbortController();
    controller.abort(new Error("stop"));
    const generate = imagesOf(createMockProvider({ latencyMs: 50 }));
    await expect(generate(imageRequest({}, { signal: controller.signal }))).rejects.toThrow("stop");
  });
});

describe("image sizes", () => {
  it("reads pixels, ratios, size classes and auto, and nothing else", () => {
    expect(parseImageSize("1024x768")).toEqual({ kind: "pixels", width: 1024, height: 768 });
    expect(parseImageSize("16:9")).toEqual({ kind: "ratio", width: 16, height: 9 });
    expect(parseImageSize("2k")).toEqual({ kind: "class", value: "2K" });
    expect(parseImageSize("auto")).toEqual({ kind: "auto" });
    for (const bad of ["big", "0x10", "10x", "1024*1024", "3K"]) expect(parseImageSize(bad), bad).toBeUndefined();
    expect(nearestAspect(1920, 1080, ["1:1", "16:9", "4:3"])).toBe("16:9");
  });
});

describe("openai images (images.generate)", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (reply: (req: RecordedRequest, index: number) => Reply) => {
    server = await startServer(reply);
    return server;
  };
  const make = (s: TestServer) => imagesOf(createOpenAIProvider({ apiKey: () => CANARY, baseUrl: `${s.origin}/v1` }));
  const ok = (images: Buffer[], extra: JsonObject = {}): Reply => ({
    kind: "json",
    status: 200,
    body: { created: 1_760_000_000, data: images.map((i) => ({ b64_json: b64(i) })), ...extra },
  });

  it("posts the prompt, n, size and quality, and decodes the base64 PNGs with usage", async () => {
    const s = await serve(() =>
      ok([RED, BLUE], {
        output_format: "png",
        usage: { input_tokens: 12, output_tokens: 4000, total_tokens: 4012, input_tokens_details: {} },
      }),
    );
    const res = await make(s)(
      imageRequest({ model: "gpt-image-1" }, { count: 2, size: "3:2", quality: "high", style: "flat vector" }),
    );
    expect(s.requests).toHaveLength(1);
    const req = s.requests[0] as RecordedRequest;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("/v1/images/generations");
    expect(req.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(req.body).toEqual({
      model: "gpt-image-1",
      prompt: "A lighthouse at dusk\n\nStyle: flat vector",
      n: 2,
      size: "1536x1024",
      quality: "high",
    });
    expect(res.images.map((i) => [i.mimeType, i.data.equals(RED) || i.data.equals(BLUE)])).toEqual([
      ["image/png", true],
      ["image/png", true],
    ]);
    expect(res.usage).toEqual({ inputTokens: 12, outputTokens: 4000 });
    expect(res.model).toBe("gpt-image-1");
    const transcript = JSON.stringify(res.transcript);
    expect(transcript).not.toContain(CANARY);
    expect(transcript).not.toContain(b64(RED));
    expect(res.transcript[1]).toMatchObject({ type: "response", calls: [{ images: [{ bytes: RED.length }, {}] }] });
  });

  it("asks dall-e models for b64_json, and dall-e-3 once per image with its native style", async () => {
    const s = await serve((_req, i) => ok([i === 0 ? RED : BLUE]));
    const res = await make(s)(imageRequest({ model: "dall-e-3" }, { count: 2, style: "vivid", size: "1792x1024" }));
    expect(s.requests.map((r) => r.body)).toEqual([
      {
        model: "dall-e-3",
        prompt: "A lighthouse at dusk",
        n: 1,
        style: "vivid",
        response_format: "b64_json",
        size: "1792x1024",
      },
      {
        model: "dall-e-3",
        prompt: "A lighthouse at dusk",
        n: 1,
        style: "vivid",
        response_format: "b64_json",
        size: "1792x1024",
      },
    ]);
    expect(res.images.map((i) => i.data.equals(RED))).toEqual([true, false]);
    expect(res.usage).toBeUndefined();
  });

  it("returns fewer images when the API filtered some out", async () => {
    const s = await serve(() => ok([RED]));
    const res = await make(s)(imageRequest({}, { count: 3 }));
    expect(res.images).toHaveLength(1);
    expect(s.requests).toHaveLength(1);
  });

  it("classifies failures as the chat calls do: 429 retryable with Retry-After, 400 terminal", async () => {
    const s = await serve((_req, i) =>
      i === 0
        ? { kind: "json", status: 429, body: openaiError("slow down", "requests"), headers: { "retry-after": "7" } }
        : { kind: "json", status: 400, body: openaiError("Your prompt was rejected", "invalid_request_error") },
    );
    const generate = make(s);
    const limited = await generate(imageRequest({})).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(ProviderError);
    expect(limited).toMatchObject({ kind: "rate_limited", retryAfterMs: 7000 });
    const refused = await generate(imageRequest({})).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TerminalError);
    expect((refused as Error).message).toMatch(/^openai gpt-image-1: 400 .*Your prompt was rejected/);
  });

  it("refuses a URL instead of data, bad sizes and qualities, and a missing model", async () => {
    const s = await serve(() => ({
      kind: "json",
      status: 200,
      body: { created: 1, data: [{ url: "https://x/y.png" }] },
    }));
    const generate = make(s);
    await expect(generate(imageRequest({}))).rejects.toMatchObject({ kind: "malformed" });
    await expect(generate(imageRequest({}, { size: "2K" }))).rejects.toThrow(/Gemini size/);
    await expect(generate(imageRequest({}, { quality: "ultra" }))).rejects.toThrow(/quality "ultra" is not one of/);
    await expect(generate(imageRequest({ model: undefined }))).rejects.toThrow(/has no model/);
  });
});

describe("gemini images (generateContent with an image model)", () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  const serve = async (reply: (req: RecordedRequest, index: number) => Reply) => {
    server = await startServer(reply);
    return server;
  };
  const make = (s: TestServer) => imagesOf(createGeminiProvider({ apiKey: () => CANARY, baseUrl: s.origin }));
  const answer = (parts: Json[], finishReason = "STOP", usage = true): Reply => ({
    kind: "json",
    status: 200,
    body: {
      candidates: [{ content: { role: "model", parts }, finishReason, index: 0 }],
      ...(usage ? { usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 1290, totalTokenCount: 1299 } } : {}),
      modelVersion: "gemini-2.5-flash-image",
      responseId: "resp-1",
    },
  });
  const agent = { model: "gemini-2.5-flash-image" };

  it("asks for TEXT and IMAGE with the aspect ratio, once per image, and decodes the inline data", async () => {
    const s = await serve((_req, i) =>
      answer([{ text: "Here it is." }, { inlineData: { mimeType: "image/png", data: b64(i === 0 ? RED : BLUE) } }]),
    );
    const res = await make(s)(imageRequest(agent, { count: 2, size: "1920x1080", style: "oil painting" }));
    expect(s.requests).toHaveLength(2);
    const req = s.requests[0] as RecordedRequest;
    expect(req.url).toBe("/v1/models/gemini-2.5-flash-image:generateContent");
    expect(req.headers["x-goog-api-key"]).toBe(CANARY);
    expect(req.body).toMatchObject({
      contents: [{ role: "user", parts: [{ text: "A lighthouse at dusk\n\nStyle: oil painting" }] }],
      generationConfig: {
        responseModalities: ["TEXT", "IMAGE"],
        imageConfig: { aspectRatio: "16:9", imageSize: "2K" },
      },
    });
    expect(res.images.map((i) => [i.mimeType, i.data.equals(RED)])).toEqual([
      ["image/png", true],
      ["image/png", false],
    ]);
    expect(res.usage).toEqual({ inputTokens: 18, outputTokens: 2580 });
    expect(res.model).toBe("gemini-2.5-flash-image");
    expect(JSON.stringify(res.transcript)).not.toContain(b64(RED));
  });

  it("is terminal for a safety refusal and retryable for an answer without an image", async () => {
    const s = await serve((_req, i) =>
      i === 0 ? answer([], "IMAGE_SAFETY") : answer([{ text: "I would rather describe it in words." }]),
    );
    const generate = make(s);
    const refused = await generate(imageRequest(agent)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(TerminalError);
    expect((refused as Error).message).toMatch(/no image was generated \(finishReason IMAGE_SAFETY\)/);
    const wordy = await generate(imageRequest(agent)).catch((e: unknown) => e);
    expect(wordy).toBeInstanceOf(ProviderError);
    expect((wordy as Error).message).toMatch(/no image .*rather describe it in words/);
  });

  it("maps API errors, and refuses Imagen models with a way out", async () => {
    const s = await serve(() => ({
      kind: "json",
      status: 503,
      body: geminiError(503, "UNAVAILABLE", "The model is overloaded."),
    }));
    await expect(make(s)(imageRequest(agent))).rejects.toMatchObject({ kind: "overloaded" });
    await expect(make(s)(imageRequest({ model: "imagen-4.0-generate-001" }))).rejects.toThrow(
      /Imagen model.*gemini-2\.5-flash-image/,
    );
    expect(s.requests).toHaveLength(1);
  });
});
