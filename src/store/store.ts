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
import type { ArtifactFileType } from "../core/artifacts.js";
import type { ErrorInfo } from "../core/errors.js";
import type { EventRecord, NewEvent } from "../core/events.js";
import type { Json, JsonObject } from "../core/json.js";
import type { DefinitionStatus } from "../core/lifecycle.js";
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
  /** At most one run per (project, key); see `Store.runs.create`. */
  idempotencyKey: string | null;
  /**
   * A digest of the request (the engine's: its workflow hash and validated args), stored with the key: a later
   * create with the same key must bring the same one. Null or absent: not known (only the workflow hash is
   * compared then).
   */
  idempotencyFingerprint?: string | null | undefined;
  parentRunId: string | null;
  forkedFrom: { runId: string; checkpoint: number } | null;
  /**
   * The stored workflow definition (template) the run was launched from, for its usage stats; null or absent
   * for a run of a file. Must name an existing definition (`WEFT_NOT_FOUND` otherwise). The run still keeps
   * its own snapshot (`definition`); deleting the definition sets this back to null.
   */
  definitionId?: string | null | undefined;
  /** A test run (`RunRecord.testRun`): every agent call answered by the mock. Absent: false. */
  testRun?: boolean | undefined;
  /** Step runs to create with the run (normally one `pending` record per step). */
  steps: StepRunRecord[];
  /** Attempts copied into the run (a rewind reuses the completed steps of the source run). */
  attempts?: AttemptRecord[] | undefined;
  events: NewEvent[];
  now: number;
}

