/**
 * The `openai` provider's image API: `POST /images/generations` through the SDK's `images.generate`, not
 * streamed, images as base64 in the JSON (GPT image models always answer so; dall-e models are asked to with
 * `response_format: "b64_json"`).
 *
 * - `count` → `n` (dall-e-3 makes one image per request, so it gets `count` requests).
 * - `size`: `WIDTHxHEIGHT` and `auto` are sent as they are; an aspect ratio becomes the model's nearest
 *   standard size (GPT image: 1024x1024, 1536x1024, 1024x1536; dall-e-3: 1024x1024, 1792x1024, 1024x1792;
 *   dall-e-2: 1024x1024). Gemini's `1K`/`2K`/`4K` are a `TerminalError`.
 * - `quality` is sent as `quality` (one of the API's values, else a `TerminalError`); `style` `vivid` or
 *   `natural` on dall-e-3 is its `style`, any other style is added to the prompt as words.
 * - Usage: GPT image models' `input_tokens`/`output_tokens`, summed over requests; the price table prices them.
 * Failures are classified as the chat calls' are (429 → rate_limited with Retry-After, 5xx → server, …).
 */
import type OpenAI from "openai";
import type { ImageGenerateParamsNonStreaming, ImagesResponse } from "openai/resources/images";
import { TerminalError } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import type { GeneratedImage, ImageRequest, ImageResponse } from "../provider.js";
import {
  callOnce,
  decodeImage,
  describeImages,
  MAX_IMAGES_PER_REQUEST,
  nearestAspect,
  promptWithStyle,
  requireImageSize,
} from "./images.js";
import {
  type CallContext,
  DEFAULT_TIMEOUT_MS,
  type Failure,
  jsonSafe,
  requireModel,
  resolveKey,
  type SdkProviderOptions,
  safeUrl,
  toFailureError,
} from "./shared.js";

export interface OpenAIImageDeps {
  name: string;
  opts: SdkProviderOptions;
  /** The provider's client cache. */
  client: (baseUrl: string | undefined, key: string | undefined) => OpenAI;
  /** How the provider classifies the SDK's errors. */
  describe: (err: unknown) => Failure;
  keyHint: string;
  host: string;
}

type Quality = NonNullable<ImageGenerateParamsNonStreaming["quality"]>;
const QUALITIES: readonly Quality[] = ["low", "medium", "high", "xhigh", "max", "auto", "standard", "hd"];

const STANDARD_SIZES = {
  gpt: ["1024x1024", "1536x1024", "1024x1536"],
  "dall-e-3": ["1024x1024", "1792x1024", "1024x1792"],
  "dall-e-2": ["1024x1024"],
} as const;

function family(model: string): keyof typeof STANDARD_SIZES {
  if (/^dall-e-3/.test(model)) return "dall-e-3";
  if (/^dall-e-2/.test(model)) return "dall-e-2";
  return "gpt";
}

/** The request body of one call (`n` images). */
function paramsOf(name: string, req: ImageRequest, model: string, n: number): ImageGenerateParamsNonStreaming {
  const kind = family(model);
  const style = req.style?.trim();
  const nativeStyle = kind === "dall-e-3" && (style === "vivid" || style === "natural") ? style : undefined;
  const params: ImageGenerateParamsNonStreaming = {
    model,
    prompt: nativeStyle ? req.prompt : promptWithStyle(req.prompt, style),
    n,
  };
  if (nativeStyle) params.style = nativeStyle;
  if (kind !== "gpt") params.response_format = "b64_json";
  const size = requireImageSize(name, req);
  if (size?.kind === "class") {
    throw new TerminalError(
      `${name}: image size "${req.size}" is a Gemini size; OpenAI takes WIDTHxHEIGHT ("1024x1024"), an aspect ratio ("16:9") or auto`,
      "WEFT_STEP_CONFIG",
    );
  }
  if (size?.kind === "auto") params.size = "auto";
  else if (size?.kind === "pixels") params.size = `${size.width}x${size.height}`;
  else if (size?.kind === "ratio") params.size = nearestAspect(size.width, size.height, STANDARD_SIZES[kind]);
  if (req.quality !== undefined) {
    const quality = QUALITIES.find((q) => q === req.quality);
    if (!quality) {
      throw new TerminalError(
        `${name}: image quality "${req.quality}" is not one of ${QUALITIES.join(", ")}`,
        "WEFT_STEP_CONFIG",
      );
    }
    params.quality = quality;
  }
  return params;
}

