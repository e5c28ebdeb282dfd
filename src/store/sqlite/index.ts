/**
 * `weftflow/sqlite`: the embedded Store on better-sqlite3.
 *
 * One file, WAL mode, shared safely by several processes on one machine (a CLI and a server side by side):
 * every write is a `BEGIN IMMEDIATE` transaction, and a process waits up to `busyTimeoutMs` for another's
 * write lock before failing with SQLITE_BUSY. The driver is synchronous: a call does its work before it
 * returns its promise, and while waiting for a lock it blocks the event loop.
 */
import type { Durability, Store, Transition } from "../store.js";
import { createArtifacts } from "./artifacts.js";
import { createAttachments } from "./attachments.js";
import { createComments } from "./comments.js";
import { createWritePath } from "./commit.js";
import { openDatabase } from "./connection.js";
import { createDefinitions } from "./definitions.js";
import { createLeases } from "./leases.js";
import { schemaVersion } from "./migrate.js";
import { createOverview } from "./overview.js";
import { createReads } from "./reads.js";
import { prepareStatements } from "./statements.js";
import { withStorageErrors } from "./storage-errors.js";
import { createTokens } from "./tokens.js";
import { VersionCache } from "./versions.js";

export { LATEST_SCHEMA_VERSION } from "./migrations/index.js";

export interface SqliteStoreConfig {
  /** The database file; its parent directories are created. `:memory:` works for throwaway tests (one connection). */
  path: string;
  /** `full` (default): fsync on every commit. `normal`: a power loss may lose the latest commits, a crash never. */
  durability?: Durability | undefined;
  /** How long a write waits for another process's write lock before failing with SQLITE_BUSY, in ms. Default 5000. */
  busyTimeoutMs?: number | undefined;
  /**
   * `quick`: check every page at open (`PRAGMA quick_check`, about 3 ms per MB) and refuse a damaged file
   * with `WEFT_STORAGE`. Default `none`: a damaged page is reported (`WEFT_STORAGE`) when a query reads it.
   */
  check?: "none" | "quick" | undefined;
}

/** What the connection is actually running with: for diagnostics (`weft doctor`) and tests. */
export interface SqliteInfo {
  path: string;
  journalMode: string;
  /** SQLite's `PRAGMA synchronous`: 1 NORMAL, 2 FULL. */
  synchronous: number;
  /** SQLite's `PRAGMA temp_store`: 2 MEMORY. */
  tempStore: number;
  foreignKeys: boolean;
  busyTimeoutMs: number;
  schemaVersion: number;
}

export interface SqliteStore extends Store {
  readonly kind: "sqlite";
  inspect(): SqliteInfo;
}

/**
 * Opens (creating if needed) the database at `config.path` and applies pending migrations.
 *
 * Throws when another process holds the write lock longer than `busyTimeoutMs` during set-up (SQLITE_BUSY),
 * or (`WEFT_STORAGE`, naming the file and what to do) when the file cannot be opened or written, is damaged,
 * is another application's, or has a schema newer than this code; nothing is left open then. Later, every
 * method reports a full disk or a damaged file the same way (`WEFT_STORAGE`); a write that fails so was rolled
 * back whole.
 */
