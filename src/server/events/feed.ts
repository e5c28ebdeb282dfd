/**
 * The event feed: one per server. It turns the event log of every run — written by this process's engine and
 * by any other process on the same store (a `weft run` in a terminal, a worker) — into one live stream,
 * in per-run seq order with no gaps and no duplicates, and fans it out to subscribers (WebSocket and SSE
 * connections).
 *
 * Two sources, merged per run by a `Sequencer`:
 * - `engine.subscribe`: this process's events, published right after their commit — delivered at once.
 * - a poller (every `pollMs`, default 100) over the store's port as it is (nothing added to it):
 *   - discovery: `runs.list({ order: "newest", limit })` finds runs created since the last poll (the limit
 *     widens while every listed run is new);
 *   - changes: `runs.versions(tracked)` — every commit bumps a run's version, and the SQLite store answers
 *     from memory while no other connection wrote — then `events.list(runId, head)` for the runs whose
 *     version moved;
 *   - a slower sweep (`sweepMs`, default 5 s) of unfinished runs finds old runs brought back by another
 *     process (a retry of a failed run).
 *
 * Tracked runs: unfinished runs, runs with events in the last `retainMs` (default 2 min), and runs pinned by
 * a subscriber that asked for them by id. A finished run nobody asks for is dropped after `retainMs`; should it
 * come back, the sweep or its next event picks it up again. Events this process writes outside the engine
 * (comments, artifacts through the store) are best handed over with `publish(event)`: at once, tracked or not;
 * otherwise the poll finds those of tracked runs.
 *
 * The feed delivers only what happens after it started (or, for a run it starts tracking later, after that
 * moment); history is read by each subscriber itself from the store, from the cursor it resumes from.
 */
import type { EventRecord } from "../../core/events.js";
import type { RunRecord, RunStatus } from "../../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import type { Engine } from "../../engine/engine.js";
import type { Store } from "../../store/store.js";
import { Sequencer } from "./sequencer.js";

export type FeedListener = (e: EventRecord, projectId: string) => void;

export interface FeedOptions {
  store: Store;
  /** This process's engine; its events are delivered as they are published. Optional (read-only servers). */
  engine?: Pick<Engine, "subscribe"> | undefined;
  /** How often the store is read for other processes' events, ms. Default 100. */
  pollMs?: number;
  /** How often unfinished runs the feed does not track are looked for, ms. Default 5,000. */
  sweepMs?: number;
  /** How long a finished run stays tracked after its last event, ms. Default 120,000. */
  retainMs?: number;
  /**
   * A run not seen before is new (its events are delivered from its first) when created less than this long
   * ago, ms; a run is never dropped before it is that old. Default 60,000.
   */
  newRunWindowMs?: number;
  now?: () => number;
  warn?: (message: string) => void;
}

export interface FeedRun {
  projectId: string;
  status: RunStatus;
}

interface Entry {
  projectId: string;
  createdAt: number;
  status: RunStatus;
  version: number;
  lastActive: number;
  pins: number;
  /** Resolves when the run's cursor is set: true, or false when the run does not exist. */
  ready: Promise<boolean>;
  initialised: boolean;
}

const UNFINISHED: RunStatus[] = ["pending", "running", "waiting", "paused"];
/** A run created this long before the feed started, and not seen at its start, is new. */
const NEW_RUN_SLACK_MS = 5_000;
const MAX_DISCOVER = 4096;

export class EventFeed {
  private readonly store: Store;
  private readonly runs = new Map<string, Entry>();
  private readonly listeners = new Set<FeedListener>();
  private readonly seq: Sequencer;
  private readonly now: () => number;
  private readonly pollMs: number;
  private readonly sweepMs: number;
  private readonly retainMs: number;
  private readonly newRunWindowMs: number;
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private polling = false;
  private started = false;
  private stopped = false;
  private startedAt = 0;
  private lastSweep = 0;
  private lastWarning = "";

  constructor(private readonly opts: FeedOptions) {
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.pollMs = opts.pollMs ?? 100;
    this.sweepMs = opts.sweepMs ?? 5_000;
    this.retainMs = opts.retainMs ?? 120_000;
    this.newRunWindowMs = opts.newRunWindowMs ?? 60_000;
    this.seq = new Sequencer({
      read: (runId, after, limit) => this.store.events.list(runId, after, limit),
      deliver: (e) => this.deliver(e),
      pageSize: 1000,
      failed: (runId, err) => this.warn(`reading the events of run ${runId} failed: ${(err as Error).message}`),
    });
  }

