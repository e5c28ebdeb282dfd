/**
 * The live event feed: one WebSocket (`/api/ws`) for the whole page, every run the token may read. Pages
 * subscribe to the events they show (`useLiveEvents`); the header shows the connection (`useConnection`).
 *
 * Nothing is missed across a reconnect: the last `seq` of each run that is still going is sent back as
 * `after`, and the server replays what came since, in order; an event that is not the next of its run is
 * dropped (it comes again in order). Runs created while away are not known here: `onReconnect` listeners
 * reload their lists. The token goes in the `Sec-WebSocket-Protocol` header (`weft.bearer.<token>`), never in
 * the URL.
 */
import { useEffect, useRef, useSyncExternalStore } from "react";
import { getToken } from "./auth";

export interface LiveEvent {
  type: string;
  data: { execution_id: string; project_id: string; [field: string]: unknown };
  seq: number;
  at: string;
}

export type ConnectionState = "connecting" | "open" | "reconnecting";

type Listener = (e: LiveEvent) => void;

const RUN_DONE = new Set(["completed", "failed", "cancelled"]);
/** The server refuses client messages over 64 KiB: at most this many runs are named in `after`. */
const MAX_AFTER = 1000;

class LiveFeed {
  private ws: WebSocket | null = null;
  private state: ConnectionState = "connecting";
  private readonly stateListeners = new Set<() => void>();
  private readonly listeners = new Set<Listener>();
  private readonly reconnectListeners = new Set<() => void>();
  /** run id → last seq received, for runs still going (a finished run sends nothing more). */
  private readonly last = new Map<string, number>();
  private retryMs = 500;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private everOpened = false;
  private started = false;

  start(): void {
    if (this.started) return;
    this.started = true;
    this.connect();
  }

  /** Closes and opens again (a new token). */
  restart(): void {
    this.ws?.close();
  }

  getState = (): ConnectionState => this.state;

  onState(l: () => void): () => void {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  on(l: Listener): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  onReconnect(l: () => void): () => void {
    this.reconnectListeners.add(l);
    return () => this.reconnectListeners.delete(l);
  }

  private setState(s: ConnectionState): void {
    if (s === this.state) return;
    this.state = s;
    for (const l of this.stateListeners) l();
  }

  private connect(): void {
    const url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/ws`;
    const token = getToken();
    const ws = token ? new WebSocket(url, ["weft.v1", `weft.bearer.${token}`]) : new WebSocket(url);
    this.ws = ws;
    ws.onopen = () => {
      const after: Record<string, number> = {};
      for (const [id, seq] of [...this.last].slice(-MAX_AFTER)) after[id] = seq;
      ws.send(JSON.stringify({ type: "subscribe", after }));
    };
    ws.onmessage = (msg) => {
      let m: LiveEvent | { type: string; seq?: undefined };
      try {
        m = JSON.parse(String(msg.data));
      } catch {
        return;
      }
      if (m.type === "subscribed") {
        this.retryMs = 500;
        this.setState("open");
        if (this.everOpened) for (const l of this.reconnectListeners) l();
        this.everOpened = true;
        return;
      }
      if (m.seq === undefined) return;
      const e = m as LiveEvent;
      const id = e.data.execution_id;
      const prev = this.last.get(id);
      if (prev !== undefined && e.seq !== prev + 1) return;
      if (e.type === "workflow.execution.status_changed" && RUN_DONE.has(String(e.data.status))) this.last.delete(id);
      else this.last.set(id, e.seq);
      for (const l of this.listeners) l(e);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setState("reconnecting");
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 5000);
    };
  }
}

export const live = new LiveFeed();

export function useConnection(): ConnectionState {
  return useSyncExternalStore((l) => live.onState(l), live.getState, live.getState);
}

/**
 * Calls `handler` for each live event (the latest handler: it may close over state); `onReconnect` after the
 * feed came back from a disconnection (reload lists: runs created meanwhile are not replayed).
 */
export function useLiveEvents(handler: (e: LiveEvent) => void, onReconnect?: () => void): void {
  const h = useRef(handler);
  const r = useRef(onReconnect);
  h.current = handler;
  r.current = onReconnect;
  useEffect(() => {
    const off = live.on((e) => h.current(e));
    const offR = live.onReconnect(() => r.current?.());
    return () => {
      off();
      offR();
    };
  }, []);
}
