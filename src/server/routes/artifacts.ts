/**
 * Artifacts (seed 002's WorkflowArtifact): multipart upload, streamed download, attach/detach to a comment,
 * delete; and seed 000's document attachments (images attached to a document artifact, at most 20, one primary).
 *
 * Storage. An upload streams to a temp file in the run's folder (`runs/<run>/artifacts/.upload-<pid>-<uuid>.tmp`)
 * while it is hashed (sha256) and counted; once the whole file arrived and the form checked out, it is renamed
 * to its storage key — `runs/<run>/artifacts/<step key or _run>/<uuid><.ext>`, generated here, never from the
 * user's name (the name is display only, echoed in Content-Disposition) — and the record is created. Any
 * failure (too large → 413, truncated or malformed → 400, no `file` part → 400, unknown run or step → 404)
 * removes the temp file or the renamed one: no record, no file. One left by a killed process is swept when
 * `weft serve` starts (uploads.ts).
 *
 * @fastify/multipart is registered inside this plugin, so multipart bodies are parsed only on these routes.
 */
import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import multipart from "@fastify/multipart";
import type { FastifyContextConfig, FastifyPluginAsync, FastifyRequest, RawServerDefault } from "fastify";
import { z } from "zod";
import { WeftError } from "../../core/errors.js";
import { artifactStorageKey, displayName, extensionOf, fileTypeOf, mimeOf } from "../../engine/artifact-files.js";
import type { ArtifactRecord, Store } from "../../store/store.js";
import { requireRole } from "../access.js";
import { data, type RoutePluginOptions } from "../context.js";
import {
  type AttachmentJson,
  artifactContentQuery,
  artifactListItemSchema,
  artifactParams,
  artifactSchema,
  attachCommentBody,
  attachImagesBody,
  attachmentParams,
  attachmentSchema,
  deletedSchema,
  envelope,
  errorResponse,
  listArtifactsQuery,
  runParams,
  searchArtifactsQuery,
  uploadFields,
} from "../schemas.js";
import { uploadTempName } from "../uploads.js";
import { RequestError, type ZodTypeProvider, zodProblems } from "../validation.js";
import { artifactListItemView, artifactView, attachmentView, stepKeyOf, stepKeyOfRequest } from "../views.js";

/** seed 002: uploads are capped at 100 MB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024;

export interface ArtifactPluginOptions extends RoutePluginOptions {
  /** Largest accepted file, bytes. Default `DEFAULT_MAX_UPLOAD_BYTES`. */
  maxUploadBytes?: number | undefined;
}

/** `maxUploadBytes` of buildApp's deps when given (tests set a small one). */
export function uploadLimitOf(deps: object): number | undefined {
  const v = (deps as { maxUploadBytes?: unknown }).maxUploadBytes;
  return typeof v === "number" && v > 0 ? v : undefined;
}

// ── names, types, headers ─────────────────────────────────────────────────────────────────────────────────

// Naming and typing moved to engine/artifact-files.ts (steps' artifacts use them too); re-exported here.
export { displayName, extensionOf, fileTypeOf, mimeOf };

/**
 * `attachment; filename="<ASCII fallback>"; filename*=UTF-8''<percent-encoded UTF-8>` (RFC 6266 / 8187): any
 * name — quotes, backslashes, newlines, unicode — yields one header line that cannot be broken out of.
 */
export function contentDisposition(name: string, disposition: "attachment" | "inline" = "attachment"): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\%]/g, "_");
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/**
 * The types `?inline=1` serves inline: raster images, which a browser only ever decodes as pixels. Never SVG
 * (it runs script when opened) nor HTML or anything else.
 */
export const INLINE_TYPES: ReadonlySet<string> = new Set(["image/png", "image/jpeg", "image/gif", "image/webp"]);

/**
 * What an artifact's bytes are served with. `Content-Security-Policy: sandbox; default-src 'none'`: opened in a
 * browser anyway (a link, "open in new tab"), an HTML or SVG artifact runs as a unique origin with no scripts and
 * loads nothing — it cannot call this API with the user's session, read other responses, or beacon out.
 * `nosniff`: the stored type is the only one a browser uses (a "PNG" holding HTML stays an image).
 */
