/** Comments on runs and steps: `Store.comments`. Creating one appends `workflow.comment.created` to the run. */
import type Database from "better-sqlite3";
import type { EventRecord } from "../../core/events.js";
import type { CommentRecord, CommentType, NewComment } from "../store.js";
import { appendRunEvents, type NoteVersion, uniquely } from "./shared.js";
import type { Statements } from "./statements.js";

export interface CommentRow {
  id: string;
  run_id: string;
  step_key: string | null;
  comment_type: string;
  created_by: string | null;
  claimed_by: string | null;
  created_at: number;
  updated_at: number;
  text: string;
}

function commentFromRow(r: CommentRow): CommentRecord {
  return {
    id: r.id,
    runId: r.run_id,
    stepKey: r.step_key,
    text: r.text,
    commentType: r.comment_type as CommentType,
    createdBy: r.created_by,
    claimedBy: r.claimed_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function createComments(db: Database.Database, runs: Statements, noteVersion: NoteVersion) {
  const st = {
    insert: db.prepare(
      `INSERT INTO comments (id, run_id, step_key, comment_type, created_by, claimed_by, created_at, updated_at, text)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    get: db.prepare("SELECT * FROM comments WHERE id = ?"),
    byRun: db.prepare("SELECT * FROM comments WHERE run_id = ? ORDER BY created_at, rowid"),
    byStep: db.prepare("SELECT * FROM comments WHERE run_id = ? AND step_key = ? ORDER BY created_at, rowid"),
  };

  const createTx = db.transaction((c: NewComment) => {
    const appended = appendRunEvents(
      runs,
      c.runId,
      [
        {
          type: "workflow.comment.created",
          data: {
            comment_id: c.id,
            step_id: c.stepKey,
            text: c.text,
            comment_type: c.commentType,
            created_by: c.createdBy,
            ...(c.claimedBy ? { claimed_by: c.claimedBy } : {}),
          },
        },
      ],
      c.now,
    );
    uniquely(`comment ${c.id} exists already`, () =>
      st.insert.run(c.id, c.runId, c.stepKey, c.commentType, c.createdBy, c.claimedBy ?? null, c.now, c.now, c.text),
    );
    return appended;
  });

  return {
    create(c: NewComment): { comment: CommentRecord; event: EventRecord } {
      const { version, events } = createTx.immediate(c);
      noteVersion(c.runId, version);
      const comment: CommentRecord = {
        id: c.id,
        runId: c.runId,
        stepKey: c.stepKey,
        text: c.text,
        commentType: c.commentType,
        createdBy: c.createdBy,
        claimedBy: c.claimedBy ?? null,
        createdAt: c.now,
        updatedAt: c.now,
      };
      return { comment, event: events[0]! };
    },

    get(id: string): CommentRecord | undefined {
      const row = st.get.get(id) as CommentRow | undefined;
      return row === undefined ? undefined : commentFromRow(row);
    },

    /** Row of a comment, for the artifacts' same-run check. */
    row: (id: string): CommentRow | undefined => st.get.get(id) as CommentRow | undefined,

    list(runId: string, opts: { stepKey?: string | undefined } = {}): CommentRecord[] {
      const rows = opts.stepKey === undefined ? st.byRun.all(runId) : st.byStep.all(runId, opts.stepKey);
      return (rows as CommentRow[]).map(commentFromRow);
    },
  };
}
