/**
 * `type: attach` (seed 000's "attach to document") — attaches image artifacts of the run to document
 * artifacts of the run.
 *
 * Config: `documents` and `images` (an id, a list, or templates giving them: `{{ steps.copy.output.document_id }}`,
 * `{{ steps.hero.output.image_ids }}`, a foreach join of such outputs), `strategy` (`one-to-one`,
 * `one-to-many`, `many-to-one`; default from the counts, see plan.ts), `primary` (`first`, or an image id:
 * the primary image of each document that gets it; default: the first image a document ever got).
 *
 * Everything is checked before anything is written: unknown ids, artifacts of the wrong type, and a document
 * that would hold more than 20 images fail the step terminally with nothing attached. A retry (or a rerun
 * after a crash) is a no-op for what is attached already.
 *
 * Output: `{ strategy, attachments: [{ document_id, image_id, primary, position }], document_ids }` — the
 * attachments this step asked for, as stored afterwards.
 */
import { z } from "zod";
import { MAX_DOCUMENT_ATTACHMENTS } from "../../core/artifacts.js";
import { TerminalError } from "../../core/errors.js";
import type { Json, JsonObject } from "../../core/json.js";
import { defineStepType, type StepArtifact, type StepAttachment, type StepContext } from "../step-type.js";
import { ATTACH_STRATEGIES, idsOf, type PlannedAttachment, planAttachments, type Role } from "./plan.js";

const idsValue = (role: Role) =>
  z.union([z.string().trim().min(1), z.array(z.string().trim().min(1)).min(1)], {
    error: `must be an artifact id, a list of ids, or a {{ … }} template giving the ${role}`,
  });

export const attachConfigSchema = z.strictObject({
  documents: idsValue("documents").describe(
    "The document artifacts: an id, a list, or a template such as `{{ steps.copy.output.document_id }}`.",
  ),
  images: idsValue("images").describe(
    "The image artifacts: an id, a list, or a template such as `{{ steps.hero.output.image_ids }}` (a foreach join of image outputs works too).",
  ),
  strategy: z
    .enum(ATTACH_STRATEGIES, { error: `must be ${ATTACH_STRATEGIES.join(", ")}` })
    .optional()
    .describe(
      "one-to-one pairs the n-th document with the n-th image; one-to-many gives one document every image; many-to-one gives every document one image. Default: from the counts.",
    ),
  primary: z
    .string()
    .trim()
    .min(1, 'must be "first" or an image id')
    .optional()
    .describe(
      "`first`, or an image id (template): each document's primary image. Default: the first image a document ever got.",
    ),
});

export type AttachStepConfig = z.infer<typeof attachConfigSchema>;

const article = (word: string) => `${/^[aeiou]/.test(word) ? "an" : "a"} ${word}`;

async function artifactsOf(ctx: StepContext, role: Role, ids: readonly string[]): Promise<Map<string, StepArtifact>> {
  const want = role === "documents" ? "document" : "image";
  const found = new Map<string, StepArtifact>();
  for (const id of ids) {
    const artifact = await ctx.artifacts.get(id);
    if (!artifact) {
      throw new TerminalError(`${role}: run ${ctx.runId} has no artifact with id ${id}`, "WEFT_NOT_FOUND");
    }
    if (artifact.fileType !== want) {
      throw new TerminalError(
        `${role}: artifact ${id} ("${artifact.name}") is ${article(artifact.fileType)}, not ${article(want)}`,
        "WEFT_STEP_CONFIG",
      );
    }
    found.set(id, artifact);
  }
  return found;
}

/** Refuses, before anything is written, a plan that would give a document more than the limit. */
async function checkLimits(ctx: StepContext, plan: readonly PlannedAttachment[], docs: Map<string, StepArtifact>) {
  for (const { documentId, imageIds } of plan) {
    const existing = new Set((await ctx.artifacts.attachments(documentId)).map((a) => a.imageId));
    const fresh = imageIds.filter((id) => !existing.has(id)).length;
    if (existing.size + fresh > MAX_DOCUMENT_ATTACHMENTS) {
      const name = docs.get(documentId)?.name ?? documentId;
      throw new TerminalError(
        `document ${documentId} ("${name}") would have ${existing.size + fresh} attached images ` +
          `(${existing.size} already, ${fresh} from this step); a document holds at most ${MAX_DOCUMENT_ATTACHMENTS}. Nothing was attached`,
        "WEFT_CONFLICT",
      );
    }
  }
}

export const attachStepType = defineStepType<AttachStepConfig>({
  type: "attach",
  title: "Attach to document",
  description: "Attaches image artifacts of the run to document artifacts of the run.",
  configSchema: attachConfigSchema,
  async run(ctx, config) {
    const documents = idsOf("documents", ctx.render(config.documents));
    const images = idsOf("images", ctx.render(config.images));
    for (const [role, ids, written] of [
      ["documents", documents, config.documents],
      ["images", images, config.images],
    ] as const) {
      if (ids.length === 0) {
        throw new TerminalError(`${role}: ${JSON.stringify(written)} gave no artifact id`, "WEFT_STEP_CONFIG");
      }
    }
    const primary = config.primary === undefined ? undefined : ctx.renderString(config.primary).trim() || undefined;
    const { strategy, plan } = planAttachments(documents, images, config.strategy);
    const recorded: JsonObject = { documents, images, strategy };
    if (primary !== undefined) recorded.primary = primary;
    ctx.recordInput(recorded);

    const docs = await artifactsOf(ctx, "documents", documents);
    await artifactsOf(ctx, "images", images);
    if (primary !== undefined && primary !== "first" && !images.includes(primary)) {
      throw new TerminalError(
        `primary: ${primary} is not one of the images to attach (${images.join(", ")}); give one of them, or "first"`,
        "WEFT_STEP_CONFIG",
      );
    }
    await checkLimits(ctx, plan, docs);

    const attachments: Json[] = [];
    for (const { documentId, imageIds } of plan) {
      const primaryId =
        primary === "first" ? imageIds[0] : primary !== undefined && imageIds.includes(primary) ? primary : undefined;
      const stored: StepAttachment[] = await ctx.artifacts.attach(documentId, imageIds, { primaryId });
      for (const a of stored) {
        if (!imageIds.includes(a.imageId)) continue;
        attachments.push({ document_id: a.documentId, image_id: a.imageId, primary: a.primary, position: a.position });
      }
      ctx.log("info", `document ${documentId}: ${imageIds.length} image(s) attached, ${stored.length} in all`);
    }
    const summary = `# ${ctx.stepId}\n\nAttached (${strategy}):\n\n${plan
      .map(({ documentId, imageIds }) => `- ${docs.get(documentId)?.name ?? documentId} ← ${imageIds.length} image(s)`)
      .join("\n")}\n`;
    return { kind: "completed", output: { strategy, attachments, document_ids: documents }, summary };
  },
});
