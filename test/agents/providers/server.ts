/**
 * A real local HTTP server (node:http, 127.0.0.1, port 0) for the SDK provider tests: each test scripts the
 * replies in the wire format of the API under test, and every request is recorded (method, path, headers,
 * parsed JSON body) so tests can assert what the real SDK sent.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Json } from "../../../src/core/json.js";

export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/v1/messages`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Json | undefined;
  rawBody: string;
}

export interface SseEvent {
  event?: string;
  data: string;
}

export type Reply =
  /** A server-sent event stream. */
  | {
      kind: "sse";
      events: SseEvent[];
      status?: number;
      headers?: Record<string, string>;
      /** Pause between events, in ms. Default 0. */
      delayMs?: number;
      /** After the events: `end` (default) closes cleanly, `destroy` cuts the socket, `hold` keeps it open. */
      after?: "end" | "destroy" | "hold";
    }
  /** A JSON body (an error envelope, usually). */
  | { kind: "json"; status: number; body: Json; headers?: Record<string, string> }
  /** Any body, as given. */
  | { kind: "raw"; status: number; body: string; headers?: Record<string, string> };

export interface TestServer {
  /** `http://127.0.0.1:PORT`. */
  origin: string;
  requests: RecordedRequest[];
  /** Resolves when a held or streaming response's connection closed (the client went away). */
  closed: Promise<void>;
  close(): Promise<void>;
}

export async function startServer(reply: (req: RecordedRequest, index: number) => Reply): Promise<TestServer> {
  const requests: RecordedRequest[] = [];
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const rawBody = Buffer.concat(chunks).toString("utf8");
      let body: Json | undefined;
      try {
        body = rawBody ? (JSON.parse(rawBody) as Json) : undefined;
      } catch {
        body = undefined;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body,
        rawBody,
      };
      requests.push(recorded);
      res.on("close", markClosed);
      void send(res, reply(recorded, requests.length - 1));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    closed,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function send(res: ServerResponse, reply: Reply): Promise<void> {
  if (reply.kind !== "sse") {
    const type = reply.kind === "json" ? "application/json" : "text/plain";
    res.writeHead(reply.status, { "content-type": type, ...reply.headers });
    res.end(reply.kind === "json" ? JSON.stringify(reply.body) : reply.body);
    return;
  }
  res.writeHead(reply.status ?? 200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    ...reply.headers,
  });
  res.flushHeaders();
  for (const event of reply.events) {
    if (res.destroyed) return;
    res.write(`${event.event ? `event: ${event.event}\n` : ""}data: ${event.data}\n\n`);
    if (reply.delayMs) await sleep(reply.delayMs);
  }
  if (reply.after === "destroy") res.socket?.destroy();
  else if (reply.after !== "hold") res.end();
}

/** Splits `text` into pieces of `size` characters (the last may be shorter). */
export function pieces(text: string, size: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out;
}

/** A long answer with line breaks, for progress batching. */
export function longAnswer(lines: number): string {
  return Array.from({ length: lines }, (_, i) => `Line ${i + 1}: the quick brown fox jumps over the lazy dog.\n`).join(
    "",
  );
}
