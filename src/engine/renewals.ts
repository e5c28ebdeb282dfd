/**
 * Lease renewals of every run this engine drives, batched. (A lease is taken by its driver's first commit,
 * grouped with other drivers' commits by the Committer, and given back by the commit that ends the run.)
 *
 * Each driver asks to renew its lease every third of
 * `leaseMs`; requests that arrive within one window (`leaseMs / 30`, at most 1 s) are renewed together in one
 * store transaction (`store.leases.renewMany`: one fsync) instead of one each. An engine holding 10,000 runs
 * that wait for people and timers otherwise spends ~1,000 fsyncs a second on renewals alone.
 *
 * A request waits at most one window, far inside the lease (a 30 s lease is renewed every 10 s). A store
 * without `renewMany` gets the requests one by one, at once.
 */
import type { Lease } from "../core/model.js";
import type { Store } from "../store/store.js";
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
