/**
 * `type: image` (seed 000's "generate image") — asks an agent's provider for images through its image API
 * (OpenAI images, Gemini image models, the mock) and stores each as an `image` artifact of the step run.
 *
 * Config: `agent`, `prompt` (a template), `count` (1–10, default 1; a number or a template giving one),
 * `size` (`1024x1024`, `16:9`, `1K`/`2K`/`4K`, `auto`), `style` (words added to the prompt), `quality` (the
 * provider's), `filename` (the images' display name, default the step id: `hero.png`, or `hero-1.png` … with
 * a count above 1), `model` (overrides the agent's). An agent with no configuration is answered by the mock,
 * with a notice; an agent whose provider has no image API fails the step (`WEFT_PROVIDER`).
 *
 * Output: `{ images: [{ id, name, mime_type }], image_ids: [...] }` — `{{ steps.hero.output.image_ids }}`
 * is what an `attach` step takes.
 *
 * Retries and crashes: image n is stored under the key `image-<n>` of the step run, so an attempt first looks
 * up what earlier attempts stored and asks the provider only for the images still missing; when all are
 * there the provider is not called at all. A provider that returns fewer images than asked (filtered out)
 * fails the attempt retryably after storing those it returned. The transcript of each call goes to
 * `<logDir>/session.jsonl`.
 */
import { appendFile, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import type { ImageResponse } from "../../agents/provider.js";
import { parseImageSize } from "../../agents/providers/images.js";
import { RetryableError, TerminalError, WeftError } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import { checkBudget } from "../agent/budget.js";
import { writeImage } from "../artifacts.js";
import { TEMPLATE_PATTERN } from "../config.js";
import { defineStepType, type StepArtifact, type StepContext } from "../step-type.js";

/** Providers of weft's that have an image API (a plugin's provider has one when it implements `generateImages`). */
export const IMAGE_PROVIDERS = ["openai", "gemini", "mock"] as const;
export const MAX_IMAGE_COUNT = 10;

const isTemplate = (s: string) => s.includes("{{");
const SIZE_FORMS = 'WIDTHxHEIGHT ("1024x1024"), an aspect ratio ("16:9"), 1K, 2K, 4K or auto';

const countValue = z
  .union([z.number(), z.string()], { error: `must be a whole number from 1 to ${MAX_IMAGE_COUNT}` })
  .superRefine((v, ctx) => {
    if (typeof v === "string") {
      if (!isTemplate(v)) {
        ctx.addIssue({
          code: "custom",
          message: `must be a whole number from 1 to ${MAX_IMAGE_COUNT}, or a {{ … }} template giving one`,
        });
      }
    } else if (!Number.isInteger(v) || v < 1 || v > MAX_IMAGE_COUNT) {
      ctx.addIssue({
        code: "custom",
        message: `must be a whole number from 1 to ${MAX_IMAGE_COUNT} (got ${v}); image APIs make at most ${MAX_IMAGE_COUNT} per request`,
      });
    }
  })
  .meta({
    anyOf: [
      { type: "integer", minimum: 1, maximum: MAX_IMAGE_COUNT },
      { type: "string", pattern: TEMPLATE_PATTERN },
    ],
  });

export const imageConfigSchema = z.strictObject({
  agent: z
    .string()
    .min(1, "must name an agent")
    .describe(`The agent role; its provider needs an image API (${IMAGE_PROVIDERS.join(", ")}).`),
  prompt: z
    .string()
    .trim()
    .min(1, "an image step needs a prompt that describes the image")
    .describe("The prompt (a template)."),
  count: countValue
    .optional()
    .describe(`How many images, 1–${MAX_IMAGE_COUNT} (or a template giving the number). Default 1.`),
  size: z
    .string()
    .refine((s) => isTemplate(s) || parseImageSize(s) !== undefined, `must be ${SIZE_FORMS}`)
    .optional()
    .describe(`${SIZE_FORMS}; each provider maps it to its API. Default: the API's.`),
  style: z
    .string()
    .min(1)
    .optional()
    .describe("A style in words (`watercolor`), added to the prompt; dall-e-3 takes `vivid` or `natural`."),
  quality: z
    .string()
    .min(1)
    .optional()
    .describe("The provider's quality setting (OpenAI: `low`, `medium`, `high`, `auto`; dall-e-3: `standard`, `hd`)."),
  filename: z
    .string()
    .min(1)
    .refine((s) => !/[/\\]/.test(s), "is a file name, not a path: leave out / and \\")
    .optional()
    .meta({
      pattern: "^[^/\\\\]+$",
      description:
        "The images' display name (`hero` → `hero.png`, or `hero-1.png`… with a count above 1). Default: the step id.",
    }),
  model: z.string().min(1).optional().describe("Overrides the agent's model."),
});

export type ImageStepConfig = z.infer<typeof imageConfigSchema>;

function resolveCount(ctx: StepContext, count: number | string | undefined): number {
  if (count === undefined) return 1;
  if (typeof count === "number") return count;
  const text = ctx.renderString(count).trim();
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > MAX_IMAGE_COUNT) {
    throw new TerminalError(
      `count ${JSON.stringify(text)} is not a whole number from 1 to ${MAX_IMAGE_COUNT}`,
      "WEFT_STEP_CONFIG",
    );
  }
  return n;
}

function resolveSize(ctx: StepContext, size: string | undefined): string | undefined {
  if (size === undefined) return undefined;
  const text = ctx.renderString(size).trim();
  if (parseImageSize(text) === undefined) {
    throw new TerminalError(`size ${JSON.stringify(text)} is not ${SIZE_FORMS}`, "WEFT_STEP_CONFIG");
  }
  return text;
}

