import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workflowHash } from "../../src/definition/index.js";
import { definitionDetailSchema, definitionSummarySchema, validationResultSchema } from "../../src/server/schemas.js";
import { wf } from "../helpers/engine.js";
import { body, expectError, type Json, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

const URL = "/api/workflow-definitions";

const REVIEW = `# a review pipeline
name: review
description: Review a change
category: quality
tags: [review, ci]
phases: [check, report]
argsSchema:
  type: object
  properties:
    pr: { type: integer }
steps:
  - id: lint
    phase: check
    command: echo lint
  - id: test
    phase: check
    command: echo test
  - id: report
    phase: report
    needs: [lint, test]
    type: noop
  - id: cleanup
    needs:
      - step: report
        on: always
    type: noop
`;

const post = (payload: unknown) => s.app.inject({ method: "POST", url: URL, payload: payload as object });

async function create(source: string, extra: Record<string, unknown> = {}): Promise<Json> {
  const res = await post({ source, ...extra });
  if (res.statusCode !== 201) throw new Error(`create answered ${res.statusCode}: ${res.body}`);
  return body(res).data;
}

async function systemTemplate(id: string, source = QUICK) {
  const workflow = wf(source);
  await s.env.store.definitions.create({
    id,
    projectId: "builtin",
    name: workflow.name,
    description: null,
    category: "starter",
    tags: [],
    format: "yaml",
    source,
    workflow,
    workflowHash: workflowHash(workflow),
    system: true,
    now: Date.now(),
  });
}

describe("create and get", () => {
  it("creates from YAML (201): name, description, category and tags from the workflow; detail has steps, edges, phases, args schema, stats", async () => {
    const d = await create(REVIEW);
    expect(definitionDetailSchema.parse(d)).toBeTruthy();
    expect(d).toMatchObject({
      project_id: "default",
      name: "review",
      description: "Review a change",
      category: "quality",
      tags: ["review", "ci"],
      format: "yaml",
      system: false,
      version: 1,
      phases: ["check", "report"],
      step_count: 4,
      source: REVIEW,
      times_used: 0,
      average_duration_ms: null,
      success_rate: null,
      last_used_at: null,
    });
    expect(d.args_schema).toMatchObject({ type: "object", properties: { pr: { type: "integer" } } });
    const got = body(await s.app.inject({ url: `${URL}/${d.id}` })).data;
    expect(got).toEqual(d);
    expect(got.steps.map((x: Json) => x.id)).toEqual(["lint", "test", "report", "cleanup"]);
    expect(got.steps[2]).toMatchObject({ phase: "report", type: "noop", needs: ["lint", "test"] });
    expect(got.steps[3]).toMatchObject({ phase: null, needs: ["report"] });
    expect(got.edges).toContainEqual({ from: "lint", to: "report", on: "success" });
    expect(got.edges).toContainEqual({ from: "test", to: "report", on: "success" });
    expect(got.edges).toContainEqual({ from: "report", to: "cleanup", on: "always" });
    for (const e of got.edges) {
      expect(got.steps.find((x: Json) => x.id === e.to).needs).toContain(e.from);
    }
  });

  it("creates from JSON, in a project, with category and tags given", async () => {
    const source = JSON.stringify({ name: "j", steps: [{ id: "a", type: "noop" }] });
    const d = await create(source, { project_id: "p1", category: "misc", tags: ["x"] });
    expect(d).toMatchObject({ format: "json", project_id: "p1", category: "misc", tags: ["x"], name: "j" });
  });

  it("invalid YAML or workflow → 422 with every issue's line and column; nothing stored", async () => {
    const broken = "name: bad\nsteps:\n  - id: a\n    command: [unclosed\n";
    const e1 = expectError(await post({ source: broken }), 422);
    expect(e1.issues?.length).toBeGreaterThan(0);
    for (const i of e1.issues ?? []) {
      expect(i.line).toBeGreaterThan(0);
      expect(i.column).toBeGreaterThan(0);
    }
    const twoErrors = "name: bad\nsteps:\n  - id: a\n    needs: nope\n    type: noop\n  - id: b\n    type: warp\n";
    const e2 = expectError(await post({ source: twoErrors }), 422);
    expect(e2.issues?.length).toBeGreaterThanOrEqual(2);
    expect(e2.issues?.map((i: Json) => i.line)).toEqual(expect.arrayContaining([4, 7]));
    expect(body(await s.app.inject({ url: URL })).data).toEqual([]);
  });

  it("a name taken in the project → 409; the same name in another project is fine", async () => {
    await create(QUICK);
    expectError(await post({ source: QUICK }), 409, "WEFT_CONFLICT");
    expect((await post({ source: QUICK, project_id: "other" })).statusCode).toBe(201);
  });

  it("bad bodies → 400; unknown id → 404", async () => {
    expectError(await post({}), 400, "WEFT_BAD_REQUEST");
    expectError(await post({ source: "" }), 400);
    expectError(await post({ source: QUICK, extra: 1 }), 400);
    expectError(await post({ source: QUICK, tags: "x" }), 400);
    expectError(
      await s.app.inject({
        method: "POST",
        url: URL,
        payload: "{not json",
        headers: { "content-type": "application/json" },
      }),
      400,
    );
    expectError(await s.app.inject({ url: `${URL}/nope` }), 404, "WEFT_NOT_FOUND");
    expectError(await s.app.inject({ url: `${URL}?sort=random` }), 400);
    expectError(await s.app.inject({ url: `${URL}?limit=0` }), 400);
    // still serving
    expect((await post({ source: QUICK })).statusCode).toBe(201);
  });
});

describe("list", () => {
  it("includes system templates, filters by category and search, sorts by usage, newest and name, pages", async () => {
    await systemTemplate("sys-quick");
    const review = await create(REVIEW, { project_id: "p1" });
    await new Promise((r) => setTimeout(r, 5));
    const other = await create("name: alpha\nsteps:\n  - id: a\n    type: noop\n", { project_id: "p2" });
    await new Promise((r) => setTimeout(r, 5));
    const zed = await create("name: zed\ndescription: the last one\nsteps:\n  - id: a\n    type: noop\n", {
      project_id: "p1",
    });

    const list = async (q: string) => {
      const res = await s.app.inject({ url: `${URL}${q}` });
      expect(res.statusCode).toBe(200);
      const items = body(res).data as Json[];
      for (const i of items) expect(definitionSummarySchema.parse(i)).toBeTruthy();
      return items.map((i) => i.name);
    };

    expect(await list("?project_id=p1&sort=name")).toEqual(["quick", "review", "zed"]);
    expect(await list("?sort=name")).toEqual(["alpha", "quick", "review", "zed"]);
    expect(await list("?project_id=p1&sort=newest")).toEqual(["zed", "review", "quick"]);
    expect(await list("?category=quality")).toEqual(["review"]);
    expect(await list("?search=LAST")).toEqual(["zed"]);
    expect(await list("?search=ci")).toEqual(["review"]);
    expect(await list("?sort=name&limit=2&offset=1")).toEqual(["quick", "review"]);

    // usage: most-launched first
    for (let i = 0; i < 2; i++) {
      const res = await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        payload: { workflow_definition_id: zed.id },
      });
      expect(res.statusCode).toBe(201);
    }
    expect((await list("?project_id=p1&sort=usage"))[0]).toBe("zed");
    expect((await list("?project_id=p1"))[0]).toBe("zed");
    expect(review.id && other.id).toBeTruthy();
  });
});

