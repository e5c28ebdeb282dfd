/**
 * One client's subscription (a WebSocket or an SSE stream): a filter (runs and/or projects), the projects the
 * client may see, and its own per-run cursors. Live events come from the feed; a client that resumes from a
 * seq first reads what it missed from the store — then the live events, each once, in order: the cursors of
 * a `Sequencer` drop what was already sent and read back any gap.
 *
 * A run the client did not name gets a cursor at the first live event that matches the filter (so a
 * project subscription sees each run from the moment it subscribed, or from the run's creation).
 */
import type { EventRecord } from "../../core/events.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import type { Store } from "../../store/store.js";
import type { EventFeed } from "./feed.js";
import { Sequencer } from "./sequencer.js";
import { encodeEvent } from "./wire.js";

/** Where a subscription's events go. */
export interface Sink {
  send(text: string, e: EventRecord): void;
  /** Over the soft limit of buffered bytes: read-backs pause until `ready()`. */
  busy(): boolean;
  ready(): Promise<void>;
  readonly closed: boolean;
}

export interface Filter {
  /** Only these runs (null: any run). */
  runs: readonly string[] | null;
  /** Only runs of these projects (null: any project). */
  projects: readonly string[] | null;
}

/** Which projects a client may see (API tokens are scoped to projects). */
export type ProjectAccess = (projectId: string) => boolean;

export const seeAll: ProjectAccess = () => true;

export interface SubscriptionHooks {
  /** After each event sent. */
  delivered?: (e: EventRecord) => void;
  /** A run's read-back from the store ended: the client is caught up with the log. */
  settled?: (runId: string) => void;
}

export class Subscription {
  private runs: Set<string> | null = new Set();
  private projects: Set<string> | null = null;
  private readonly projectOf = new Map<string, string>();
  private readonly seq: Sequencer;
  private readonly unsubscribe: () => void;
  private pinned: string[] = [];
  private closed = false;
  /** `set` calls run one after the other. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly feed: EventFeed,
    store: Store,
    private readonly sink: Sink,
    private readonly access: ProjectAccess = seeAll,
    private readonly hooks: SubscriptionHooks = {},
  ) {
    this.seq = new Sequencer({
      read: (runId, after, limit) => store.events.list(runId, after, limit),
      deliver: (e) => this.deliver(e),
      pageSize: 200,
      busy: () => sink.busy(),
      ready: () => sink.ready(),
      settled: (runId) => hooks.settled?.(runId),
    });
    this.unsubscribe = feed.subscribe((e, projectId) => this.onFeed(e, projectId));
  }

  /**
   * Replaces the filter; `after` resumes runs after those seqs (their history is read from the store first).
   * Runs named in the filter or in `after` that do not exist, or that the client may not see, are left out
   * and returned. `ack` is called once the new filter is in force, before any event it lets through is sent.
   * Resolves when the read-backs of the `after` runs are under way; `caughtUp` when they ended.
   */
  set(
    filter: Filter,
    after: Readonly<Record<string, number>>,
    ack?: (unknown: string[]) => void,
  ): Promise<{ unknown: string[]; caughtUp: Promise<void> }> {
    const next = this.chain.then(() => this.apply(filter, after, ack));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async apply(
    filter: Filter,
    after: Readonly<Record<string, number>>,
    ack?: (unknown: string[]) => void,
  ): Promise<{ unknown: string[]; caughtUp: Promise<void> }> {
    const named = [...new Set([...(filter.runs ?? []), ...Object.keys(after)])];
    const unknown: string[] = [];
    const pinned: string[] = [];
    const found = await Promise.all(named.map((id) => this.feed.track(id, true)));
    named.forEach((id, i) => {
      const run = found[i];
      if (run) pinned.push(id);
      if (!run || !this.access(run.projectId)) unknown.push(id);
      else this.projectOf.set(id, run.projectId);
    });
    if (this.closed) {
      for (const id of pinned) this.feed.unpin(id);
      return { unknown, caughtUp: Promise.resolve() };
    }
    for (const id of this.pinned) this.feed.unpin(id);
    this.pinned = pinned;
    this.runs = filter.runs === null ? null : new Set(filter.runs.filter((id) => !unknown.includes(id)));
    this.projects = filter.projects === null ? null : new Set(filter.projects);
    for (const id of [...this.seq.runIds()]) {
      const project = this.projectOf.get(id);
      if (project === undefined || !this.matches(id, project)) this.seq.remove(id);
    }
    ack?.(unknown);
    const reads: Promise<void>[] = [];
    for (const [id, seq] of Object.entries(after)) {
      const project = this.projectOf.get(id);
      if (unknown.includes(id) || project === undefined || !this.matches(id, project)) continue;
      reads.push(this.seq.init(id, seq, true));
    }
    return { unknown, caughtUp: Promise.all(reads).then(() => undefined) };
  }

  /** Whether a read-back of the run is going on. */
  reading(runId: string): boolean {
    return this.seq.reading(runId);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    for (const id of this.pinned) this.feed.unpin(id);
    this.pinned = [];
    for (const id of [...this.seq.runIds()]) this.seq.remove(id);
  }

  private matches(runId: string, projectId: string): boolean {
    return (
      (this.runs === null || this.runs.has(runId)) &&
      (this.projects === null || this.projects.has(projectId)) &&
      this.access(projectId)
    );
  }

  private onFeed(e: EventRecord, projectId: string): void {
    if (this.closed || this.sink.closed || !this.matches(e.runId, projectId)) return;
    if (!this.seq.has(e.runId)) {
      this.projectOf.set(e.runId, projectId);
      void this.seq.init(e.runId, e.seq - 1);
    }
    this.seq.offer(e);
  }

  private deliver(e: EventRecord): void {
    if (this.closed || this.sink.closed) return;
    const projectId = this.projectOf.get(e.runId) ?? "";
    this.sink.send(encodeEvent(e, projectId), e);
    this.hooks.delivered?.(e);
    if (this.sink.closed) {
      this.close();
      return;
    }
    // A finished run the client did not name: forget its cursor (a long-lived project subscription would
    // otherwise keep one per run forever). Should it come back, its next event starts a new cursor there.
    if (
      e.type === "workflow.execution.status_changed" &&
      TERMINAL_RUN_STATUSES.has(e.data.status) &&
      !this.pinned.includes(e.runId)
    ) {
      const runId = e.runId;
      setImmediate(() => {
        if (this.seq.head(runId) === e.seq && !this.seq.reading(runId)) {
          this.seq.remove(runId);
          this.projectOf.delete(runId);
        }
      });
    }
  }
}
