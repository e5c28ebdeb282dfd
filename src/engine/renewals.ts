/**
 * Lease acquisitions and renewals of every run this engine drives, batched.
 *
 * Acquisitions that drivers ask for in one turn of the event loop (a server's sweep taking up thousands of
 * runs after a restart) are made in one store transaction (`store.leases.acquireMany`: one fsync); a lone one
 * goes straight to the store, as the Committer does for commits.
 *
 * Renewals: each driver asks to renew its lease every third of
 * `leaseMs`; requests that arrive within one window (`leaseMs / 30`, at most 1 s) are renewed together in one
 * store transaction (`store.leases.renewMany`: one fsync) instead of one each. An engine holding 10,000 runs
 * that wait for people and timers otherwise spends ~1,000 fsyncs a second on renewals alone.
 *
 * A request waits at most one window, far inside the lease (a 30 s lease is renewed every 10 s). A store
 * without `renewMany` gets the requests one by one, at once.
 */
import type { Lease } from "../core/model.js";
import type { AcquireOptions, Store } from "../store/store.js";
import type { Clock } from "./core.js";

interface Request {
  lease: Lease;
  resolve: (ok: boolean) => void;
  reject: (err: unknown) => void;
}

export class LeaseRenewals {
  private queue: Request[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly windowMs: number;

  constructor(
    private readonly store: Store,
    private readonly leaseMs: number,
    private readonly clock: Clock,
  ) {
    this.windowMs = Math.max(1, Math.min(1000, Math.floor(leaseMs / 30)));
  }

  /** True when the lease was extended to now + leaseMs; false when it was lost. Rejects with the store's error. */
  renew(lease: Lease): Promise<boolean> {
    if (!this.store.leases.renewMany) return this.store.leases.renew(lease, this.leaseMs, this.clock.now());
    return new Promise((resolve, reject) => {
      this.queue.push({ lease, resolve, reject });
      if (this.timer) return;
      this.timer = setTimeout(() => void this.flush(), this.windowMs);
      this.timer.unref?.();
    });
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.queue.splice(0);
    const leases = this.store.leases;
    if (batch.length === 0 || !leases.renewMany) return;
    try {
      const oks = await leases.renewMany(
        batch.map((r) => r.lease),
        this.leaseMs,
        this.clock.now(),
      );
      for (const [i, r] of batch.entries()) r.resolve(oks[i] ?? false);
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }
}

type Acquired = { lease: Lease; takeover: boolean } | undefined;

interface Acquisition {
  runId: string;
  opts: AcquireOptions;
  resolve: (got: Acquired) => void;
  reject: (err: unknown) => void;
}

export class LeaseAcquisitions {
  private queue: Acquisition[] = [];
  private scheduled = false;
  /** Set for the rest of the turn once one acquisition went straight to the store. */
  private turnBusy = false;

  constructor(private readonly store: Store) {}

  /** `store.leases.acquire`, grouped with the others asked for in the same turn of the event loop. */
  acquire(runId: string, opts: AcquireOptions): Promise<Acquired> {
    const leases = this.store.leases;
    if (!leases.acquireMany || (this.queue.length === 0 && !this.turnBusy)) {
      if (!this.turnBusy) {
        this.turnBusy = true;
        setImmediate(() => {
          this.turnBusy = false;
        });
      }
      return leases.acquire(runId, opts);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ runId, opts, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue.splice(0);
    const leases = this.store.leases;
    if (batch.length === 0 || !leases.acquireMany) return;
    try {
      const results = await leases.acquireMany(batch.map((a) => ({ runId: a.runId, opts: a.opts })));
      for (const [i, a] of batch.entries()) {
        const r = results[i];
        if (r instanceof Error) a.reject(r);
        else a.resolve(r);
      }
    } catch (err) {
      for (const a of batch) a.reject(err);
    }
  }
}
