/**
 * The board's runs: loaded page by page into the TanStack Query cache (`["board", "runs"]`), then kept current
 * by the live feed, in place — no polling.
 *
 * Data path:
 * 1. The query loads the newest runs in pages; the first page shows at once, the rest is appended as it comes
 *    (`complete` turns true at the end). After a reconnect the feed says so and the list is loaded again
 *    (runs created while away are not replayed), the old one shown meanwhile.
 * 2. Live events are queued and applied once per animation frame, all of a frame's in one cache update: 200
 *    events a second re-render only the cards they change (cards are memoised by identity).
 * 3. An event of a run not on the board yet — created just now (`workflow.execution.created`), or missed by a
 *    load still under way — fetches that one run; events that arrive while a run's view is being fetched are
 *    kept and replayed on it (model.ts: replaying is harmless).
 */
import { type QueryClient, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, call } from "../../api/client";
import { type LiveEvent, live } from "../../api/live";
import { applyEvent, type BoardRun, CARD_EVENTS, toBoardRun } from "./model";

export interface BoardData {
  runs: BoardRun[];
  /** False while older pages are still coming. */
  complete: boolean;
}

export const BOARD_KEY = ["board", "runs"] as const;
/**
 * Summary pages (no steps, no workflow: what a card shows). The first is small, so the board shows at once;
 * then pages of the API's largest size, one after the other (the server answers one at a time anyway). The
 * API's largest offset is 10,000: the board shows at most the newest 11,000 runs.
 */
const FIRST_PAGE = 100;
const PAGE = 1000;
const MAX_OFFSET = 10_000;
/** Events kept for runs being fetched, at most (a flood beyond it is dropped: the next reload catches up). */
const MAX_PENDING = 20_000;

async function fetchPage(offset: number, limit: number): Promise<BoardRun[]> {
  const items = await call(
    api.GET("/api/workflow-executions", { params: { query: { view: "summary", limit, offset } } }),
  );
  return items.map(toBoardRun);
}

async function fetchRun(id: string): Promise<BoardRun> {
  return toBoardRun(await call(api.GET("/api/workflow-executions/{id}", { params: { path: { id } } })));
}

/** Keeps what the board is doing between renders: the event queue, the runs being fetched and their events. */
class BoardFeed {
  private queue: LiveEvent[] = [];
  /** Run id → events that came while its view was being fetched (a load, or a single run). */
  private waiting = new Map<string, LiveEvent[]>();
  private waitingCount = 0;
  private loading = 0;
  private fetching = new Set<string>();

  constructor(private readonly qc: QueryClient) {}

  /** The query function: every page, newest first, shown as they come on a first load. */
  load = async (): Promise<BoardData> => {
    this.loading++;
    try {
      const first = this.qc.getQueryData<BoardData>(BOARD_KEY) === undefined;
      const raw: BoardRun[] = [];
      const seen = new Set<string>();
      let offset = 0;
      let end = false;
      while (!end && offset <= MAX_OFFSET) {
        const limit = offset === 0 ? FIRST_PAGE : PAGE;
        const page = await fetchPage(offset, limit);
        offset += limit;
        end = page.length < limit;
        const added: BoardRun[] = [];
        for (const r of page) {
          if (seen.has(r.id)) continue; // a run launched meanwhile shifted the pages
          seen.add(r.id);
          raw.push(r);
          added.push(r);
        }
        // A first load shows each page as it lands; a reload keeps the old list until the new one is whole.
        if (first) this.append(added.map((r) => this.replay(r)));
      }
      const shown = this.qc.getQueryData<BoardData>(BOARD_KEY)?.runs ?? [];
      const byId = new Map(shown.map((r) => [r.id, r]));
      // A first load's cards on the board have had every event since; a reload's get the events of the meantime.
      const runs = raw.map((r) => (first ? (byId.get(r.id) ?? this.replay(r)) : this.replay(r)));
      // Runs fetched one by one meanwhile (launched during the load) that the pages did not have.
      const newest = raw[0]?.createdAt ?? 0;
      const extra = shown.filter((r) => !seen.has(r.id) && (first || r.createdAt > newest));
      return { runs: [...extra, ...runs], complete: true };
    } finally {
      this.loading--;
      if (this.loading === 0) this.dropWaiting();
    }
  };

  /** Appends the cards the cache does not have yet (a first load, page by page). */
  private append(cards: BoardRun[]): void {
    this.qc.setQueryData<BoardData>(BOARD_KEY, (old) => {
      if (!old) return { runs: cards, complete: false };
      const have = new Set(old.runs.map((r) => r.id));
      return { runs: [...old.runs, ...cards.filter((r) => !have.has(r.id))], complete: false };
    });
  }