  /** Tracks the unfinished runs as they are now, then follows the engine and polls the store. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.startedAt = this.now();
    this.lastSweep = this.startedAt;
    const live = await this.store.runs.list({ status: UNFINISHED, order: "newest", limit: 10_000 });
    await Promise.all(live.map((r) => this.adopt(r.id, r, () => this.lastSeq(r.id), false).ready));
    if (this.stopped) return;
    this.unsubscribe = this.opts.engine?.subscribe((e) => this.onLive(e));
    this.timer = setInterval(() => void this.poll(), this.pollMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const id of [...this.seq.runIds()]) this.seq.remove(id);
    this.runs.clear();
    this.listeners.clear();
  }

  subscribe(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  /** How many runs the feed follows now. */
  get tracked(): number {
    return this.runs.size;
  }

  /**
   * Makes sure the run is tracked, for a subscriber that asks for it by id; resolves with its project and
   * status (undefined for an unknown run) once the feed delivers every event committed from now on. A
   * subscriber that then reads the run's history from the store up to its latest event misses nothing.
   * With `pin`, the run stays tracked until `unpin`, however long it has been finished.
   */
  async track(runId: string, pin = false): Promise<FeedRun | undefined> {
    let entry = this.runs.get(runId);
    if (!entry) {
      const run = await this.store.runs.get(runId);
      if (!run) return undefined;
      entry = this.runs.get(runId) ?? this.adopt(runId, run, () => this.lastSeq(runId), false);
    }
    if (!(await entry.ready)) return undefined;
    if (pin) entry.pins++;
    return { projectId: entry.projectId, status: entry.status };
  }

  unpin(runId: string): void {
    const entry = this.runs.get(runId);
    if (entry && entry.pins > 0) entry.pins--;
  }

  /** The project of a tracked run. */
  projectOf(runId: string): string | undefined {
    const entry = this.runs.get(runId);
    return entry?.initialised ? entry.projectId : undefined;
  }

  /** Runs one poll now (tests; the timer calls it every `pollMs`). */
  async poll(): Promise<void> {
    if (this.polling || this.stopped || !this.started) return;
    this.polling = true;
    try {
      const now = this.now();
      await this.discover(now);
      const ids: string[] = [];
      for (const [id, entry] of this.runs) if (entry.initialised) ids.push(id);
      if (ids.length > 0) {
        const versions = await this.store.runs.versions(ids);
        for (const id of ids) {
          const entry = this.runs.get(id);
          if (!entry) continue;
          const v = versions.get(id);
          if (v === undefined) {
            this.drop(id);
          } else if (v !== entry.version) {
            entry.version = v;
            void this.seq.fill(id);
          }
        }
      }
      if (now - this.lastSweep >= this.sweepMs) await this.sweep(now);
      this.evict(now);
      this.lastWarning = "";
    } catch (err) {
      if (!this.stopped) this.warn(`polling the event log failed: ${(err as Error).message}`);
    } finally {
      this.polling = false;
    }
  }

  /**
   * Delivers an event this process committed outside the engine (a comment or an artifact written through
   * the store by a route): at once, and even for a run the feed no longer tracks (finished long ago), which
   * the poller would not look at.
   */
  publish(e: EventRecord): void {
    this.onLive(e);
  }

  private onLive(e: EventRecord): void {
    if (this.stopped || !this.started) return;
    const entry = this.runs.get(e.runId);
    if (entry) {
      this.seq.offer(e);
      return;
    }
    // A run this feed does not track yet (launched here since the last poll, or brought back): from its
    // first event if it is new, else from this event.
    this.adopt(
      e.runId,
      undefined,
      async (run) => (run.createdAt >= this.newRunFloor(this.now()) ? 0 : e.seq - 1),
      true,
    );
    this.seq.offer(e);
  }

  private deliver(e: EventRecord): void {
    const entry = this.runs.get(e.runId);
    if (!entry) return;
    entry.lastActive = this.now();
    if (e.type === "workflow.execution.status_changed") entry.status = e.data.status;
    for (const l of this.listeners) {
      try {
        l(e, entry.projectId);
      } catch (err) {
        this.warn(`an event subscriber failed: ${(err as Error).message}`);
      }
    }
  }

