/**
 * Document attachments across runs (seed 000's "select from project"): a document takes images of any run of
 * its project, never another project's — whatever the token — and a refused call writes nothing.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import type { TokenScope } from "../../src/store/store.js";
import { expectError, type Json, launchId, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("document attachments across runs and projects", () => {
  let s: ServerEnv;
  let base: string;
  let alphaAdmin: string;
  let betaAdmin: string;
  let everyAdmin: string;
  let alphaRun: string;
  let alphaSibling: string;
  let betaRun: string;

  async function token(name: string, scopes: TokenScope[]): Promise<string> {
    const secret = `weft_${randomUUID()}`;
    await s.env.store.tokens.create({ id: randomUUID(), name, hash: tokenHash(secret), scopes, now: Date.now() });
    return secret;
  }

  /** A real multipart upload over HTTP. */
  async function upload(secret: string, runId: string, name: string, fileType: "image" | "document"): Promise<string> {
    const fd = new FormData();
    const bytes = fileType === "image" ? PNG : Buffer.from(`# ${name}\n`);
    fd.append("file", new Blob([bytes], { type: fileType === "image" ? "image/png" : "text/markdown" }), name);
    fd.append("file_type", fileType);
    const res = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, {
      method: "POST",
      headers: { authorization: `Bearer ${secret}` },
      body: fd,
    });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as Json).data.id;
  }

  async function call(secret: string, method: string, path: string, payload?: Json) {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${secret}`,
        ...(payload === undefined ? {} : { "content-type": "application/json" }),
      },
      body: payload === undefined ? undefined : JSON.stringify(payload),
    });
    return { status: res.status, json: (await res.json()) as Json };
  }

  const attach = (secret: string, doc: string, imageIds: string[]) =>
    call(secret, "POST", `/api/artifacts/${doc}/attachments`, { image_ids: imageIds });
  /** What is stored, read past the API. */
  const stored = async (doc: string) => (await s.env.store.attachments.list(doc)).map((a) => a.imageId);

  beforeAll(async () => {
    s = await serverEnv();
    base = await s.listen();
    // Launched while no token exists (the local user may do everything); tokens come after.
    alphaRun = await launchId(s.app, QUICK, { project_id: "alpha" });
    alphaSibling = await launchId(s.app, QUICK, { project_id: "alpha" });
    betaRun = await launchId(s.app, QUICK, { project_id: "beta" });
    for (const id of [alphaRun, alphaSibling, betaRun]) await waitStatus(s.app, id, "completed");
    alphaAdmin = await token("alpha admin", [{ projectId: "alpha", role: "admin" }]);
    betaAdmin = await token("beta admin", [{ projectId: "beta", role: "admin" }]);
    everyAdmin = await token("every project", [{ projectId: "*", role: "admin" }]);
  });

  afterAll(async () => {
    await s.close();
  });

  it("attaches images of another run of the same project, in order, with the image's own run shown", async () => {
    const doc = await upload(alphaAdmin, alphaRun, "brief.md", "document");
    const own = await upload(alphaAdmin, alphaRun, "own.png", "image");
    const sibling = await upload(alphaAdmin, alphaSibling, "sibling.png", "image");
    const res = await attach(alphaAdmin, doc, [sibling, own]);
    expect(res.status).toBe(200);
    expect(res.json.data.map((a: Json) => [a.image_id, a.is_primary, a.image.workflow_run_id])).toEqual([
      [sibling, true, alphaSibling],
      [own, false, alphaRun],
    ]);
    // Set primary and detach work on the sibling run's image like on any other.
    const prim = await call(alphaAdmin, "PUT", `/api/artifacts/${doc}/attachments/${own}/primary`);
    expect(prim.json.data.filter((a: Json) => a.is_primary).map((a: Json) => a.image_id)).toEqual([own]);
    const det = await call(alphaAdmin, "DELETE", `/api/artifacts/${doc}/attachments/${sibling}`);
    expect(det.json.data.map((a: Json) => a.image_id)).toEqual([own]);
    expect(await stored(doc)).toEqual([own]);
  });

  it("never attaches another project's image: 404 to a token that cannot read it, 409 to one that can; nothing written", async () => {
    const doc = await upload(alphaAdmin, alphaRun, "brief.md", "document");
    const own = await upload(alphaAdmin, alphaRun, "own.png", "image");
    const sibling = await upload(alphaAdmin, alphaSibling, "sibling.png", "image");
    const foreign = await upload(betaAdmin, betaRun, "foreign.png", "image");
    await attach(alphaAdmin, doc, [own]);

    // alpha's admin cannot see beta's image: as unknown as a missing one, even next to a valid image.
    expectError(await attach(alphaAdmin, doc, [sibling, foreign]), 404, "WEFT_NOT_FOUND");
    // beta's admin cannot see alpha's document.
    expectError(await attach(betaAdmin, doc, [foreign]), 404, "WEFT_NOT_FOUND");
    // A token of every project sees both, and is still refused: the projects differ.
    const e = expectError(await attach(everyAdmin, doc, [sibling, foreign]), 409, "WEFT_CONFLICT");
    expect(e.message).toContain("another project");
    // Nor the other way round: alpha's image on a beta document.
    const betaDoc = await upload(betaAdmin, betaRun, "beta.md", "document");
    expectError(await attach(everyAdmin, betaDoc, [own]), 409, "WEFT_CONFLICT");

    expect(await stored(doc)).toEqual([own]);
    expect(await stored(betaDoc)).toEqual([]);
    const listed = await call(alphaAdmin, "GET", `/api/artifacts/${doc}/attachments`);
    expect(listed.json.data.map((a: Json) => a.image_id)).toEqual([own]);
  });

  it("keeps the limit of 20 across runs: a call that would pass it writes nothing", async () => {
    const doc = await upload(alphaAdmin, alphaRun, "limit.md", "document");
    const mine: string[] = [];
    for (let i = 0; i < 19; i++) mine.push(await upload(alphaAdmin, alphaRun, `m${i}.png`, "image"));
    const theirs = [
      await upload(alphaAdmin, alphaSibling, "s1.png", "image"),
      await upload(alphaAdmin, alphaSibling, "s2.png", "image"),
    ];
    expect((await attach(alphaAdmin, doc, mine)).status).toBe(200);
    const e = expectError(await attach(alphaAdmin, doc, theirs), 409, "WEFT_CONFLICT");
    expect(e.message).toContain("limit of 20");
    expect(await stored(doc)).toEqual(mine);
    expect((await attach(alphaAdmin, doc, theirs.slice(0, 1))).json.data).toHaveLength(20);
  });
});
