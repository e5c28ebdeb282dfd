/**
 * The `gemini` provider's images: `generateContent` of a Gemini image model (`gemini-2.5-flash-image`, …) with
 * `responseModalities: ["TEXT", "IMAGE"]`; the images come back as `inlineData` parts (base64). One request
 * per image, `count` requests in turn. Imagen models are not served by the Gemini API's `generateContent`
 * (the SDK's `generateImages` is Vertex AI only): asking one is a `TerminalError`.
 *
 * - `size`: an aspect ratio goes to `imageConfig.aspectRatio` (the nearest of 1:1, 2:3, 3:2, 3:4, 4:3, 4:5,
 *   5:4, 9:16, 16:9, 21:9 when it is not one of them); `WIDTHxHEIGHT` gives the nearest aspect ratio and,
 *   above 1024 pixels, `imageSize` 2K (4K above 2048); `1K`/`2K`/`4K` is `imageSize`.
 * - `style` is added to the prompt as words; `quality` has no Gemini setting and is ignored.
 * - A blocked prompt, or no image for a safety reason (`finishReason` IMAGE_SAFETY, PROHIBITED_CONTENT, …), is a
 *   `TerminalError` (the same prompt is refused again) — unless earlier requests gave images, which are then
 *   returned (fewer than asked). An answer without an image for another reason is a retryable `malformed`.
 * - Usage: prompt and output (with thought) tokens, summed over the requests.
 */
import type { GenerateContentConfig, GenerateContentResponse, GoogleGenAI, ImageConfig } from "@google/genai";
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

export interface GeminiImageDeps {
  name: string;
  opts: SdkProviderOptions;
  /** The provider's client cache. */
  client: (baseUrl: string | undefined, key: string | undefined) => GoogleGenAI;
  /** How the provider classifies the SDK's errors (with the last response's headers). */
  describe: (err: unknown, headers: Headers | undefined, chunks: number) => Failure;
  /** `{ apiVersion }` from the agent's options, or `{}`. */
  apiVersionOf: (req: ImageRequest) => { apiVersion?: string };
  keyHint: string;
  host: string;
}

const ASPECT_RATIOS = ["1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"];
const SAFETY = /SAFETY|PROHIBITED|BLOCKLIST|SPII|RECITATION/;

function imageConfigOf(name: string, req: ImageRequest): ImageConfig | undefined {
  const size = requireImageSize(name, req);
  if (size === undefined || size.kind === "auto") return undefined;
  if (size.kind === "class") return { imageSize: size.value };
  const written = `${size.width}:${size.height}`;
  const aspectRatio =
    size.kind === "ratio" && ASPECT_RATIOS.includes(written)
      ? written
      : nearestAspect(size.width, size.height, ASPECT_RATIOS);
  if (size.kind === "ratio") return { aspectRatio };
  const longest = Math.max(size.width, size.height);
  return longest > 2048
    ? { aspectRatio, imageSize: "4K" }
    : longest > 1024
      ? { aspectRatio, imageSize: "2K" }
      : { aspectRatio };
}