export function contentHeaders(a: Pick<ArtifactRecord, "name" | "mimeType">, inline: boolean): Record<string, string> {
  return {
    "content-type": a.mimeType,
    "content-disposition": contentDisposition(a.name, inline && INLINE_TYPES.has(a.mimeType) ? "inline" : "attachment"),
    "x-content-type-options": "nosniff",
    "content-security-policy": "sandbox; default-src 'none'",
    "cache-control": "private, no-cache",
  };
}

// ── the plugin ────────────────────────────────────────────────────────────────────────────────────────────

const FIELDS = new Set(["step_id", "name", "file_type"]);

/** Maps @fastify/multipart's and busboy's errors: too large → 413, anything else about the body → 400. */
function uploadError(err: unknown, limit: number): unknown {
  if (err instanceof WeftError) return err;
  const code = (err as { code?: unknown }).code;
  if (code === "FST_REQ_FILE_TOO_LARGE") {
    return new WeftError("WEFT_TOO_LARGE", `the file is larger than the limit of ${limit} bytes`);
  }
  if (code === "FST_FILES_LIMIT") return new RequestError("send exactly one file, in the `file` part");
  if (code === "FST_PARTS_LIMIT" || code === "FST_FIELDS_LIMIT") {
    return new RequestError("too many form fields: send `file` and optionally `step_id`, `name`, `file_type`");
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new RequestError(`the upload is truncated or malformed (${msg}); nothing was stored`);
}

async function mustGetArtifact(store: Store, id: string): Promise<ArtifactRecord> {
  const a = await store.artifacts.get(id);
  if (!a) throw new WeftError("WEFT_NOT_FOUND", `no artifact has id ${id}`);
  return a;
}

// ── document attachments (seed 000): shared by these routes and seed 000's `/api/documents/…` aliases ──

/** A document's attachments, in order, each with its image (404 for an unknown document). */
export async function documentAttachments(store: Store, documentId: string): Promise<AttachmentJson[]> {
  await mustGetArtifact(store, documentId);
  const list = await store.attachments.list(documentId);
  return Promise.all(list.map(async (x) => attachmentView(x, await store.artifacts.get(x.imageId))));
}

/**
 * Attaches images to a document (at most `MAX_DOCUMENT_ATTACHMENTS` in all: 409 past it); an image the request
 * cannot read is as unknown as a missing one (404). Answers the document's attachments.
 */
export async function attachImages(
  store: Store,
  req: FastifyRequest,
  documentId: string,
  imageIds: readonly string[],
): Promise<AttachmentJson[]> {
  await mustGetArtifact(store, documentId);
  for (const imageId of imageIds) {
    const image = await store.artifacts.get(imageId);
    const run = image ? await store.runs.get(image.runId) : undefined;
    if (!run || !req.principal.can(run.projectId, "read"))
      throw new WeftError("WEFT_NOT_FOUND", `no artifact has id ${imageId}`);
  }
  await store.attachments.attach(documentId, imageIds, Date.now());
  return documentAttachments(store, documentId);
}

/** Detaches one image (the image stays); answers the document's attachments. */
export async function detachImage(store: Store, documentId: string, imageId: string): Promise<AttachmentJson[]> {
  await mustGetArtifact(store, documentId);
  await store.attachments.detach(documentId, imageId);
  return documentAttachments(store, documentId);
}

/** Makes one attached image the document's primary (the previous one no longer is); answers its attachments. */
export async function setPrimaryImage(store: Store, documentId: string, imageId: string): Promise<AttachmentJson[]> {
  await mustGetArtifact(store, documentId);
  await store.attachments.setPrimary(documentId, imageId);
  return documentAttachments(store, documentId);
}

export const artifactRoutes: FastifyPluginAsync<ArtifactPluginOptions, RawServerDefault, ZodTypeProvider> = async (
  app,
  { ctx, maxUploadBytes },
) => {
  const { engine, store, dataDir } = ctx;
  const limit = maxUploadBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const read: FastifyContextConfig = { access: { role: "read", scope: { artifact: "id" } } };
  const operate: FastifyContextConfig = { access: { role: "operate", scope: { artifact: "id" } } };
  await app.register(multipart, {
    throwFileSizeLimit: true,
    limits: { fileSize: limit, files: 1, fields: 10, parts: 12, fieldSize: 64 * 1024, headerPairs: 100 },
  });

  app.post(
    "/workflow-executions/:id/artifacts",
    {
      config: { access: { role: "operate", scope: { run: "id" } } },
      schema: { params: runParams, response: { 201: envelope(artifactSchema), 415: errorResponse } },
    },
    async (req, reply) => {
      const runId = req.params.id;
      if (!req.isMultipart()) {
        const type = req.headers["content-type"];
        const message = `unsupported content type ${type ? `"${type}"` : "(none)"}; upload with Content-Type: multipart/form-data`;
        return reply.status(415).send({ error: { code: "WEFT_BAD_REQUEST", message } });
      }
      const run = await engine.getRun(runId);
      if (!run) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${runId}`);

      const artifactsDir = join(dataDir, "runs", runId, "artifacts");
      const tmp = join(artifactsDir, uploadTempName());
      let file: { filename: string; mimetype: string; size: number; sha256: string } | undefined;
      const fields: Record<string, string> = {};
      try {
        for await (const part of req.parts()) {
          if (part.type === "file") {
            if (part.fieldname !== "file" || file) {
              part.file.resume();
              throw new RequestError(`unexpected file part "${part.fieldname}": send one file, in the \`file\` part`);
            }
            await mkdir(artifactsDir, { recursive: true });
            const hash = createHash("sha256");
            let size = 0;
            const count = new Transform({
              transform(chunk: Buffer, _enc, cb) {
                hash.update(chunk);
                size += chunk.length;
                cb(null, chunk);
              },
            });
            await pipeline(part.file, count, createWriteStream(tmp, { flags: "wx" }));
            if (part.file.truncated) throw Object.assign(new Error("too large"), { code: "FST_REQ_FILE_TOO_LARGE" });
            file = { filename: part.filename, mimetype: part.mimetype, size, sha256: hash.digest("hex") };
          } else {
            if (!FIELDS.has(part.fieldname)) {
              throw new RequestError(
                `unknown form field "${part.fieldname}"; the fields are file, step_id, name, file_type`,
              );
            }
            fields[part.fieldname] = String(part.value);
          }
        }
        if (!file) throw new RequestError("no `file` part: upload the file as the multipart field `file`");
      } catch (err) {
        await rm(tmp, { force: true });
        throw uploadError(err, limit);
      }

      let stored: string | undefined;
      try {
        const parsed = uploadFields.safeParse(fields);
        if (!parsed.success) {
          throw new RequestError("the upload's form fields do not match", zodProblems("body", parsed.error));
        }
        const f = parsed.data;
        let stepKey: string | null = null;
        if (f.step_id !== undefined) {
          stepKey = stepKeyOf(runId, f.step_id);
          const steps = await store.steps.list(runId);
          if (!steps.some((s) => s.key === stepKey)) {
            throw new WeftError("WEFT_NOT_FOUND", `workflow execution ${runId} has no step "${stepKey}"`);
          }
        }
        const name = displayName(f.name ?? file.filename ?? "");
        const mimeType = mimeOf(file.mimetype, name);
        const ext = extensionOf(name);
        const id = randomUUID();
        const storageKey = artifactStorageKey(runId, stepKey, randomUUID(), ext);
        const path = join(dataDir, storageKey);
        await mkdir(dirname(path), { recursive: true });
        await rename(tmp, path);
        stored = path;
        const { artifact } = await store.artifacts.create({
          id,
          runId,
          stepKey,
          name,
          storageKey,
          fileType: f.file_type ?? fileTypeOf(mimeType, name),
          mimeType,
          sizeBytes: file.size,
          sha256: file.sha256,
          now: Date.now(),
        });
        void reply.status(201);
        return data(artifactView(artifact));
      } catch (err) {
        await rm(stored ?? tmp, { force: true });
        throw err;
      }
    },
  );

  app.get(
    "/workflow-executions/:id/artifacts",
    {
      config: { access: { role: "read", scope: { run: "id" } } },
      schema: {
        params: runParams,
        querystring: listArtifactsQuery,
        response: { 200: envelope(z.array(artifactSchema)) },
      },
    },
    async (req) => {
      const runId = req.params.id;
      const run = await engine.getRun(runId);
      if (!run) throw new WeftError("WEFT_NOT_FOUND", `no workflow execution has id ${runId}`);
      const step = req.query.step_id;
      const stepKey = step === undefined ? undefined : await stepKeyOfRequest(store, run, step);
      return data((await store.artifacts.list(runId, { stepKey })).map(artifactView));
    },
  );

  // Across runs, like the run list: a named project must be readable (403 otherwise); without one, the token's.
  app.get(
    "/artifacts",
    {
      config: { access: { role: "read", scope: "token" } },
      schema: { querystring: searchArtifactsQuery, response: { 200: envelope(z.array(artifactListItemSchema)) } },
    },
    async (req) => {
      const q = req.query;
      if (q.project_id !== undefined) requireRole(req, q.project_id, "read");
      const readable = req.principal.readable();
      const found = await store.artifacts.search({
        projectId: q.project_id ?? (readable === "*" ? undefined : readable),
        fileType: q.file_type,
        limit: q.limit,
        offset: q.offset,
      });
      return data(found.map(artifactListItemView));
    },
  );

  app.get(
    "/artifacts/:id",
    { config: read, schema: { params: artifactParams, querystring: artifactContentQuery } },
    async (req, reply) => {
      const a = await mustGetArtifact(store, req.params.id);
      const path = join(dataDir, a.storageKey);
      let size: number;
      try {
        const st = await stat(path);
        if (!st.isFile()) throw new Error("not a file");
        size = st.size;
      } catch {
        throw new WeftError("WEFT_NOT_FOUND", `the file of artifact ${a.id} is missing`);
      }
      void reply.headers(contentHeaders(a, req.query.inline === true)).header("content-length", size);
      return reply.send(createReadStream(path));
    },
  );

  app.patch(
    "/artifacts/:id/attach",
    {
      config: operate,
      schema: { params: artifactParams, body: attachCommentBody, response: { 200: envelope(artifactSchema) } },
    },
    async (req) => {
      await mustGetArtifact(store, req.params.id);
      const comment = await store.comments.get(req.body.comment_id);
      const commentRun = comment ? await store.runs.get(comment.runId) : undefined;
      if (!comment || !commentRun || !req.principal.can(commentRun.projectId, "read"))
        throw new WeftError("WEFT_NOT_FOUND", `no comment has id ${req.body.comment_id}`);
      const { artifact } = await store.artifacts.attachToComment(req.params.id, req.body.comment_id, Date.now());
      return data(artifactView(artifact));
    },
  );

  app.delete(
    "/artifacts/:id/detach",
    { config: operate, schema: { params: artifactParams, response: { 200: envelope(artifactSchema) } } },
    async (req) => {
      await mustGetArtifact(store, req.params.id);
      const { artifact } = await store.artifacts.detachFromComment(req.params.id, Date.now());
      return data(artifactView(artifact));
    },
  );

  app.delete(
    "/artifacts/:id",
    { config: operate, schema: { params: artifactParams, response: { 200: envelope(deletedSchema) } } },
    async (req) => {
      await mustGetArtifact(store, req.params.id);
      const { artifact } = await store.artifacts.delete(req.params.id, Date.now());
      await rm(join(dataDir, artifact.storageKey), { force: true });
      return data({ id: artifact.id, deleted: true as const });
    },
  );

  // ── document attachments (seed 000) ──

  const attachmentList = { 200: envelope(z.array(attachmentSchema)) };

  app.get(
    "/artifacts/:id/attachments",
    { config: read, schema: { params: artifactParams, response: attachmentList } },
    async (req) => data(await documentAttachments(store, req.params.id)),
  );

  app.post(
    "/artifacts/:id/attachments",
    { config: operate, schema: { params: artifactParams, body: attachImagesBody, response: attachmentList } },
    async (req) => data(await attachImages(store, req, req.params.id, req.body.image_ids)),
  );

  app.delete(
    "/artifacts/:id/attachments/:imageId",
    { config: operate, schema: { params: attachmentParams, response: attachmentList } },
    async (req) => data(await detachImage(store, req.params.id, req.params.imageId)),
  );

  app.put(
    "/artifacts/:id/attachments/:imageId/primary",
    { config: operate, schema: { params: attachmentParams, response: attachmentList } },
    async (req) => data(await setPrimaryImage(store, req.params.id, req.params.imageId)),
  );
};
