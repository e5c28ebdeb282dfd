import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ServerDeps } from "../../src/server/app.js";
import { contentDisposition, displayName } from "../../src/server/routes/artifacts.js";
import { artifactSchema, attachmentSchema } from "../../src/server/schemas.js";
import { until } from "../helpers/engine.js";
import { body, expectError, type Json, launchId, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

type Part = { name: string; value: string } | { name: string; filename: string; type?: string; data: Buffer };

const BOUNDARY = "----weftTestBoundary7MA4YWxkTrZu0gW";

/** A multipart/form-data body built by hand. */
function form(parts: Part[]): { payload: Buffer; headers: Record<string, string> } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if ("value" in p) {
      chunks.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"\r\n\r\n`));
      chunks.push(Buffer.from(p.value, "utf8"), Buffer.from("\r\n"));
    } else {
      chunks.push(
        Buffer.from(
          `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${p.name}"; filename="${p.filename}"\r\n` +
            `Content-Type: ${p.type ?? "application/octet-stream"}\r\n\r\n`,
        ),
      );
      chunks.push(p.data, Buffer.from("\r\n"));
    }
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` } };
}

function upload(s: ServerEnv, runId: string, parts: Part[]) {
  const { payload, headers } = form(parts);
  return s.app.inject({ method: "POST", url: `/api/workflow-executions/${runId}/artifacts`, payload, headers });
}

async function uploaded(s: ServerEnv, runId: string, parts: Part[]): Promise<Json> {
  const res = await upload(s, runId, parts);
  if (res.statusCode !== 201) throw new Error(`upload answered ${res.statusCode}: ${res.body}`);
  const a = body(res).data;
  artifactSchema.parse(a);
  return a;
}

const file = (data: Buffer, filename = "f.bin", type?: string): Part => ({ name: "file", filename, type, data });

/** Every file (recursively) under a run's artifact folder. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

const artifactsDir = (s: ServerEnv, runId: string) => join(s.env.dir, "runs", runId, "artifacts");

async function expectNothingLeft(s: ServerEnv, runId: string) {
  expect(filesUnder(artifactsDir(s, runId))).toEqual([]);
  expect(await s.env.store.artifacts.list(runId)).toEqual([]);
}

/** The server still answers. */
async function stillServing(s: ServerEnv, runId: string) {
  const res = await s.app.inject({ url: `/api/workflow-executions/${runId}` });
  expect(res.statusCode).toBe(200);
}

function decodeFilenameStar(header: string): string {
  const m = /filename\*=UTF-8''([^;\s]*)/.exec(header);
  if (!m?.[1]) throw new Error(`no filename* in ${header}`);
  return decodeURIComponent(m[1]);
}

const KEY = /^runs\/[^/]+\/artifacts\/(_run|[A-Za-z0-9._-]+)\/[0-9a-f-]{36}(\.[a-z0-9]{1,10})?$/;

let s: ServerEnv;
let runId: string;

describe("artifacts (100 MB default limit)", () => {
  beforeEach(async () => {
    s = await serverEnv();
    runId = await launchId(s.app, QUICK);
    await waitStatus(s.app, runId, "completed");
  });
  afterEach(async () => {
    await s.close();
  });

  it("uploads (201, seed 002's shape) and downloads byte-exact binary with safe headers", async () => {
    const bytes = Buffer.concat([Buffer.from(Array.from({ length: 256 }, (_, i) => i)), randomBytes(200_000)]);
    const a = await uploaded(s, runId, [{ name: "step_id", value: "hello" }, file(bytes, "shot.png", "image/png")]);
    expect(a).toMatchObject({
      workflow_run_id: runId,
      workflow_run_step_id: `${runId}:hello`,
      workflow_comment_id: null,
      name: "shot.png",
      file_type: "image",
      mime_type: "image/png",
      size_bytes: bytes.length,
    });
    expect(a.file_path).toMatch(KEY);
    expect(a.file_path.startsWith(`runs/${runId}/artifacts/hello/`)).toBe(true);
    expect(existsSync(join(s.env.dir, a.file_path))).toBe(true);
    // No temp file stays behind.
    expect(filesUnder(artifactsDir(s, runId))).toEqual([join(s.env.dir, a.file_path)]);

    const res = await s.app.inject({ url: `/api/artifacts/${a.id}` });
    expect(res.statusCode).toBe(200);
    expect(Buffer.compare(res.rawPayload, bytes)).toBe(0);
    expect(res.headers["content-type"]).toBe("image/png");
    expect(res.headers["content-length"]).toBe(String(bytes.length));
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
    expect(res.headers["content-disposition"]).toBe(`attachment; filename="shot.png"; filename*=UTF-8''shot.png`);
  });

  it("serves active content (HTML, SVG) sandboxed: Content-Security-Policy: sandbox, nosniff, as an attachment", async () => {
    const page = Buffer.from("<html><script>fetch('/api/workflow-executions')</script></html>");
    for (const [name, type] of [
      ["page.html", "text/html"],
      ["logo.svg", "image/svg+xml"],
    ] as const) {
      const a = await uploaded(s, runId, [file(page, name, type)]);
      const res = await s.app.inject({ url: `/api/artifacts/${a.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-security-policy"], name).toBe("sandbox; default-src 'none'");
      expect(res.headers["x-content-type-options"], name).toBe("nosniff");
      expect(res.headers["content-disposition"], name).toMatch(/^attachment;/);
    }
  });

  it("guesses file_type and MIME type; `name` overrides the file name; step ids may be full step run ids", async () => {
    const doc = await uploaded(s, runId, [
      file(Buffer.from("%PDF-1.4"), "report.pdf"),
      { name: "name", value: "Quarterly report.pdf" },
      { name: "step_id", value: `${runId}:bye` },
    ]);
    expect(doc).toMatchObject({ name: "Quarterly report.pdf", file_type: "document", mime_type: "application/pdf" });
    expect(doc.workflow_run_step_id).toBe(`${runId}:bye`);
    const code = await uploaded(s, runId, [file(Buffer.from("let x = 1\n"), "main.ts", "video/mp4; x=1")]);
    expect(code).toMatchObject({ file_type: "video", mime_type: "video/mp4" });
    const forced = await uploaded(s, runId, [file(Buffer.from("x"), "a.txt"), { name: "file_type", value: "code" }]);
    expect(forced).toMatchObject({ file_type: "code", mime_type: "text/plain" });
    const run = await uploaded(s, runId, [file(Buffer.from(""), "empty")]);
    expect(run).toMatchObject({ workflow_run_step_id: null, size_bytes: 0, file_type: "other" });
    expect(run.file_path.startsWith(`runs/${runId}/artifacts/_run/`)).toBe(true);
  });

  it("stores hostile names under generated keys and echoes them only in a safe Content-Disposition", async () => {
    const names = [
      "../../etc/passwd",
      "..\\x",
      "a\u0000b.txt",
      "q\"uo'te;.png",
      "line\r\nX-Evil: 1.txt",
      "日本語 ✓.md",
    ];
    for (const name of names) {
      const a = await uploaded(s, runId, [file(Buffer.from(name), "../../x.bin"), { name: "name", value: name }]);
      expect(a.file_path).toMatch(KEY);
      expect(a.name).toBe(displayName(name));
      expect([...a.name].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
      expect(existsSync(join(s.env.dir, a.file_path))).toBe(true);
      const res = await s.app.inject({ url: `/api/artifacts/${a.id}` });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(name);
      const cd = res.headers["content-disposition"] as string;
      expect([...cd].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) > 0x7e)).toBe(false);
      expect(res.headers["x-evil"]).toBeUndefined();
      expect(decodeFilenameStar(cd)).toBe(displayName(name));
    }
    // Nothing escaped the run's artifact folder.
    expect(existsSync(join(s.env.dir, "etc"))).toBe(false);
    expect(filesUnder(artifactsDir(s, runId))).toHaveLength(names.length);
    expect(contentDisposition('a"b\\c\n')).toBe(`attachment; filename="a_b_c_"; filename*=UTF-8''a%22b%5Cc%0A`);
  });

  it("refuses a truncated body (400), a missing file part (400), wrong content types (415), leaving nothing", async () => {
    const { payload, headers } = form([file(randomBytes(50_000))]);
    const cut = payload.subarray(0, 30_000);
    expectError(
      await s.app.inject({ method: "POST", url: `/api/workflow-executions/${runId}/artifacts`, payload: cut, headers }),
      400,
      "WEFT_BAD_REQUEST",
    );
    await expectNothingLeft(s, runId);

    expectError(await upload(s, runId, [{ name: "name", value: "x" }]), 400, "WEFT_BAD_REQUEST");
    expectError(
      await upload(s, runId, [file(Buffer.from("x"), "a", "text/plain"), { name: "bogus", value: "1" }]),
      400,
    );
    expectError(await upload(s, runId, [file(Buffer.from("x")), { name: "file_type", value: "exe" }]), 400);
    expectError(await upload(s, runId, [file(Buffer.from("x")), { name: "step_id", value: "nope" }]), 404);
    expectError(await upload(s, runId, [file(Buffer.from("x")), file(Buffer.from("y"))]), 400);
    expectError(await upload(s, runId, [{ name: "other", filename: "a", data: Buffer.from("x") }]), 400);
    await expectNothingLeft(s, runId);

    const url = `/api/workflow-executions/${runId}/artifacts`;
    expectError(await s.app.inject({ method: "POST", url, payload: { file: "x" } }), 415);
    expectError(
      await s.app.inject({ method: "POST", url, payload: "x", headers: { "content-type": "text/plain" } }),
      415,
    );
    expectError(await s.app.inject({ method: "POST", url }), 415);
    await expectNothingLeft(s, runId);
    await stillServing(s, runId);
  });

  it("answers 404 for unknown runs and artifacts, and for an artifact whose file is gone", async () => {
    expectError(await upload(s, "no-such-run", [file(Buffer.from("x"))]), 404, "WEFT_NOT_FOUND");
    expect(existsSync(join(s.env.dir, "runs", "no-such-run"))).toBe(false);
    for (const [method, url] of [
      ["GET", "/api/artifacts/nope"],
      ["DELETE", "/api/artifacts/nope"],
      ["DELETE", "/api/artifacts/nope/detach"],
      ["GET", "/api/artifacts/nope/attachments"],
      ["PUT", "/api/artifacts/nope/attachments/x/primary"],
      ["DELETE", "/api/artifacts/nope/attachments/x"],
    ] as const) {
      expectError(await s.app.inject({ method, url }), 404, "WEFT_NOT_FOUND");
    }
    const a = await uploaded(s, runId, [file(Buffer.from("x"))]);
    rmSync(join(s.env.dir, a.file_path));
    expectError(await s.app.inject({ url: `/api/artifacts/${a.id}` }), 404, "WEFT_NOT_FOUND");
    await stillServing(s, runId);
  });

  it("attaches to a comment of the same run (409 for another run's), detaches, deletes record and file", async () => {
    const a = await uploaded(s, runId, [file(Buffer.from("x"), "a.txt")]);
    const now = Date.now();
    const { comment } = await s.env.store.comments.create({
      id: "c-1",
      runId,
      stepKey: null,
      text: "look",
      commentType: "user",
      createdBy: null,
      now,
    });
    const otherRun = await launchId(s.app, QUICK);
    await s.env.store.comments.create({
      id: "c-2",
      runId: otherRun,
      stepKey: null,
      text: "elsewhere",
      commentType: "user",
      createdBy: null,
      now,
    });
    const attach = (commentId: string) =>
      s.app.inject({ method: "PATCH", url: `/api/artifacts/${a.id}/attach`, payload: { comment_id: commentId } });
    expectError(await attach("c-2"), 409, "WEFT_CONFLICT");
    expectError(await attach("no-such-comment"), 404, "WEFT_NOT_FOUND");
    expectError(
      await s.app.inject({ method: "PATCH", url: `/api/artifacts/${a.id}/attach`, payload: { comment_id: 1 } }),
      400,
    );
    const res = await attach(comment.id);
    expect(res.statusCode).toBe(200);
    expect(body(res).data).toMatchObject({ id: a.id, workflow_comment_id: "c-1" });
    const det = await s.app.inject({ method: "DELETE", url: `/api/artifacts/${a.id}/detach` });
    expect(det.statusCode).toBe(200);
    expect(body(det).data.workflow_comment_id).toBeNull();

    const del = await s.app.inject({ method: "DELETE", url: `/api/artifacts/${a.id}` });
    expect(del.statusCode).toBe(200);
    expect(body(del).data).toEqual({ id: a.id, deleted: true });
    await expectNothingLeft(s, runId);
    expectError(await s.app.inject({ url: `/api/artifacts/${a.id}` }), 404);
  });

  it("document attachments: attach up to 20 images (the 21st is 409), set primary, detach", async () => {
    const doc = await uploaded(s, runId, [file(Buffer.from("# doc"), "doc.md")]);
    expect(doc.file_type).toBe("document");
    const images: string[] = [];
    for (let i = 0; i < 21; i++) {
      images.push((await uploaded(s, runId, [file(Buffer.from([i]), `i${i}.png`, "image/png")])).id);
    }
    const url = `/api/artifacts/${doc.id}/attachments`;
    const empty = await s.app.inject({ url });
    expect(body(empty).data).toEqual([]);

    const res = await s.app.inject({ method: "POST", url, payload: { image_ids: images.slice(0, 20) } });
    expect(res.statusCode).toBe(200);
    const list = body(res).data as Json[];
    for (const x of list) attachmentSchema.parse(x);
    expect(list.map((x) => x.image_id)).toEqual(images.slice(0, 20));
    expect(list.filter((x) => x.is_primary).map((x) => x.image_id)).toEqual([images[0]]);
    expect(list[0].image).toMatchObject({ id: images[0], file_type: "image" });

    expectError(
      await s.app.inject({ method: "POST", url, payload: { image_ids: [images[20]] } }),
      409,
      "WEFT_CONFLICT",
    );
    // A document is not an image.
    const doc2 = await uploaded(s, runId, [file(Buffer.from("x"), "b.md")]);
    expectError(
      await s.app.inject({
        method: "POST",
        url: `/api/artifacts/${doc2.id}/attachments`,
        payload: { image_ids: [doc.id] },
      }),
      409,
    );
    expectError(await s.app.inject({ method: "POST", url, payload: { image_ids: [] } }), 400);

    const prim = await s.app.inject({ method: "PUT", url: `${url}/${images[5]}/primary` });
    expect(prim.statusCode).toBe(200);
    expect((body(prim).data as Json[]).filter((x) => x.is_primary).map((x) => x.image_id)).toEqual([images[5]]);

    const det = await s.app.inject({ method: "DELETE", url: `${url}/${images[5]}` });
    expect(det.statusCode).toBe(200);
    const after = body(det).data as Json[];
    expect(after).toHaveLength(19);
    expect(after.filter((x) => x.is_primary)).toHaveLength(1);
    // The image artifact itself stays.
    expect((await s.app.inject({ url: `/api/artifacts/${images[5]}` })).statusCode).toBe(200);
    expectError(await s.app.inject({ method: "PUT", url: `${url}/${images[5]}/primary` }), 404);

    // Now there is room for the 21st.
    const more = await s.app.inject({ method: "POST", url, payload: { image_ids: [images[20]] } });
    expect(body(more).data).toHaveLength(20);
    await stillServing(s, runId);
  });

  it("works over a real HTTP connection: FormData upload, streamed download", async () => {
    const base = await s.listen();
    const bytes = randomBytes(3 * 1024 * 1024 + 7);
    const fd = new FormData();
    fd.append("file", new Blob([bytes], { type: "application/octet-stream" }), "big.bin");
    fd.append("name", 'real "client".bin');
    const res = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
    expect(res.status).toBe(201);
    const a = ((await res.json()) as Json).data;
    expect(a.size_bytes).toBe(bytes.length);
    const dl = await fetch(`${base}/api/artifacts/${a.id}`);
    expect(dl.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await dl.arrayBuffer()), bytes)).toBe(0);
    expect(decodeFilenameStar(dl.headers.get("content-disposition") ?? "")).toBe('real "client".bin');
  });

  it("a client that disconnects mid-upload leaves nothing behind, and the server keeps serving", async () => {
    const base = await s.listen();
    const { port } = new URL(base);
    const { payload, headers } = form([file(randomBytes(400_000))]);
    const sock = connect(Number(port), "127.0.0.1");
    await new Promise<void>((resolve) => sock.once("connect", () => resolve()));
    sock.write(
      `POST /api/workflow-executions/${runId}/artifacts HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Content-Type: ${headers["content-type"]}\r\nContent-Length: ${payload.length}\r\n\r\n`,
    );
    sock.write(payload.subarray(0, 200_000));
    // Wait until the temp file exists, then vanish.
    await until(async () => filesUnder(artifactsDir(s, runId)).length > 0, 5000, "the temp file");
    sock.destroy();
    await until(async () => filesUnder(artifactsDir(s, runId)).length === 0, 5000, "the temp file removed");
    await expectNothingLeft(s, runId);
    const res = await fetch(`${base}/api/workflow-executions/${runId}`);
    expect(res.status).toBe(200);
  });
});

