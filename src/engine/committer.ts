/**
 * Group commit: transitions that drivers hand in during one turn of the event loop are written in one
 * store transaction (`commitMany`) — one fsync for many runs instead of one each. Every transition is still
 * checked on its own (fencing, version), and each caller gets its own result or error.
 */
import type { CommitResult, Store, Transition } from "../store/store.js";

interface Pending {
  t: Transition;
  resolve: (r: CommitResult) => void;
  reject: (err: unknown) => void;
}

export class Committer {
  private queue: Pending[] = [];
  private scheduled = false;

  constructor(private readonly store: Store) {}

  /** The run that committed first in this turn of the event loop, if any. */
  private turnRun: string | undefined;

  commit(t: Transition): Promise<CommitResult> {
    // A lone run (a sequential chain) commits at once: no event-loop turn is added to its per-step path.
    // As soon as a second run commits in the same turn, the rest of the turn's commits are grouped.
    if (this.queue.length === 0 && (this.turnRun === undefined || this.turnRun === t.runId)) {
      if (this.turnRun === undefined) {
        this.turnRun = t.runId;
        setImmediate(() => {
          this.turnRun = undefined;
        });
      }
      return this.store.commit(t);
    }
    return new Promise<CommitResult>((resolve, reject) => {
      this.queue.push({ t, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 1) {
      const only = batch[0] as Pending;
      await this.store.commit(only.t).then(only.resolve, only.reject);
      return;
    }
    try {
      const results = await this.store.commitMany(batch.map((p) => p.t));
      batch.forEach((p, i) => {
        const r = results[i];
        if (r === undefined || r instanceof Error) p.reject(r ?? new Error("no result"));
        else p.resolve(r);
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
