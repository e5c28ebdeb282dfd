/**
 * The Store port: every durable state change goes through it, each in one transaction. SQLite implements it
 * now (`weftflow/sqlite`), PostgreSQL later; `weftflow/testing` exports the conformance suite both must pass.
 *
 * Concurrency model
 * - A run is driven by one process at a time: its lease owner. Ownership is taken with `leases.acquire`,
 *   which bumps the run's fencing `epoch`. Every write of the owner passes its epoch; a write carrying an
 *   older epoch fails with `FencedError` and changes nothing.
 * - Other processes (a `weft pause` in another terminal) change a run with `commit` too, without a lease
 *   but with the `version` they read; the owner's next commit then fails with `ConflictError`, it reloads
 *   the run and carries on from what is stored.
 *
 * Only `core` is imported here: stores know nothing about the engine.
 */
import type { ErrorInfo } from "../core/errors.js";
import type { EventRecord, NewEvent } from "../core/events.js";
import type { Json, JsonObject } from "../core/json.js";
import type {
  AttemptRecord,
  CheckpointRecord,
  Lease,
  Owner,
  RunRecord,
  RunStatus,
  StepRunRecord,
  Workflow,
} from "../core/model.js";

/** `full`: fsync on every commit (default). `normal`: fsync at WAL checkpoints only; a power loss may lose the latest commits, a process crash never does. */
export type Durability = "full" | "normal";

export interface NewRun {
  id: string;
  projectId: string;
  name: string;
  definition: Workflow;
  workflowHash: string;
  args: JsonObject;
  priority: number;
  triggeredBy: string | null;
  idempotencyKey: string | null;
  parentRunId: string | null;
  forkedFrom: { runId: string; checkpoint: number } | null;
  /** Step runs to create with the run (normally one `pending` record per step). */
  steps: StepRunRecord[];
  /** Attempts copied into the run (a rewind reuses the completed steps of the source run). */
  attempts?: AttemptRecord[] | undefined;
  events: NewEvent[];
  now: number;
}

export interface RunFilter {
  status?: RunStatus[] | undefined;
  projectId?: string | undefined;
  limit?: number | undefined;
  /** Newest first (default) or oldest first. */
  order?: "newest" | "oldest" | undefined;
}

/** A patch of the run row. Only the fields given change. */
export interface RunPatch {
  status?: RunStatus;
  currentPhase?: string | null;
  error?: ErrorInfo | null;
  output?: Json | null;
  startedAt?: number | null;
  endedAt?: number | null;
  pausedAt?: number | null;
  cancelledAt?: number | null;
}

/** One atomic change to one run. */
export interface Transition {
  runId: string;
  /**
   * The run version this change was computed from. The commit fails with `ConflictError` when the stored
   * version differs (someone else changed the run), unless `force` is set.
   */
  expectedVersion: number;
  /** Skip the version check (the epoch check still applies): for a change that must land whatever changed since. */
  force?: boolean | undefined;
  /** The owner's lease epoch; absent for controllers (CLI/API commands) that hold no lease. */
  epoch?: number | undefined;
  run?: RunPatch | undefined;
  /** Full step-run records to insert or replace. */
  steps?: StepRunRecord[] | undefined;
  attempts?: AttemptRecord[] | undefined;
  events?: NewEvent[] | undefined;
  /** Checkpoints to add; `number` and `eventSeq` are assigned by the store. */
  checkpoints?: Array<{ stepKey: string | null; label: string }> | undefined;
  now: number;
}

export interface CommitResult {
  version: number;
  /** Seq numbers assigned to the transition's events, in order. */
  eventSeqs: number[];
  checkpoints: CheckpointRecord[];
}

/** A write was refused because another process holds a newer lease on the run. */
export class FencedError extends Error {
  readonly code = "WEFT_FENCED";
  constructor(readonly runId: string) {
    super(`run ${runId}: another process took over this run; this process's write was refused`);
    this.name = "FencedError";
  }
}

