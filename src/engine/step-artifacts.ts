/**
 * `ctx.artifacts`: files a step run makes (documents, images) stored as the run's artifacts, and images
 * attached to documents — idempotent across attempts and crashes.
 *
 * An artifact's id is a UUID (v5, SHA-1) of the step run's idempotency key, the artifact's key (its name by
 * default) and how many artifacts with that key the attempt created before it: every attempt of the step run
 * derives the same ids in the same order. `create` looks the id up first and returns the stored record when
 * an earlier attempt made it (nothing is written). Otherwise the bytes go to
 * `<dataDir>/runs/<run>/artifacts/<step key segment>/<id>.<ext>` (temp file, fsync, rename) and then the
 * record is created, appending `workflow.artifact.created`. A crash between the two leaves the file without
 * a record; the next attempt writes the same path again, so no orphan is left behind. Two processes running
 * one step run at once (a stale owner whose handler lease fencing has not aborted yet) both end with the one
 * record that won; the file then holds whichever bytes were renamed into place last, which for a model's
 * output may differ from the record's hash.
 */
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { TerminalError } from "../core/errors.js";
import type { EventRecord } from "../core/events.js";
import type { NewStepArtifact, StepArtifact, StepArtifacts, StepAttachment } from "../steps/step-type.js";
import type { ArtifactRecord, AttachmentRecord, Store } from "../store/store.js";
import {
  artifactStorageKey,
  displayName,
  extensionForMime,
  extensionOf,
  fileTypeOf,
  mimeOf,
  writeFileAtomic,
} from "./artifact-files.js";
import { readContextDocument } from "./context-documents.js";

/** The most bytes one artifact of a step may hold (the server's upload cap). */
export const MAX_STEP_ARTIFACT_BYTES = 100 * 1024 * 1024;

/** The UUID namespace of step artifacts' ids (random, fixed forever: changing it changes every derived id). */
const NAMESPACE = Buffer.from("8d3f2a6c41e74b0f9a15c2d7e6b3f901", "hex");

/** A name-based (version 5) UUID in weft's artifact namespace. */
export function artifactId(idempotencyKey: string, key: string, occurrence: number): string {
  const hash = createHash("sha1").update(NAMESPACE).update(`${idempotencyKey}\u0000${key}\u0000${occurrence}`, "utf8");
  const b = hash.digest().subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface StepArtifactsOptions {
  store: Store;
  /** The data dir: storage keys are relative to it (the server serves the files from there too). */
  dataDir: string;
  runId: string;
  /** The run's project: the only one whose documents `readDocument` reads. */
  projectId: string;
  /** The step run's key (`stepId` or `stepId[i]`): its artifacts' folder and `stepKey`. */
  stepKey: string;
  /** The step run's idempotency key, the same for all its attempts. */
  idempotencyKey: string;
  now: () => number;
  /** Hands the events the store appended to live listeners (the engine's publish). */
  publish?: ((events: EventRecord[]) => void) | undefined;
}

function toBytes(data: Uint8Array | string): Buffer {
  return typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.length);
}

function attachmentView(a: AttachmentRecord): StepAttachment {
  return { documentId: a.documentId, imageId: a.imageId, primary: a.primary, position: a.position };
}

