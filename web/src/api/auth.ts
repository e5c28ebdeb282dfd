/**
 * The API token of this tab. With tokens configured on the server, the sign-in page asks for one and keeps it
 * in sessionStorage: it lives as long as the tab, is not shared with other tabs, and never goes into a URL.
 */
import { useSyncExternalStore } from "react";

const KEY = "weft.token";
const listeners = new Set<() => void>();

function read(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

let current = read();

export function getToken(): string | null {
  return current;
}

export function setToken(token: string | null): void {
  current = token;
  try {
    if (token === null) sessionStorage.removeItem(KEY);
    else sessionStorage.setItem(KEY, token);
  } catch {
    // Storage refused (private mode quotas): the token stays in memory for this page.
  }
  for (const l of listeners) l();
}

export function useToken(): string | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    getToken,
    getToken,
  );
}
