/**
 * Per-run, gapless, duplicate-free delivery. Every run's events are numbered 1, 2, 3, … without gaps by the
 * store; a `Sequencer` keeps one cursor (`head`, the last seq delivered) per run and delivers an offered event
 * only when it is the next one. An event past the next one means something was missed (committed by another
 * process, or published out of order): the gap is read back from the store, in order, before going on.
 * Events at or below the cursor are duplicates and dropped. Used twice: by the feed (one cursor per run for the
 * whole server) and by every subscriber (its own cursors, so that a client resuming from an older seq catches up).
 */
import type { EventRecord } from "../../core/events.js";

export type ReadEvents = (runId: string, afterSeq: number, limit: number) => Promise<EventRecord[]>;

export interface SequencerOptions {
  read: ReadEvents;
  deliver: (e: EventRecord) => void;
  /** Events read per store query. Default 500. */
  pageSize?: number;
  /**
   * Between two events read back from the store: true when the consumer cannot take more now (a full socket
   * buffer). The read-back then pauses on `ready()` and goes on from the cursor.
   */
  busy?: () => boolean;
  ready?: () => Promise<void>;
  /** A read-back of the run ended (it is caught up with the store). */
  settled?: (runId: string) => void;
  /** A read-back failed (the store is closing): it is dropped; the next gap or `fill` tries again. */
  failed?: (runId: string, err: unknown) => void;
}

interface Cursor {
  /** The last seq delivered; undefined while the cursor waits for `init`. */
  head: number | undefined;
  /** The highest seq known to exist (offered but not yet delivered). */
  want: number;
  reading: Promise<void> | undefined;
  /** A read-back waits for the consumer (`ready`): live events wait too, behind it. */
  paused: boolean;
  again: boolean;
  removed: boolean;
}

export class Sequencer {
  private readonly cursors = new Map<string, Cursor>();
  private readonly pageSize: number;

  constructor(private readonly opts: SequencerOptions) {
    this.pageSize = opts.pageSize ?? 500;
  }

  has(runId: string): boolean {
    return this.cursors.has(runId);
  }

  head(runId: string): number | undefined {
    return this.cursors.get(runId)?.head;
  }

  get size(): number {
    return this.cursors.size;
  }

  runIds(): IterableIterator<string> {
    return this.cursors.keys();
  }

  reading(runId: string): boolean {
    return this.cursors.get(runId)?.reading !== undefined;
  }

  /** A cursor whose head is not known yet: offered events are remembered (as a gap) until `init`. */
  pending(runId: string): void {
    if (!this.cursors.has(runId))
      this.cursors.set(runId, {
        head: undefined,
        want: 0,
        reading: undefined,
        paused: false,
        again: false,
        removed: false,
      });
  }

  /**
   * Sets the run's cursor: events after `head` are delivered. Reads back from the store when an event past
   * it was already offered, or when `read` is set (a client resuming from `head`).
   */
  init(runId: string, head: number, read = false): Promise<void> {
    let c = this.cursors.get(runId);
    if (!c) {
      c = { head, want: 0, reading: undefined, paused: false, again: false, removed: false };
      this.cursors.set(runId, c);
    } else {
      c.head = head;
      // An ongoing read-back goes on from the new head.
      if (c.reading) c.again = true;
    }
    return read || c.want > head ? this.fill(runId) : Promise.resolve();
  }

  remove(runId: string): void {
    const c = this.cursors.get(runId);
    if (c) c.removed = true;
    this.cursors.delete(runId);
  }

  /** Offers a live event of a run that has a cursor (others are ignored). */
  offer(e: EventRecord): void {
    const c = this.cursors.get(e.runId);
    if (!c) return;
    if (c.head === undefined) {
      if (e.seq > c.want) c.want = e.seq;
      return;
    }
    if (e.seq <= c.head) return;
    if (e.seq === c.head + 1 && !c.paused) {
      c.head = e.seq;
      this.opts.deliver(e);
      return;
    }
    if (e.seq > c.want) c.want = e.seq;
    void this.fill(e.runId);
  }

  /** Reads the run's events after its cursor from the store and delivers them; one read-back at a time. */
  fill(runId: string): Promise<void> {
    const c = this.cursors.get(runId);
    if (!c || c.head === undefined) return Promise.resolve();
    if (c.reading) {
      c.again = true;
      return c.reading;
    }
    const run = async () => {
      try {
        do {
          c.again = false;
          for (;;) {
            if (c.removed) return;
            const after = c.head ?? 0;
            const batch = await this.opts.read(runId, after, this.pageSize);
            if (c.removed) return;
            let paused = false;
            for (const e of batch) {
              const head = c.head ?? 0;
              if (e.seq <= head) continue;
              if (e.seq !== head + 1) break;
              c.head = e.seq;
              this.opts.deliver(e);
              if (c.removed) return;
              if (this.opts.busy?.()) {
                paused = true;
                break;
              }
            }
            if (paused) {
              c.paused = true;
              try {
                await this.opts.ready?.();
              } finally {
                c.paused = false;
              }
              continue;
            }
            if (batch.length < this.pageSize) break;
          }
        } while (c.again && !c.removed);
      } catch (err) {
        this.opts.failed?.(runId, err);
      } finally {
        c.reading = undefined;
        if (!c.removed) this.opts.settled?.(runId);
      }
    };
    c.reading = run();
    return c.reading;
  }
}