function optionalText(ctx: StepContext, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = ctx.renderString(value).trim();
  return text === "" ? undefined : text;
}

async function writeSession(ctx: StepContext, header: JsonObject, transcript: JsonObject[]): Promise<void> {
  const lines = [header, ...transcript].map((entry) => `${JSON.stringify(entry)}\n`).join("");
  await mkdir(ctx.logDir, { recursive: true });
  await appendFile(join(ctx.logDir, "session.jsonl"), lines);
}

function noImageApi(agent: string, provider: string): TerminalError {
  return new TerminalError(
    `agent "${agent}" uses provider "${provider}", which has no image API; image steps need an agent whose provider ` +
      `is ${IMAGE_PROVIDERS.join(", ")} (or a provider plugin that implements generateImages)`,
    "WEFT_PROVIDER",
  );
}

export const imageStepType = defineStepType<ImageStepConfig>({
  type: "image",
  title: "Generate image",
  description: "Asks an agent's provider for images and stores each as an image artifact of the run.",
  configSchema: imageConfigSchema,
  async run(ctx, config, signal) {
    const resolved = ctx.providers.resolve(config.agent);
    const { provider } = resolved;
    if (resolved.notice) ctx.notice(resolved.notice);
    else if (!resolved.configured) {
      ctx.notice(`agent "${config.agent}" has no configuration; images made by the offline mock provider`);
    }
    const prompt = ctx.renderString(config.prompt);
    const count = resolveCount(ctx, config.count);
    const size = resolveSize(ctx, config.size);
    const style = optionalText(ctx, config.style);
    const quality = optionalText(ctx, config.quality);
    const base =
      optionalText(ctx, config.filename) ?? (ctx.index === undefined ? ctx.stepId : `${ctx.stepId}-${ctx.index}`);
    const agent = { ...resolved.config, model: config.model ?? resolved.config.model };

    const recorded: JsonObject = { agent: config.agent, provider: provider.name, prompt, count };
    if (agent.model !== undefined) recorded.model = agent.model;
    if (size !== undefined) recorded.size = size;
    if (style !== undefined) recorded.style = style;
    if (quality !== undefined) recorded.quality = quality;
    ctx.recordInput(recorded);

    const keyOf = (i: number) => `image-${i + 1}`;
    const nameOf = (i: number) => (count === 1 ? base : `${base}-${i + 1}`);
    const images: Array<StepArtifact | undefined> = await Promise.all(
      Array.from({ length: count }, (_, i) => ctx.artifacts.find(keyOf(i))),
    );
    const missing = images.flatMap((image, i) => (image === undefined ? [i] : []));
    if (missing.length < count) {
      ctx.log("info", `${count - missing.length} of ${count} images were stored by an earlier attempt; kept`);
    }
    let response: ImageResponse | undefined;
    if (missing.length > 0) {
      if (!provider.generateImages) throw noImageApi(config.agent, provider.name);
      if (signal.aborted) {
        throw signal.reason instanceof Error
          ? signal.reason
          : new WeftError("WEFT_CANCELLED", "the image step was cancelled");
      }
      checkBudget(ctx, undefined);
      response = await provider.generateImages({
        agent,
        prompt,
        count: missing.length,
        size,
        style,
        quality,
        idempotencyKey: ctx.idempotencyKey,
        attempt: ctx.attempt,
        signal,
        onProgress: (text) => ctx.log("stdout", text),
      });
      const usage = response.usage ?? { inputTokens: 0, outputTokens: 0 };
      ctx.usage.report({ provider: provider.name, model: response.model, ...usage });
      const cost = usage.costUsd === undefined ? "" : `, cost $${usage.costUsd.toFixed(4)}`;
      ctx.log(
        "info",
        `${response.images.length} image(s), tokens in/out ${usage.inputTokens}/${usage.outputTokens}, model ${response.model}${cost}`,
      );
      const header: JsonObject = {
        type: "session",
        attempt: ctx.attempt,
        agent: config.agent,
        provider: provider.name,
        model: response.model,
        at: new Date(ctx.now()).toISOString(),
      };
      await writeSession(ctx, header, response.transcript);
      for (const [j, image] of response.images.slice(0, missing.length).entries()) {
        const i = missing[j] as number;
        if (!image.mimeType.startsWith("image/") || image.data.length === 0) {
          throw new RetryableError(
            `provider "${provider.name}" returned image ${i + 1} as ${image.mimeType}, ${image.data.length} bytes`,
            {
              code: "WEFT_PROVIDER",
            },
          );
        }
        images[i] = await writeImage(ctx, {
          name: nameOf(i),
          data: image.data,
          mimeType: image.mimeType,
          key: keyOf(i),
        });
      }
      if (response.images.length < missing.length) {
        throw new RetryableError(
          `agent "${config.agent}" (${provider.name}) was asked for ${missing.length} image(s) and returned ${response.images.length}; ` +
            "those are stored, and a retry asks only for the rest",
          { code: "WEFT_PROVIDER" },
        );
      }
    }

    const list = images.filter((image): image is StepArtifact => image !== undefined);
    const output: Json = {
      images: list.map((image) => ({ id: image.id, name: image.name, mime_type: image.mimeType })),
      image_ids: list.map((image) => image.id),
    };
    const made = response ? `${response.model} via ${provider.name}` : "an earlier attempt";
    const summary = `# ${ctx.stepId}\n\n${list.length} image(s) by agent \`${config.agent}\` (${made}):\n\n${list
      .map((image) => `- \`${image.id}\` ${image.name} (${image.mimeType}, ${image.sizeBytes} bytes)`)
      .join("\n")}\n`;
    return { kind: "completed", output, summary };
  },
});
