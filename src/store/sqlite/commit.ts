/**
 * The write path: `runs.create` and `commit`, each one `BEGIN IMMEDIATE` transaction. Taking the write lock
 * up front means the version/epoch read and the writes that depend on it see the same database: no other
 * connection can commit in between, and SQLite never has to abort the transaction half-way (SQLITE_BUSY on
 * lock upgrade). Waiting for the lock is bounded by the connection's busy timeout; past it the call throws
 * SQLITE_BUSY and nothing was written.
 */
import type Database from "better-sqlite3";
import { WeftError } from "../../core/errors.js";
import type { NewEvent } from "../../core/events.js";
import type { CheckpointRecord, RunRecord } from "../../core/model.js";
import { checkIdempotentRepeat } from "../idempotency.js";
import {
  type CommitResult,
  ConflictError,
  FencedError,
  type NewRun,
  type RunPatch,
  type Transition,
} from "../store.js";
import { attemptParams, type RunRow, runFromRow, stepParams, toJsonText } from "./rows.js";
import type { Statements } from "./statements.js";

export function notFound(runId: string): WeftError {
  return new WeftError("WEFT_NOT_FOUND", `run ${runId} does not exist`);
}

/** Patchable run fields: the record key, its column, and whether the value is stored as JSON text. */
const PATCH_FIELDS: ReadonlyArray<readonly [keyof RunPatch, string, boolean]> = [
  ["status", "status", false],
  ["currentPhase", "current_phase", false],
  ["error", "error", true],
  ["output", "output", true],
  ["startedAt", "started_at", false],
  ["endedAt", "ended_at", false],
  ["pausedAt", "paused_at", false],
  ["cancelledAt", "cancelled_at", false],
];

/** Mask bits after the patch fields': the lease taken (owner, epoch, expiry) or released in a commit. */
const TAKE_LEASE = 1 << PATCH_FIELDS.length;
const RELEASE_LEASE = 1 << (PATCH_FIELDS.length + 1);

/**
 * Inserts `events` as the run's next seqs after `lastSeq`, pushing each seq to `seqs`; returns the last seq.
 * The caller holds the write lock and stores the returned seq in `runs.last_seq`.
 */
export function insertEvents(
  st: Statements,
  runId: string,
  events: readonly NewEvent[],
  lastSeq: number,
  at: number,
  seqs: number[],
): number {
  let seq = lastSeq;
  for (const e of events) {
    seq += 1;
    st.eventInsert.run(runId, seq, e.type, at, JSON.stringify(e.data));
    seqs.push(seq);
  }
  return seq;
}

