/**
 * Leases: which process drives a run, fenced by `lease_epoch`.
 *
 * `acquire` reads and takes the lease in one `BEGIN IMMEDIATE` transaction, so of several processes racing
 * for one run exactly one gets it; the rest see its live lease and get undefined. The epoch is never reset
 * (release keeps it), so every new owner's epoch is higher than any before it and a stale owner's writes,
 * which carry its old epoch, fail with `FencedError` in `commit`.
 */
import type Database from "better-sqlite3";
import type { Lease, Owner } from "../../core/model.js";
import type { AcquireOptions } from "../store.js";
import { notFound } from "./commit.js";
import type { Statements } from "./statements.js";

interface LeaseRow {
  version: number;
  lease_owner: string | null;
  lease_epoch: number;
  lease_expires_at: number | null;
}

export interface Acquired {
  lease: Lease;
  takeover: boolean;
  /** The run's version after the call, for the version cache. */
  version: number;
}

export function createLeases(db: Database.Database, st: Statements) {
  const renew = (lease: Lease, leaseMs: number, now: number): boolean =>
    st.leaseRenew.run(now + leaseMs, lease.runId, lease.epoch, lease.owner.id).changes === 1;
  const renewManyTx = db.transaction((leases: readonly Lease[], leaseMs: number, now: number) =>
    leases.map((l) => renew(l, leaseMs, now)),
  );
  const acquireOne = (runId: string, opts: AcquireOptions): Acquired | undefined => {
    const row = st.leaseRow.get(runId) as LeaseRow | undefined;
    if (row === undefined) throw notFound(runId);
    const current = row.lease_owner === null ? null : (JSON.parse(row.lease_owner) as Owner);
    const expiresAt = opts.now + opts.leaseMs;
    const ownerJson = JSON.stringify(opts.owner);

    if (current !== null && current.id === opts.owner.id) {
      // A renewal: same epoch, same version, so the owner's in-flight commits stay valid.
      st.leaseExtendOwn.run(ownerJson, expiresAt, runId);
      const lease = { runId, owner: opts.owner, epoch: row.lease_epoch, expiresAt };
      return { lease, takeover: false, version: row.version };
    }
    const free = current === null || (row.lease_expires_at ?? 0) <= opts.now || (opts.isOwnerDead?.(current) ?? false);
    if (!free) return undefined;

    const epoch = row.lease_epoch + 1;
    const version = row.version + 1;
    st.leaseTake.run(ownerJson, epoch, expiresAt, version, runId);
    return { lease: { runId, owner: opts.owner, epoch, expiresAt }, takeover: current !== null, version };
  };
  const acquireTx = db.transaction(acquireOne);
  // Each request's refusal (unknown run, a throwing isOwnerDead) happens before it writes: the others stand.
  const acquireManyTx = db.transaction((requests: ReadonlyArray<{ runId: string; opts: AcquireOptions }>) =>
    requests.map((r): Acquired | undefined | Error => {
      try {
        return acquireOne(r.runId, r.opts);
      } catch (err) {
        return err instanceof Error ? err : new Error(String(err));
      }
    }),
  );

  return {
    /**
     * See `Store.leases.acquire`. `isOwnerDead` runs inside the transaction, holding the write lock: keep it
     * fast; if it throws, nothing changes and the error propagates.
     */
    acquire: (runId: string, opts: AcquireOptions): Acquired | undefined => acquireTx.immediate(runId, opts),

    /** `acquire` for each, in one IMMEDIATE transaction; a request's error is its result. */
    acquireMany: (requests: ReadonlyArray<{ runId: string; opts: AcquireOptions }>) =>
      acquireManyTx.immediate(requests),

    /** True when the lease (same epoch and owner) was extended. A single UPDATE: atomic without a transaction. */
    renew,

    /** `renew` for each, in one IMMEDIATE transaction: one fsync for all of them. */
    renewMany: (leases: readonly Lease[], leaseMs: number, now: number): boolean[] =>
      renewManyTx.immediate(leases, leaseMs, now),

    /** The run's new version when the lease was released, undefined when it had been lost already. */
    release(lease: Lease): number | undefined {
      return st.leaseRelease.get(lease.runId, lease.epoch) as number | undefined;
    },
  };
}
