/**
 * Helpers shared by the server-side entities (definitions, comments, artifacts, attachments, tokens):
 * appending a run's events outside `commit`, and turning constraint failures into the port's errors.
 */
import { WeftError } from "../../core/errors.js";
import type { EventRecord, NewEvent } from "../../core/events.js";
import { insertEvents, notFound } from "./commit.js";
import type { Statements } from "./statements.js";

/** Called with a run's new version after a write transaction committed (feeds the version cache). */
export type NoteVersion = (runId: string, version: number) => void;

/**
 * Appends events to a run as `commit` numbers them (the run's next seqs) and bumps its version, inside the
 * caller's IMMEDIATE transaction. Throws `WEFT_NOT_FOUND` for an unknown run, before writing anything.
 */
export function appendRunEvents(
  st: Statements,
  runId: string,
  events: readonly NewEvent[],
  now: number,
): { version: number; events: EventRecord[] } {
  const head = st.runHead.get(runId) as [number, number, number, number] | undefined;
  if (head === undefined) throw notFound(runId);
  const [version, , lastSeq] = head;
  const seqs: number[] = [];
  const seq = insertEvents(st, runId, events, lastSeq, now, seqs);
  st.runAppend.run(version + 1, seq, runId);
  return {
    version: version + 1,
    events: events.map((e, i) => ({ ...e, runId, seq: seqs[i] ?? 0, at: now }) as EventRecord),
  };
}

export function missing(what: string, id: string): WeftError {
  return new WeftError("WEFT_NOT_FOUND", `${what} ${id} does not exist`);
}

export function conflict(message: string): WeftError {
  return new WeftError("WEFT_CONFLICT", message);
}

/** Runs `fn`; a UNIQUE or PRIMARY KEY violation becomes `WEFT_CONFLICT` with `message`. */
export function uniquely<T>(message: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw conflict(message);
    throw err;
  }
}