export function createWritePath(db: Database.Database, st: Statements) {
  /** One UPDATE per combination of patched fields, prepared on first use. */
  const patchStatements = new Map<number, Database.Statement>();
  function patchStatement(mask: number): Database.Statement {
    let stmt = patchStatements.get(mask);
    if (stmt === undefined) {
      const sets = ["version = ?", "updated_at = ?", "last_seq = ?", "last_checkpoint = ?"];
      PATCH_FIELDS.forEach(([, column], i) => {
        if (mask & (1 << i)) sets.push(`${column} = ?`);
      });
      if (mask & TAKE_LEASE) sets.push("lease_owner = ?", "lease_epoch = ?", "lease_expires_at = ?");
      if (mask & RELEASE_LEASE) sets.push("lease_owner = NULL", "lease_expires_at = NULL");
      stmt = db.prepare(`UPDATE runs SET ${sets.join(", ")} WHERE id = ?`);
      patchStatements.set(mask, stmt);
    }
    return stmt;
  }

  function checkRunId(runId: string, recordRunId: string, what: string): void {
    if (recordRunId !== runId) {
      throw new WeftError("WEFT_INTERNAL", `${what} of run ${recordRunId} passed in a change of run ${runId}`);
    }
  }

  const commitTx = db.transaction((t: Transition): CommitResult => {
    const head = st.runHead.get(t.runId) as [number, number, number, number] | undefined;
    if (head === undefined) throw notFound(t.runId);
    const [version, epoch, lastSeq, lastCheckpoint] = head;
    // A lease taken here has the next epoch: a take by another owner since the run was read moved it on.
    const held = t.takeLease === undefined ? epoch : epoch + 1;
    if ((t.epoch !== undefined || t.takeLease !== undefined) && t.epoch !== held) throw new FencedError(t.runId);
    // A lease is taken on what was read: a take or release since then moved the version.
    const checked = !t.force || t.takeLease !== undefined;
    if (checked && t.expectedVersion !== version) throw new ConflictError(t.runId, t.expectedVersion, version);

    const eventSeqs: number[] = [];
    const seq = t.events ? insertEvents(st, t.runId, t.events, lastSeq, t.now, eventSeqs) : lastSeq;
    for (const s of t.steps ?? []) {
      checkRunId(t.runId, s.runId, `step run ${s.key}`);
      st.stepUpsert.run(stepParams(s));
    }
    for (const a of t.attempts ?? []) {
      checkRunId(t.runId, a.runId, `attempt ${a.key}#${a.attempt}`);
      st.attemptInsert.run(attemptParams(a));
    }
    const checkpoints: CheckpointRecord[] = [];
    let number = lastCheckpoint;
    for (const c of t.checkpoints ?? []) {
      number += 1;
      st.checkpointInsert.run(t.runId, number, c.stepKey, seq, c.label, t.now);
      checkpoints.push({ runId: t.runId, number, stepKey: c.stepKey, eventSeq: seq, label: c.label, createdAt: t.now });
    }

    const next = version + 1;
    const params: unknown[] = [next, t.now, seq, number];
    let mask = 0;
    if (t.run !== undefined) {
      const patch = t.run;
      PATCH_FIELDS.forEach(([key, , json], i) => {
        const value = patch[key];
        if (value === undefined) return;
        mask |= 1 << i;
        params.push(json ? toJsonText(value) : value);
      });
    }
    if (t.takeLease !== undefined) {
      mask |= TAKE_LEASE;
      params.push(JSON.stringify(t.takeLease.owner), held, t.takeLease.expiresAt);
    }
    if (t.releaseLease) mask |= RELEASE_LEASE;
    params.push(t.runId);
    patchStatement(mask).run(params);
    return { version: next, eventSeqs, checkpoints };
  });

  // Each transition runs as a nested transaction (a SAVEPOINT): a refused one rolls back alone.
  const commitManyTx = db.transaction(
    (ts: readonly Transition[]): Array<CommitResult | Error> =>
      ts.map((t) => {
        try {
          return commitTx(t);
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
  );

  /** The run of the same project that has `run`'s idempotency key, if any; throws when `run` does not match it. */
  const keyedRun = (run: NewRun): RunRecord | undefined => {
    if (run.idempotencyKey === null) return undefined;
    const row = st.runByKey.get(run.projectId, run.idempotencyKey) as RunRow | undefined;
    if (row === undefined) return undefined;
    checkIdempotentRepeat(
      { id: row.id, workflowHash: row.workflow_hash, fingerprint: row.idempotency_fingerprint },
      run,
    );
    return runFromRow(row);
  };

  const createTx = db.transaction((run: NewRun): { run: RunRecord; created: boolean } => {
    const existing = keyedRun(run);
    if (existing !== undefined) return { run: existing, created: false };
    const definitionId = run.definitionId ?? null;
    if (definitionId !== null && st.definitionExists.get(definitionId) === undefined) {
      throw new WeftError("WEFT_NOT_FOUND", `workflow definition ${definitionId} does not exist`);
    }
    st.runInsert.run(
      run.id,
      1,
      "pending",
      run.priority,
      run.now,
      run.now,
      run.projectId,
      run.name,
      run.definition.name,
      run.workflowHash,
      run.triggeredBy,
      run.idempotencyKey,
      run.idempotencyKey === null ? null : (run.idempotencyFingerprint ?? null),
      run.parentRunId,
      run.forkedFrom?.runId ?? null,
      run.forkedFrom?.checkpoint ?? null,
      run.events.length,
      definitionId,
      run.testRun === true ? 1 : 0,
      JSON.stringify(run.args),
      JSON.stringify(run.definition),
    );
    for (const s of run.steps) {
      checkRunId(run.id, s.runId, `step run ${s.key}`);
      st.stepUpsert.run(stepParams(s));
    }
    for (const a of run.attempts ?? []) {
      checkRunId(run.id, a.runId, `attempt ${a.key}#${a.attempt}`);
      st.attemptInsert.run(attemptParams(a));
    }
    insertEvents(st, run.id, run.events, 0, run.now, []);
    return { run: newRunRecord(run), created: true };
  });

  /**
   * One run created (`createTx`, a SAVEPOINT inside the caller's transaction) with the UNIQUE fallback (see
   * `create`): the savepoint rolled back, the winner is read in the same transaction.
   */
  const createOne = (run: NewRun): { run: RunRecord; created: boolean } => {
    try {
      return createTx(run);
    } catch (err) {
      if (run.idempotencyKey !== null && (err as { code?: unknown }).code === "SQLITE_CONSTRAINT_UNIQUE") {
        const winner = keyedRun(run);
        if (winner !== undefined) return { run: winner, created: false };
      }
      throw err;
    }
  };

  const createOneTx = db.transaction(createOne);
  const createManyTx = db.transaction(
    (runs: readonly NewRun[]): Array<{ run: RunRecord; created: boolean } | Error> =>
      runs.map((run) => {
        try {
          return createOne(run);
        } catch (err) {
          return err instanceof Error ? err : new Error(String(err));
        }
      }),
  );

  return {
    /**
     * Applies `t` (see `Store.commit`). Besides `FencedError`/`ConflictError`/`WEFT_NOT_FOUND`, a step or
     * attempt record of another run throws `WEFT_INTERNAL`, and an attempt number recorded twice throws
     * SQLITE_CONSTRAINT_PRIMARYKEY; in every case nothing was written.
     */
    commit: (t: Transition): CommitResult => commitTx.immediate(t),

    /** Applies each of `ts` as `commit` would, all in one IMMEDIATE transaction; a refused one is its error. */
    commitMany: (ts: readonly Transition[]): Array<CommitResult | Error> => commitManyTx.immediate(ts),

    /**
     * Creates the run (see `Store.runs.create`). A run id that exists already throws
     * SQLITE_CONSTRAINT_PRIMARYKEY. Two processes creating with one idempotency key serialise on the write
     * lock, so the second normally finds the first's run; should the insert still hit the UNIQUE index, the
     * winner is read and returned.
     */
    create: (run: NewRun): { run: RunRecord; created: boolean } => createOneTx.immediate(run),

    /** `create` for each, in order, in one IMMEDIATE transaction; a refused run is its error in its slot. */
    createMany: (runs: readonly NewRun[]): Array<{ run: RunRecord; created: boolean } | Error> =>
      createManyTx.immediate(runs),
  };
}

function newRunRecord(run: NewRun): RunRecord {
  return {
    id: run.id,
    projectId: run.projectId,
    name: run.name,
    workflowName: run.definition.name,
    workflowHash: run.workflowHash,
    definition: run.definition,
    args: run.args,
    status: "pending",
    currentPhase: null,
    error: null,
    output: null,
    priority: run.priority,
    triggeredBy: run.triggeredBy,
    idempotencyKey: run.idempotencyKey,
    parentRunId: run.parentRunId,
    forkedFrom: run.forkedFrom,
    definitionId: run.definitionId ?? null,
    testRun: run.testRun === true,
    createdAt: run.now,
    startedAt: null,
    endedAt: null,
    pausedAt: null,
    cancelledAt: null,
    updatedAt: run.now,
    version: 1,
    lease: null,
    leaseEpoch: 0,
  };
}
