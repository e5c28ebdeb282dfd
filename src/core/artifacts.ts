/**
 * What an artifact is, as steps, the engine and the stores all name it. Declared in `core` (not the store port)
 * so a step handler, which knows nothing about storage, can name an artifact's file type and the attachment limit.
 */

export const ARTIFACT_FILE_TYPES = ["image", "video", "document", "code", "other"] as const;
export type ArtifactFileType = (typeof ARTIFACT_FILE_TYPES)[number];

/** seed 000: at most this many images attached to one document. */
export const MAX_DOCUMENT_ATTACHMENTS = 20;