describe("artifacts with a small upload limit", () => {
  beforeEach(async () => {
    const deps: Partial<ServerDeps> & { maxUploadBytes: number } = { maxUploadBytes: 1024 };
    s = await serverEnv(deps);
    runId = await launchId(s.app, QUICK);
    await waitStatus(s.app, runId, "completed");
  });
  afterEach(async () => {
    await s.close();
  });

  it("refuses an oversize upload with 413 and leaves nothing; the limit itself is accepted", async () => {
    expectError(await upload(s, runId, [file(randomBytes(5000))]), 413, "WEFT_TOO_LARGE");
    await expectNothingLeft(s, runId);
    expectError(await upload(s, runId, [file(randomBytes(1025))]), 413);
    await expectNothingLeft(s, runId);
    const ok = await uploaded(s, runId, [file(randomBytes(1024))]);
    expect(ok.size_bytes).toBe(1024);
    await stillServing(s, runId);
  });

  it("refuses an oversize upload over a real connection, and keeps serving", async () => {
    const base = await s.listen();
    const fd = new FormData();
    fd.append("file", new Blob([randomBytes(200_000)]), "big.bin");
    const res = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
    expect(res.status).toBe(413);
    expect(((await res.json()) as Json).error.code).toBe("WEFT_TOO_LARGE");
    await expectNothingLeft(s, runId);
    expect((await fetch(`${base}/api/workflow-executions/${runId}`)).status).toBe(200);
  });
});
