/**
 * The mock provider's image API: offline and deterministic. Each image is a tiny PNG of one colour taken from a
 * hash of (seed, agent, prompt, style, size, index): the same request gives the same images on every attempt,
 * and the images of one request differ from each other. The PNG keeps the requested aspect ratio with its
 * long side 32 pixels (16x16 without a size). Usage: ~4 characters of prompt per input token, cost 0.
 */
import type { JsonObject } from "../../core/json.js";
import type { GeneratedImage, ImageRequest, ImageResponse } from "../provider.js";
import { describeImages, MAX_IMAGES_PER_REQUEST, parseImageSize } from "../providers/images.js";
import { solidPng } from "./png.js";
import { hashOf } from "./rng.js";

export const MOCK_IMAGE_MODEL = "mock-image-1";

/** Pixel dimensions for a requested size: the aspect ratio kept, the long side 32. */
function dimensionsOf(size: string | undefined): { width: number; height: number } {
  const parsed = size === undefined ? undefined : parseImageSize(size);
  if (parsed?.kind !== "pixels" && parsed?.kind !== "ratio") return { width: 16, height: 16 };
  const scale = 32 / Math.max(parsed.width, parsed.height);
  return {
    width: Math.max(1, Math.round(parsed.width * scale)),
    height: Math.max(1, Math.round(parsed.height * scale)),
  };
}

export interface MockImageOptions {
  seed: string;
  latencyMs: number;
  /** Waits `ms`, rejecting with the signal's reason when it is aborted. */
  wait: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** The `generateImages` method of the mock provider. */
export function mockImages(o: MockImageOptions): (req: ImageRequest) => Promise<ImageResponse> {
  return async (req) => {
    await o.wait(o.latencyMs, req.signal);
    const count = Math.min(Math.max(1, Math.floor(req.count)), MAX_IMAGES_PER_REQUEST);
    const { width, height } = dimensionsOf(req.size);
    const images: GeneratedImage[] = [];
    for (let i = 0; i < count; i++) {
      const hash = hashOf(o.seed, req.agent.name, req.prompt, req.style ?? "", req.size ?? "", String(i));
      const rgb = [0, 2, 4].map((at) => Number.parseInt(hash.slice(at, at + 2), 16)) as [number, number, number];
      images.push({ data: solidPng(width, height, rgb), mimeType: "image/png" });
      if (count > 1) req.onProgress?.(`generated image ${i + 1} of ${count}\n`);
    }
    const usage = { inputTokens: Math.ceil(req.prompt.length / 4), outputTokens: 0, costUsd: 0 };
    const request: JsonObject = {
      type: "request",
      provider: "mock",
      agent: req.agent.name,
      model: MOCK_IMAGE_MODEL,
      prompt: req.prompt,
      count,
    };
    if (req.size !== undefined) request.size = req.size;
    if (req.style !== undefined) request.style = req.style;
    if (req.quality !== undefined) request.quality = req.quality;
    const response: JsonObject = { type: "response", images: describeImages(images), usage: { ...usage } };
    return { images, usage, model: MOCK_IMAGE_MODEL, transcript: [request, response] };
  };
}
