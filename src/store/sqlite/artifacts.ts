/**
 * Artifact metadata: `Store.artifacts`. The bytes are the server's business (under `storageKey`); this
 * module records what they are, which step and comment they belong to, and appends the run's events.
 */
import type Database from "better-sqlite3";
import { WeftError } from "../../core/errors.js";
import type { EventRecord } from "../../core/events.js";
import type { ArtifactFileType, ArtifactFilter, ArtifactListing, ArtifactRecord, NewArtifact } from "../store.js";
import type { createAttachments } from "./attachments.js";
import type { createComments } from "./comments.js";
import { appendRunEvents, conflict, missing, type NoteVersion, uniquely } from "./shared.js";
import type { Statements } from "./statements.js";

interface ArtifactRow {
  id: string;
  run_id: string;
  step_key: string | null;
  comment_id: string | null;
  file_type: string;
  mime_type: string;
  size_bytes: number;
  sha256: string;
  created_at: number;
  updated_at: number;
  name: string;
  storage_key: string;
}

const COLUMNS = [
  "id",
  "run_id",
  "step_key",
  "comment_id",
  "file_type",
  "mime_type",
  "size_bytes",
  "sha256",
  "created_at",
  "updated_at",
  "name",
  "storage_key",
] as const;

/** `/`-separated segments of `[A-Za-z0-9._-]`, none of them `.` or `..`: relative, and never escapes its root. */
const SEGMENT = /^[A-Za-z0-9._-]+$/;
export function isSafeStorageKey(key: string): boolean {
  if (key.length === 0 || key.length > 1024) return false;
  return key.split("/").every((s) => SEGMENT.test(s) && s !== "." && s !== "..");
}