describe("usage stats from launches by workflow_definition_id", () => {
  it("a launch uses the definition and links the run; times_used, average_duration_ms, success_rate, last_used_at follow", async () => {
    const d = await create(QUICK, { project_id: "p1" });
    const res = await s.app.inject({
      method: "POST",
      url: "/api/workflow-executions",
      payload: { workflow_definition_id: d.id },
    });
    expect(res.statusCode).toBe(201);
    const run = body(res).data;
    expect(run).toMatchObject({ workflow_definition_id: d.id, project_id: "p1", workflow_name: "quick" });
    const done = await waitStatus(s.app, run.id, "completed");
    expect(done.workflow_definition.id).toBe(d.id);

    const got = body(await s.app.inject({ url: `${URL}/${d.id}` })).data;
    expect(got.times_used).toBe(1);
    expect(got.success_rate).toBe(1);
    expect(got.average_duration_ms).toBeGreaterThanOrEqual(0);
    expect(got.last_used_at).toBe(run.created_at);
  });
});

describe("update", () => {
  it("replaces the source (version +1); a stale version → 409; invalid → 422; unknown → 404", async () => {
    const d = await create(QUICK);
    const next = QUICK.replace("echo hello", "echo hi").replace("name: quick", "name: quicker");
    const put = (id: string, payload: unknown) =>
      s.app.inject({ method: "PUT", url: `${URL}/${id}`, payload: payload as object });

    const res = await put(d.id, { source: next, version: 1 });
    expect(res.statusCode).toBe(200);
    const u = body(res).data;
    expect(definitionDetailSchema.parse(u)).toBeTruthy();
    expect(u).toMatchObject({ id: d.id, name: "quicker", version: 2, source: next });
    expect(u.workflow_hash).not.toBe(d.workflow_hash);

    expectError(await put(d.id, { source: QUICK, version: 1 }), 409, "WEFT_CONFLICT");
    const bad = expectError(await put(d.id, { source: "name: x\nsteps: 3\n" }), 422);
    expect(bad.issues?.[0]).toMatchObject({ line: 2 });
    expectError(await put("nope", { source: QUICK }), 404);
    expectError(await put(d.id, { version: 2 }), 400);
    // without version: applies to the current one
    expect(body(await put(d.id, { source: QUICK })).data.version).toBe(3);
  });

  it("renaming onto another definition's name → 409; a system template cannot be changed (409)", async () => {
    const a = await create(QUICK);
    await create("name: other\nsteps:\n  - id: a\n    type: noop\n");
    const clash = await s.app.inject({
      method: "PUT",
      url: `${URL}/${a.id}`,
      payload: { source: "name: other\nsteps:\n  - id: b\n    type: noop\n" },
    });
    expectError(clash, 409, "WEFT_CONFLICT");
    await systemTemplate("sys");
    expectError(await s.app.inject({ method: "PUT", url: `${URL}/sys`, payload: { source: QUICK } }), 409);
  });

  it("of two concurrent updates from the same version, one wins and the other gets 409", async () => {
    const d = await create(QUICK);
    const results = await Promise.all(
      ["one", "two"].map((n) =>
        s.app.inject({
          method: "PUT",
          url: `${URL}/${d.id}`,
          payload: { source: QUICK.replace("echo hello", `echo ${n}`), version: 1 },
        }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
  });
});

describe("clone, delete, validate", () => {
  it("clones a system template into a user copy (201) whose text carries its new name", async () => {
    await systemTemplate("sys");
    const res = await s.app.inject({ method: "POST", url: `${URL}/sys/clone` });
    expect(res.statusCode).toBe(201);
    const c = body(res).data;
    expect(c).toMatchObject({ name: "quick (copy)", system: false, project_id: "default", version: 1 });
    expect(c.source).toMatch(/^name: quick \(copy\)$/m);
    const again = body(await s.app.inject({ method: "POST", url: `${URL}/sys/clone`, payload: {} })).data;
    expect(again.name).toBe("quick (copy 2)");
    const named = await s.app.inject({
      method: "POST",
      url: `${URL}/sys/clone`,
      payload: { name: "mine", project_id: "p1" },
    });
    expect(body(named).data).toMatchObject({ name: "mine", project_id: "p1" });
    // an update from the copy's own text keeps its name
    const upd = await s.app.inject({ method: "PUT", url: `${URL}/${c.id}`, payload: { source: c.source } });
    expect(body(upd).data.name).toBe("quick (copy)");

    expectError(
      await s.app.inject({ method: "POST", url: `${URL}/sys/clone`, payload: { name: "mine", project_id: "p1" } }),
      409,
    );
    expectError(await s.app.inject({ method: "POST", url: `${URL}/nope/clone` }), 404);
    expectError(await s.app.inject({ method: "POST", url: `${URL}/sys/clone`, payload: { name: "" } }), 400);
  });

  it("deletes a user definition (then 404); a system template → 409", async () => {
    const d = await create(QUICK);
    const res = await s.app.inject({ method: "DELETE", url: `${URL}/${d.id}` });
    expect(res.statusCode).toBe(200);
    expect(body(res).data).toEqual({ id: d.id, deleted: true });
    expectError(await s.app.inject({ url: `${URL}/${d.id}` }), 404);
    expectError(await s.app.inject({ method: "DELETE", url: `${URL}/${d.id}` }), 404);
    await systemTemplate("sys");
    expectError(await s.app.inject({ method: "DELETE", url: `${URL}/sys` }), 409, "WEFT_CONFLICT");
    expect((await s.app.inject({ url: `${URL}/sys` })).statusCode).toBe(200);
  });

  it("validates without storing: 200 { valid, issues } with line and column", async () => {
    const v = async (payload: unknown) => {
      const res = await s.app.inject({ method: "POST", url: `${URL}/validate`, payload: payload as object });
      expect(res.statusCode).toBe(200);
      return validationResultSchema.parse(body(res).data);
    };
    expect(await v({ source: QUICK })).toEqual({ valid: true, issues: [] });
    const bad = await v({ source: "name: bad\nsteps:\n  - id: a\n    needs: ghost\n    type: noop\n" });
    expect(bad.valid).toBe(false);
    expect(bad.issues[0]).toMatchObject({ severity: "error", line: 4 });
    expect(bad.issues[0]?.column).toBeGreaterThan(0);
    const json = await v({ source: '{ "name": "j", "steps": [ { "id": "a", "type": "nope" } ] }' });
    expect(json.valid).toBe(false);
    expect(json.issues[0]?.file).toBe("workflow.json");
    expectError(await s.app.inject({ method: "POST", url: `${URL}/validate`, payload: {} }), 400);
    expect(body(await s.app.inject({ url: URL })).data).toEqual([]);
  });
});

describe("over a listening server", () => {
  it("create, get, list, update, clone, validate, delete with a real HTTP client; errors leave it serving", async () => {
    const base = await s.listen();
    const call = async (method: string, path: string, payload?: unknown) => {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: payload === undefined ? {} : { "content-type": "application/json" },
        body: payload === undefined ? undefined : JSON.stringify(payload),
      });
      return { status: res.status, json: (await res.json()) as Json };
    };
    const created = await call("POST", URL, { source: REVIEW });
    expect(created.status).toBe(201);
    const id = created.json.data.id;
    expect((await call("GET", `${URL}/${id}`)).json.data.edges.length).toBeGreaterThan(0);
    expect((await call("GET", `${URL}?search=review`)).json.data).toHaveLength(1);
    expectError(await call("POST", URL, { source: "name: [" }), 422);
    expectError(await call("POST", URL, { source: REVIEW }), 409);
    expectError(await call("GET", `${URL}/missing`), 404);
    expectError(await call("POST", URL, { nope: 1 }), 400);
    const upd = await call("PUT", `${URL}/${id}`, { source: REVIEW.replace("echo lint", "echo lint!"), version: 1 });
    expect(upd.json.data.version).toBe(2);
    expectError(await call("PUT", `${URL}/${id}`, { source: REVIEW, version: 1 }), 409);
    expect((await call("POST", `${URL}/${id}/clone`, { name: "review-2" })).status).toBe(201);
    expect((await call("POST", `${URL}/validate`, { source: REVIEW })).json.data.valid).toBe(true);
    expect((await call("DELETE", `${URL}/${id}`)).status).toBe(200);
    expect((await call("GET", URL)).json.data.map((d: Json) => d.name)).toEqual(["review-2"]);
  });
});