export function createSqliteStore(config: SqliteStoreConfig): SqliteStore {
  const durability = config.durability ?? "full";
  const db = openDatabase({
    path: config.path,
    durability,
    busyTimeoutMs: config.busyTimeoutMs ?? 5000,
    check: config.check,
  });

  const st = prepareStatements(db);
  const versions = new VersionCache(st);
  const writes = createWritePath(db, st);
  const leases = createLeases(db, st);
  const reads = createReads(db, st);
  const overview = createOverview(db);
  const noteVersion = (runId: string, version: number) => versions.set(runId, version);
  const definitions = createDefinitions(db);
  const comments = createComments(db, st, noteVersion);
  const attachments = createAttachments(db);
  const artifacts = createArtifacts(db, st, comments, attachments, noteVersion);
  const tokens = createTokens(db);
  const removeCheckpoints = db.transaction((runId: string, numbers: readonly number[]) => {
    let n = 0;
    for (const number of numbers) n += st.checkpointDelete.run(runId, number).changes;
    return n;
  });

  return withStorageErrors<SqliteStore>(config.path, {
    kind: "sqlite",
    durability,

    runs: {
      async create(run) {
        const result = writes.create(run);
        if (result.created) versions.set(run.id, result.run.version);
        return result;
      },
      async createMany(runs) {
        const results = writes.createMany(runs);
        for (const r of results) if (!(r instanceof Error) && r.created) versions.set(r.run.id, r.run.version);
        return results;
      },
      get: async (id) => reads.run(id),
      list: async (filter) => reads.runs(filter),
      versions: async (ids) => versions.get(ids),
      active: async (limit, after) => reads.active(limit, after),
      overview: async (ids, opts) => overview.overview(ids, opts),
      durations: async (of, limit) => overview.durations(of, limit),
    },

    steps: {
      list: async (runId) => reads.steps(runId),
      get: async (runId, key) => reads.step(runId, key),
      attempts: async (runId, key) => reads.attempts(runId, key),
      waiting: async (filter) => overview.waiting(filter),
    },

    events: {
      list: async (runId, afterSeq, limit) => reads.events(runId, afterSeq, limit),
    },

    checkpoints: {
      list: async (runId, limit) => reads.checkpoints(runId, limit),
      get: async (runId, number) => reads.checkpoint(runId, number),
      remove: async (runId, numbers) => removeCheckpoints.immediate(runId, numbers),
    },

    leases: {
      async acquire(runId, opts) {
        const got = leases.acquire(runId, opts);
        if (got === undefined) return undefined;
        versions.set(runId, got.version);
        return { lease: got.lease, takeover: got.takeover };
      },
      async acquireMany(requests) {
        return leases.acquireMany(requests).map((got, i) => {
          if (got === undefined || got instanceof Error) return got;
          versions.set((requests[i] as { runId: string }).runId, got.version);
          return { lease: got.lease, takeover: got.takeover };
        });
      },
      renew: async (lease, leaseMs, now) => leases.renew(lease, leaseMs, now),
      renewMany: async (ls, leaseMs, now) => leases.renewMany(ls, leaseMs, now),
      async release(lease) {
        const version = leases.release(lease);
        if (version !== undefined) versions.set(lease.runId, version);
      },
    },

    async commit(t) {
      const result = writes.commit(t);
      versions.set(t.runId, result.version);
      return result;
    },

    async commitMany(ts) {
      const results = writes.commitMany(ts);
      results.forEach((r, i) => {
        if (!(r instanceof Error)) versions.set((ts[i] as Transition).runId, r.version);
      });
      return results;
    },

    definitions: {
      create: async (d) => definitions.create(d),
      get: async (id) => definitions.get(id),
      getByName: async (projectId, name) => definitions.getByName(projectId, name),
      list: async (filter) => definitions.list(filter),
      categories: async (filter) => definitions.categories(filter),
      update: async (id, patch, expectedVersion) => definitions.update(id, patch, expectedVersion),
      delete: async (id) => definitions.delete(id),
      stats: async (id) => definitions.stats(id),
    },

    comments: {
      create: async (c) => comments.create(c),
      get: async (id) => comments.get(id),
      list: async (runId, opts) => comments.list(runId, opts),
    },

    artifacts: {
      create: async (a) => artifacts.create(a),
      get: async (id) => artifacts.get(id),
      list: async (runId, opts) => artifacts.list(runId, opts),
      search: async (filter) => artifacts.search(filter),
      attachToComment: async (id, commentId, now) => artifacts.attachToComment(id, commentId, now),
      detachFromComment: async (id, now) => artifacts.detachFromComment(id, now),
      delete: async (id, now) => artifacts.delete(id, now),
    },

    attachments: {
      list: async (documentId) => attachments.list(documentId),
      attach: async (documentId, imageIds, now) => attachments.attach(documentId, imageIds, now),
      detach: async (documentId, imageId) => attachments.detach(documentId, imageId),
      setPrimary: async (documentId, imageId) => attachments.setPrimary(documentId, imageId),
    },

    tokens: {
      create: async (t) => tokens.create(t),
      findByHash: async (hash) => tokens.findByHash(hash),
      get: async (id) => tokens.get(id),
      list: async () => tokens.list(),
      revoke: async (id, now) => tokens.revoke(id, now),
      touch: async (id, now) => tokens.touch(id, now),
    },

    /** Closes the connection; later calls throw. Closing twice is a no-op. */
    async close() {
      versions.clear();
      if (db.open) db.close();
    },

    inspect() {
      return {
        path: config.path,
        journalMode: String(db.pragma("journal_mode", { simple: true })),
        synchronous: Number(db.pragma("synchronous", { simple: true })),
        tempStore: Number(db.pragma("temp_store", { simple: true })),
        foreignKeys: Number(db.pragma("foreign_keys", { simple: true })) === 1,
        busyTimeoutMs: Number(db.pragma("busy_timeout", { simple: true })),
        schemaVersion: schemaVersion(db),
      };
    },
  });
}
