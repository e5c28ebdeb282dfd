/**
 * Serving the web UI (src/server/ui.ts) from a listening server over a fixture web root (a temp folder with an
 * index.html and hashed assets): caching, compression of the UI only (never the API, SSE or the WebSocket),
 * the SPA fallback that never shadows `/api/*`, paths that try to climb out, and the security headers of UI
 * and API answers.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { APPROVAL, type Json, launchId, rawExchange, type ServerEnv, serverEnv } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "weft-ui-root-"));
const root = join(dir, "web");
// A big enough script and stylesheet to be worth compressing (the threshold is 1 kB), a font that is not.
const JS = `console.log(${JSON.stringify("weft ".repeat(4000))});\n`;
const CSS = `${".card { color: var(--text-2); padding: 4px; }\n".repeat(300)}`;
const FONT = randomBytes(4096);
const INDEX = `<!doctype html><html><head><script type="module" src="/assets/index-AbC123.js"></script></head><body><div id="root"></div>${"<!-- pad -->".repeat(200)}</body></html>`;
mkdirSync(join(root, "assets"), { recursive: true });
writeFileSync(join(root, "index.html"), INDEX);
writeFileSync(join(root, "assets", "index-AbC123.js"), JS);
writeFileSync(join(root, "assets", "index-AbC123.css"), CSS);
writeFileSync(join(root, "assets", "inter-Xy9.woff2"), FONT);
writeFileSync(join(root, "favicon.svg"), '<svg xmlns="http://www.w3.org/2000/svg"/>');
// Next to the web root: what a path that climbs out would reach.
writeFileSync(join(dir, "secret.txt"), "TOP SECRET");

let s: ServerEnv;
let base: string;
beforeAll(async () => {
  s = await serverEnv({ webRoot: root });
  base = await s.listen();
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A GET (or another method) exactly as written: the path is sent as is, not normalised like fetch does. */
function get(path: string, headers: Record<string, string> = {}, method = "GET"): Promise<Answer> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

const HTML = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

function expectUiHeaders(a: Answer): void {
  const csp = String(a.headers["content-security-policy"]);
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).not.toContain("unsafe-eval");
  expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
  expect(a.headers["x-content-type-options"]).toBe("nosniff");
  expect(a.headers["x-frame-options"]).toBe("DENY");
}

function expectApiHeaders(a: Answer): void {
  expect(a.headers["x-content-type-options"]).toBe("nosniff");
  expect(a.headers["x-frame-options"]).toBe("DENY");
  expect(String(a.headers["content-security-policy"])).toBe("default-src 'none'; frame-ancestors 'none'");
}

/** A 404 in the API's envelope — never the app, never a file. */
function expectNotFound(a: Answer, what: string): void {
  expect(a.status, what).toBe(404);
  expect(a.body.toString(), what).not.toContain('id="root"');
  expect(a.body.toString(), what).not.toContain("TOP SECRET");
  expect(JSON.parse(a.body.toString()), what).toMatchObject({ error: { code: "WEFT_NOT_FOUND" } });
}