  /**
   * Starts tracking a run: its cursor is pending (live events wait) until `head` is known, then events after
   * `head` are delivered — read back from the store when `read`, or when live events already passed it.
   */
  private adopt(
    runId: string,
    record: RunRecord | undefined,
    head: (run: RunRecord) => Promise<number>,
    read: boolean,
  ): Entry {
    this.seq.pending(runId);
    const entry: Entry = {
      projectId: record?.projectId ?? "",
      createdAt: record?.createdAt ?? this.now(),
      status: record?.status ?? "pending",
      version: record?.version ?? -1,
      lastActive: this.now(),
      pins: 0,
      ready: Promise.resolve(false),
      initialised: false,
    };
    this.runs.set(runId, entry);
    entry.ready = (async () => {
      try {
        const run = record ?? (await this.store.runs.get(runId));
        if (!run) {
          this.drop(runId);
          return false;
        }
        entry.projectId = run.projectId;
        entry.createdAt = run.createdAt;
        entry.status = run.status;
        entry.version = run.version;
        const h = await head(run);
        if (this.runs.get(runId) !== entry) return false;
        entry.initialised = true;
        void this.seq.init(runId, h, read);
        return true;
      } catch (err) {
        if (!this.stopped) this.warn(`reading run ${runId} failed: ${(err as Error).message}`);
        this.drop(runId);
        return false;
      }
    })();
    return entry;
  }

  private drop(runId: string): void {
    this.runs.delete(runId);
    this.seq.remove(runId);
  }

  private newRunFloor(now: number): number {
    return Math.max(this.startedAt - NEW_RUN_SLACK_MS, now - this.newRunWindowMs);
  }

  /** Runs created since the last poll: newest first, widening the page while every listed run is new. */
  private async discover(now: number): Promise<void> {
    const floor = this.newRunFloor(now);
    for (let limit = 16; ; limit *= 4) {
      const list = await this.store.runs.list({ order: "newest", limit });
      let known = false;
      let old = false;
      for (const r of list) {
        if (this.runs.has(r.id)) known = true;
        else if (r.createdAt < floor) old = true;
        else this.adopt(r.id, r, async () => 0, true);
      }
      if (known || old || list.length < limit || limit >= MAX_DISCOVER) return;
    }
  }

  /** Unfinished runs the feed does not track: old runs brought back by another process since the last sweep. */
  private async sweep(now: number): Promise<void> {
    const since = this.lastSweep - 1_000;
    this.lastSweep = now;
    const list = await this.store.runs.list({ status: UNFINISHED, order: "newest", limit: 1000 });
    for (const r of list) if (!this.runs.has(r.id)) this.adopt(r.id, r, () => this.seqBefore(r.id, since), true);
  }

  private evict(now: number): void {
    // Never a run discovery would take for a new one (and deliver again from its first event).
    const floor = this.newRunFloor(now);
    for (const [id, entry] of this.runs) {
      if (
        entry.initialised &&
        entry.createdAt < floor &&
        entry.pins === 0 &&
        TERMINAL_RUN_STATUSES.has(entry.status) &&
        now - entry.lastActive > this.retainMs &&
        !this.seq.reading(id)
      )
        this.drop(id);
    }
  }

  /** The run's latest seq. */
  private lastSeq(runId: string): Promise<number> {
    return this.seqBefore(runId, Number.POSITIVE_INFINITY);
  }

  /** The seq of the run's last event committed before `t` (its latest checkpoint bounds the read). */
  private async seqBefore(runId: string, t: number): Promise<number> {
    let seq = 0;
    for (const cp of await this.store.checkpoints.list(runId, 50)) {
      if (cp.createdAt < t) {
        seq = cp.eventSeq;
        break;
      }
    }
    for (;;) {
      const batch = await this.store.events.list(runId, seq, 1000);
      for (const e of batch) {
        if (e.at >= t) return seq;
        seq = e.seq;
      }
      if (batch.length < 1000) return seq;
    }
  }

  private warn(message: string): void {
    if (message === this.lastWarning) return;
    this.lastWarning = message;
    (this.opts.warn ?? ((m: string) => process.stderr.write(`weft: ${m}\n`)))(message);
  }
}
