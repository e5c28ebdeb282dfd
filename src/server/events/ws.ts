/**
 * `GET /api/ws`: the WebSocket feed. See docs/api.md ("Events") for the protocol.
 *
 * Upgrade: Origin checked (403 before the upgrade), `?run_id=` / `?project_id=` / `?after_seq=` validated
 * (400), unknown or invisible runs refused (404). A plain GET (no upgrade) gets 426.
 * Then: a `subscribed` acknowledgement, the missed events (when resuming), live events. Client messages:
 * `subscribe` (replaces the filter), `unsubscribe`, `ping`. Pings every `heartbeatMs`; a client that does not
 * answer two in a row is dropped. A client that cannot keep up (more than `maxBufferedBytes` waiting in the
 * socket) is closed with 4008 and resumes with `after`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { WebSocket } from "ws";
import { z } from "zod";
import { WeftError } from "../../core/errors.js";
import type { Store } from "../../store/store.js";
import type { RevocationWatch } from "../revocation.js";
import { type FieldProblem, RequestError, zodValidatorCompiler } from "../validation.js";
import type { EventFeed } from "./feed.js";
import { originAllowed } from "./origin.js";
import { badRequest, listParam, parseSubscribe, seqParam } from "./query.js";
import type { Filter, ProjectAccess, Sink } from "./subscription.js";
import { Subscription } from "./subscription.js";
import { type ControlMessage, encodeControl } from "./wire.js";

/** Close code for a client that does not read fast enough (resume with `after`). */
export const CLOSE_SLOW_CONSUMER = 4008;
/** Close code when the server shuts down. */
export const CLOSE_GOING_AWAY = 1001;
/** Close code when the API token that opened the connection is revoked (401 as a WebSocket code). */
export const CLOSE_TOKEN_REVOKED = 4401;

export interface WsOptions {
  feed: EventFeed;
  store: Store;
  allowedOrigins: readonly string[];
  access: (req: FastifyRequest) => ProjectAccess | Promise<ProjectAccess>;
  heartbeatMs: number;
  maxBufferedBytes: number;
  revocations?: RevocationWatch | undefined;
}

/** Errors answered before the upgrade with their own status (others go to the app's error handler). */
export const REFUSALS: Partial<Record<string, number>> = {
  WEFT_BAD_REQUEST: 400,
  WEFT_UNAUTHORIZED: 401,
  WEFT_NOT_FOUND: 404,
};

const anyValue = z.unknown().optional();
/**
 * The connect query's keys, checked by the REST routes' own validator so that an unknown one gets their answer
 * (400, `invalid request: query: Unrecognized key: "x"`, with `fields`). Values are checked below.
 */
const checkQueryKeys = zodValidatorCompiler({
  schema: z.strictObject({
    run_id: anyValue,
    project_id: anyValue,
    after_seq: anyValue,
    access_token: anyValue,
  }),
  method: "GET",
  url: "/api/ws",
  httpPart: "querystring",
});

interface ConnectQuery {
  filter: Filter;
  after: Record<string, number>;
  access: ProjectAccess;
}

/** A WebSocket as a subscription's sink: bounded buffering, slow consumers closed. */
export class WsSink implements Sink {
  closed = false;

  constructor(
    private readonly ws: Pick<WebSocket, "send" | "close" | "terminate" | "bufferedAmount" | "readyState">,
    private readonly maxBuffered: number,
  ) {}

  send(text: string): void {
    if (this.closed) return;
    if (this.ws.readyState !== 1) {
      this.closed = true;
      return;
    }
    this.ws.send(text);
    if (this.ws.bufferedAmount > this.maxBuffered) this.slow();
  }

  /** Sends a control message (not counted against the limit). */
  control(m: ControlMessage): void {
    if (!this.closed && this.ws.readyState === 1) this.ws.send(encodeControl(m));
  }

  busy(): boolean {
    return this.ws.bufferedAmount > this.maxBuffered / 2;
  }

  async ready(): Promise<void> {
    while (!this.closed && this.ws.readyState === 1 && this.ws.bufferedAmount > this.maxBuffered / 4)
      await new Promise((r) => setTimeout(r, 10));
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(code, reason);
    } catch {
      this.ws.terminate();
    }
  }

  private slow(): void {
    this.close(CLOSE_SLOW_CONSUMER, "slow consumer: too many events waiting; reconnect with after");
    // A client that reads nothing will not read the close frame either.
    setTimeout(() => this.ws.terminate(), 2_000).unref();
  }
}

