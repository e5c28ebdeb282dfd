/**
 * What an `attach` step attaches to what: artifact ids read from rendered values, and seed 000's strategies
 * (single→single, single→multiple, multiple→single) turned into one list of images per document.
 */
import { TerminalError } from "../../core/errors.js";
import { isJsonObject, type Json } from "../../core/json.js";

export const ATTACH_STRATEGIES = ["one-to-one", "one-to-many", "many-to-one"] as const;
export type AttachStrategy = (typeof ATTACH_STRATEGIES)[number];

export type Role = "documents" | "images";

/** The keys of a step output an id list is read from: an agent's `document_id`, an image step's `image_ids`. */
const ID_KEYS: Record<Role, readonly string[]> = {
  documents: ["document_id", "document_ids", "id"],
  images: ["image_ids", "image_id", "id"],
};

const preview = (value: Json) => {
  const text = JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
};

/**
 * The artifact ids in a rendered value, in order, without repeats: a string is one id; a list contributes
 * its items (a foreach join: the list of its items' outputs); an object its `document_id` / `document_ids` /
 * `id` (documents) or `image_ids` / `image_id` / `id` (images); null and "" nothing.
 */
export function idsOf(role: Role, value: Json): string[] {
  const out: string[] = [];
  const visit = (v: Json, depth: number): void => {
    if (depth > 16)
      throw new TerminalError(`${role}: the value is nested too deeply to hold artifact ids`, "WEFT_STEP_CONFIG");
    if (v === null) return;
    if (typeof v === "string") {
      const id = v.trim();
      if (id !== "" && !out.includes(id)) out.push(id);
      return;
    }
    if (Array.isArray(v)) {
      for (const item of v) visit(item, depth + 1);
      return;
    }
    if (isJsonObject(v)) {
      const key = ID_KEYS[role].find((k) => Object.hasOwn(v, k));
      if (key === undefined) {
        throw new TerminalError(
          `${role}: ${preview(v)} holds no artifact id; give ids, or step outputs with ${ID_KEYS[role].join(", ")}`,
          "WEFT_STEP_CONFIG",
        );
      }
      visit(v[key] as Json, depth + 1);
      return;
    }
    throw new TerminalError(`${role}: ${preview(v)} is not an artifact id`, "WEFT_STEP_CONFIG");
  };
  visit(value, 0);
  return out;
}

export interface PlannedAttachment {
  documentId: string;
  imageIds: string[];
}

/**
 * One entry per document. `one-to-one` pairs the n-th document with the n-th image (equal counts);
 * `one-to-many` gives the one document every image; `many-to-one` gives every document the one image. Without
 * a strategy it follows from the counts: one document → one-to-many, one image → many-to-one, equal counts →
 * one-to-one.
 */
export function planAttachments(
  documents: readonly string[],
  images: readonly string[],
  given: AttachStrategy | undefined,
): { strategy: AttachStrategy; plan: PlannedAttachment[] } {
  const d = documents.length;
  const i = images.length;
  const counts = `${d} document${d === 1 ? "" : "s"} and ${i} image${i === 1 ? "" : "s"}`;
  const strategy: AttachStrategy | undefined =
    given ?? (d === 1 ? "one-to-many" : i === 1 ? "many-to-one" : d === i ? "one-to-one" : undefined);
  if (strategy === undefined) {
    throw new TerminalError(
      `there are ${counts}, and no strategy fits: one-to-one needs as many images as documents, one-to-many one document, many-to-one one image`,
      "WEFT_STEP_CONFIG",
    );
  }
  if (strategy === "one-to-one" && d !== i) {
    throw new TerminalError(
      `strategy one-to-one pairs each document with one image, but there are ${counts}; give as many images as documents, or another strategy`,
      "WEFT_STEP_CONFIG",
    );
  }
  if (strategy === "one-to-many" && d !== 1) {
    throw new TerminalError(
      `strategy one-to-many attaches the images to one document, but there are ${counts}; use one-to-one or many-to-one`,
      "WEFT_STEP_CONFIG",
    );
  }
  if (strategy === "many-to-one" && i !== 1) {
    throw new TerminalError(
      `strategy many-to-one attaches one image to every document, but there are ${counts}; use one-to-one or one-to-many`,
      "WEFT_STEP_CONFIG",
    );
  }
  const plan = documents.map((documentId, n) => ({
    documentId,
    imageIds: strategy === "one-to-one" ? [images[n] as string] : [...images],
  }));
  return { strategy, plan };
}
