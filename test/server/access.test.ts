/**
 * Access control (src/server/access.ts). Deny by default: the walk takes every route the server registered
 * (from its OpenAPI document, so a new route without an entry here fails) and calls it with no token, a token
 * of another project (admin there), a read-only token of the resource's project, and that project's admin.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { hasActiveToken, tokenHash } from "../../src/server/access.js";
import { createDefinitionFiles, fileDefinitionId } from "../../src/server/definition-files.js";
import { checkBind } from "../../src/server/serve.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import type { TokenScope } from "../../src/store/store.js";
import { until } from "../helpers/engine.js";
import { body, expectError, type Json, launchId, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

const DEF = (name: string) => `name: ${name}\nsteps:\n  - id: only\n    type: noop\n`;

async function makeToken(s: ServerEnv, name: string, scopes: TokenScope[]): Promise<{ id: string; secret: string }> {
  const secret = `weft_${randomUUID()}`;
  const id = randomUUID();
  await s.env.store.tokens.create({ id, name, hash: tokenHash(secret), scopes, now: Date.now() });
  return { id, secret };
}

const auth = (secret?: string): Record<string, string> =>
  secret === undefined ? {} : { authorization: `Bearer ${secret}` };

interface Fixture {
  run: string;
  betaRun: string;
  doc: string;
  image: string;
  comment: string;
  def: string;
  betaDef: string;
  system: string;
}

/** Each route of the API: how to call it against the fixture in project alpha, and what a read-only token gets. */
type Call = { url: string; payload?: Json };
interface RouteCase {
  call: (f: Fixture) => Call;
  /** What the read-only token of alpha may do: a 2xx (read routes), or 403. */
  readOnly: "ok" | 403;
  /**
   * What alpha's resources look like to beta's admin: 404 (invisible), 403 (a launch or create in alpha), or
   * "filtered" (a list that answers 200 without alpha's items), "ok" (nothing of alpha's involved).
   */
  otherProject: 404 | 403 | "filtered" | "ok";
  /** Routes that need no token at all. */
  public?: true;
}