export interface RunFilter {
  status?: RunStatus[] | undefined;
  /** One project, or any of several (an API token's projects). */
  projectId?: string | readonly string[] | undefined;
  /** Only runs launched from this stored workflow definition. */
  definitionId?: string | undefined;
  /** Only the runs forked (rewound) from this run. */
  forkedFrom?: string | undefined;
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
  /**
   * Takes the run's lease in this transition (an owner's first commit, instead of `leases.acquire` + commit).
   * `epoch` is the new lease's: the stored epoch + 1 (`RunRecord.leaseEpoch` + 1), else `FencedError`. The
   * caller decided from the run it read that the lease was free (none, expired, a dead owner's, its own); the
   * version check always applies (`force` is ignored): a lease taken or released since that read moved the
   * version, and the commit fails with `ConflictError` — read the run again and decide again.
   */
  takeLease?: { owner: Owner; expiresAt: number } | undefined;
  /** Gives up the lease held with `epoch` in this transition (the commit that ends a run), as `leases.release`. */
  releaseLease?: boolean | undefined;
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

/**
 * A write was refused because the run (or, with `entity`, another versioned record such as a workflow
 * definition) changed since it was read. Reload and retry. `runId` holds the id of that record.
 */
export class ConflictError extends Error {
  readonly code = "WEFT_CONFLICT";
  constructor(
    readonly runId: string,
    readonly expected: number,
    readonly actual: number | null,
    readonly entity: "run" | "definition" = "run",
  ) {
    super(`${entity} ${runId}: changed since it was read (version ${expected}, now ${actual ?? "missing"})`);
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

// ---------------------------------------------------------------------------------------------------------
// Server-side records (seed 002's WorkflowDefinition, WorkflowComment, WorkflowArtifact; seed 000's document
// attachments; API tokens). Ids are generated by the caller (randomUUID); times are ms since the epoch.
// Refusals are `WeftError`s: `WEFT_NOT_FOUND` (an id that does not exist) or `WEFT_CONFLICT` (the change
// contradicts what is stored: a duplicate, a cross-run link, a limit); a refused write changes nothing.
// ---------------------------------------------------------------------------------------------------------

export type DefinitionFormat = "yaml" | "json" | "ts";

/** A stored workflow definition (a template): its source text and the normalised workflow parsed from it. */
export interface NewDefinition {
  id: string;
  projectId: string;
  /** Unique per project (exact match). */
  name: string;
  description: string | null;
  category: string | null;
  tags: string[];
  format: DefinitionFormat;
  /** The YAML / JSON / TypeScript text as the user wrote it. */
  source: string;
  workflow: Workflow;
  workflowHash: string;
  /** A built-in template: cannot be deleted. */
  system: boolean;
  /** Its lifecycle status (src/core/lifecycle.ts). Default `active`. */
  status?: DefinitionStatus | undefined;
  now: number;
}

/** Usage of a definition, computed from the runs launched from it (`NewRun.definitionId`). */
export interface DefinitionStats {
  /** Runs launched from it, whatever their status. */
  timesUsed: number;
  /** Mean `endedAt - startedAt` of its completed runs; null when none completed. */
  averageDurationMs: number | null;
  /** completed / (completed + failed), 0..1; cancelled and unfinished runs do not count. Null when none finished. */
  successRate: number | null;
  /** `createdAt` of its newest run; null when never used. */
  lastUsedAt: number | null;
}

/** A stored definition: what was created (without `now`), its version and times, and its usage stats. */
export interface DefinitionRecord extends Omit<NewDefinition, "now" | "status">, DefinitionStats {
  status: DefinitionStatus;
  /** 1 on create, +1 on every update: the optimistic-concurrency token of `update`. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

/** The fields of a definition to change; only those given change. Keep source, workflow and hash consistent. */
export interface DefinitionPatch {
  name?: string | undefined;
  description?: string | null | undefined;
  category?: string | null | undefined;
  tags?: string[] | undefined;
  format?: DefinitionFormat | undefined;
  source?: string | undefined;
  workflow?: Workflow | undefined;
  workflowHash?: string | undefined;
  system?: boolean | undefined;
  status?: DefinitionStatus | undefined;
  now: number;
}

export interface DefinitionFilter {
  /** One project, or any of several (an API token's projects). */
  projectId?: string | readonly string[] | undefined;
  /** With `projectId`: also the system definitions of every other project (built-in templates). */
  includeSystem?: boolean | undefined;
  /** Only system (true) or only user (false) definitions. */
  system?: boolean | undefined;
  /** Exact category. */
  category?: string | undefined;
  /** Only definitions with one of these statuses. Absent: every status. */
  status?: readonly DefinitionStatus[] | undefined;
  /** Case-insensitive substring of the name, the description or one of the tags. */
  search?: string | undefined;
  /** `usage` (most runs first; default), `newest` (createdAt), `name` (case-insensitive). Ties: name, then id. */
  sort?: "usage" | "newest" | "name" | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** How many definitions have one category (`definitions.categories`). */
export interface DefinitionCategory {
  category: string;
  count: number;
}

export type CommentType = "user" | "system" | "agent";

/** seed 002's WorkflowComment: on a run (`stepKey` null) or on one of its steps. */
export interface NewComment {
  id: string;
  runId: string;
  /** A step run key of the run (`stepId` or `stepId[i]`); not checked by the store. */
  stepKey: string | null;
  text: string;
  commentType: CommentType;
  /** Who wrote it: through the API, the token's name (`token ci`, `local user`). */
  createdBy: string | null;
  /** Who the client said wrote it (the API's `created_by`), kept beside `createdBy`; null or absent: none. */
  claimedBy?: string | null | undefined;
  now: number;
}

export interface CommentRecord {
  id: string;
  runId: string;
  stepKey: string | null;
  text: string;
  commentType: CommentType;
  createdBy: string | null;
  claimedBy: string | null;
  createdAt: number;
  updatedAt: number;
}

// Declared in core so step handlers can name them without the store port.
export { ARTIFACT_FILE_TYPES, type ArtifactFileType, MAX_DOCUMENT_ATTACHMENTS } from "../core/artifacts.js";

/** seed 002's WorkflowArtifact: a file's metadata; the bytes live under the data dir at `storageKey`. */
export interface NewArtifact {
  id: string;
  runId: string;
  stepKey: string | null;
  /** The user's file name: for display and Content-Disposition only, never a path. */
  name: string;
  /**
   * Where the bytes are, relative to the server's artifact root, generated by the server (never from `name`):
   * `/`-separated segments of `[A-Za-z0-9._-]`, none `.` or `..`. Unique. Anything else is `WEFT_INTERNAL`.
   */
  storageKey: string;
  fileType: ArtifactFileType;
  mimeType: string;
  sizeBytes: number;
  /** Hex sha256 of the bytes. */
  sha256: string;
  now: number;
}

export interface ArtifactRecord {
  id: string;
  runId: string;
  stepKey: string | null;
  /** The comment it is attached to (same run), or null. */
  commentId: string | null;
  name: string;
  storageKey: string;
  fileType: ArtifactFileType;
  mimeType: string;
  sizeBytes: number;
  sha256: string;
  createdAt: number;
  updatedAt: number;
}

/** Which artifacts `artifacts.search` returns: across runs, newest first. */
export interface ArtifactFilter {
  /** The runs' project, or any of several (an API token's projects); absent: every project. */
  projectId?: string | readonly string[] | undefined;
  fileType?: ArtifactFileType | undefined;
  limit?: number | undefined;
  offset?: number | undefined;
}

/** An artifact with the run it belongs to, as a cross-run list shows it ("from run X"). */
export interface ArtifactListing {
  artifact: ArtifactRecord;
  run: { id: string; name: string; projectId: string; workflowName: string };
}

/** An image artifact attached to a document artifact of the same project (seed 000's DocumentAttachment). */
export interface AttachmentRecord {
  documentId: string;
  imageId: string;
  /** Exactly one attachment of a document that has any is primary. */
  primary: boolean;
  /** Order of attachment, ascending (gaps after a detach). */
  position: number;
  createdAt: number;
}

export type TokenRole = "read" | "operate" | "admin";

/** What a token may do in one project (`"*"`: every project). */
export interface TokenScope {
  projectId: string;
  role: TokenRole;
  /**
   * Also the `scripts` permission there: may send code to the server — inline workflows with script steps,
   * definitions with them (docs/api.md, "Running code"). Absent: false. Stored with the scopes (JSON).
   */
  scripts?: boolean;
}

export interface NewToken {
  id: string;
  name: string;
  /** Hex sha256 of the secret; the secret itself is never stored. Unique. */
  hash: string;
  scopes: TokenScope[];
  now: number;
}

export interface TokenRecord {
  id: string;
  name: string;
  hash: string;
  scopes: TokenScope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Usage totals of a run: the sums of its `workflow.step.usage` events. */
export interface RunUsage {
  inputTokens: number;
  outputTokens: number;
  /** USD; calls whose price is unknown add nothing. Null when no call had a price (or there were no calls). */
  costUsd: number | null;
  /** Provider calls counted. */
  calls: number;
}

/** What a run list shows of one run besides the run itself (`runs.overview`). */
export interface RunOverview {
  /** Its step runs, in creation order (as `steps.list`). */
  steps: StepRunRecord[];
  usage: RunUsage;
  comments: number;
  artifacts: number;
}

export interface OverviewOptions {
  /**
   * `full` (default): complete step records. `brief`: without their `input`, `output` and `error` (null in
   * every record, whatever is stored) — what progress and status need, at a fraction of the reading.
   */
  steps?: "full" | "brief" | undefined;
}

/** Which step runs `steps.waiting` returns. */
export interface WaitingFilter {
  /** What they wait for. */
  waitingFor: "approval" | "timer";
  /** One project, or any of several (an API token's projects); absent: every project. */
  projectId?: string | readonly string[] | undefined;
  limit?: number | undefined;
}

/** A position in `runs.active`'s order: the run a page ended with. */
export interface ActiveCursor {
  priority: number;
  createdAt: number;
  id: string;
}

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly durability: Durability;

  runs: {
    /**
     * Creates the run, its step runs and its first events in one transaction.
     *
     * Idempotency keys are scoped per project: the same key in two projects names two runs. With a key that a
     * run of the same project already has, creates nothing and returns that run with `created: false` — when
     * the request matches it: the same `workflowHash`, and the same `idempotencyFingerprint` when both are
     * known. Otherwise throws `WeftError` `WEFT_IDEMPOTENCY_MISMATCH` and creates nothing.
     */
    create(run: NewRun): Promise<{ run: RunRecord; created: boolean }>;
    /**
     * `create` for many runs in one transaction (one fsync), in order: each result is `create`'s, or the error it
     * would have thrown (that run changes nothing; the others stand). A later run with the key of an earlier one
     * finds it, as a later `create` would. Optional: an engine creates one by one without it.
     */
    createMany?(runs: readonly NewRun[]): Promise<Array<{ run: RunRecord; created: boolean } | Error>>;
    get(id: string): Promise<RunRecord | undefined>;
    list(filter?: RunFilter): Promise<RunRecord[]>;
    /** Current versions of the given runs (cheap: the owner polls it to notice changes by other processes). */
    versions(ids: string[]): Promise<Map<string, number>>;
    /**
     * Runs that are not finished and not paused: candidates for an engine to drive, highest priority first,
     * then oldest, then by id. With `after` (the last run of the previous page), the runs that come after it:
     * a caller pages through any number of them.
     */
    active(limit: number, after?: ActiveCursor): Promise<RunRecord[]>;
    /**
     * For each run id, its step runs, usage totals and comment and artifact counts, in a fixed number of
     * queries whatever the number of runs (the API's run lists show thousands). Unknown ids are absent from
     * the map.
     */
    overview(ids: readonly string[], opts?: OverviewOptions): Promise<Map<string, RunOverview>>;
    /**
     * For each (project, workflow hash), `endedAt - startedAt` of its newest `limit` completed runs (by
     * `endedAt`), newest first; the result is aligned with `of` (an empty list: none completed). For estimates.
     */
    durations(of: ReadonlyArray<{ projectId: string; workflowHash: string }>, limit: number): Promise<number[][]>;
  };

  steps: {
    list(runId: string): Promise<StepRunRecord[]>;
    get(runId: string, key: string): Promise<StepRunRecord | undefined>;
    /** Oldest first: by `endedAt`, then key and attempt number (one step run's: by attempt number). */
    attempts(runId: string, key?: string): Promise<AttemptRecord[]>;
    /**
     * Step runs with status `waiting` for `filter.waitingFor`, across the runs that are not finished, with
     * their run: oldest first (by the step's `updatedAt`, when it began to wait), then by run id and key.
     */
    waiting(filter: WaitingFilter): Promise<Array<{ run: RunRecord; step: StepRunRecord }>>;
  };

  events: {
    /** Events of a run with seq > afterSeq, oldest first. */
    list(runId: string, afterSeq?: number, limit?: number): Promise<EventRecord[]>;
  };

  checkpoints: {
    /** Newest first. */
    list(runId: string, limit?: number): Promise<CheckpointRecord[]>;
    get(runId: string, number: number): Promise<CheckpointRecord | undefined>;
    /**
     * Deletes the run's checkpoints with these numbers (pruning); numbers it does not have are ignored. Returns
     * how many were deleted. Numbers are never reused: the next checkpoint still gets the next number. Changes
     * neither the run's version nor its events.
     */
    remove(runId: string, numbers: readonly number[]): Promise<number>;
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
    /**
     * `acquire` for many runs in one transaction (one fsync); each result is `acquire`'s, or the error it would
     * have thrown. Optional: an engine acquires one by one without it. A server taking up thousands of runs
     * after a restart needs it.
     */
    acquireMany?(
      requests: ReadonlyArray<{ runId: string; opts: AcquireOptions }>,
    ): Promise<Array<{ lease: Lease; takeover: boolean } | undefined | Error>>;
    /** Extends a held lease to `now + leaseMs`. False when the lease was lost (the epoch moved on). Does not bump the version. */
    renew(lease: Lease, leaseMs: number, now: number): Promise<boolean>;
    /**
     * `renew` for many leases in one transaction (one fsync), each result as `renew`'s. Optional: an engine
     * renews one by one without it. An engine holding thousands of waiting runs needs it.
     */
    renewMany?(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]>;
    /** Gives up a held lease (bumping the version); does nothing when the lease was lost. The epoch is kept, so the next owner's is higher. */
    release(lease: Lease): Promise<void>;
  };

  /**
   * Applies one transition atomically and bumps the run's version by 1 (a lease taken or released with it
   * included); throws `FencedError` (checked first) or
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

  /**
   * Stored workflow definitions (templates). Not run-scoped: no events. `WEFT_CONFLICT` for a duplicate id
   * or a name another definition of the project has.
   */
  definitions: {
    create(def: NewDefinition): Promise<DefinitionRecord>;
    get(id: string): Promise<DefinitionRecord | undefined>;
    getByName(projectId: string, name: string): Promise<DefinitionRecord | undefined>;
    list(filter?: DefinitionFilter): Promise<DefinitionRecord[]>;
    /**
     * The categories of the definitions `list` would return for the same project filter (definitions without a
     * category are not counted), with how many have each: most first, then by name (case-insensitive).
     */
    categories(
      filter?: Pick<DefinitionFilter, "projectId" | "includeSystem" | "status">,
    ): Promise<DefinitionCategory[]>;
    /**
     * Applies the patch and bumps `version`; throws `ConflictError` (entity "definition") when the stored
     * version is not `expectedVersion`, `WEFT_NOT_FOUND` for an unknown id.
     */
    update(id: string, patch: DefinitionPatch, expectedVersion: number): Promise<DefinitionRecord>;
    /**
     * Deletes a user definition; a system one is refused with `WEFT_CONFLICT`. Its runs keep their snapshot
     * and their `definitionId` becomes null. `WEFT_NOT_FOUND` for an unknown id.
     */
    delete(id: string): Promise<void>;
    /** Undefined for an unknown definition. */
    stats(id: string): Promise<DefinitionStats | undefined>;
  };

  /**
   * Comments on runs and steps. `create` appends `workflow.comment.created` to the run's events in the same
   * transaction (the run's next seq, as `commit` numbers them) and bumps the run's `version` like any
   * change of the run: an owner's next commit computed from the older version gets `ConflictError` and reloads.
   */
  comments: {
    /** `WEFT_NOT_FOUND` for an unknown run. */
    create(c: NewComment): Promise<{ comment: CommentRecord; event: EventRecord }>;
    get(id: string): Promise<CommentRecord | undefined>;
    /** Oldest first; `stepKey` narrows to one step's comments. */
    list(runId: string, opts?: { stepKey?: string | undefined }): Promise<CommentRecord[]>;
  };

  /**
   * Artifact metadata. Writes that change what a run shows append an event and bump the run's version, as
   * `comments.create` does; an idempotent no-op appends nothing and returns `event: null`.
   */
  artifacts: {
    /** Appends `workflow.artifact.created`. `WEFT_NOT_FOUND` for an unknown run; `WEFT_CONFLICT` for a duplicate id or storage key. */
    create(a: NewArtifact): Promise<{ artifact: ArtifactRecord; event: EventRecord }>;
    get(id: string): Promise<ArtifactRecord | undefined>;
    /** Oldest first, narrowed by step and/or comment. */
    list(
      runId: string,
      opts?: { stepKey?: string | undefined; commentId?: string | undefined },
    ): Promise<ArtifactRecord[]>;
    /**
     * Artifacts of many runs with their run: newest first (`createdAt`, then latest created), narrowed by the
     * runs' project and the file type, paged by `limit` / `offset`. One query, whatever the number of runs.
     */
    search(filter?: ArtifactFilter): Promise<ArtifactListing[]>;
    /**
     * Attaches to a comment of the same run (`WEFT_CONFLICT` otherwise), moving it from any other comment;
     * appends `workflow.artifact.attached`. Already attached to that comment: a no-op.
     */
    attachToComment(
      id: string,
      commentId: string,
      now: number,
    ): Promise<{ artifact: ArtifactRecord; event: EventRecord | null }>;
    /** Appends `workflow.artifact.detached`; not attached: a no-op. */
    detachFromComment(id: string, now: number): Promise<{ artifact: ArtifactRecord; event: EventRecord | null }>;
    /**
     * Deletes the record and its document attachments (both ways), promoting a new primary where the deleted
     * image was one; appends `workflow.artifact.deleted`. Returns the deleted record: remove the file at its
     * `storageKey` afterwards.
     */
    delete(id: string, now: number): Promise<{ artifact: ArtifactRecord; event: EventRecord }>;
  };

  /**
   * Images attached to a document artifact (seed 000). Every method that changes attachments returns the
   * document's attachments afterwards, in `position` order. `WEFT_NOT_FOUND` for an unknown artifact or pair.
   */
  attachments: {
    list(documentId: string): Promise<AttachmentRecord[]>;
    /**
     * Attaches images (in the order given, duplicates ignored; already attached ones are left as they are).
     * `WEFT_CONFLICT`, writing nothing, when the document is not a `document`, an image is not an `image`, an
     * image is of another project (another run of the same project is fine), or the document would have more than `MAX_DOCUMENT_ATTACHMENTS`. The first
     * image attached to a document with none becomes its primary.
     */
    attach(documentId: string, imageIds: readonly string[], now: number): Promise<AttachmentRecord[]>;
    /** Detaches one image (the image artifact stays); if it was primary, the lowest position left becomes primary. */
    detach(documentId: string, imageId: string): Promise<AttachmentRecord[]>;
    setPrimary(documentId: string, imageId: string): Promise<AttachmentRecord[]>;
  };

  /** API tokens. */
  tokens: {
    /** `WEFT_CONFLICT` for a duplicate id or hash. */
    create(t: NewToken): Promise<TokenRecord>;
    /** The token with this hash, or undefined — also when it was revoked. */
    findByHash(hash: string): Promise<TokenRecord | undefined>;
    get(id: string): Promise<TokenRecord | undefined>;
    /** Every token, revoked ones too, oldest first. */
    list(): Promise<TokenRecord[]>;
    /** Sets `revokedAt` (kept when revoked already); `WEFT_NOT_FOUND` for an unknown id. */
    revoke(id: string, now: number): Promise<TokenRecord>;
    /** Records a use: `lastUsedAt` = max(stored, now). Unknown or revoked ids are ignored. */
    touch(id: string, now: number): Promise<void>;
  };

  close(): Promise<void>;
}
