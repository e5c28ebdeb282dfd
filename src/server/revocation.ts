/**
 * Open streams (WebSocket, SSE, a followed step log) end when the token that opened them is revoked. A token is
 * checked when a request arrives (access.ts); a stream outlives that check, so the server keeps the stored
 * tokens its open streams hold and looks them up again every `pollMs` (250 ms by default): one primary-key read
 * per distinct token, only while such a stream is open. `weft token revoke` writes the store from another
 * process, so polling is how this server learns of it; the bound is `pollMs` plus the time of one read.
 *
 * `WEFT_API_TOKENS` tokens and the no-token local user cannot be revoked (restart the server without them):
 * their streams are not watched.
 */
import type { Store } from "../store/store.js";

export interface RevocationWatch {
  /**
   * Calls `end` once, the first time the token is found revoked (or deleted). Returns the function that stops
   * watching (call it when the stream ends by itself). A null token id (not a stored token) is not watched.
   */
  watch(tokenId: string | null, end: () => void): () => void;
  /** Stops polling; watched streams are left to their own close. */
  stop(): void;
}

export function createRevocationWatch(
  store: Pick<Store, "tokens">,
  opts: { pollMs?: number; warn?: (message: string) => void } = {},
): RevocationWatch {
  const pollMs = opts.pollMs ?? 250;
  const streams = new Map<string, Set<() => void>>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let checking = false;

  const check = async (): Promise<void> => {
    if (checking) return;
    checking = true;
    try {
      for (const [id, ends] of [...streams]) {
        const t = await store.tokens.get(id);
        if (t !== undefined && t.revokedAt === null) continue;
        streams.delete(id);
        for (const end of ends) end();
      }
    } catch (err) {
      // The store closing under a stopping server; the next tick tries again.
      if (!stopped) opts.warn?.(`checking API tokens for revocation failed: ${(err as Error).message}`);
    } finally {
      checking = false;
      if (streams.size === 0 && timer !== undefined) {
        clearInterval(timer);
        timer = undefined;
      }
    }
  };

  return {
    watch(tokenId, end) {
      if (tokenId === null || stopped) return () => undefined;
      let once = false;
      const call = () => {
        if (once) return;
        once = true;
        end();
      };
      let ends = streams.get(tokenId);
      if (!ends) {
        ends = new Set();
        streams.set(tokenId, ends);
      }
      ends.add(call);
      if (timer === undefined) {
        timer = setInterval(() => void check(), pollMs);
        timer.unref();
      }
      return () => {
        once = true;
        const set = streams.get(tokenId);
        set?.delete(call);
        if (set?.size === 0) streams.delete(tokenId);
      };
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      streams.clear();
    },
  };
}
