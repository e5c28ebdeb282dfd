/**
 * Group commit: writes that arrive during one turn of the event loop go to the store in one transaction —
 * one fsync for many runs instead of one each. Every item is still checked on its own (fencing, version,
 * idempotency key), and each caller gets its own result or error.
 *
 * - `Committer`: the drivers' transitions (`store.commit` / `commitMany`).
 * - `Launches`: `engine.launch`'s run creations (`store.runs.create` / `createMany`).
 */
import type { RunRecord } from "../core/model.js";
import type { CommitResult, NewRun, Store, Transition } from "../store/store.js";
import type { Faults } from "./faults.js";

interface Pending<I, O> {
  item: I;
  resolve: (r: O) => void;
  reject: (err: unknown) => void;
}

/** The turn's first item had no key: any later item of the turn is grouped. */
const ANY = Symbol("any");

/**
 * Items handed in during one turn of the event loop, written together. A lone item (a sequential chain)
 * goes straight to `one`: no event-loop turn is added to its path. As soon as a second item arrives in the
 * same turn — one with another key than the first, when items have keys — the rest of the turn's items are
 * queued and written together by `many` at the end of the turn.
 */
export class TurnGroup<I, O> {
  private queue: Array<Pending<I, O>> = [];
  private scheduled = false;
  /** The key of the item that went straight to the store in this turn, if any. */
  private turnKey: string | typeof ANY | undefined;

  constructor(
    private readonly one: (item: I) => Promise<O>,
    private readonly many: ((items: readonly I[]) => Promise<Array<O | Error>>) | undefined,
    private readonly key: (item: I) => string | undefined = () => undefined,
    /** Called once a group's transaction is durable, before any of its callers hears of it. */
    private readonly afterMany: () => void = () => {},
  ) {}

  add(item: I): Promise<O> {
    const k = this.key(item);
    const alone = this.queue.length === 0 && (this.turnKey === undefined || (k !== undefined && this.turnKey === k));
    if (alone || this.many === undefined) {
      if (this.turnKey === undefined) {
        this.turnKey = k ?? ANY;
        setImmediate(() => {
          this.turnKey = undefined;
        });
      }
      return this.one(item);
    }
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
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
    if (batch.length === 1 || this.many === undefined) {
      for (const p of batch) await this.one(p.item).then(p.resolve, p.reject);
      return;
    }
    try {
      const results = await this.many(batch.map((p) => p.item));
      this.afterMany();
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

/** The drivers' commits, grouped across runs; a run's own consecutive commits in one turn are not held back. */
export class Committer {
  private readonly group: TurnGroup<Transition, CommitResult>;

  constructor(store: Store) {
    this.group = new TurnGroup(
      (t) => store.commit(t),
      (ts) => store.commitMany(ts),
      (t) => t.runId,
    );
  }

  commit(t: Transition): Promise<CommitResult> {
    return this.group.add(t);
  }
}

/** Run creations of launches in one turn (a server taking a burst of requests, a fan-out of child runs). */
export class Launches {
  private readonly group: TurnGroup<NewRun, { run: RunRecord; created: boolean }>;

  constructor(store: Store, faults: Faults) {
    const createMany = store.runs.createMany;
    this.group = new TurnGroup(
      (run) => store.runs.create(run),
      createMany === undefined ? undefined : (runs) => createMany.call(store.runs, runs),
      undefined,
      () => faults.hit("after-launch-group"),
    );
  }

  create(run: NewRun): Promise<{ run: RunRecord; created: boolean }> {
    return this.group.add(run);
  }
}
