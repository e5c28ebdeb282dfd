/** `GET /api/openapi.json`: the OpenAPI 3.1 document generated from the routes' zod schemas. */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AccessRule } from "../../src/server/access.js";
import { tokenHash } from "../../src/server/access.js";
import { launchBody } from "../../src/server/schemas.js";
import { type Json, type ServerEnv, serverEnv } from "./helpers.js";

// Every route the app registers, seen by an `onRoute` hook of our own on each Fastify instance made —
// independent of the collector the document is built from.
const seen = vi.hoisted(() => [] as { method: string; url: string; access?: AccessRule | undefined }[]);
vi.mock("fastify", async (importOriginal) => {
  const mod = await importOriginal<typeof import("fastify")>();
  const wrapped = ((opts?: Parameters<typeof mod.default>[0]) => {
    const app = mod.default(opts);
    app.addHook("onRoute", (r) => {
      for (const method of [r.method].flat()) seen.push({ method, url: r.url, access: r.config?.access });
    });
    return app;
  }) as typeof mod.default;
  return { ...mod, default: wrapped };
});

const envs: ServerEnv[] = [];
afterEach(async () => {
  await Promise.all(envs.splice(0).map((e) => e.close()));
});

async function documentOf(): Promise<{ text: string; doc: Json; routes: typeof seen }> {
  seen.length = 0;
  const s = await serverEnv();
  envs.push(s);
  const routes = [...seen];
  const res = await s.app.inject({ method: "GET", url: "/api/openapi.json" });
  expect(res.statusCode).toBe(200);
  expect(res.headers["content-type"]).toMatch(/^application\/json/);
  return { text: res.body, doc: JSON.parse(res.body), routes };
}

describe("GET /api/openapi.json", () => {
  it("is an OpenAPI 3.1 document listing every route the app registered, with its method", async () => {
    const { doc, routes } = await documentOf();
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("weft");
    const api = routes.filter((r) => r.url.startsWith("/api/") && r.method !== "HEAD");
    expect(api.length).toBeGreaterThan(20);
    for (const r of api) {
      const path = r.url.replace(/:(\w+)/g, "{$1}");
      expect(doc.paths[path]?.[r.method.toLowerCase()], `${r.method} ${path}`).toBeDefined();
    }
    // …and nothing it did not register.
    const listed = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([p, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`),
    );
    expect(listed.sort()).toEqual(api.map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, "{$1}")}`).sort());
    for (const path of ["/api/ws", "/api/workflow-executions/{id}/events", "/api/openapi.json"])
      expect(doc.paths[path]?.get).toBeDefined();
  });

  it("describes request bodies, parameters and responses with the JSON Schema of their zod schemas", async () => {
    const { doc } = await documentOf();
    const launch = doc.paths["/api/workflow-executions"].post;
    const body = launch.requestBody.content["application/json"].schema;
    expect(body.properties.workflow_definition_id).toMatchObject({ type: "string" });
    expect(body.properties.workflow.properties.source).toBeDefined();
    expect(Object.keys(body.properties).sort()).toEqual(Object.keys(launchBody.shape).sort());
    expect(launch.responses["201"].content["application/json"].schema.properties.data.properties.id).toBeDefined();
    expect(launch.responses.default.content["application/json"].schema.$ref).toBe("#/components/schemas/Error");
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);

    // Query strings: defaults make a parameter optional.
    const list = doc.paths["/api/workflow-executions"].get.parameters as Json[];
    expect(list.find((p) => p.name === "limit")).toMatchObject({ in: "query", required: false });
    // Path parameters, declared or not.
    const step = doc.paths["/api/workflow-executions/{id}/steps/{step}/approve"].post;
    expect(step.parameters.map((p: Json) => [p.name, p.in, p.required])).toEqual([
      ["id", "path", true],
      ["step", "path", true],
    ]);
    // An optional body may be left out.
    expect(doc.paths["/api/workflow-executions/{id}/pause"].post.requestBody.required).toBe(false);
    // Hand-written: the WebSocket upgrade, Server-Sent Events and the multipart upload.
    const ws = doc.paths["/api/ws"].get;
    expect(ws.parameters.map((p: Json) => p.name)).toEqual(["run_id", "project_id", "after_seq"]);
    expect(ws.responses["101"]).toBeDefined();
    const sse = doc.paths["/api/workflow-executions/{id}/events"].get;
    expect(sse.responses["200"].content["text/event-stream"]).toBeDefined();
    const upload = doc.paths["/api/workflow-executions/{id}/artifacts"].post.requestBody.content["multipart/form-data"];
    expect(upload.schema.required).toContain("file");
    // Every operation has a unique id.
    const ids = Object.values(doc.paths as Record<string, Record<string, Json>>).flatMap((ops) =>
      Object.values(ops).map((op) => op.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("states every route's access rule as registered: security and x-weft-role agree with config.access", async () => {
    const { doc, routes } = await documentOf();
    const api = routes.filter((r) => r.url.startsWith("/api/") && r.method !== "HEAD");
    expect(api.length).toBeGreaterThan(20);
    for (const r of api) {
      const key = `${r.method} ${r.url}`;
      const op = doc.paths[r.url.replace(/:(\w+)/g, "{$1}")][r.method.toLowerCase()];
      const rule = r.access as AccessRule;
      expect(rule, key).toBeDefined();
      if (rule.scope === "public") {
        expect(op.security, key).toEqual([]);
        expect(op["x-weft-role"], key).toBeUndefined();
        continue;
      }
      // The role a token needs for the whole operation: a handler's check in the target project included.
      expect(op["x-weft-role"], key).toBe(rule.targetRole ?? rule.role);
      expect(op.security, key).toEqual([
        { bearer: [] },
        ...(rule.protocolToken ? [{ protocolToken: [] }] : []),
        ...(rule.queryToken ? [{ queryToken: [] }] : []),
      ]);
    }
    expect(doc.paths["/api/workflow-definitions/{id}/clone"].post["x-weft-role"]).toBe("admin");
  });

  it("clone needs what its x-weft-role says: admin (in the copy's project), not only read of the original", async () => {
    const s = await serverEnv();
    envs.push(s);
    const token = async (role: "operate" | "admin") => {
      const secret = `weft_${crypto.randomUUID()}`;
      const scopes = [{ projectId: "p", role }];
      await s.env.store.tokens.create({ id: crypto.randomUUID(), name: role, hash: tokenHash(secret), scopes, now: 0 });
      return { authorization: `Bearer ${secret}` };
    };
    const operate = await token("operate");
    const admin = await token("admin");
    const created = await s.app.inject({
      method: "POST",
      url: "/api/workflow-definitions",
      headers: admin,
      payload: { source: "name: d\nsteps:\n  - id: a\n    type: noop\n", project_id: "p" },
    });
    expect(created.statusCode, created.body).toBe(201);
    const url = `/api/workflow-definitions/${created.json().data.id}/clone`;
    const byOperate = await s.app.inject({ method: "POST", url, headers: operate, payload: {} });
    expect(byOperate.statusCode).toBe(403);
    const byAdmin = await s.app.inject({ method: "POST", url, headers: admin, payload: {} });
    expect(byAdmin.statusCode, byAdmin.body).toBe(201);
  });

  it("is the same across two builds of the app", async () => {
    const a = await documentOf();
    const b = await documentOf();
    expect(b.text).toBe(a.text);
  });
});