/** A write was refused because the run changed since it was read. Reload and retry. */
export class ConflictError extends Error {
  readonly code = "WEFT_CONFLICT";
  constructor(
    readonly runId: string,
    readonly expected: number,
    readonly actual: number | null,
  ) {
    super(`run ${runId}: changed since it was read (version ${expected}, now ${actual ?? "missing"})`);
    this.name = "ConflictError";
  }
}

export interface AcquireOptions {
  owner: Owner;
  leaseMs: number;
  now: number;
  /**
   * Decides whether the current holder is dead even though its lease has not expired: the engine passes a
   * check that the owner is a process on this host that no longer exists.
   */
  isOwnerDead?: ((owner: Owner) => boolean) | undefined;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly durability: Durability;

  runs: {
    /**
     * Creates the run, its step runs and its first events in one transaction. With an idempotency key that
     * an existing run already has, creates nothing and returns that run with `created: false`.
     */
    create(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
    get(id: string): Promise<RunRecord | undefined>;
    list(filter?: RunFilter): Promise<RunRecord[]>;
    /** Current versions of the given runs (cheap: the owner polls it to notice changes by other processes). */
    versions(ids: string[]): Promise<Map<string, number>>;
    /** Runs that are not finished and not paused: candidates for an engine to drive. */
    active(limit: number): Promise<RunRecord[]>;
  };

  steps: {
    list(runId: string): Promise<StepRunRecord[]>;
    get(runId: string, key: string): Promise<StepRunRecord | undefined>;
    attempts(runId: string, key?: string): Promise<AttemptRecord[]>;
  };

  events: {
    /** Events of a run with seq > afterSeq, oldest first. */
    list(runId: string, afterSeq?: number, limit?: number): Promise<EventRecord[]>;
  };

  checkpoints: {
    /** Newest first. */
    list(runId: string, limit?: number): Promise<CheckpointRecord[]>;
    get(runId: string, number: number): Promise<CheckpointRecord | undefined>;
  };

  leases: {
    /**
     * Takes ownership of a run when it has no lease, its lease expired, or `isOwnerDead` says the holder is
     * gone — or when `owner.id` already holds it (a renewal). Bumps the epoch on a takeover. Returns undefined
     * when someone else holds a live lease. Finished runs can be acquired too (a retry of a failed run).
     *
     * Taking a lease bumps the run's `version` (reload the run after acquiring it); a renewal changes neither
     * the epoch nor the version. `takeover` is true when a different owner held the lease (live or expired).
     * `isOwnerDead` is called only for a live lease of another owner. Throws `WEFT_NOT_FOUND` for an unknown run.
     */
    acquire(runId: string, opts: AcquireOptions): Promise<{ lease: Lease; takeover: boolean } | undefined>;
    /** Extends a held lease to `now + leaseMs`. False when the lease was lost (the epoch moved on). Does not bump the version. */
    renew(lease: Lease, leaseMs: number, now: number): Promise<boolean>;
    /** Gives up a held lease (bumping the version); does nothing when the lease was lost. The epoch is kept, so the next owner's is higher. */
    release(lease: Lease): Promise<void>;
  };

  /**
   * Applies one transition atomically and bumps the run's version by 1; throws `FencedError` (checked first) or
   * `ConflictError`, or a `WeftError` `WEFT_NOT_FOUND` for an unknown run, and changes nothing when refused.
   * Events get the run's next seqs in order; checkpoints the next numbers, with `eventSeq` = the seq of the
   * transition's last event (or the run's latest seq when it has none).
   */
  commit(t: Transition): Promise<CommitResult>;

  /**
   * Applies several transitions (of different runs) in ONE transaction: one fsync for all of them. Each
   * is checked and applied on its own, as `commit` would: a refused one (FencedError, ConflictError, …)
   * changes nothing and is returned as its error in its slot, while the others are applied.
   */
  commitMany(ts: readonly Transition[]): Promise<Array<CommitResult | Error>>;

  close(): Promise<void>;
}