export function createStepArtifacts(o: StepArtifactsOptions): StepArtifacts {
  const { store, runId } = o;
  /** Per key: how many artifacts this attempt created with it. */
  const occurrences = new Map<string, number>();

  const view = (a: ArtifactRecord): StepArtifact => ({
    id: a.id,
    name: a.name,
    fileType: a.fileType,
    mimeType: a.mimeType,
    sizeBytes: a.sizeBytes,
    sha256: a.sha256,
    stepKey: a.stepKey,
    storageKey: a.storageKey,
    path: join(o.dataDir, a.storageKey),
    createdAt: a.createdAt,
  });

  const ofRun = async (id: string): Promise<ArtifactRecord | undefined> => {
    const a = await store.artifacts.get(id);
    return a?.runId === runId ? a : undefined;
  };

  async function create(a: NewStepArtifact): Promise<StepArtifact & { created: boolean }> {
    const key = a.key ?? a.name;
    const occurrence = occurrences.get(key) ?? 0;
    occurrences.set(key, occurrence + 1);
    const id = artifactId(o.idempotencyKey, key, occurrence);
    const earlier = await store.artifacts.get(id);
    if (earlier) return { ...view(earlier), created: false };

    const bytes = toBytes(a.data);
    const name = displayName(a.name);
    if (bytes.length > MAX_STEP_ARTIFACT_BYTES) {
      throw new TerminalError(
        `artifact "${name}" of step run ${o.stepKey} has ${bytes.length} bytes; at most ${MAX_STEP_ARTIFACT_BYTES} are stored`,
        "WEFT_TOO_LARGE",
      );
    }
    const mimeType = mimeOf(a.mimeType, name);
    const storageKey = artifactStorageKey(runId, o.stepKey, id, extensionOf(name) || extensionForMime(mimeType));
    const path = join(o.dataDir, storageKey);
    await writeFileAtomic(path, bytes);
    try {
      const { artifact, event } = await store.artifacts.create({
        id,
        runId,
        stepKey: o.stepKey,
        name,
        storageKey,
        fileType: a.fileType ?? fileTypeOf(mimeType, name),
        mimeType,
        sizeBytes: bytes.length,
        sha256: createHash("sha256").update(bytes).digest("hex"),
        now: o.now(),
      });
      o.publish?.([event]);
      return { ...view(artifact), created: true };
    } catch (err) {
      // Another process made it meanwhile (this step run, twice): its record stands.
      const raced = await store.artifacts.get(id).catch(() => undefined);
      if (raced) {
        if (raced.storageKey !== storageKey) await rm(path, { force: true });
        return { ...view(raced), created: false };
      }
      await rm(path, { force: true });
      throw err;
    }
  }

  async function documentOf(documentId: string): Promise<ArtifactRecord> {
    const doc = await ofRun(documentId);
    if (!doc) throw new TerminalError(`run ${runId} has no artifact with id ${documentId}`, "WEFT_NOT_FOUND");
    return doc;
  }

  async function attach(
    documentId: string,
    imageIds: readonly string[],
    opts: { primaryId?: string | undefined } = {},
  ): Promise<StepAttachment[]> {
    await documentOf(documentId);
    for (const imageId of imageIds) {
      if (!(await ofRun(imageId))) {
        throw new TerminalError(`run ${runId} has no artifact with id ${imageId}`, "WEFT_NOT_FOUND");
      }
    }
    const { primaryId } = opts;
    if (
      primaryId !== undefined &&
      !imageIds.includes(primaryId) &&
      !(await store.attachments.list(documentId)).some((x) => x.imageId === primaryId)
    ) {
      throw new TerminalError(
        `image ${primaryId} is neither attached to document ${documentId} nor among the images to attach, so it cannot be its primary image`,
        "WEFT_CONFLICT",
      );
    }
    // The store checks types, runs and the limit, and refuses the whole list when one fails.
    let list = await store.attachments.attach(documentId, imageIds, o.now());
    if (primaryId !== undefined && !list.find((x) => x.imageId === primaryId)?.primary) {
      list = await store.attachments.setPrimary(documentId, primaryId);
    }
    return list.map(attachmentView);
  }

  return {
    create,
    async find(key, occurrence = 0) {
      const a = await ofRun(artifactId(o.idempotencyKey, key, occurrence));
      return a ? view(a) : undefined;
    },
    async get(id) {
      const a = await ofRun(id);
      return a ? view(a) : undefined;
    },
    attach,
    async attachments(documentId) {
      await documentOf(documentId);
      return (await store.attachments.list(documentId)).map(attachmentView);
    },
    readDocument: (id) => readContextDocument(store, o.dataDir, o.projectId, id),
  };
}
