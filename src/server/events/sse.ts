/**
 * `GET /api/workflow-executions/:id/events`: one run's events as Server-Sent Events, for clients without
 * WebSocket (EventSource, curl). Each event: `id: <seq>`, `event: <type>`, `data: <the WebSocket message's
 * JSON>`. From the start of the run by default; after `Last-Event-ID` (what EventSource sends when it
 * reconnects) or `?after_seq=`. The stream ends (`event: end`) once the run is finished and everything up to
 * its end was sent; a resume of a finished run with nothing left to send gets 204 (EventSource then stops
 * reconnecting). A comment every `keepAliveMs` keeps proxies from closing an idle stream.
 */
import type { ServerResponse } from "node:http";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { WeftError } from "../../core/errors.js";
import type { EventRecord } from "../../core/events.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import type { Store } from "../../store/store.js";
import type { RevocationWatch } from "../revocation.js";
import type { EventFeed } from "./feed.js";
import { seqParam } from "./query.js";
import type { ProjectAccess, Sink } from "./subscription.js";
import { Subscription } from "./subscription.js";
import { REFUSALS } from "./ws.js";

export interface SseOptions {
  feed: EventFeed;
  store: Store;
  access: (req: FastifyRequest) => ProjectAccess | Promise<ProjectAccess>;
  keepAliveMs: number;
  maxBufferedBytes: number;
  revocations?: RevocationWatch | undefined;
}

class SseSink implements Sink {
  closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly maxBuffered: number,
    private readonly onSlow: () => void,
  ) {}

  send(text: string, e: EventRecord): void {
    if (this.closed) return;
    this.res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${text}\n\n`);
    // EventSource reconnects with Last-Event-ID by itself: ending the stream loses nothing.
    if (this.res.writableLength > this.maxBuffered) this.onSlow();
  }

  busy(): boolean {
    return this.res.writableLength > this.maxBuffered / 2;
  }

  ready(): Promise<void> {
    if (this.closed || !this.busy()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.res.off("drain", done);
        this.res.off("close", done);
        resolve();
      };
      this.res.on("drain", done);
      this.res.on("close", done);
    });
  }
}

export function registerSse(app: FastifyInstance, o: SseOptions): { close(): void } {
  const streams = new Set<() => void>();

  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    "/api/workflow-executions/:id/events",
    // A HEAD would hold a connection open for a body it never gets.
    {
      exposeHeadRoute: false,
      // EventSource cannot send headers: the token may come as ?access_token=.
      config: { access: { role: "read", scope: { run: "id" }, queryToken: true } },
    },
    async (req, reply) => {
      const runId = req.params.id;
      let after: number;
      let resumed: boolean;
      try {
        const header = req.headers["last-event-id"];
        const fromHeader = seqParam(typeof header === "string" ? header.trim() : header, "Last-Event-ID");
        const fromQuery = seqParam(req.query.after_seq, "after_seq");
        resumed = fromHeader !== undefined || fromQuery !== undefined;
        // Last-Event-ID wins: it is where this client's own stream stopped.
        after = fromHeader ?? fromQuery ?? 0;
      } catch (err) {
        if (!(err instanceof WeftError)) throw err;
        return reply.status(400).send({ error: { code: err.code, message: err.message } });
      }
      let access: ProjectAccess;
      try {
        access = await o.access(req);
      } catch (err) {
        const status = err instanceof WeftError ? REFUSALS[err.code] : undefined;
        if (status === undefined || !(err instanceof WeftError)) throw err;
        return reply.status(status).send({ error: { code: err.code, message: err.message } });
      }
      const run = await o.store.runs.get(runId);
      if (!run || !access(run.projectId))
        return reply.status(404).send({ error: { code: "WEFT_NOT_FOUND", message: `no run has id ${runId}` } });
      if (resumed && TERMINAL_RUN_STATUSES.has(run.status)) {
        const next = await o.store.events.list(runId, after, 1);
        if (next.length === 0) return reply.status(204).send();
      }

      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-cache, no-transform",
        connection: "keep-alive",
        "x-accel-buffering": "no",
      });
      res.write("retry: 2000\n\n");

      let ended = false;
      let terminal = TERMINAL_RUN_STATUSES.has(run.status);
      let status = run.status;
      const sink = new SseSink(res, o.maxBufferedBytes, () => end(false));
      const maybeEnd = () => {
        // After the current commit's events (published together) have gone out.
        setImmediate(() => {
          if (terminal && !ended && !sub.reading(runId)) end(true);
        });
      };
      const sub = new Subscription(o.feed, o.store, sink, access, {
        delivered: (e) => {
          if (e.type !== "workflow.execution.status_changed") return;
          status = e.data.status;
          terminal = TERMINAL_RUN_STATUSES.has(status);
          if (terminal) maybeEnd();
        },
        settled: () => maybeEnd(),
      });
      const keepAlive = setInterval(() => {
        if (!ended) res.write(": keep-alive\n\n");
      }, o.keepAliveMs);
      keepAlive.unref();
      const end = (finished: boolean) => {
        if (ended) return;
        ended = true;
        sink.closed = true;
        clearInterval(keepAlive);
        sub.close();
        unwatch?.();
        streams.delete(stop);
        if (finished && !res.destroyed)
          res.write(`event: end\ndata: ${JSON.stringify({ execution_id: runId, status })}\n\n`);
        res.end();
      };
      const stop = () => end(false);
      streams.add(stop);
      // A revoked token's stream ends at once (no `event: end`: the run did not end).
      const unwatch = o.revocations?.watch(req.principal?.tokenId ?? null, stop);
      res.on("close", stop);
      res.on("error", stop);
      await sub.set({ runs: [runId], projects: null }, { [runId]: after });
    },
  );

  return {
    close() {
      for (const stop of [...streams]) stop();
    },
  };
}
