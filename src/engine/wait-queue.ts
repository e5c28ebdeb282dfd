/**
 * Runs waiting for a free slot of the engine's global concurrency, in the order they get one: higher
 * priority first, then first come, first served. A binary heap indexed by item: adding, removing and taking
 * the first are O(log n), so ten thousand waiting runs cost nothing much when one slot frees.
 */

interface Entry<T> {
  item: T;
  priority: number;
  /** When it started waiting (a counter): FIFO within a priority. */
  seq: number;
  index: number;
}

export class WaitQueue<T extends { readonly priority: number }> {
  private heap: Entry<T>[] = [];
  private readonly entries = new Map<T, Entry<T>>();
  private seq = 0;
  /** While `serve` runs: items that started waiting meanwhile (they wait for the next `serve`). */
  private parked: Set<T> | undefined;

  get size(): number {
    return this.heap.length + (this.parked?.size ?? 0);
  }

  has(item: T): boolean {
    return this.entries.has(item) || (this.parked?.has(item) ?? false);
  }

  /** Starts waiting; an item already waiting keeps its place. */
  add(item: T): void {
    if (this.has(item)) return;
    if (this.parked) {
      this.parked.add(item);
      return;
    }
    this.insert(item);
  }

  delete(item: T): boolean {
    if (this.parked?.delete(item)) return true;
    const e = this.entries.get(item);
    if (!e) return false;
    this.entries.delete(item);
    const last = this.heap.pop() as Entry<T>;
    if (last !== e) {
      this.heap[e.index] = last;
      last.index = e.index;
      this.down(this.up(e.index));
    }
    return true;
  }

  /**
   * Takes the waiting items in order and hands each to `visit` while `more()` says so (checked before
   * each). Each item waiting when it began is visited at most once: one that starts waiting again during
   * `visit` (still wanting more than it got) waits behind those of its priority, from the next call on.
   */
  serve(more: () => boolean, visit: (item: T) => void): void {
    if (this.parked) return; // re-entered from a visit: the outer call goes on
    this.parked = new Set();
    try {
      while (this.heap.length > 0 && more()) {
        const first = this.heap[0] as Entry<T>;
        this.delete(first.item);
        visit(first.item);
      }
    } finally {
      const parked = this.parked;
      this.parked = undefined;
      for (const item of parked) this.insert(item);
    }
  }

  /** The items in the order `serve` would take them (tests, diagnostics). */
  ordered(): T[] {
    return [...this.heap].sort(before).map((e) => e.item);
  }

  private insert(item: T): void {
    const e: Entry<T> = { item, priority: item.priority, seq: this.seq++, index: this.heap.length };
    this.heap.push(e);
    this.entries.set(item, e);
    this.up(e.index);
  }

  private up(i: number): number {
    const h = this.heap;
    const e = h[i] as Entry<T>;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Entry<T>;
      if (before(parent, e) <= 0) break;
      h[i] = parent;
      parent.index = i;
      i = p;
    }
    h[i] = e;
    e.index = i;
    return i;
  }

  private down(i: number): void {
    const h = this.heap;
    const e = h[i] as Entry<T>;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && before(h[r] as Entry<T>, h[l] as Entry<T>) < 0 ? r : l;
      const child = h[c] as Entry<T>;
      if (before(e, child) <= 0) break;
      h[i] = child;
      child.index = i;
      i = c;
    }
    h[i] = e;
    e.index = i;
  }
}

/** Negative when `a` goes first: higher priority, then the one waiting longer. */
function before<T>(a: Entry<T>, b: Entry<T>): number {
  return b.priority - a.priority || a.seq - b.seq;
}
