/**
 * Artifact bytes are never active in the API's origin (issue 11: "artifacts never rendered inline in the UI's
 * origin"): always an attachment with a file name that cannot break the header, `nosniff`, and
 * `Content-Security-Policy: sandbox; default-src 'none'`; `?inline=1` only for raster images. Attack tests over
 * real HTTP — the raw response head is read, as a browser would.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDisposition } from "../../src/server/routes/artifacts.js";
import type { ArtifactFileType } from "../../src/store/store.js";
import { launchId, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

const HOSTILE = 'a"b\r\nSet-Cookie: x=1.html';
const SCRIPT =
  "<html><body><script>fetch('/api/workflow-executions').then(r=>r.text()).then(alert)</script></body></html>";
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" onload="fetch('/api/session')"><script>alert(1)</script></svg>`;

let s: ServerEnv;
let base: string;
let runId: string;
beforeAll(async () => {
  s = await serverEnv();
  base = await s.listen();
  runId = await launchId(s.app, QUICK);
  await waitStatus(s.app, runId, "completed");
});
afterAll(async () => {
  await s?.close();
});

/** An artifact recorded straight in the store: its name is not cleaned as an upload's is (defence in depth). */
async function stored(name: string, mimeType: string, content: string, fileType: ArtifactFileType = "document") {
  const id = randomUUID();
  const storageKey = `runs/${runId}/artifacts/_run/${id}`;
  mkdirSync(join(s.env.dir, "runs", runId, "artifacts", "_run"), { recursive: true });
  writeFileSync(join(s.env.dir, storageKey), content);
  await s.env.store.artifacts.create({
    id,
    runId,
    stepKey: null,
    name,
    storageKey,
    fileType,
    mimeType,
    sizeBytes: Buffer.byteLength(content),
    sha256: "0".repeat(64),
    now: Date.now(),
  });
  return id;
}

/** GET over a raw socket (kept open until the server closes it): the status and every header line as written. */
async function rawGet(path: string) {
  const all = await new Promise<string>((resolve, reject) => {
    const { port } = new URL(base);
    const socket = connect(Number(port), "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
  const end = all.indexOf("\r\n\r\n");
  const head = all.slice(0, end);
  const res = { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), text: all.slice(end + 4) };
  const lines = head.split("\r\n").slice(1);
  const header = (name: string) =>
    lines
      .filter((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`))
      .map((l) => l.slice(name.length + 1).trim());
  return { status: res.status, lines, header, text: res.text };
}

describe("GET /api/artifacts/:id is never active content", () => {
  it("a file name with quotes, CR/LF and a header cannot break Content-Disposition or add a header", async () => {
    const id = await stored(HOSTILE, "text/html", SCRIPT);
    const res = await rawGet(`/api/artifacts/${id}`);
    expect(res.status).toBe(200);
    expect(res.header("set-cookie")).toEqual([]);
    expect(res.lines.every((l) => /^[\x21-\x7e][\x20-\x7e]*$/.test(l))).toBe(true); // no control or 8-bit bytes
    const [cd] = res.header("content-disposition");
    expect(res.header("content-disposition")).toHaveLength(1);
    expect(cd).toBe(contentDisposition(HOSTILE));
    expect(cd).toMatch(
      /^attachment; filename="a_b__Set-Cookie: x=1\.html"; filename\*=UTF-8''a%22b%0D%0ASet-Cookie%3A%20x%3D1\.html$/,
    );
    expect(decodeURIComponent(/filename\*=UTF-8''(.*)$/.exec(cd ?? "")?.[1] ?? "")).toBe(HOSTILE);
    expect(res.header("content-security-policy")).toEqual(["sandbox; default-src 'none'"]);
    expect(res.header("x-content-type-options")).toEqual(["nosniff"]);
  });

  it("a non-ASCII name keeps a readable ASCII fallback and its exact UTF-8 form", () => {
    expect(contentDisposition("日本語 ✓.md")).toBe(
      `attachment; filename="___ _.md"; filename*=UTF-8''%E6%97%A5%E6%9C%AC%E8%AA%9E%20%E2%9C%93.md`,
    );
  });

  it("?inline=1 serves raster images inline, and nothing else: SVG, HTML and the rest stay attachments", async () => {
    const cases: Array<[string, string, string, "inline" | "attachment"]> = [
      ["shot.png", "image/png", "\x89PNG", "inline"],
      ["photo.jpg", "image/jpeg", "\xff\xd8", "inline"],
      ["anim.gif", "image/gif", "GIF89a", "inline"],
      ["pic.webp", "image/webp", "RIFF", "inline"],
      ["logo.svg", "image/svg+xml", SVG, "attachment"],
      ["page.html", "text/html", SCRIPT, "attachment"],
      ["page.htm", "application/xhtml+xml", SCRIPT, "attachment"],
      // Named like an image, stored as HTML: the stored type decides, and it is not an image.
      ["innocent.png", "text/html", SCRIPT, "attachment"],
      ["notes.md", "text/markdown", "# hi", "attachment"],
    ];
    for (const [name, type, content, expected] of cases) {
      const id = await stored(name, type, content, type.startsWith("image/") ? "image" : "document");
      for (const query of ["?inline=1", "?inline=true", ""]) {
        const res = await rawGet(`/api/artifacts/${id}${query}`);
        expect(res.status, `${name}${query}`).toBe(200);
        const want = query === "" ? "attachment" : expected;
        expect(res.header("content-disposition")[0], `${name}${query}`).toMatch(new RegExp(`^${want}; filename="`));
        expect(res.header("content-type"), name).toEqual([type]);
        expect(res.header("content-security-policy"), name).toEqual(["sandbox; default-src 'none'"]);
        expect(res.header("x-content-type-options"), name).toEqual(["nosniff"]);
      }
    }
  });

  it("an uploaded hostile file gets the same treatment; a bad inline value is a 400", async () => {
    const fd = new FormData();
    fd.append("file", new Blob([SVG], { type: "image/svg+xml" }), "x.svg");
    fd.append("name", 'evil".svg');
    const up = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
    expect(up.status).toBe(201);
    const { id } = ((await up.json()) as { data: { id: string } }).data;
    const res = await fetch(`${base}/api/artifacts/${id}?inline=1`);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="evil_.svg"; filename*=UTF-8''evil%22.svg`,
    );
    expect(res.headers.get("content-security-policy")).toBe("sandbox; default-src 'none'");
    expect((await fetch(`${base}/api/artifacts/${id}?inline=yes`)).status).toBe(400);
    expect((await fetch(`${base}/api/artifacts/${id}?download=1`)).status).toBe(400);
  });
});