  /** A live event: queued, applied with the others of this frame. */
  push = (e: LiveEvent): void => {
    if (!CARD_EVENTS.has(e.type) && e.type !== "workflow.execution.created") return;
    this.queue.push(e);
    // A hidden tab gets no animation frames: it applies them four times a second.
    if (this.queue.length === 1) {
      if (document.hidden) setTimeout(this.flush, 250);
      else requestAnimationFrame(this.flush);
    }
  };

  private flush = (): void => {
    const events = this.queue;
    this.queue = [];
    const data = this.qc.getQueryData<BoardData>(BOARD_KEY);
    if (!data) {
      // Not loaded (yet, or any more): a load under way replays them; otherwise the next load reads them.
      if (this.loading > 0) for (const e of events) this.keep(e);
      return;
    }
    let index: Map<string, number> | undefined;
    let runs: BoardRun[] | undefined;
    for (const e of events) {
      const id = e.data.execution_id;
      if (this.loading > 0 || this.fetching.has(id)) this.keep(e);
      index ??= new Map(data.runs.map((r, i) => [r.id, i]));
      const i = index.get(id);
      if (i === undefined) {
        if (!this.fetching.has(id) && (this.loading === 0 || e.type === "workflow.execution.created")) {
          this.keep(e);
          this.fetchOne(id);
        }
        continue;
      }
      runs ??= [...data.runs];
      const card = runs[i];
      if (card) runs[i] = applyEvent(card, e);
    }
    if (runs) this.qc.setQueryData<BoardData>(BOARD_KEY, { ...data, runs });
  };

  private keep(e: LiveEvent): void {
    if (this.waitingCount >= MAX_PENDING) return;
    const id = e.data.execution_id;
    const list = this.waiting.get(id);
    if (list) {
      if (list.includes(e)) return;
      list.push(e);
    } else this.waiting.set(id, [e]);
    this.waitingCount++;
  }

  /** A card fetched just now, with the events that came while it was being fetched. */
  private replay(r: BoardRun): BoardRun {
    const events = this.waiting.get(r.id);
    if (!events) return r;
    let card = r;
    for (const e of events) if (e.type !== "workflow.step.usage") card = applyEvent(card, e);
    return card;
  }

  private dropWaiting(): void {
    for (const id of this.waiting.keys()) if (!this.fetching.has(id)) this.waiting.delete(id);
    this.waitingCount = [...this.waiting.values()].reduce((n, l) => n + l.length, 0);
  }

  private fetchOne(id: string): void {
    this.fetching.add(id);
    fetchRun(id)
      .then((fetched) => {
        const card = this.replay(fetched);
        this.qc.setQueryData<BoardData>(BOARD_KEY, (old) => {
          if (!old) return old;
          if (old.runs.some((r) => r.id === id)) return old;
          // Newest first: a new run goes on top, an older one missed by a load where its time puts it.
          const at = old.runs.findIndex((r) => r.createdAt <= card.createdAt);
          const runs = [...old.runs];
          runs.splice(at === -1 ? runs.length : at, 0, card);
          return { ...old, runs };
        });
      })
      .catch(() => {
        // Gone, or not readable by this token: nothing to show. A network error: the reconnect reloads the list.
      })
      .finally(() => {
        this.fetching.delete(id);
        if (this.loading === 0) {
          const n = this.waiting.get(id)?.length ?? 0;
          this.waiting.delete(id);
          this.waitingCount -= n;
        }
      });
  }
}

const feeds = new WeakMap<QueryClient, BoardFeed>();

/**
 * The board's runs, live. The feed stays subscribed once the board was shown, so the cached list is still
 * current when the board is opened again (from a run page); an unused list is dropped after `gcTime`.
 */
export function useBoardRuns() {
  const qc = useQueryClient();
  let feed = feeds.get(qc);
  if (!feed) {
    const f = new BoardFeed(qc);
    feeds.set(qc, f);
    live.on(f.push);
    live.onReconnect(() => void qc.invalidateQueries({ queryKey: BOARD_KEY }));
    feed = f;
  }
  return useQuery({
    queryKey: BOARD_KEY,
    queryFn: feed.load,
    // Events keep it current; it is loaded again after a reconnect, never on a timer or on focus.
    staleTime: Number.POSITIVE_INFINITY,
    gcTime: 10 * 60_000,
    refetchOnWindowFocus: false,
    structuralSharing: false,
  });
}