describe("the UI's files", () => {
  it("index.html: never cached, with the UI's security headers; HEAD answers the same without a body", async () => {
    const a = await get("/", HTML);
    expect(a.status).toBe(200);
    expect(a.headers["content-type"]).toMatch(/^text\/html/);
    expect(a.headers["cache-control"]).toBe("no-cache");
    expect(a.body.toString()).toBe(INDEX);
    expectUiHeaders(a);
    const head = await get("/", HTML, "HEAD");
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toMatch(/^text\/html/);
    expect(head.body.length).toBe(0);
  });

  it("hashed assets: immutable for a year, compressed with brotli or gzip as the client accepts", async () => {
    for (const [file, text, type] of [
      ["index-AbC123.js", JS, /javascript/],
      ["index-AbC123.css", CSS, /text\/css/],
    ] as const) {
      const br = await get(`/assets/${file}`, { "accept-encoding": "gzip, deflate, br" });
      expect(br.status, file).toBe(200);
      expect(br.headers["content-type"], file).toMatch(type);
      expect(br.headers["cache-control"], file).toBe("public, max-age=31536000, immutable");
      expect(br.headers["content-encoding"], file).toBe("br");
      expect(br.headers.vary, file).toMatch(/accept-encoding/i);
      expect(br.body.length, file).toBeLessThan(text.length / 4);
      expect(brotliDecompressSync(br.body).toString(), file).toBe(text);
      expectUiHeaders(br);

      const gz = await get(`/assets/${file}`, { "accept-encoding": "gzip" });
      expect(gz.headers["content-encoding"], file).toBe("gzip");
      expect(gunzipSync(gz.body).toString(), file).toBe(text);

      const plain = await get(`/assets/${file}`);
      expect(plain.headers["content-encoding"], file).toBeUndefined();
      expect(plain.body.toString(), file).toBe(text);
    }
  });

  it("a font (already compressed) is sent as is; HEAD of an asset works", async () => {
    const a = await get("/assets/inter-Xy9.woff2", { "accept-encoding": "br, gzip" });
    expect(a.status).toBe(200);
    expect(a.headers["content-encoding"]).toBeUndefined();
    expect(a.body.equals(FONT)).toBe(true);
    const head = await get("/assets/index-AbC123.js", {}, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("an unknown asset is a 404 (not the app), even for a browser asking for HTML", async () => {
    expectNotFound(await get("/assets/index-Nope.js", HTML), "GET");
    const head = await get("/assets/index-Nope.js", HTML, "HEAD");
    expect(head.status).toBe(404);
    expectNotFound(await get("/assets/", HTML), "the folder");
  });
});

describe("the SPA fallback", () => {
  it("a client route answers index.html (GET and HEAD), uncached, with the UI's headers", async () => {
    for (const path of ["/runs/0b7c", "/inbox", "/runs/0b7c?step=build", "/runs/a%20b"]) {
      const a = await get(path, HTML);
      expect(a.status, path).toBe(200);
      expect(a.body.toString(), path).toBe(INDEX);
      expect(a.headers["cache-control"], path).toBe("no-cache");
      expectUiHeaders(a);
    }
    const head = await get("/runs/0b7c", HTML, "HEAD");
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
  });

  it("with tokens configured, a deep link still loads the app (which signs in); unknown API routes stay 401", async () => {
    const t = await serverEnv({ webRoot: root, apiTokens: ["an-admin-token-of-enough-length"] });
    try {
      const url = await t.listen();
      const page = await fetch(`${url}/inbox`, { headers: HTML });
      expect(page.status).toBe(200);
      expect(await page.text()).toBe(INDEX);
      const api = await fetch(`${url}/api/nothing-here`, { headers: HTML });
      expect(api.status).toBe(401);
      const asset = await fetch(`${url}/assets/missing-1.js`);
      expect(asset.status).toBe(401);
    } finally {
      await t.close();
    }
  });

  it("after a rebuild (a new index.html), a deep link gets the same new page as /", async () => {
    const rebuilt = INDEX.replace("index-AbC123.js", "index-New456.js");
    writeFileSync(join(root, "index.html"), rebuilt);
    try {
      expect((await get("/", HTML)).body.toString()).toBe(rebuilt);
      expect((await get("/runs/0b7c", HTML)).body.toString()).toBe(rebuilt);
    } finally {
      writeFileSync(join(root, "index.html"), INDEX);
    }
  });

  it("never shadows /api/*, however it is spelled; only GET/HEAD of HTML fall back", async () => {
    for (const path of [
      "/api/nothing",
      "/api",
      "//api/nothing",
      "/API/nothing",
      "/%61pi/nothing",
      "/api/workflow-executions/x/y/z",
    ]) {
      const a = await get(path, HTML);
      expectNotFound(a, path);
      expectApiHeaders(a);
    }
    expectNotFound(await get("/runs/0b7c", { accept: "application/json" }), "JSON wanted");
    expectNotFound(await get("/runs/0b7c", {}), "no Accept");
    const post = await get("/runs/0b7c", HTML, "POST");
    expect(post.status).toBe(404);
  });

  it("refuses paths that climb out of the web root, plain or percent-encoded", async () => {
    for (const path of [
      "/assets/../index.html",
      "/assets/../../secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/assets/%2e%2e/%2e%2e/secret.txt",
      "/assets/%2E%2E%2F%2E%2E%2Fsecret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/assets/.%2e/secret.txt",
      "/assets/x%00.js",
      "/assets/%E0%A4%A.js",
      "/../secret.txt",
      "/runs/..%2f..%2fsecret.txt",
      "/%2e%2e/api/health",
    ]) {
      const a = await get(path, HTML);
      expect(a.status, path).toBeGreaterThanOrEqual(400);
      expect(a.status, path).toBeLessThan(500);
      expect(a.body.toString(), path).not.toContain("TOP SECRET");
      expect(a.body.toString(), path).not.toContain('id="root"');
    }
    // Sent by hand: an HTTP client would normalise these away.
    const raw = await rawExchange(
      base,
      `GET /assets/..\\..\\secret.txt HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\nConnection: close\r\n\r\n`,
    );
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect(raw.text).not.toContain("TOP SECRET");
  });
});

describe("the API beside the UI", () => {
  it("JSON answers are never compressed by the UI's compression, never sniffed or framed", async () => {
    const a = await get("/api/health", { "accept-encoding": "br, gzip" });
    expect(a.status).toBe(200);
    expect(a.headers["content-encoding"]).toBeUndefined();
    expect(JSON.parse(a.body.toString())).toMatchObject({ data: { status: "ok" } });
    expectApiHeaders(a);
    const big = await get("/api/openapi.json", { "accept-encoding": "br, gzip" });
    expect(big.body.length).toBeGreaterThan(2048);
    expect(big.headers["content-encoding"]).toBeUndefined();
    expectApiHeaders(big);
    const refused = await get("/api/workflow-executions/nope", { "accept-encoding": "gzip" });
    expect(refused.status).toBe(404);
    expectApiHeaders(refused);
  });

  it("a run's event stream (SSE) is not compressed and not buffered: its first events arrive at once", async () => {
    const id = await launchId(s.app, APPROVAL);
    const { hostname, port } = new URL(base);
    const first = await new Promise<{ headers: Answer["headers"]; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: hostname,
          port,
          path: `/api/workflow-executions/${id}/events`,
          headers: { accept: "text/event-stream", "accept-encoding": "br, gzip" },
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => {
            text += c.toString();
            // The run waits for an approval: the stream stays open, and its events come without it ending.
            if (text.includes("event: workflow.execution.created")) {
              resolve({ headers: res.headers, text });
              req.destroy();
            }
          });
          res.on("error", () => undefined);
        },
      );
      req.on("error", (err) => (req.destroyed ? undefined : reject(err)));
      req.end();
    });
    expect(first.headers["content-type"]).toMatch(/text\/event-stream/);
    expect(first.headers["content-encoding"]).toBeUndefined();
    expect(first.text).toMatch(/^(?::[^\n]*\n\n)*id: \d+\nevent: /m);
  });

  it("the WebSocket upgrades and delivers events with the UI served beside it", async () => {
    const ws = new WebSocket(`${base.replace("http", "ws")}/api/ws`, ["weft.v1"], {
      headers: { "accept-encoding": "br, gzip" },
    });
    const got: Json[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    ws.on("message", (m) => got.push(JSON.parse(m.toString())));
    const id = await launchId(s.app, APPROVAL);
    await expect.poll(() => got.some((e) => e.data?.execution_id === id), { timeout: 10_000 }).toBe(true);
    ws.close();
  });
});
