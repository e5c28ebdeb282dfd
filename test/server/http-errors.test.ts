/**
 * Errors raised before any route runs — by Node's HTTP parser, Fastify's router, the body limit — answer in the API's envelope like every other failure (src/server/http-errors.ts), over a real
 * socket, and a refused body is answered so that a client still sending it reads the answer.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectError, type Json, rawExchange, type ServerEnv, serverEnv } from "./helpers.js";

let s: ServerEnv;
let base: string;
beforeEach(async () => {
  s = await serverEnv();
  base = await s.listen();
});
afterEach(async () => {
  await s.close();
});

const GET = (path: string, extra = "") =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}Connection: close\r\n\r\n`;

/** The envelope and nothing else: `{ error: { code, message } }`, JSON content type. */
function enveloped(res: { status: number; headers: string; json: Json }, status: number, code: string) {
  expect(res.headers).toMatch(/content-type: application\/json/i);
  expect(Object.keys(res.json ?? {})).toEqual(["error"]);
  return expectError(res, status, code);
}

describe("errors before any route runs are in the envelope", () => {
  it("400 for malformed percent-encoding in the path", async () => {
    const e = enveloped(await rawExchange(base, GET("/api/workflow-executions/%zz")), 400, "WEFT_BAD_REQUEST");
    expect(e.message).toMatch(/percent-encoding/);
  });

  it("414 for a path segment over the limit, without echoing all of it", async () => {
    const res = await rawExchange(base, GET(`/api/workflow-executions/${"a".repeat(5000)}`));
    const e = enveloped(res, 414, "WEFT_TOO_LARGE");
    expect(e.message).toMatch(/longer than the limit of 600 characters/);
    expect(res.text.length).toBeLessThan(1000);
  });

  it("431 for headers over Node's limit, and for a URL that alone is over it", async () => {
    const big = enveloped(
      await rawExchange(base, GET("/api/health", `X-Big: ${"a".repeat(20_000)}\r\n`)),
      431,
      "WEFT_TOO_LARGE",
    );
    expect(big.message).toMatch(/larger than the limit of 16384 bytes/);
    enveloped(await rawExchange(base, GET(`/api/health?x=${"a".repeat(40_000)}`)), 431, "WEFT_TOO_LARGE");
  });

  it("400 for a request Node cannot parse", async () => {
    const e = enveloped(await rawExchange(base, "NOT HTTP AT ALL\r\n\r\n"), 400, "WEFT_BAD_REQUEST");
    expect(e.message).toMatch(/malformed HTTP request/);
  });
});

describe("a body over the limit", () => {
  const POST = (length: number, extra = "") =>
    `POST /api/workflow-executions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${extra}Content-Length: ${length}\r\n\r\n`;

  it("is answered 413 in the envelope, readable by a client that reads only once it has sent everything", async () => {
    // The client sends 8 MiB without reading: the 413 sits unread in its socket while it keeps sending. A
    // server that closed the socket at once would reset the connection, and the client would lose the 413.
    for (let i = 0; i < 5; i++) {
      const res = await rawExchange(base, POST(8 * 1024 * 1024), { bodyBytes: 8 * 1024 * 1024, holdReads: true });
      expect(res.writeError).toBeUndefined();
      const e = enveloped(res, 413, "WEFT_TOO_LARGE");
      expect(e.message).toMatch(/limit of 1048576 bytes/);
      expect(res.headers).toMatch(/connection: close/i);
    }
  });

  it("is answered 413 when it is chunked (no Content-Length) too", async () => {
    const head =
      "POST /api/workflow-executions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const size = 2 * 1024 * 1024;
    // One chunk of `size` bytes: its header, then the bytes rawExchange writes.
    const res = await rawExchange(base, `${head}${size.toString(16)}\r\n`, { bodyBytes: size, holdReads: true });
    enveloped(res, 413, "WEFT_TOO_LARGE");
    // …and the server goes on serving.
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
  });
});
