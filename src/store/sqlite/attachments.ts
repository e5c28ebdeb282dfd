/**
 * Document attachments (seed 000): images attached to a document artifact of the same project (any of its
 * runs — seed 000's "select from project"), at most
 * `MAX_DOCUMENT_ATTACHMENTS`, exactly one primary while there are any. Every write is one IMMEDIATE
 * transaction, so two racing attaches cannot both pass the limit check. The partial unique index
 * `document_attachments_primary` makes a second primary impossible whatever the code does.
 */
import type Database from "better-sqlite3";
import { type AttachmentRecord, MAX_DOCUMENT_ATTACHMENTS } from "../store.js";
import { conflict, missing } from "./shared.js";

interface AttachmentRow {
  document_id: string;
  image_id: string;
  is_primary: number;
  position: number;
  created_at: number;
}

interface ArtifactHead {
  id: string;
  run_id: string;
  project_id: string;
  file_type: string;
}

function attachmentFromRow(r: AttachmentRow): AttachmentRecord {
  return {
    documentId: r.document_id,
    imageId: r.image_id,
    primary: r.is_primary === 1,
    position: r.position,
    createdAt: r.created_at,
  };
}

export function createAttachments(db: Database.Database) {
  const st = {
    artifact: db.prepare(
      "SELECT a.id, a.run_id, r.project_id, a.file_type FROM artifacts a JOIN runs r ON r.id = a.run_id WHERE a.id = ?",
    ),
    list: db.prepare("SELECT * FROM document_attachments WHERE document_id = ? ORDER BY position"),
    pair: db.prepare("SELECT * FROM document_attachments WHERE document_id = ? AND image_id = ?"),
    insert: db.prepare(
      "INSERT INTO document_attachments (document_id, image_id, is_primary, position, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    delete: db.prepare("DELETE FROM document_attachments WHERE document_id = ? AND image_id = ?"),
    unsetPrimary: db.prepare("UPDATE document_attachments SET is_primary = 0 WHERE document_id = ? AND is_primary = 1"),
    setPrimary: db.prepare("UPDATE document_attachments SET is_primary = 1 WHERE document_id = ? AND image_id = ?"),
    primaryOf: db.prepare("SELECT document_id FROM document_attachments WHERE image_id = ? AND is_primary = 1").pluck(),
    promote: db.prepare(
      `UPDATE document_attachments SET is_primary = 1
       WHERE document_id = @doc AND NOT EXISTS (SELECT 1 FROM document_attachments WHERE document_id = @doc AND is_primary = 1)
         AND image_id = (SELECT image_id FROM document_attachments WHERE document_id = @doc ORDER BY position LIMIT 1)`,
    ),
  };

  const list = (documentId: string): AttachmentRecord[] =>
    (st.list.all(documentId) as AttachmentRow[]).map(attachmentFromRow);

  function pairOf(documentId: string, imageId: string): AttachmentRow {
    const row = st.pair.get(documentId, imageId) as AttachmentRow | undefined;
    if (row === undefined) throw missing(`attachment of image ${imageId} to document`, documentId);
    return row;
  }

  const attachTx = db.transaction((documentId: string, imageIds: readonly string[], now: number) => {
    const doc = st.artifact.get(documentId) as ArtifactHead | undefined;
    if (doc === undefined) throw missing("artifact", documentId);
    if (doc.file_type !== "document") throw conflict(`artifact ${documentId} is a ${doc.file_type}, not a document`);
    const existing = st.list.all(documentId) as AttachmentRow[];
    const attached = new Set(existing.map((r) => r.image_id));
    const fresh: string[] = [];
    for (const imageId of new Set(imageIds)) {
      const image = st.artifact.get(imageId) as ArtifactHead | undefined;
      if (image === undefined) throw missing("artifact", imageId);
      if (image.file_type !== "image") throw conflict(`artifact ${imageId} is a ${image.file_type}, not an image`);
      if (image.project_id !== doc.project_id) {
        throw conflict(`image ${imageId} belongs to another project than document ${documentId}`);
      }
      if (!attached.has(imageId)) fresh.push(imageId);
    }
    if (existing.length + fresh.length > MAX_DOCUMENT_ATTACHMENTS) {
      throw conflict(
        `document ${documentId} has ${existing.length} attached images; ${fresh.length} more would pass the limit of ${MAX_DOCUMENT_ATTACHMENTS}`,
      );
    }
    let position = existing.reduce((max, r) => Math.max(max, r.position), 0);
    let primary = !existing.some((r) => r.is_primary === 1);
    for (const imageId of fresh) {
      position += 1;
      st.insert.run(documentId, imageId, primary ? 1 : 0, position, now);
      primary = false;
    }
    return list(documentId);
  });

  const detachTx = db.transaction((documentId: string, imageId: string) => {
    pairOf(documentId, imageId);
    st.delete.run(documentId, imageId);
    st.promote.run({ doc: documentId });
    return list(documentId);
  });

  const setPrimaryTx = db.transaction((documentId: string, imageId: string) => {
    if (pairOf(documentId, imageId).is_primary === 1) return list(documentId);
    st.unsetPrimary.run(documentId);
    st.setPrimary.run(documentId, imageId);
    return list(documentId);
  });

  return {
    list,
    attach: (documentId: string, imageIds: readonly string[], now: number): AttachmentRecord[] =>
      attachTx.immediate(documentId, imageIds, now),
    detach: (documentId: string, imageId: string): AttachmentRecord[] => detachTx.immediate(documentId, imageId),
    setPrimary: (documentId: string, imageId: string): AttachmentRecord[] =>
      setPrimaryTx.immediate(documentId, imageId),

    /** Inside a transaction deleting `imageId`: the documents it is the primary image of (to promote afterwards). */
    primaryOf: (imageId: string): string[] => st.primaryOf.all(imageId) as string[],
    /** Makes the lowest position the primary of a document that has attachments but no primary. */
    promote: (documentId: string): void => {
      st.promote.run({ doc: documentId });
    },
  };
}
