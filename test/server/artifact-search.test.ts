/**
 * `GET /api/artifacts`: artifacts across runs, newest first, narrowed to what the token may read — over a real
 * HTTP connection, with tokens of two projects.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import { artifactListItemSchema } from "../../src/server/schemas.js";
import type { TokenScope } from "../../src/store/store.js";
import { type Json, launchId, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

describe("GET /api/artifacts", () => {
  let s: ServerEnv;
  let base: string;
  let alphaRun: string;
  let alphaRun2: string;
  let betaRun: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};

  const upload = async (runId: string, name: string, type: string, fileType?: string) => {
    const fd = new FormData();
    fd.append("file", new Blob([`text of ${name}`], { type }), name);
    if (fileType) fd.append("file_type", fileType);
    const res = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return ((await res.json()) as Json).data.id as string;
  };
  const makeToken = async (name: string, scopes: TokenScope[]) => {
    const secret = `weft_${randomUUID()}`;
    await s.env.store.tokens.create({ id: randomUUID(), name, hash: tokenHash(secret), scopes, now: Date.now() });
    tokens[name] = secret;
  };
  const get = async (query: string, token?: string) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${tokens[token]}` } : {};
    const res = await fetch(`${base}/api/artifacts${query}`, { headers });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const listed = async (query: string, token: string) => {
    const r = await get(query, token);
    if (r.status !== 200) throw new Error(`GET /api/artifacts${query} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json.data as Json[];
  };

  beforeAll(async () => {
    s = await serverEnv();
    base = await s.listen();
    alphaRun = await launchId(s.app, QUICK, { project_id: "alpha", name: "Alpha brief" });
    alphaRun2 = await launchId(s.app, QUICK, { project_id: "alpha", name: "Alpha launch" });
    betaRun = await launchId(s.app, QUICK, { project_id: "beta", name: "Beta secret" });
    for (const r of [alphaRun, alphaRun2, betaRun]) await waitStatus(s.app, r, "completed");
    // Uploaded one after the other: created_at ascending in this order (ties broken by insertion).
    ids.brief = await upload(alphaRun, "brief.md", "text/markdown");
    ids.logo = await upload(alphaRun, "logo.png", "image/png");
    ids.notes = await upload(alphaRun2, "notes.txt", "text/plain", "document");
    ids.secret = await upload(betaRun, "secret.md", "text/markdown");
    await makeToken("alpha reader", [{ projectId: "alpha", role: "read" }]);
    await makeToken("beta admin", [{ projectId: "beta", role: "admin" }]);
    await makeToken("both", [
      { projectId: "alpha", role: "read" },
      { projectId: "beta", role: "read" },
    ]);
    // The server remembers "no token exists" for up to 200 ms.
    await new Promise((r) => setTimeout(r, 250));
  });
  afterAll(async () => {
    await s?.close();
  });

  it("lists a project's artifacts newest first, each with its run's id and name", async () => {
    const all = await listed("?project_id=alpha", "alpha reader");
    for (const a of all) artifactListItemSchema.parse(a);
    expect(all.map((a) => a.id)).toEqual([ids.notes, ids.logo, ids.brief]);
    expect(all[0]).toMatchObject({
      name: "notes.txt",
      file_type: "document",
      workflow_run_id: alphaRun2,
      run_name: "Alpha launch",
      workflow_name: "quick",
      project_id: "alpha",
    });
    expect(all[2]).toMatchObject({ name: "brief.md", workflow_run_id: alphaRun, run_name: "Alpha brief" });
  });

  it("filters by file_type and pages with limit and offset", async () => {
    const docs = await listed("?project_id=alpha&file_type=document", "alpha reader");
    expect(docs.map((a) => a.id)).toEqual([ids.notes, ids.brief]);
    expect(docs.every((a) => a.file_type === "document")).toBe(true);
    const images = await listed("?project_id=alpha&file_type=image", "alpha reader");
    expect(images.map((a) => a.name)).toEqual(["logo.png"]);
    expect((await listed("?project_id=alpha&limit=1&offset=1", "alpha reader")).map((a) => a.id)).toEqual([ids.logo]);
    expect(await listed("?project_id=alpha&offset=3", "alpha reader")).toEqual([]);
  });

  it("a token of project alpha never sees beta's artifacts: filtered without a project, 403 naming beta", async () => {
    const mine = await listed("", "alpha reader");
    expect(mine.map((a) => a.id).sort()).toEqual([ids.brief, ids.logo, ids.notes].sort());
    expect(JSON.stringify(mine)).not.toContain("Beta secret");
    const asked = await get("?project_id=beta", "alpha reader");
    expect(asked.status).toBe(403);
    expect(asked.json.error.code).toBe("WEFT_FORBIDDEN");
    expect(JSON.stringify(asked.json)).not.toContain(ids.secret);
    // …and the other way round.
    expect((await listed("", "beta admin")).map((a) => a.id)).toEqual([ids.secret]);
    expect((await get("?project_id=alpha", "beta admin")).status).toBe(403);
    // A token of both projects sees both, newest first.
    expect((await listed("?file_type=document", "both")).map((a) => a.id)).toEqual([ids.secret, ids.notes, ids.brief]);
    // No token at all: 401.
    expect((await get("")).status).toBe(401);
  });

  it("refuses bad queries with 400 naming the field", async () => {
    for (const [query, field] of [
      ["?file_type=spreadsheet", "file_type"],
      ["?limit=0", "limit"],
      ["?limit=201", "limit"],
      ["?limit=ten", "limit"],
      ["?offset=-1", "offset"],
      ["?project=alpha", ""],
    ] as const) {
      const r = await get(query, "both");
      expect(r.status, query).toBe(400);
      expect(r.json.error.code, query).toBe("WEFT_BAD_REQUEST");
      if (field) expect(JSON.stringify(r.json.error.fields), query).toContain(field);
    }
  });
});