export function registerWs(app: FastifyInstance, o: WsOptions): { close(): void } {
  const queries = new WeakMap<FastifyRequest, ConnectQuery>();
  const sockets = new Map<WebSocket, { alive: boolean; sink: WsSink; sub: Subscription }>();

  const heartbeat = setInterval(() => {
    for (const [ws, c] of sockets) {
      if (!c.alive) {
        ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }, o.heartbeatMs);
  heartbeat.unref();

  const refuse = (reply: FastifyReply, status: number, code: string, message: string, fields?: FieldProblem[]) =>
    reply.status(status).send({ error: { code, message, ...(fields?.length ? { fields } : {}) } });

  app.route({
    method: "GET",
    url: "/api/ws",
    // Browsers cannot set headers on a WebSocket: the token may come as the subprotocol weft.bearer.<token>
    // (preferred: a header, out of URLs and logs) or as ?access_token=. Each event is then filtered by the
    // projects the token may read (`access`).
    config: { access: { role: "read", scope: "token", queryToken: true, protocolToken: true } },
    // Runs before the upgrade: a refusal is a plain HTTP response, the socket is never upgraded.
    preValidation: async (req, reply) => {
      if (!req.ws) return;
      const origin = req.headers.origin;
      if (!originAllowed(origin, req.headers.host, o.allowedOrigins)) {
        return refuse(
          reply,
          403,
          "WEFT_UNAUTHORIZED",
          `origin ${origin} may not open WebSocket connections to this server; allow it with allowedOrigins`,
        );
      }
      try {
        const q = req.query as Record<string, unknown>;
        // Synchronous, and its error is a RequestError (zodValidatorCompiler).
        const keys = checkQueryKeys(q) as { error?: Error };
        if (keys.error) throw keys.error;
        const runs = listParam(q.run_id, "run_id");
        const projects = listParam(q.project_id, "project_id");
        const afterSeq = seqParam(q.after_seq, "after_seq");
        if (afterSeq !== undefined && runs?.length !== 1)
          throw badRequest(
            "after_seq needs exactly one run_id (or send after: { <run id>: <seq> } in a subscribe message)",
          );
        const access = await o.access(req);
        for (const id of runs ?? []) {
          const run = await o.store.runs.get(id);
          if (!run || !access(run.projectId)) throw new WeftError("WEFT_NOT_FOUND", `no run has id ${id}`);
        }
        const after: Record<string, number> = {};
        if (afterSeq !== undefined && runs?.[0] !== undefined) after[runs[0]] = afterSeq;
        queries.set(req, { filter: { runs, projects }, after, access });
      } catch (err) {
        const status = err instanceof WeftError ? REFUSALS[err.code] : undefined;
        if (status === undefined || !(err instanceof WeftError)) throw err;
        return refuse(reply, status, err.code, err.message, err instanceof RequestError ? err.fields : undefined);
      }
    },
    handler: (_req, reply) =>
      refuse(reply, 426, "WEFT_BAD_REQUEST", "this endpoint speaks WebSocket: send an Upgrade: websocket request"),
    wsHandler: (socket, req) => {
      const q = queries.get(req) ?? { filter: { runs: null, projects: null }, after: {}, access: () => false };
      const sink = new WsSink(socket, o.maxBufferedBytes);
      const sub = new Subscription(o.feed, o.store, sink, q.access);
      const conn = { alive: true, sink, sub };
      sockets.set(socket, conn);
      // Not one more event once the token is revoked: the subscription stops before the close frame goes out.
      const unwatch = o.revocations?.watch(req.principal?.tokenId ?? null, () => {
        sub.close();
        sink.close(CLOSE_TOKEN_REVOKED, "API token revoked");
        setTimeout(() => socket.terminate(), 2_000).unref();
      });

      const subscribe = (filter: Filter, after: Record<string, number>) =>
        sub
          .set(filter, after, (unknown) => {
            for (const id of unknown)
              sink.control({ type: "error", data: { code: "WEFT_NOT_FOUND", message: `no run has id ${id}` } });
            sink.control({
              type: "subscribed",
              data: {
                run_id: filter.runs === null ? null : filter.runs.filter((id) => !unknown.includes(id)),
                project_id: filter.projects === null ? null : [...filter.projects],
                after: Object.fromEntries(Object.entries(after).filter(([id]) => !unknown.includes(id))),
              },
            });
          })
          .catch((err: unknown) => {
            sink.control({ type: "error", data: { code: "WEFT_INTERNAL", message: (err as Error).message } });
          });

      socket.on("pong", () => {
        conn.alive = true;
      });
      socket.on("message", (raw, isBinary) => {
        conn.alive = true;
        let m: unknown;
        try {
          if (isBinary) throw badRequest("messages are JSON text");
          m = JSON.parse(raw.toString());
          if (typeof m !== "object" || m === null || Array.isArray(m))
            throw badRequest('a message is a JSON object with a "type"');
        } catch (err) {
          const message = err instanceof WeftError ? err.message : `invalid JSON: ${(err as Error).message}`;
          sink.control({ type: "error", data: { code: "WEFT_BAD_REQUEST", message } });
          return;
        }
        const msg = m as Record<string, unknown>;
        try {
          switch (msg.type) {
            case "subscribe": {
              const s = parseSubscribe(msg);
              void subscribe({ runs: s.runs, projects: s.projects }, s.after);
              return;
            }
            case "unsubscribe":
              void subscribe({ runs: [], projects: null }, {});
              return;
            case "ping":
              sink.control({ type: "pong", data: {} });
              return;
            default:
              throw badRequest(
                `unknown message type ${JSON.stringify(msg.type)}; expected "subscribe", "unsubscribe" or "ping"`,
              );
          }
        } catch (err) {
          sink.control({ type: "error", data: { code: "WEFT_BAD_REQUEST", message: (err as Error).message } });
        }
      });
      socket.on("close", () => {
        unwatch?.();
        sockets.delete(socket);
        sink.closed = true;
        sub.close();
      });
      void subscribe(q.filter, q.after);
    },
  });

  return {
    close() {
      clearInterval(heartbeat);
      for (const [ws, c] of sockets) {
        c.sub.close();
        c.sink.close(CLOSE_GOING_AWAY, "server shutting down");
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
      sockets.clear();
    },
  };
}
