/**
 * The cheap path of `runs.versions`, polled by an owner to notice changes made by other processes.
 *
 * `PRAGMA data_version` changes only when another connection committed; it stays the same for this
 * connection's own commits. So: while it is unchanged, every version this connection read or wrote is still
 * current and is served from memory; when it changed, the cache is dropped and the asked-for runs are read.
 * A cached version is never stale: every write of this connection records its result here, and any write of
 * another connection moves `data_version` before the next lookup.
 */
import type { Statements } from "./statements.js";

/** Bounds memory on a long-lived connection; past it the cache starts over. */
const MAX_ENTRIES = 100_000;

export class VersionCache {
  private readonly known = new Map<string, number>();
  private dataVersion = -1;

  constructor(private readonly st: Statements) {}

  /** Records a version this connection just committed. */
  set(runId: string, version: number): void {
    if (this.known.size >= MAX_ENTRIES) this.known.clear();
    this.known.set(runId, version);
  }

  get(ids: readonly string[]): Map<string, number> {
    const dv = this.st.dataVersion.get() as number;
    if (dv !== this.dataVersion) {
      this.known.clear();
      this.dataVersion = dv;
    }
    const out = new Map<string, number>();
    for (const id of ids) {
      let v = this.known.get(id);
      if (v === undefined) {
        v = this.st.runVersion.get(id) as number | undefined;
        if (v === undefined) continue;
        this.set(id, v);
      }
      out.set(id, v);
    }
    return out;
  }

  clear(): void {
    this.known.clear();
    this.dataVersion = -1;
  }
}