const ROUTES: Record<string, RouteCase> = {
  "GET /api/health": { call: () => ({ url: "/api/health" }), readOnly: "ok", otherProject: "ok", public: true },
  "GET /api/openapi.json": {
    call: () => ({ url: "/api/openapi.json" }),
    readOnly: "ok",
    otherProject: "ok",
    public: true,
  },
  "GET /api/session": { call: () => ({ url: "/api/session" }), readOnly: "ok", otherProject: "ok" },
  "GET /api/step-types": { call: () => ({ url: "/api/step-types" }), readOnly: "ok", otherProject: "ok" },
  "GET /api/workflow-executions/{id}/artifacts": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/artifacts?step_id=hello` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "GET /api/approvals": { call: () => ({ url: "/api/approvals" }), readOnly: "ok", otherProject: "filtered" },
  "POST /api/workflow-executions": {
    call: () => ({ url: "/api/workflow-executions", payload: { workflow: { source: QUICK }, project_id: "alpha" } }),
    readOnly: 403,
    otherProject: 403,
  },
  "GET /api/workflow-executions": {
    call: () => ({ url: "/api/workflow-executions" }),
    readOnly: "ok",
    otherProject: "filtered",
  },
  "GET /api/workflow-executions/{id}": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/pause": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/pause` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/resume": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/resume` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/cancel": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/cancel` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/steps/{step}/approve": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/steps/hello/approve` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/steps/{step}/reject": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/steps/hello/reject` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/steps/{step}/retry": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/steps/hello/retry` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/budget": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/budget`, payload: { tokens: 1000 } }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/workflow-executions/{id}/checkpoints": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/checkpoints` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "GET /api/workflow-executions/{id}/checkpoints/{number}": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/checkpoints/1` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/checkpoints/prune": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/checkpoints/prune`, payload: { keep: 1, dry_run: true } }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/rewind": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/rewind`, payload: { checkpoint: 1 } }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/workflow-executions/{id}/events": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/events` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/comments": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/comments`, payload: { text: "hello" } }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/workflow-executions/{id}/comments": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/comments` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/workflow-executions/{id}/artifacts": {
    call: (f) => ({ url: `/api/workflow-executions/${f.run}/artifacts`, payload: {} }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/workflow-steps/{id}": {
    call: (f) => ({ url: `/api/workflow-steps/${f.run}:hello` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "GET /api/workflow-steps/{id}/logs/{type}": {
    call: (f) => ({ url: `/api/workflow-steps/${f.run}:hello/logs/output` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "GET /api/artifacts": { call: () => ({ url: "/api/artifacts" }), readOnly: "ok", otherProject: "filtered" },
  "GET /api/artifacts/{id}": { call: (f) => ({ url: `/api/artifacts/${f.doc}` }), readOnly: "ok", otherProject: 404 },
  "DELETE /api/artifacts/{id}": {
    call: (f) => ({ url: `/api/artifacts/${f.image}` }),
    readOnly: 403,
    otherProject: 404,
  },
  "PATCH /api/artifacts/{id}/attach": {
    call: (f) => ({ url: `/api/artifacts/${f.doc}/attach`, payload: { comment_id: f.comment } }),
    readOnly: 403,
    otherProject: 404,
  },
  "DELETE /api/artifacts/{id}/detach": {
    call: (f) => ({ url: `/api/artifacts/${f.doc}/detach` }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/artifacts/{id}/attachments": {
    call: (f) => ({ url: `/api/artifacts/${f.doc}/attachments` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/artifacts/{id}/attachments": {
    call: (f) => ({ url: `/api/artifacts/${f.doc}/attachments`, payload: { image_ids: [f.image] } }),
    readOnly: 403,
    otherProject: 404,
  },
  "DELETE /api/artifacts/{id}/attachments/{imageId}": {
    call: (f) => ({ url: `/api/artifacts/${f.doc}/attachments/${f.image}` }),
    readOnly: 403,
    otherProject: 404,
  },
  "PUT /api/artifacts/{id}/attachments/{imageId}/primary": {
    call: (f) => ({ url: `/api/artifacts/${f.doc}/attachments/${f.image}/primary` }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/workflow-definitions": {
    call: () => ({ url: "/api/workflow-definitions" }),
    readOnly: "ok",
    otherProject: "filtered",
  },
  "POST /api/workflow-definitions": {
    call: () => ({ url: "/api/workflow-definitions", payload: { source: DEF("made"), project_id: "alpha" } }),
    readOnly: 403,
    otherProject: 403,
  },
  // The definitions folder of the server's project (alpha here).
  "GET /api/workflow-definitions/files": {
    call: () => ({ url: "/api/workflow-definitions/files" }),
    readOnly: "ok",
    otherProject: 403,
  },
  "GET /api/workflow-definitions/categories": {
    call: () => ({ url: "/api/workflow-definitions/categories" }),
    readOnly: "ok",
    otherProject: "ok",
  },
  "POST /api/workflow-definitions/validate": {
    call: () => ({ url: "/api/workflow-definitions/validate", payload: { source: DEF("checked") } }),
    readOnly: "ok",
    otherProject: "ok",
  },
  "GET /api/workflow-definitions/{id}": {
    call: (f) => ({ url: `/api/workflow-definitions/${f.def}` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "PUT /api/workflow-definitions/{id}": {
    call: (f) => ({ url: `/api/workflow-definitions/${f.def}`, payload: { source: DEF("changed") } }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-definitions/{id}/clone": {
    call: (f) => ({ url: `/api/workflow-definitions/${f.def}/clone`, payload: { project_id: "alpha" } }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-definitions/{id}/activate": {
    call: (f) => ({ url: `/api/workflow-definitions/${f.def}/activate`, payload: {} }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflow-definitions/{id}/archive": {
    call: (f) => ({ url: `/api/workflow-definitions/${f.def}/archive`, payload: {} }),
    readOnly: 403,
    otherProject: 404,
  },
  "DELETE /api/workflow-definitions/{id}": {
    call: (f) => ({ url: `/api/workflow-definitions/${f.def}` }),
    readOnly: 403,
    otherProject: 404,
  },
  // Seed 001's aliases (routes/compat/seed001.ts), trailing slashes as the seed writes them.
  "POST /api/v1/workflows/": {
    call: () => ({
      url: "/api/v1/workflows/",
      payload: { workflow: { name: "seed-001", steps: [{ id: "only", type: "noop" }] }, project_id: "alpha" },
    }),
    readOnly: 403,
    otherProject: 403,
  },
  "GET /api/v1/workflows/{id}/": {
    call: (f) => ({ url: `/api/v1/workflows/${f.def}/` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/v1/workflows/{id}/execute/": {
    call: (f) => ({ url: `/api/v1/workflows/${f.def}/execute/`, payload: { input_data: {} } }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/v1/workflows/executions/{id}/": {
    call: (f) => ({ url: `/api/v1/workflows/executions/${f.run}/` }),
    readOnly: "ok",
    otherProject: 404,
  },
  ...Object.fromEntries(
    ["pause", "resume", "cancel"].map((verb) => [
      `POST /api/v1/workflows/executions/{id}/${verb}/`,
      {
        call: (f: Fixture) => ({ url: `/api/v1/workflows/executions/${f.run}/${verb}/` }),
        readOnly: 403 as const,
        otherProject: 404 as const,
      },
    ]),
  ),
  // Seed 000's aliases (src/server/routes/compat/seed000.ts): bare answers, weft's access rules.
  "GET /api/workflows/templates": {
    call: () => ({ url: "/api/workflows/templates" }),
    readOnly: "ok",
    otherProject: "filtered",
  },
  "POST /api/workflows/templates": {
    call: () => ({
      url: "/api/workflows/templates",
      payload: { name: "seed-made", workspace_id: "alpha", nodes: [{ id: "only", node_type: "parallel" }] },
    }),
    readOnly: 403,
    otherProject: 403,
  },
  "GET /api/workflows/templates/{id}": {
    call: (f) => ({ url: `/api/workflows/templates/${f.def}` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "PUT /api/workflows/templates/{id}": {
    call: (f) => ({ url: `/api/workflows/templates/${f.def}`, payload: { name: "seed-changed" } }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflows/templates/{id}/clone": {
    call: (f) => ({ url: `/api/workflows/templates/${f.def}/clone`, payload: { workspace_id: "alpha" } }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflows/executions/launch": {
    call: (f) => ({ url: "/api/workflows/executions/launch", payload: { template_id: f.def, project_id: "alpha" } }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/workflows/executions": {
    call: () => ({ url: "/api/workflows/executions" }),
    readOnly: "ok",
    otherProject: "filtered",
  },
  "GET /api/workflows/executions/{id}": {
    call: (f) => ({ url: `/api/workflows/executions/${f.run}` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/workflows/executions/{id}/pause": {
    call: (f) => ({ url: `/api/workflows/executions/${f.run}/pause` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflows/executions/{id}/resume": {
    call: (f) => ({ url: `/api/workflows/executions/${f.run}/resume` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflows/executions/{id}/stop": {
    call: (f) => ({ url: `/api/workflows/executions/${f.run}/stop` }),
    readOnly: 403,
    otherProject: 404,
  },
  "POST /api/workflows/executions/{id}/retry-node": {
    call: (f) => ({ url: `/api/workflows/executions/${f.run}/retry-node`, payload: { node_id: "hello" } }),
    readOnly: 403,
    otherProject: 404,
  },
  "GET /api/documents/{docId}/attachments": {
    call: (f) => ({ url: `/api/documents/${f.doc}/attachments` }),
    readOnly: "ok",
    otherProject: 404,
  },
  "POST /api/documents/{docId}/attachments": {
    call: (f) => ({ url: `/api/documents/${f.doc}/attachments`, payload: { image_ids: [f.image] } }),
    readOnly: 403,
    otherProject: 404,
  },
  "DELETE /api/documents/{docId}/attachments/{imageId}": {
    call: (f) => ({ url: `/api/documents/${f.doc}/attachments/${f.image}` }),
    readOnly: 403,
    otherProject: 404,
  },
  "PUT /api/documents/{docId}/attachments/{imageId}/primary": {
    call: (f) => ({ url: `/api/documents/${f.doc}/attachments/${f.image}/primary` }),
    readOnly: 403,
    otherProject: 404,
  },
  // A plain GET: 426 once past access (the WebSocket itself is tested below).
  "GET /api/ws": { call: () => ({ url: "/api/ws" }), readOnly: "ok", otherProject: "ok" },
};

const METHOD_OF = (key: string) => key.split(" ")[0] as "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

describe("access control: every route, deny by default", () => {
  let s: ServerEnv;
  let f: Fixture;
  let alphaAdmin: string;
  let alphaRead: string;
  let betaAdmin: string;

  beforeAll(async () => {
    s = await serverEnv((env) => ({
      definitionFiles: createDefinitionFiles({
        store: env.store,
        projectDir: env.dir,
        projectId: "alpha",
        stepTypes: new Map(builtinStepTypes().map((t) => [t.type, t])),
      }),
    }));
    const app = s.app;
    // Built while no token exists (the local user may do everything), then tokens are created.
    const run = await launchId(app, QUICK, { project_id: "alpha" });
    const betaRun = await launchId(app, QUICK, { project_id: "beta" });
    await waitStatus(app, run, "completed");
    await waitStatus(app, betaRun, "completed");
    await until(
      async () => (await app.inject({ url: `/api/workflow-steps/${run}:hello/logs/output` })).statusCode === 200,
    );
    const artifact = async (name: string, fileType: "document" | "image") => {
      const id = randomUUID();
      const storageKey = `runs/${run}/artifacts/_run/${id}`;
      mkdirSync(join(s.env.dir, "runs", run, "artifacts", "_run"), { recursive: true });
      writeFileSync(join(s.env.dir, storageKey), "content");
      await s.env.store.artifacts.create({
        id,
        runId: run,
        stepKey: null,
        name,
        storageKey,
        fileType,
        mimeType: fileType === "image" ? "image/png" : "text/markdown",
        sizeBytes: 7,
        sha256: "0".repeat(64),
        now: Date.now(),
      });
      return id;
    };
    const doc = await artifact("doc.md", "document");
    const image = await artifact("a.png", "image");
    const comment = body(
      await app.inject({ method: "POST", url: `/api/workflow-executions/${run}/comments`, payload: { text: "hi" } }),
    ).data.id as string;
    const def = async (project: string, name: string) =>
      body(
        await app.inject({
          method: "POST",
          url: "/api/workflow-definitions",
          payload: { source: DEF(name), project_id: project },
        }),
      ).data.id as string;
    const alphaDef = await def("alpha", "alpha-def");
    const betaDef = await def("beta", "beta-def");
    const system = randomUUID();
    const sys = (await s.env.store.definitions.get(alphaDef)) as NonNullable<
      Awaited<ReturnType<typeof s.env.store.definitions.get>>
    >;
    await s.env.store.definitions.create({
      ...sys,
      id: system,
      name: "built-in",
      projectId: "system",
      system: true,
      now: Date.now(),
    });
    f = { run, betaRun, doc, image, comment, def: alphaDef, betaDef, system };

    alphaAdmin = (await makeToken(s, "alpha admin", [{ projectId: "alpha", role: "admin", scripts: true }])).secret;
    alphaRead = (await makeToken(s, "alpha read", [{ projectId: "alpha", role: "read" }])).secret;
    betaAdmin = (await makeToken(s, "beta admin", [{ projectId: "beta", role: "admin" }])).secret;
    // The server remembers "no token exists" for up to 200 ms.
    await new Promise((r) => setTimeout(r, 250));
  });
  afterAll(async () => {
    await s?.close();
  });

  const send = (app: FastifyInstance, key: string, secret: string | undefined) => {
    const { url, payload } = (ROUTES[key] as RouteCase).call(f);
    return app.inject({ method: METHOD_OF(key), url, headers: auth(secret), ...(payload ? { payload } : {}) });
  };

  it("the walk covers exactly the routes the server has", async () => {
    const doc = body(await s.app.inject({ url: "/api/openapi.json" }));
    const registered = Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(registered.sort()).toEqual(Object.keys(ROUTES).sort());
    // …and the document says what each needs.
    for (const [key, c] of Object.entries(ROUTES)) {
      const [m, path] = key.split(" ") as [string, string];
      const op = doc.paths[path][m.toLowerCase()];
      if (c.public) expect(op.security, key).toEqual([]);
      else expect(op["x-weft-role"], key).toMatch(/^(read|operate|admin)$/);
    }
  });

  it("with no token: 401 on every route but the public ones; an unknown route is 401 too", async () => {
    for (const [key, c] of Object.entries(ROUTES)) {
      const res = await send(s.app, key, undefined);
      if (c.public) expect(res.statusCode, key).toBe(200);
      else expectError(res, 401, "WEFT_UNAUTHORIZED");
    }
    expectError(await s.app.inject({ url: "/api/nothing-here" }), 401);
    expectError(await send(s.app, "GET /api/workflow-executions", "weft_not-a-real-token"), 401, "WEFT_UNAUTHORIZED");
    expectError(
      await s.app.inject({ url: "/api/workflow-executions", headers: { authorization: "Basic abc" } }),
      401,
      "WEFT_UNAUTHORIZED",
    );
  });

  it("with another project's admin token: alpha's resources are unknown (404), alpha's lists are filtered", async () => {
    for (const [key, c] of Object.entries(ROUTES)) {
      const res = await send(s.app, key, betaAdmin);
      if (c.otherProject === 404) expectError(res, 404, "WEFT_NOT_FOUND");
      else if (c.otherProject === 403) expectError(res, 403, "WEFT_FORBIDDEN");
      else if (key === "GET /api/ws") expect(res.statusCode, key).toBe(426);
      else expect(res.statusCode, `${key}: ${res.body}`).toBe(200);
      if (c.otherProject === "filtered") {
        // Seed 000's aliases answer bare lists; weft's routes `{ data }`.
        const list = (Array.isArray(body(res)) ? body(res) : body(res).data) as Json[];
        const ids = list.map((x) => x.id);
        expect(ids).not.toContain(f.run);
        expect(ids).not.toContain(f.def);
        expect(ids).not.toContain(f.doc);
        expect(ids).not.toContain(f.image);
      }
    }
    // What beta's token does see: its own run and definition, and the built-in templates.
    const runs = body(await send(s.app, "GET /api/workflow-executions", betaAdmin)).data as Json[];
    expect(runs.map((r) => r.id)).toEqual([f.betaRun]);
    const defs = body(await send(s.app, "GET /api/workflow-definitions", betaAdmin)).data as Json[];
    expect(defs.map((d) => d.id).sort()).toEqual([f.betaDef, f.system].sort());
    // Naming alpha explicitly is refused, not answered with an empty list.
    expectError(
      await s.app.inject({ url: "/api/workflow-executions?project_id=alpha", headers: auth(betaAdmin) }),
      403,
      "WEFT_FORBIDDEN",
    );
    // Launching alpha's definition, or attaching alpha's image to beta's, is as unknown as a missing id.
    expectError(
      await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        headers: auth(betaAdmin),
        payload: { workflow_definition_id: f.def },
      }),
      404,
      "WEFT_NOT_FOUND",
    );
  });

  it("with alpha's read-only token: every read answers, every change is 403 and changes nothing", async () => {
    const before = body(await s.app.inject({ url: `/api/workflow-executions/${f.run}`, headers: auth(alphaRead) }));
    for (const [key, c] of Object.entries(ROUTES)) {
      const res = await send(s.app, key, alphaRead);
      if (c.readOnly === 403) {
        const e = expectError(res, 403, "WEFT_FORBIDDEN");
        expect(e.message, key).toMatch(/role in project "alpha" is read|roles do not include/);
      } else if (key === "GET /api/ws") expect(res.statusCode).toBe(426);
      else expect(res.statusCode, `${key}: ${res.body.slice(0, 200)}`).toBe(200);
    }
    const after = body(await s.app.inject({ url: `/api/workflow-executions/${f.run}`, headers: auth(alphaRead) }));
    expect(after).toEqual(before);
    expect((await s.env.store.comments.list(f.run)).length).toBe(1);
    expect((await s.env.store.definitions.get(f.def))?.version).toBe(1);
  });

  it("with alpha's admin token: every route gets past access (no 401, 403 or access 404)", async () => {
    // Order matters for the destructive ones: run them last.
    const last = ["DELETE /api/workflow-definitions/{id}", "DELETE /api/artifacts/{id}"];
    const keys = [...Object.keys(ROUTES).filter((k) => !last.includes(k)), ...last];
    for (const key of keys) {
      const res = await send(s.app, key, alphaAdmin);
      expect([401, 403], `${key}: ${res.body.slice(0, 200)}`).not.toContain(res.statusCode);
      if (res.statusCode === 404) expect(res.body, key).not.toMatch(/no (workflow execution|artifact|step run)/);
    }
  });

  it("?access_token= only where documented (WebSocket, SSE, logs/events?follow=1): 401 on every other route", async () => {
    const inQuery = (url: string) => `${url}${url.includes("?") ? "&" : "?"}access_token=${alphaAdmin}`;
    const streams = ["GET /api/ws", "GET /api/workflow-executions/{id}/events"];
    for (const [key, c] of Object.entries(ROUTES)) {
      if (c.public) continue;
      const { url, payload } = c.call(f);
      const res = await s.app.inject({ method: METHOD_OF(key), url: inQuery(url), ...(payload ? { payload } : {}) });
      if (key === "GET /api/ws") expect(res.statusCode, key).toBe(426);
      else if (streams.includes(key)) expect(res.body, key).toContain("event: end");
      else expectError(res, 401, "WEFT_UNAUTHORIZED");
    }
    // The step log route: every plain read is refused, the events stream is not.
    const log = (type: string, query = "") => `/api/workflow-steps/${f.run}:hello/logs/${type}${query}`;
    for (const type of ["input", "output", "events", "summary"]) {
      expectError(await s.app.inject({ url: inQuery(log(type)) }), 401, "WEFT_UNAUTHORIZED");
      expectError(await s.app.inject({ url: inQuery(log(type, "?follow=0")) }), 401, "WEFT_UNAUTHORIZED");
    }
    expectError(await s.app.inject({ url: inQuery(log("output", "?follow=1")) }), 401, "WEFT_UNAUTHORIZED");
    for (const query of ["?follow=1", "?follow=true", "?follow"]) {
      const res = await s.app.inject({ url: inQuery(log("events", query)) });
      expect(res.statusCode, query).toBe(200);
      expect(res.body, query).toContain("event: end");
    }
    const accept = await s.app.inject({ url: inQuery(log("events")), headers: { accept: "text/event-stream" } });
    expect(accept.body).toContain("event: end");
  });

  it("a system template is readable and cloneable into one's own project by any token", async () => {
    const get = await s.app.inject({ url: `/api/workflow-definitions/${f.system}`, headers: auth(betaAdmin) });
    expect(get.statusCode).toBe(200);
    const clone = await s.app.inject({
      method: "POST",
      url: `/api/workflow-definitions/${f.system}/clone`,
      headers: auth(betaAdmin),
      payload: { project_id: "beta" },
    });
    expect(clone.statusCode).toBe(201);
    expectError(
      await s.app.inject({
        method: "POST",
        url: `/api/workflow-definitions/${f.system}/clone`,
        headers: auth(alphaRead),
        payload: { project_id: "alpha" },
      }),
      403,
      "WEFT_FORBIDDEN",
    );
  });
});

describe("access control: tokens over real HTTP, WebSocket and SSE", () => {
  let s: ServerEnv;
  let base: string;

  beforeAll(async () => {
    s = await serverEnv();
    base = await s.listen();
  });
  afterAll(async () => {
    await s?.close();
  });

  const ws = (query: string, headers: Record<string, string> = {}) =>
    new Promise<{ socket: WebSocket; messages: Json[] } | { status: number }>((resolve) => {
      const socket = new WebSocket(`${base.replace("http", "ws")}/api/ws${query}`, { headers });
      const messages: Json[] = [];
      socket.on("message", (m) => messages.push(JSON.parse(m.toString())));
      socket.on("open", () => resolve({ socket, messages }));
      socket.on("unexpected-response", (req, res) => {
        resolve({ status: res.statusCode ?? 0 });
        req.destroy();
      });
      socket.on("error", () => undefined);
    });

  it("a WebSocket token (?access_token=) sees only its projects' events; no token, no socket", async () => {
    const read = await makeToken(s, "alpha reader", [{ projectId: "alpha", role: "read" }]);
    const admin = await makeToken(s, "admin", [{ projectId: "*", role: "admin", scripts: true }]);
    const refused = await ws("");
    expect(refused).toEqual({ status: 401 });

    const conn = await ws(`?access_token=${read.secret}`);
    if (!("socket" in conn)) throw new Error(`refused: ${conn.status}`);
    await until(async () => conn.messages.some((m) => m.type === "subscribed"), 5000, "subscribed");
    const post = (project: string) =>
      fetch(`${base}/api/workflow-executions`, {
        method: "POST",
        headers: { "content-type": "application/json", ...auth(admin.secret) },
        body: JSON.stringify({ workflow: { source: QUICK }, project_id: project }),
      }).then(async (r) => ((await r.json()) as Json).data.id as string);
    const beta = await post("beta");
    const alpha = await post("alpha");
    await until(
      async () =>
        conn.messages.some(
          (m) => m.type === "workflow.execution.status_changed" && m.data?.status === "completed" && m.run_id === alpha,
        ) || conn.messages.some((m) => m.data?.execution_id === alpha && m.data?.status === "completed"),
      10_000,
      "alpha's run completed on the socket",
    );
    // Beta's run completed too (the admin sees it); the reader got none of its events.
    const betaRun = await fetch(`${base}/api/workflow-executions/${beta}`, { headers: auth(admin.secret) });
    expect(((await betaRun.json()) as Json).data.id).toBe(beta);
    const text = JSON.stringify(conn.messages);
    expect(text).toContain(alpha);
    expect(text).not.toContain(beta);
    conn.socket.close();

    // Naming beta's run is refused like an unknown one.
    expect(await ws(`?access_token=${read.secret}&run_id=${beta}`)).toEqual({ status: 404 });
    // A subscribe message naming it answers an error and sends nothing of it.
    const again = await ws("", auth(read.secret));
    if (!("socket" in again)) throw new Error("refused");
    again.socket.send(JSON.stringify({ type: "subscribe", run_id: beta, after: { [beta]: 0 } }));
    await until(async () => again.messages.some((m) => m.type === "error"), 5000, "an error message");
    await new Promise((r) => setTimeout(r, 200));
    expect(again.messages.filter((m) => m.run_id === beta || m.data?.execution_id === beta)).toEqual([]);
    again.socket.close();
  });

  it("SSE takes the token as ?access_token=; a revoked token is refused at once", async () => {
    const t = await makeToken(s, "sse", [{ projectId: "alpha", role: "read" }]);
    const admin = await makeToken(s, "admin2", [{ projectId: "*", role: "admin", scripts: true }]);
    const res = await fetch(`${base}/api/workflow-executions`, {
      method: "POST",
      headers: { "content-type": "application/json", ...auth(admin.secret) },
      body: JSON.stringify({ workflow: { source: QUICK }, project_id: "alpha" }),
    });
    const id = ((await res.json()) as Json).data.id as string;
    const sse = await fetch(`${base}/api/workflow-executions/${id}/events?access_token=${t.secret}`);
    expect(sse.status).toBe(200);
    expect(await sse.text()).toContain("event: end");
    // The query token is accepted only where headers cannot be sent.
    const plain = await fetch(`${base}/api/workflow-executions/${id}?access_token=${t.secret}`);
    expect(plain.status).toBe(401);

    await s.env.store.tokens.revoke(t.id, Date.now());
    const after = await fetch(`${base}/api/workflow-executions/${id}`, { headers: auth(t.secret) });
    expect(after.status).toBe(401);
    expect(((await after.json()) as Json).error.message).toMatch(/revoked/);
  });
});

describe("access control: modes", () => {
  it("with no tokens: open to this machine only — a foreign Host (DNS rebinding) or a cross-site write is 403", async () => {
    const s = await serverEnv();
    try {
      const ok = await s.app.inject({ url: "/api/workflow-executions", headers: { host: "127.0.0.1:4280" } });
      expect(ok.statusCode).toBe(200);
      expect((await s.app.inject({ url: "/api/health", headers: { host: "localhost:4280" } })).statusCode).toBe(200);
      expectError(
        await s.app.inject({ url: "/api/workflow-executions", headers: { host: "evil.example:4280" } }),
        403,
        "WEFT_FORBIDDEN",
      );
      expectError(
        await s.app.inject({
          method: "POST",
          url: "/api/workflow-executions",
          headers: { host: "127.0.0.1:4280", origin: "https://evil.example" },
          payload: { workflow: { source: QUICK } },
        }),
        403,
        "WEFT_FORBIDDEN",
      );
      const same = await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        headers: { host: "127.0.0.1:4280", origin: "http://127.0.0.1:4280" },
        payload: { workflow: { source: QUICK } },
      });
      expect(same.statusCode).toBe(201);
    } finally {
      await s.close();
    }
  });

  it("requireToken (a non-loopback bind) refuses requests even when no token exists", async () => {
    const s = await serverEnv({ requireToken: true });
    try {
      expectError(await s.app.inject({ url: "/api/workflow-executions" }), 401, "WEFT_UNAUTHORIZED");
      expect((await s.app.inject({ url: "/api/health" })).statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });

  it("WEFT_API_TOKENS tokens are admin in every project", async () => {
    const s = await serverEnv({ apiTokens: ["env-secret"] });
    try {
      const id = await launchId(s.app, QUICK, { project_id: "anything" }).catch(() => undefined);
      expect(id).toBeUndefined();
      const res = await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        headers: auth("env-secret"),
        payload: { workflow: { source: QUICK }, project_id: "anything" },
      });
      expect(res.statusCode).toBe(201);
    } finally {
      await s.close();
    }
  });

  it("a revoked token stops counting: refused itself, and revoking the last one reopens a loopback server", async () => {
    const s = await serverEnv();
    try {
      const a = await makeToken(s, "a", [{ projectId: "default", role: "read" }]);
      const b = await makeToken(s, "b", [{ projectId: "default", role: "read" }]);
      expectError(await s.app.inject({ url: "/api/workflow-executions" }), 401, "WEFT_UNAUTHORIZED");
      expect((await s.app.inject({ url: "/api/workflow-executions", headers: auth(a.secret) })).statusCode).toBe(200);

      await s.env.store.tokens.revoke(a.id, Date.now());
      const refused = await s.app.inject({ url: "/api/workflow-executions", headers: auth(a.secret) });
      expectError(refused, 401, "WEFT_UNAUTHORIZED");
      expect(body(refused).error.message).toMatch(/revoked/);
      expect(await hasActiveToken(s.env.store)).toBe(true); // b still is
      expectError(await s.app.inject({ url: "/api/workflow-executions" }), 401, "WEFT_UNAUTHORIZED");
      await expect(checkBind("0.0.0.0", undefined, s.env.store)).resolves.toBeUndefined();

      await s.env.store.tokens.revoke(b.id, Date.now());
      expect(await hasActiveToken(s.env.store)).toBe(false);
      // "Some exist" is never cached, so the very next request finds none: the local user's open mode again.
      expect((await s.app.inject({ url: "/api/workflow-executions" })).statusCode).toBe(200);
      // A revoked token is not "no token": sending it is still refused.
      expectError(
        await s.app.inject({ url: "/api/workflow-executions", headers: auth(b.secret) }),
        401,
        "WEFT_UNAUTHORIZED",
      );
      // Nor do revoked tokens open a non-loopback bind.
      await expect(checkBind("0.0.0.0", undefined, s.env.store)).rejects.toMatchObject({ code: "WEFT_UNAUTHORIZED" });
    } finally {
      await s.close();
    }
  });

  it("a loopback server is open again once every token is revoked; a non-loopback one never is", async () => {
    const s = await serverEnv();
    const bound = await serverEnv({ requireToken: true });
    try {
      const list = (env: ServerEnv) => env.app.inject({ url: "/api/workflow-executions" });
      const tokens = [];
      for (const env of [s, bound]) {
        tokens.push(await makeToken(env, "a", [{ projectId: "default", role: "read" }]));
        tokens.push(await makeToken(env, "b", [{ projectId: "*", role: "admin" }]));
      }
      await until(async () => (await list(s)).statusCode === 401, 10_000, "tokens to close the open mode");
      await s.env.store.tokens.revoke(tokens[0]!.id, Date.now());
      // One token is still active: the mode stays closed (a revoked token does not count, an active one does).
      expectError(await list(s), 401, "WEFT_UNAUTHORIZED");
      await s.env.store.tokens.revoke(tokens[1]!.id, Date.now());
      await until(async () => (await list(s)).statusCode === 200, 10_000, "the open mode to come back");
      expect(
        (await s.app.inject({ url: "/api/workflow-executions", headers: auth(tokens[1]!.secret) })).statusCode,
      ).toBe(401);

      for (const t of tokens.slice(2)) await bound.env.store.tokens.revoke(t.id, Date.now());
      expectError(await list(bound), 401, "WEFT_UNAUTHORIZED");
    } finally {
      await s.close();
      await bound.close();
    }
  });

  it("the first stored token closes the open mode within 200 ms", async () => {
    const s = await serverEnv();
    try {
      expect((await s.app.inject({ url: "/api/workflow-executions" })).statusCode).toBe(200);
      const t = await makeToken(s, "first", [{ projectId: "default", role: "read" }]);
      // "No token" is remembered for up to 200 ms: wait for the condition, not the clock.
      await until(async () => (await s.app.inject({ url: "/api/workflow-executions" })).statusCode === 401);
      expectError(await s.app.inject({ url: "/api/workflow-executions" }), 401, "WEFT_UNAUTHORIZED");
      expect((await s.app.inject({ url: "/api/workflow-executions", headers: auth(t.secret) })).statusCode).toBe(200);
      const touched = await s.env.store.tokens.get(t.id);
      expect(touched?.lastUsedAt).not.toBeNull();
    } finally {
      await s.close();
    }
  });
});

describe("access control: a definitions folder's file with errors", () => {
  let s: ServerEnv;
  let files: ReturnType<typeof createDefinitionFiles>;

  beforeAll(async () => {
    s = await serverEnv((env) => {
      files = createDefinitionFiles({
        store: env.store,
        projectDir: env.dir,
        projectId: "alpha",
        stepTypes: new Map(builtinStepTypes().map((t) => [t.type, t])),
      });
      return { definitionFiles: files };
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it("is as unknown as a missing definition to a token of another project: 404, none of the file's problems", async () => {
    const folder = join(s.env.dir, ".agent", "workflows", "definitions");
    mkdirSync(folder, { recursive: true });
    const file = join(folder, "secret-plan.yaml");
    writeFileSync(file, DEF("secret-plan"));
    await files.sync();
    const id = fileDefinitionId(files.folder, "secret-plan.yaml");
    expect(await s.env.store.definitions.get(id)).toBeDefined();
    // The file breaks: its last good definition stays, refused at launch with the file's problems.
    writeFileSync(file, "name: secret-plan\nsteps:\n  - id: only\n    type: no-such-type\n");
    await files.sync();
    const alpha = (await makeToken(s, "alpha operate", [{ projectId: "alpha", role: "operate" }])).secret;
    const beta = (await makeToken(s, "beta operate", [{ projectId: "beta", role: "operate" }])).secret;
    await new Promise((r) => setTimeout(r, 250));
    const launch = (secret: string, url: string, payload: Record<string, unknown>) =>
      s.app.inject({ method: "POST", url, headers: auth(secret), payload });
    const own = await launch(alpha, "/api/workflow-executions", { workflow_definition_id: id });
    expectError(own, 422);
    expect(own.body).toContain("no-such-type");
    for (const [url, payload] of [
      ["/api/workflow-executions", { workflow_definition_id: id }],
      ["/api/workflows/executions/launch", { template_id: id }],
    ] as const) {
      const res = await launch(beta, url, payload);
      expectError(res, 404, "WEFT_NOT_FOUND");
      expect(res.body, url).not.toContain("no-such-type");
      expect(res.body, url).not.toContain(".agent/workflows/definitions");
    }
  });
});
