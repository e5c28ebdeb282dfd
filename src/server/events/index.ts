/**
 * eventsPlugin: live events over WebSocket (`GET /api/ws`) and Server-Sent Events
 * (`GET /api/workflow-executions/:id/events`), fed by one `EventFeed` per server that merges this
 * process's engine events with those other processes commit to the same store. Protocol: docs/api.md, "Events".
 *
 * Registered by buildApp: `await app.register(eventsPlugin, { deps })`. Encapsulated: @fastify/websocket is
 * registered inside it, so its hooks touch only these routes.
 */
import websocket from "@fastify/websocket";
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { Engine } from "../../engine/engine.js";
import type { Store } from "../../store/store.js";
import { WS_PROTOCOL } from "../access.js";
import type { RevocationWatch } from "../revocation.js";
import { EventFeed } from "./feed.js";
import { registerSse } from "./sse.js";
import type { ProjectAccess } from "./subscription.js";
import { seeAll } from "./subscription.js";
import { registerWs } from "./ws.js";

export { EventFeed, type FeedOptions, type FeedRun } from "./feed.js";
export { originAllowed } from "./origin.js";
export { Sequencer } from "./sequencer.js";
export { type Filter, type ProjectAccess, type Sink, Subscription } from "./subscription.js";
export { encodeEvent, toWire, type WireEvent } from "./wire.js";
export { CLOSE_GOING_AWAY, CLOSE_SLOW_CONSUMER, CLOSE_TOKEN_REVOKED, WsSink } from "./ws.js";

/** What the plugin uses of buildApp's `ServerDeps` (a `ServerDeps` is one). */
export interface EventsDeps {
  engine: Engine;
  store: Store;
  /** Origins allowed to open WebSocket connections (besides same-origin and no Origin header). */
  allowedOrigins?: readonly string[] | undefined;
}

export interface EventsPluginOptions {
  deps: EventsDeps;
  /**
   * The feed, when the app made it (so that routes writing comments or artifacts through the store can
   * `feed.publish(event)` at once); else the plugin makes one. Either way the plugin starts and stops it.
   */
  feed?: EventFeed;
  /** How often the store is read for other processes' events, ms. Default 100. */
  pollMs?: number;
  /** WebSocket ping interval, ms; a client that misses two is dropped. Default 30,000. */
  heartbeatMs?: number;
  /** SSE keep-alive comment interval, ms. Default 15,000. */
  sseKeepAliveMs?: number;
  /** Bytes waiting in a client's socket past which it is disconnected as a slow consumer. Default 4 MiB. */
  maxBufferedBytes?: number;
  /**
   * The projects a request may see events of (API tokens are scoped to projects); called once per
   * connection, after the app's auth hooks. May throw a WeftError (`WEFT_UNAUTHORIZED` → 401). Default: all.
   */
  access?: (req: FastifyRequest) => ProjectAccess | Promise<ProjectAccess>;
  /** Ends each stream when the stored token that opened it is revoked. Default: streams are not watched. */
  revocations?: RevocationWatch;
}

export const eventsPlugin: FastifyPluginAsync<EventsPluginOptions> = async (app, opts) => {
  const { deps } = opts;
  const feed =
    opts.feed ??
    new EventFeed({
      store: deps.store,
      engine: deps.engine,
      pollMs: opts.pollMs ?? 100,
      warn: (m) => app.log.warn(m),
    });
  const access = opts.access ?? (() => seeAll);
  const maxBufferedBytes = opts.maxBufferedBytes ?? 4 * 1024 * 1024;

  let ws: { close(): void } | undefined;
  let sse: { close(): void } | undefined;
  // Before @fastify/websocket's own preClose (which closes sockets without a code): ours say why.
  app.addHook("preClose", async () => {
    feed.stop();
    ws?.close();
    sse?.close();
  });
  app.addHook("onReady", async () => {
    await feed.start();
  });

  await app.register(websocket, {
    options: {
      maxPayload: 64 * 1024,
      // A client that offers subprotocols (a browser sending its token as weft.bearer.<token>) gets weft.v1
      // selected — a browser fails a connection whose answer selects none of those it offered. The token's
      // subprotocol is never selected, so it is never echoed.
      handleProtocols: (offered: Set<string>) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
    // A client that goes away uncleanly (ECONNRESET) is not a server error.
    errorHandler: (err, socket, req) => {
      req.log.debug({ err }, "websocket connection error");
      socket.terminate();
    },
  });
  ws = registerWs(app, {
    feed,
    store: deps.store,
    allowedOrigins: deps.allowedOrigins ?? [],
    access,
    heartbeatMs: opts.heartbeatMs ?? 30_000,
    maxBufferedBytes,
    revocations: opts.revocations,
  });
  sse = registerSse(app, {
    feed,
    store: deps.store,
    access,
    keepAliveMs: opts.sseKeepAliveMs ?? 15_000,
    maxBufferedBytes,
    revocations: opts.revocations,
  });
};
