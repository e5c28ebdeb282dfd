/**
 * A definition's lifecycle through weft's own API (src/core/lifecycle.ts): draft → active → archived, activate and
 * archive, what launches (active; a draft only as a test run; archived never), and what the list shows.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workflowHash } from "../../src/definition/index.js";
import { wf } from "../helpers/engine.js";
import { APPROVAL, body, expectError, type Json, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

const URL = "/api/workflow-definitions";

async function create(source: string, extra: Record<string, unknown> = {}): Promise<Json> {
  const res = await s.app.inject({ method: "POST", url: URL, payload: { source, ...extra } });
  if (res.statusCode !== 201) throw new Error(`create answered ${res.statusCode}: ${res.body}`);
  return body(res).data;
}

const move = (id: string, verb: "activate" | "archive", payload: Record<string, unknown> = {}) =>
  s.app.inject({ method: "POST", url: `${URL}/${id}/${verb}`, payload });

const launch = (id: string, extra: Record<string, unknown> = {}) =>
  s.app.inject({ method: "POST", url: "/api/workflow-executions", payload: { workflow_definition_id: id, ...extra } });

const names = async (query = "") =>
  ((body(await s.app.inject({ url: `${URL}?sort=name${query}` })).data as Json[]) ?? []).map((d) => d.name);

describe("definition lifecycle", () => {
  it("a new definition is active unless created as a draft; archived or unknown statuses are refused on create", async () => {
    expect((await create(QUICK)).status).toBe("active");
    expect((await create(QUICK.replace("quick", "sketch"), { status: "draft" })).status).toBe("draft");
    for (const status of ["archived", "published"]) {
      const res = await s.app.inject({ method: "POST", url: URL, payload: { source: QUICK, status } });
      const e = expectError(res, 400);
      expect(JSON.stringify(e.fields)).toContain("status");
    }
  });

  it("a draft launches only as a test run; activated, it launches; activating again changes nothing", async () => {
    const d = await create(QUICK, { status: "draft" });
    const refused = expectError(await launch(d.id), 409, "WEFT_CONFLICT");
    expect(refused.message).toBe(
      `workflow definition ${d.id} cannot be launched: it is a draft; activate it (POST /api/workflow-definitions/${d.id}/activate) or launch it as a test run (test_run: true)`,
    );
    expect(await s.env.store.runs.list({ definitionId: d.id })).toHaveLength(0);

    const test = await launch(d.id, { test_run: true });
    expect(test.statusCode).toBe(201);
    expect(body(test).data.test_run).toBe(true);
    await waitStatus(s.app, body(test).data.id, "completed");

    const activated = await move(d.id, "activate");
    expect(activated.statusCode).toBe(200);
    expect(body(activated).data).toMatchObject({ id: d.id, status: "active", version: 2 });
    const run = await launch(d.id);
    expect(run.statusCode).toBe(201);
    await waitStatus(s.app, body(run).data.id, "completed");

    const again = await move(d.id, "activate", { version: 2 });
    expect(body(again).data).toMatchObject({ status: "active", version: 2 });
  });

  it("an archived definition never launches, not even as a test run; re-activated, it does", async () => {
    const d = await create(QUICK);
    expect(body(await move(d.id, "archive")).data).toMatchObject({ status: "archived", version: 2 });
    for (const extra of [{}, { test_run: true }]) {
      const e = expectError(await launch(d.id, extra), 409, "WEFT_CONFLICT");
      expect(e.message).toBe(
        `workflow definition ${d.id} cannot be launched: it is archived; re-activate it first (POST /api/workflow-definitions/${d.id}/activate)`,
      );
    }
    expect(await s.env.store.runs.list({ definitionId: d.id })).toHaveLength(0);
    expect(body(await move(d.id, "activate")).data).toMatchObject({ status: "active", version: 3 });
    expect((await launch(d.id)).statusCode).toBe(201);
  });

  it("a draft can be archived, and an archived definition edited: it stays archived", async () => {
    const d = await create(QUICK, { status: "draft" });
    expect(body(await move(d.id, "archive")).data.status).toBe("archived");
    const put = await s.app.inject({
      method: "PUT",
      url: `${URL}/${d.id}`,
      payload: { source: QUICK.replace("echo hello", "echo again") },
    });
    expect(body(put).data).toMatchObject({ status: "archived", version: 3 });
  });

  it("archiving does not touch runs already launched: a waiting run finishes", async () => {
    const d = await create(APPROVAL);
    const id = body(await launch(d.id)).data.id as string;
    await waitStatus(s.app, id, "waiting");
    await move(d.id, "archive");
    const approve = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/steps/review/approve`,
      payload: {},
    });
    expect(approve.statusCode).toBe(200);
    await waitStatus(s.app, id, "completed");
  });

  it("the list and the categories hide archived definitions unless `status` asks for them", async () => {
    await create(QUICK.replace("quick", "a-active"));
    await create(QUICK.replace("quick", "b-draft"), { status: "draft", category: "drafts" });
    const archived = await create(QUICK.replace("quick", "c-archived"), { category: "old" });
    await move(archived.id, "archive");
    expect(await names()).toEqual(["a-active", "b-draft"]);
    expect(await names("&status=archived")).toEqual(["c-archived"]);
    expect(await names("&status=draft,archived")).toEqual(["b-draft", "c-archived"]);
    expect(await names("&status=active&status=archived")).toEqual(["a-active", "c-archived"]);
    expect(await names("&status=all")).toEqual(["a-active", "b-draft", "c-archived"]);
    const categories = async (q = "") =>
      (body(await s.app.inject({ url: `${URL}/categories${q}` })).data as Json[]).map((c) => c.category);
    expect(await categories()).toEqual(["drafts"]);
    expect((await categories("?status=all")).sort()).toEqual(["drafts", "old"]);
    const bad = expectError(await s.app.inject({ url: `${URL}?status=retired` }), 400);
    expect(JSON.stringify(bad.fields)).toContain("status");
  });

  it("refuses with 409 a built-in template (always active) and a stale version; 404 for an unknown id", async () => {
    const workflow = wf(QUICK);
    await s.env.store.definitions.create({
      id: "builtin-quick",
      projectId: "builtin",
      name: workflow.name,
      description: null,
      category: null,
      tags: [],
      format: "yaml",
      source: QUICK,
      workflow,
      workflowHash: workflowHash(workflow),
      system: true,
      now: Date.now(),
    });
    for (const verb of ["archive", "activate"] as const) {
      const e = expectError(await move("builtin-quick", verb), 409, "WEFT_CONFLICT");
      expect(e.message).toContain("is a built-in template and always active; clone it");
    }
    expect((await s.env.store.definitions.get("builtin-quick"))?.status).toBe("active");

    const d = await create(QUICK);
    const stale = expectError(await move(d.id, "archive", { version: 7 }), 409, "WEFT_CONFLICT");
    expect(stale.message).toContain(`changed since version 7 (now version 1)`);
    expect((await s.env.store.definitions.get(d.id))?.status).toBe("active");
    expectError(await move("nope", "archive"), 404, "WEFT_NOT_FOUND");
  });
});
