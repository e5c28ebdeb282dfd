/**
 * The errors Node's HTTP server and Fastify answer before any route runs, in the API's envelope
 * (`{ "error": { "code", "message" } }`) like every other failure:
 *
 * - a request line or headers Node's parser refuses (`clientError`): 431 when they are over Node's limit
 *   (16 KiB, the URL included), 408 when they were not received in time, 400 for anything else malformed;
 * - a URL Fastify cannot route (`frameworkErrors`): 400 for malformed percent-encoding, 414 for a path
 *   parameter over `maxParamLength`.
 *
 * And a refused request whose body is still arriving (413 over the body limit) is answered before the socket
 * closes in a way the client can read: see `lingerAfterResponse`.
 */
import { type IncomingMessage, maxHeaderSize } from "node:http";
import type { Socket } from "node:net";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { ErrorResponse } from "./schemas.js";

/** How long a closing connection keeps reading what the client still sends, at most, ms. */
const LINGER_MS = 30_000;
/** …and how long it waits for the next bytes before closing, ms. */
const LINGER_IDLE_MS = 5_000;

function envelope(code: string, message: string): ErrorResponse {
  return { error: { code, message } };
}

/** `/api/workflow-executions/%zz…`, cut to a length that fits a message. */
function shortUrl(url: string | undefined): string {
  const u = url ?? "";
  return u.length > 120 ? `${u.slice(0, 120)}… (${u.length} characters)` : u;
}

/**
 * Closes a socket gracefully: the response already written goes out with a FIN, then whatever the client
 * still sends is read and dropped (at most `LINGER_MS`, and no more than `LINGER_IDLE_MS` between reads)
 * before the socket is destroyed. Destroying it at once would make the kernel answer the client's next bytes
 * with a reset, and a client still sending its body may then lose the response it had not read yet.
 */
export function lingeringClose(socket: Socket): void {
  if (socket.destroyed) return;
  const done = () => {
    clearTimeout(total);
    socket.destroy();
  };
  const total = setTimeout(done, LINGER_MS);
  total.unref();
  socket.setTimeout(LINGER_IDLE_MS, done);
  socket.once("end", done);
  socket.once("error", done);
  socket.once("close", () => clearTimeout(total));
  socket.end();
  // What arrives goes to Node's HTTP parser, which drops the body of a request already answered. Reading may
  // have stopped under that request's backpressure (a body nobody read): a pause and resume starts it again.
  socket.pause();
  socket.resume();
}

/**
 * A response sent before the request's body was read (a 413, a refusal of an upload) is the last on its
 * connection (`Connection: close`, which Fastify sets on a body it could not parse): Node then destroys the
 * socket as soon as the response is written. Here it closes with `lingeringClose` instead, so the client reads
 * the status and the envelope even while it is still sending.
 */
export function lingerAfterResponse(req: IncomingMessage): void {
  if (req.complete) return;
  const socket = req.socket as Socket & { destroySoon?: () => void };
  // Node calls `destroySoon` on the socket once the last response of a closing connection is written.
  socket.destroySoon = () => lingeringClose(socket);
}

/** The `clientError` handler: Node's parser refused the request before Fastify saw it. */
export function clientErrorHandler(): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const answered = new WeakSet<Socket>();
  return (err, socket) => {
    // A reset connection has nobody left to answer; a parser that keeps failing on one socket is answered once.
    if (err.code === "ECONNRESET" || socket.destroyed || answered.has(socket)) return;
    answered.add(socket);
    let status: number;
    let body: ErrorResponse;
    if (err.code === "HPE_HEADER_OVERFLOW") {
      status = 431;
      body = envelope(
        "WEFT_TOO_LARGE",
        `the request line and headers are larger than the limit of ${maxHeaderSize} bytes (a very long URL counts too)`,
      );
    } else if (err.code === "ERR_HTTP_REQUEST_TIMEOUT") {
      status = 408;
      body = envelope("WEFT_BAD_REQUEST", "the request was not received in time");
    } else {
      status = 400;
      body = envelope("WEFT_BAD_REQUEST", `malformed HTTP request (${err.code ?? err.message})`);
    }
    if (socket.writable) {
      const text = JSON.stringify(body);
      socket.write(
        `HTTP/1.1 ${status} ${statusText(status)}\r\nContent-Type: application/json; charset=utf-8\r\n` +
          `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
      );
    }
    lingeringClose(socket);
  };
}

function statusText(status: number): string {
  return { 400: "Bad Request", 408: "Request Timeout", 431: "Request Header Fields Too Large" }[status] ?? "Error";
}

/** Fastify's `frameworkErrors`: a URL its router refuses, before any route or hook runs. */
export function frameworkErrors(
  maxParamLength: number,
): (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => void {
  return (err, req, reply) => {
    if (err.code === "FST_ERR_MAX_PARAM_LENGTH") {
      void reply
        .status(414)
        .send(
          envelope(
            "WEFT_TOO_LARGE",
            `a path segment of ${shortUrl(req.url)} is longer than the limit of ${maxParamLength} characters`,
          ),
        );
      return;
    }
    if (err.code === "FST_ERR_BAD_URL") {
      void reply
        .status(400)
        .send(
          envelope(
            "WEFT_BAD_REQUEST",
            `the URL ${shortUrl(req.url)} is malformed: a "%" must be followed by two hex digits (percent-encoding)`,
          ),
        );
      return;
    }
    void reply.status(500).send(envelope("WEFT_INTERNAL", "internal error"));
  };
}
