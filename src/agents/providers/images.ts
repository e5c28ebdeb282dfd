/**
 * What the SDK providers' image methods share: reading the request's `size`, the style as words in the prompt,
 * recognising image bytes, transcripts that describe images (size and hash, never the bytes), and a
 * non-streamed call with the same timeout and failure classification as the text calls.
 */
import { createHash } from "node:crypto";
import { TerminalError } from "../../core/errors.js";
import type { JsonObject } from "../../core/json.js";
import type { GeneratedImage, ImageRequest } from "../provider.js";
import { abortError, type CallContext, type Failure, toFailureError } from "./shared.js";

/** The most images one request may ask for. */
export const MAX_IMAGES_PER_REQUEST = 10;

/** A request's `size`, read. */
export type ImageSize =
  | { kind: "pixels"; width: number; height: number }
  | { kind: "ratio"; width: number; height: number }
  | { kind: "class"; value: "1K" | "2K" | "4K" }
  | { kind: "auto" };

/** `1024x1024`, `16:9`, `1K`/`2K`/`4K` or `auto`; undefined for anything else. */
export function parseImageSize(size: string): ImageSize | undefined {
  const s = size.trim();
  if (s.toLowerCase() === "auto") return { kind: "auto" };
  const klass = /^([124])k$/i.exec(s);
  if (klass) return { kind: "class", value: `${klass[1]}K` as "1K" | "2K" | "4K" };
  const m = /^(\d{1,5})\s*([x×:])\s*(\d{1,5})$/i.exec(s);
  if (!m) return undefined;
  const width = Number(m[1]);
  const height = Number(m[3]);
  if (width <= 0 || height <= 0) return undefined;
  return { kind: m[2] === ":" ? "ratio" : "pixels", width, height };
}

/** The request's size, read; a `TerminalError` naming the accepted forms when it cannot be. */
export function requireImageSize(provider: string, req: ImageRequest): ImageSize | undefined {
  if (req.size === undefined) return undefined;
  const size = parseImageSize(req.size);
  if (size) return size;
  throw new TerminalError(
    `${provider}: image size "${req.size}" is not one weft reads; write WIDTHxHEIGHT ("1024x1024"), an aspect ratio ("16:9"), 1K/2K/4K or auto`,
    "WEFT_STEP_CONFIG",
  );
}

/** Of `candidates` (`"W:H"` or `"WxH"`), the one whose aspect ratio is closest to width/height. */
export function nearestAspect(width: number, height: number, candidates: readonly string[]): string {
  const target = Math.log(width / height);
  let best = candidates[0] as string;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const c of candidates) {
    const [w, h] = c.split(/[x:]/).map(Number) as [number, number];
    const d = Math.abs(Math.log(w / h) - target);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** The prompt with the style appended as words, the way image models read it. */
export function promptWithStyle(prompt: string, style: string | undefined): string {
  const s = style?.trim();
  return s ? `${prompt}\n\nStyle: ${s}` : prompt;
}

/** The MIME type of PNG, JPEG, GIF and WebP bytes, by their signature; undefined otherwise. */
export function sniffImageType(data: Uint8Array): string | undefined {
  const at = (i: number) => data[i];
  if (at(0) === 0x89 && at(1) === 0x50 && at(2) === 0x4e && at(3) === 0x47) return "image/png";
  if (at(0) === 0xff && at(1) === 0xd8 && at(2) === 0xff) return "image/jpeg";
  if (at(0) === 0x47 && at(1) === 0x49 && at(2) === 0x46 && at(3) === 0x38) return "image/gif";
  const ascii = (from: number, to: number) => Buffer.from(data.subarray(from, to)).toString("latin1");
  if (data.length >= 12 && ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "image/webp";
  return undefined;
}

/**
 * Base64 image data from an API as an image: empty or undecodable data is a `malformed` failure. The MIME
 * type is the bytes' own when they say, else what the API said, else PNG.
 */
export function decodeImage(ctx: CallContext, base64: string, declared: string | undefined): GeneratedImage {
  const data = Buffer.from(base64, "base64");
  if (data.length === 0) {
    throw toFailureError(ctx, { type: "malformed", message: "the API returned an empty image" }, undefined);
  }
  return { data, mimeType: sniffImageType(data) ?? declared ?? "image/png" };
}

/** How a transcript shows generated images: type, size and hash. */
export function describeImages(images: readonly GeneratedImage[]): JsonObject[] {
  return images.map((image) => {
    const out: JsonObject = {
      mimeType: image.mimeType,
      bytes: image.data.length,
      sha256: createHash("sha256").update(image.data).digest("hex"),
    };
    if (image.revisedPrompt !== undefined) out.revisedPrompt = image.revisedPrompt;
    return out;
  });
}

/**
 * One non-streamed API call, aborted by `ctx.signal` or after `timeoutMs` without an answer (then a `network`
 * failure); other failures are classified by `describe`, as the text calls' are.
 */
export async function callOnce<T>(
  ctx: CallContext,
  opts: { timeoutMs: number; call: (signal: AbortSignal) => Promise<T>; describe: (err: unknown) => Failure },
): Promise<T> {
  if (ctx.signal.aborted) throw abortError(ctx.signal);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`no response for ${opts.timeoutMs} ms`));
  }, opts.timeoutMs);
  const onAbort = () => controller.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await opts.call(controller.signal);
  } catch (err) {
    const idle: Failure = { type: "network", message: `no response for ${opts.timeoutMs} ms (timeoutMs)` };
    throw toFailureError(ctx, timedOut ? idle : opts.describe(err), err);
  } finally {
    clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onAbort);
  }
}