const FORMAT_MIME: Record<string, string> = {
  png: "image/png",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  svg: "image/svg+xml",
};

/** The `generateImages` method of an `openai` provider. */
export function openAIImages(d: OpenAIImageDeps): (req: ImageRequest) => Promise<ImageResponse> {
  return async (req) => {
    const keyHint = d.opts.keyHint?.(req.agent) ?? d.keyHint;
    const model = requireModel(d.name, req.agent);
    const key = resolveKey(d.name, req, d.opts, keyHint, d.host);
    const ctx: CallContext = {
      provider: d.name,
      model,
      agent: req.agent,
      keyHint,
      secrets: key === undefined ? [] : [key],
      signal: req.signal,
    };
    const count = Math.min(Math.max(1, Math.floor(req.count)), MAX_IMAGES_PER_REQUEST);
    const perCall = family(model) === "dall-e-3" ? 1 : count;
    const baseUrl = req.agent.baseUrl ?? d.opts.baseUrl;
    const images: GeneratedImage[] = [];
    const bodies: Json[] = [];
    const responses: JsonObject[] = [];
    let usage: { inputTokens: number; outputTokens: number } | undefined;
    while (images.length < count) {
      const n = Math.min(perCall, count - images.length);
      const params = paramsOf(d.name, req, model, n);
      bodies.push(jsonSafe(params, ctx.secrets));
      if (count > 1)
        req.onProgress?.(`generating ${n === 1 ? `image ${images.length + 1}` : `${n} images`} of ${count}\n`);
      const res: ImagesResponse = await callOnce(ctx, {
        timeoutMs: d.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        call: (signal) => d.client(baseUrl, key).images.generate(params, { signal }),
        describe: d.describe,
      });
      const declared = res.output_format ? FORMAT_MIME[res.output_format] : undefined;
      const got: GeneratedImage[] = [];
      for (const item of res.data ?? []) {
        if (typeof item.b64_json !== "string") {
          const why = item.url ? "a URL instead of base64 data" : "no image data";
          throw toFailureError(ctx, { type: "malformed", message: `the API returned ${why}` }, undefined);
        }
        const image = decodeImage(ctx, item.b64_json, declared);
        if (item.revised_prompt) image.revisedPrompt = item.revised_prompt;
        got.push(image);
      }
      if (res.usage) {
        usage ??= { inputTokens: 0, outputTokens: 0 };
        usage.inputTokens += res.usage.input_tokens;
        usage.outputTokens += res.usage.output_tokens;
      }
      const response: JsonObject = { created: res.created, images: describeImages(got) };
      if (res.usage) response.usage = jsonSafe(res.usage, ctx.secrets);
      responses.push(response);
      images.push(...got.slice(0, count - images.length));
      // Fewer than asked (filtered out): the step decides; asking again would repeat the same refusal.
      if (got.length < n) break;
    }
    const request: JsonObject = {
      type: "request",
      provider: d.name,
      agent: req.agent.name,
      api: "images.generate",
      ...(baseUrl === undefined ? {} : { baseUrl: safeUrl(baseUrl) ?? null }),
      body: bodies.length === 1 ? (bodies[0] ?? null) : bodies,
    };
    const response: JsonObject = { type: "response", model, calls: responses };
    return { images, usage, model, transcript: [request, response] };
  };
}
