/**
 * The time, once a second, for the cards that show a ticking elapsed time. One timer for the page, running only
 * while a card listens (only mounted cards do: the columns are virtualised).
 */
import { useSyncExternalStore } from "react";

const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(l: () => void): () => void {
  listeners.add(l);
  if (!timer) {
    now = Date.now();
    timer = setInterval(() => {
      now = Date.now();
      for (const f of listeners) f();
    }, 1000);
  }
  return () => {
    listeners.delete(l);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

const noop = () => () => {};
const read = () => now;

/** Date.now(), updated every second while `ticking`; otherwise the time of the render. */
export function useNow(ticking: boolean): number {
  const t = useSyncExternalStore(ticking ? subscribe : noop, read, read);
  return ticking ? t : Date.now();
}
