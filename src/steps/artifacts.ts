/**
 * Helpers step types use to store what they make as the run's artifacts (seed 000's documents and images),
 * over `ctx.artifacts`. Like it, they are idempotent across attempts: the same call in a retry, or after a
 * crash, returns the artifact the first attempt stored instead of storing another.
 */
import type { StepArtifact, StepContext } from "./step-type.js";

/** A stored artifact, as step outputs name it. */
export interface ArtifactRef {
  id: string;
  name: string;
  /** False when an earlier attempt of the step run had stored it already. */
  created: boolean;
}

export interface DocumentOptions {
  /** The document's file name; `.md` is added when it has no extension. */
  name: string;
  /** The document's text, Markdown unless `mimeType` says otherwise. */
  text: string;
  /** Default `text/markdown` (or what the name's extension says, e.g. `.txt` → `text/plain`). */
  mimeType?: string | undefined;
  /**
   * Identifies the document across attempts when the name varies between them (e.g. a title the model
   * chose). Default: the name.
   */
  key?: string | undefined;
}

/**
 * Stores `text` as a `document` artifact of the step run (`workflow.artifact.created`), or returns the one an
 * earlier attempt stored with the same key (the name by default) and position.
 */
export async function writeDocument(ctx: StepContext, doc: DocumentOptions): Promise<ArtifactRef> {
  const name = /\.[A-Za-z0-9]{1,10}$/.test(doc.name) ? doc.name : `${doc.name}.md`;
  const stored = await ctx.artifacts.create({
    name,
    data: doc.text,
    fileType: "document",
    mimeType: doc.mimeType ?? (name.toLowerCase().endsWith(".md") ? "text/markdown" : undefined),
    key: doc.key,
  });
  return { id: stored.id, name: stored.name, created: stored.created };
}

export interface ImageOptions {
  /** The image's file name; the extension of its MIME type is added when it has none. */
  name: string;
  data: Uint8Array;
  /** `image/png`, `image/jpeg`, … */
  mimeType: string;
  /** Identifies the image across attempts (the image step uses `image-<n>`). Default: the name. */
  key?: string | undefined;
}

const IMAGE_EXT: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpg",
  "image/webp": "webp",
  "image/gif": "gif",
  "image/svg+xml": "svg",
};

/** Stores an image as an `image` artifact of the step run, or returns the one an earlier attempt stored. */
export async function writeImage(ctx: StepContext, image: ImageOptions): Promise<StepArtifact & { created: boolean }> {
  const ext = IMAGE_EXT[image.mimeType.toLowerCase()];
  const name = ext && !/\.[A-Za-z0-9]{1,10}$/.test(image.name) ? `${image.name}.${ext}` : image.name;
  return ctx.artifacts.create({ name, data: image.data, fileType: "image", mimeType: image.mimeType, key: image.key });
}