function artifactFromRow(r: ArtifactRow): ArtifactRecord {
  return {
    id: r.id,
    runId: r.run_id,
    stepKey: r.step_key,
    commentId: r.comment_id,
    name: r.name,
    storageKey: r.storage_key,
    fileType: r.file_type as ArtifactFileType,
    mimeType: r.mime_type,
    sizeBytes: r.size_bytes,
    sha256: r.sha256,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

type Written = { row: ArtifactRow; version: number | null; event: EventRecord | null };

export function createArtifacts(
  db: Database.Database,
  runs: Statements,
  comments: ReturnType<typeof createComments>,
  attachments: ReturnType<typeof createAttachments>,
  noteVersion: NoteVersion,
) {
  const st = {
    insert: db.prepare(`INSERT INTO artifacts (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`),
    get: db.prepare("SELECT * FROM artifacts WHERE id = ?"),
    setComment: db.prepare("UPDATE artifacts SET comment_id = ?, updated_at = ? WHERE id = ?"),
    delete: db.prepare("DELETE FROM artifacts WHERE id = ?"),
  };
  const lists = new Map<string, Database.Statement>();
  function listStatement(step: boolean, comment: boolean): Database.Statement {
    const key = `${step}|${comment}`;
    let stmt = lists.get(key);
    if (stmt === undefined) {
      const where = ["run_id = ?", ...(step ? ["step_key = ?"] : []), ...(comment ? ["comment_id = ?"] : [])];
      stmt = db.prepare(`SELECT * FROM artifacts WHERE ${where.join(" AND ")} ORDER BY created_at, rowid`);
      lists.set(key, stmt);
    }
    return stmt;
  }

  const searches = new Map<string, Database.Statement>();
  /** `search`'s statement for one shape of filter: artifacts joined to their run, newest first. */
  function searchStatement(project: "one" | "many" | undefined, fileType: boolean): Database.Statement {
    const key = `${project}|${fileType}`;
    let stmt = searches.get(key);
    if (stmt === undefined) {
      const where: string[] = [];
      if (project === "one") where.push("r.project_id = ?");
      if (project === "many") where.push("r.project_id IN (SELECT value FROM json_each(?))");
      if (fileType) where.push("a.file_type = ?");
      stmt = db.prepare(
        `SELECT a.*, r.name AS run_name, r.project_id AS run_project_id, r.workflow_name AS run_workflow_name
         FROM artifacts a JOIN runs r ON r.id = a.run_id
         ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY a.created_at DESC, a.rowid DESC LIMIT ? OFFSET ?`,
      );
      searches.set(key, stmt);
    }
    return stmt;
  }

  function rowOf(id: string): ArtifactRow {
    const row = st.get.get(id) as ArtifactRow | undefined;
    if (row === undefined) throw missing("artifact", id);
    return row;
  }

  const createTx = db.transaction((a: NewArtifact): Written => {
    const data = { artifact_id: a.id, step_id: a.stepKey, name: a.name, file_type: a.fileType };
    const appended = appendRunEvents(runs, a.runId, [{ type: "workflow.artifact.created", data }], a.now);
    const row: ArtifactRow = {
      id: a.id,
      run_id: a.runId,
      step_key: a.stepKey,
      comment_id: null,
      file_type: a.fileType,
      mime_type: a.mimeType,
      size_bytes: a.sizeBytes,
      sha256: a.sha256,
      created_at: a.now,
      updated_at: a.now,
      name: a.name,
      storage_key: a.storageKey,
    };
    uniquely(`artifact ${a.id} or storage key ${a.storageKey} exists already`, () =>
      st.insert.run(COLUMNS.map((c) => row[c])),
    );
    return { row, version: appended.version, event: appended.events[0]! };
  });

  const attachTx = db.transaction((id: string, commentId: string, now: number): Written => {
    const row = rowOf(id);
    const comment = comments.row(commentId);
    if (comment === undefined) throw missing("comment", commentId);
    if (comment.run_id !== row.run_id)
      throw conflict(`comment ${commentId} belongs to another run than artifact ${id}`);
    if (row.comment_id === commentId) return { row, version: null, event: null };
    st.setComment.run(commentId, now, id);
    const data = { artifact_id: id, comment_id: commentId };
    const appended = appendRunEvents(runs, row.run_id, [{ type: "workflow.artifact.attached", data }], now);
    return {
      row: { ...row, comment_id: commentId, updated_at: now },
      version: appended.version,
      event: appended.events[0]!,
    };
  });

  const detachTx = db.transaction((id: string, now: number): Written => {
    const row = rowOf(id);
    if (row.comment_id === null) return { row, version: null, event: null };
    st.setComment.run(null, now, id);
    const data = { artifact_id: id, comment_id: row.comment_id };
    const appended = appendRunEvents(runs, row.run_id, [{ type: "workflow.artifact.detached", data }], now);
    return {
      row: { ...row, comment_id: null, updated_at: now },
      version: appended.version,
      event: appended.events[0]!,
    };
  });

  const deleteTx = db.transaction((id: string, now: number): Written => {
    const row = rowOf(id);
    const documents = attachments.primaryOf(id);
    st.delete.run(id); // attachments go with it (ON DELETE CASCADE)
    for (const documentId of documents) attachments.promote(documentId);
    const appended = appendRunEvents(
      runs,
      row.run_id,
      [{ type: "workflow.artifact.deleted", data: { artifact_id: id } }],
      now,
    );
    return { row, version: appended.version, event: appended.events[0]! };
  });

  function done(w: Written): { artifact: ArtifactRecord; event: EventRecord | null } {
    if (w.version !== null) noteVersion(w.row.run_id, w.version);
    return { artifact: artifactFromRow(w.row), event: w.event };
  }

  return {
    create(a: NewArtifact): { artifact: ArtifactRecord; event: EventRecord } {
      if (!isSafeStorageKey(a.storageKey)) {
        throw new WeftError(
          "WEFT_INTERNAL",
          `artifact storage key ${JSON.stringify(a.storageKey)} is not a safe relative path`,
        );
      }
      const w = done(createTx.immediate(a));
      return { artifact: w.artifact, event: w.event! };
    },

    get(id: string): ArtifactRecord | undefined {
      const row = st.get.get(id) as ArtifactRow | undefined;
      return row === undefined ? undefined : artifactFromRow(row);
    },

    list(runId: string, opts: { stepKey?: string | undefined; commentId?: string | undefined } = {}): ArtifactRecord[] {
      const params = [runId, ...(opts.stepKey !== undefined ? [opts.stepKey] : [])];
      if (opts.commentId !== undefined) params.push(opts.commentId);
      const stmt = listStatement(opts.stepKey !== undefined, opts.commentId !== undefined);
      return (stmt.all(params) as ArtifactRow[]).map(artifactFromRow);
    },

    search(filter: ArtifactFilter = {}): ArtifactListing[] {
      const p = filter.projectId;
      const params: unknown[] = [];
      if (p !== undefined) params.push(typeof p === "string" ? p : JSON.stringify(p));
      if (filter.fileType !== undefined) params.push(filter.fileType);
      params.push(filter.limit ?? -1, filter.offset ?? 0);
      const project = p === undefined ? undefined : typeof p === "string" ? "one" : "many";
      type Joined = ArtifactRow & { run_name: string; run_project_id: string; run_workflow_name: string };
      const rows = searchStatement(project, filter.fileType !== undefined).all(params) as Joined[];
      return rows.map((r) => ({
        artifact: artifactFromRow(r),
        run: { id: r.run_id, name: r.run_name, projectId: r.run_project_id, workflowName: r.run_workflow_name },
      }));
    },

    attachToComment: (id: string, commentId: string, now: number) => done(attachTx.immediate(id, commentId, now)),
    detachFromComment: (id: string, now: number) => done(detachTx.immediate(id, now)),
    delete(id: string, now: number): { artifact: ArtifactRecord; event: EventRecord } {
      const w = done(deleteTx.immediate(id, now));
      return { artifact: w.artifact, event: w.event! };
    },
  };
}