function clip(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** The `generateImages` method of a `gemini` provider. */
export function geminiImages(d: GeminiImageDeps): (req: ImageRequest) => Promise<ImageResponse> {
  return async (req) => {
    const keyHint = d.opts.keyHint?.(req.agent) ?? d.keyHint;
    const model = requireModel(d.name, req.agent);
    if (/^(models\/)?imagen/i.test(model)) {
      throw new TerminalError(
        `${d.name}: model "${model}" is an Imagen model, which the Gemini API does not serve through generateContent; ` +
          `give agent "${req.agent.name}" a Gemini image model such as gemini-2.5-flash-image`,
        "WEFT_PROVIDER",
      );
    }
    const key = resolveKey(d.name, req, d.opts, keyHint, d.host);
    const ctx: CallContext = {
      provider: d.name,
      model,
      agent: req.agent,
      keyHint,
      secrets: key === undefined ? [] : [key],
      signal: req.signal,
    };
    const config: GenerateContentConfig = { responseModalities: ["TEXT", "IMAGE"] };
    if (req.agent.system !== undefined) config.systemInstruction = req.agent.system;
    if (req.agent.temperature !== undefined) config.temperature = req.agent.temperature;
    const imageConfig = imageConfigOf(d.name, req);
    if (imageConfig) config.imageConfig = imageConfig;
    const contents = [{ role: "user", parts: [{ text: promptWithStyle(req.prompt, req.style) }] }];
    const baseUrl = req.agent.baseUrl ?? d.opts.baseUrl;
    const count = Math.min(Math.max(1, Math.floor(req.count)), MAX_IMAGES_PER_REQUEST);

    let lastHeaders: Headers | undefined;
    const baseFetch = d.opts.fetch ?? globalThis.fetch;
    const capturingFetch: typeof fetch = async (input, init) => {
      const response = await baseFetch(input, init);
      lastHeaders = response.headers;
      return response;
    };
    const images: GeneratedImage[] = [];
    const responses: JsonObject[] = [];
    const usage = { inputTokens: 0, outputTokens: 0 };
    let reported: string | undefined;
    while (images.length < count) {
      if (count > 1) req.onProgress?.(`generating image ${images.length + 1} of ${count}\n`);
      const res: GenerateContentResponse = await callOnce(ctx, {
        timeoutMs: d.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        call: (signal) =>
          d.client(baseUrl, key).models.generateContent({
            model,
            contents,
            config: { ...config, abortSignal: signal, httpOptions: { fetch: capturingFetch, ...d.apiVersionOf(req) } },
          }),
        describe: (err) => d.describe(err, lastHeaders, 1),
      });
      if (res.modelVersion) reported = res.modelVersion;
      const meta = res.usageMetadata;
      if (meta) {
        usage.inputTokens += (meta.promptTokenCount ?? 0) + (meta.toolUsePromptTokenCount ?? 0);
        usage.outputTokens += (meta.candidatesTokenCount ?? 0) + (meta.thoughtsTokenCount ?? 0);
      }
      const blocked = res.promptFeedback?.blockReason;
      if (blocked) {
        throw new TerminalError(
          `${d.name} ${model}: the API blocked the prompt (${blocked}); the same prompt would be blocked again`,
          "WEFT_PROVIDER",
        );
      }
      const candidate = res.candidates?.[0];
      const parts = (candidate?.content?.parts ?? []).filter((p) => !p.thought);
      const got: GeneratedImage[] = [];
      for (const part of parts) {
        const inline = part.inlineData;
        if (typeof inline?.data === "string" && (inline.mimeType ?? "image/").startsWith("image/")) {
          got.push(decodeImage(ctx, inline.data, inline.mimeType));
        }
      }
      const text = parts.map((p) => p.text ?? "").join("");
      const finish = candidate?.finishReason;
      const response: JsonObject = {
        id: res.responseId ?? null,
        finishReason: finish ?? null,
        images: describeImages(got),
      };
      if (text) response.text = jsonSafe(text, ctx.secrets);
      if (meta) response.usage = jsonSafe(meta, ctx.secrets);
      responses.push(response);
      if (got.length === 0) {
        const said = text ? `; the model said: ${clip(text)}` : "";
        if (finish !== undefined && SAFETY.test(finish)) {
          if (images.length > 0) break;
          throw new TerminalError(
            `${d.name} ${model}: no image was generated (finishReason ${finish})${said}; the same prompt would be refused again`,
            "WEFT_PROVIDER",
          );
        }
        const message = `the answer held no image (finishReason ${finish ?? "none"})${said}`;
        throw toFailureError(ctx, { type: "malformed", message }, undefined);
      }
      images.push(...got.slice(0, count - images.length));
    }
    const body: Json = jsonSafe({ model, contents, config }, ctx.secrets);
    const request: JsonObject = {
      type: "request",
      provider: d.name,
      agent: req.agent.name,
      api: "generateContent",
      ...(baseUrl === undefined ? {} : { baseUrl: safeUrl(baseUrl) ?? null }),
      body,
      requests: responses.length,
    };
    const response: JsonObject = { type: "response", model: reported ?? model, calls: responses };
    return { images, usage, model: reported ?? model, transcript: [request, response] };
  };
}
