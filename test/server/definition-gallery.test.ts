/**
 * What the template gallery reads besides the list: `GET /api/workflow-definitions/categories`, and a
 * definition's `recent_runs`, `example_args` and pre-run graph (TypeScript ones too) — over a real HTTP
 * connection, with the real template library installed, and tokens of two projects.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import { definitionCategorySchema, definitionDetailSchema } from "../../src/server/schemas.js";
import { exampleArgsOf } from "../../src/server/views.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import type { TokenScope } from "../../src/store/store.js";
import { installTemplates, templateFiles, templateId } from "../../src/templates/library.js";
import { until } from "../helpers/engine.js";
import { type Json, type ServerEnv, serverEnv } from "./helpers.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

describe("the gallery's definition reads", () => {
  let s: ServerEnv;
  let base: string;
  const tokens: Record<string, string> = {};

  const makeToken = async (name: string, scopes: TokenScope[]) => {
    const secret = `weft_${randomUUID()}`;
    await s.env.store.tokens.create({ id: randomUUID(), name, hash: tokenHash(secret), scopes, now: Date.now() });
    tokens[name] = secret;
  };
  const call = async (method: string, path: string, token?: string, payload?: unknown) => {
    const headers: Record<string, string> = token ? { authorization: `Bearer ${tokens[token]}` } : {};
    if (payload !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const ok = async (method: string, path: string, token?: string, payload?: unknown) => {
    const r = await call(method, path, token, payload);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json.data as Json;
  };
  const launch = async (project: string, definition: string, name: string) => {
    const run = await ok("POST", "/api/workflow-executions", "admin", {
      workflow_definition_id: definition,
      project_id: project,
      name,
    });
    return run.id as string;
  };

  const SECRET_DEF = `name: alpha secret
category: secret-category
argsSchema:
  type: object
  examples:
    - { topic: "from examples" }
    - { topic: "second" }
  properties:
    topic: { type: string, default: "from default" }
steps:
  - id: only
    type: noop
`;

  let alphaDef: string;

  beforeAll(async () => {
    s = await serverEnv();
    base = await s.listen();
    const report = await installTemplates(s.env.store, { stepTypes });
    expect(report.problems).toEqual([]);
    alphaDef = (await ok("POST", "/api/workflow-definitions", undefined, { source: SECRET_DEF, project_id: "alpha" }))
      .id;
    await ok("POST", "/api/workflow-definitions", undefined, {
      source: "name: beta own\ncategory: email\nsteps:\n  - id: only\n    type: noop\n",
      project_id: "beta",
    });
    await makeToken("alpha reader", [{ projectId: "alpha", role: "read" }]);
    await makeToken("beta reader", [{ projectId: "beta", role: "read" }]);
    await makeToken("admin", [{ projectId: "*", role: "admin", scripts: true }]);
  });
  afterAll(async () => {
    await s?.close();
  });

  it("categories: the library's seed 000 categories and counts, with a project's own, never another's", async () => {
    // Tokens exist only from here on; the server remembers "no token exists" for up to 200 ms.
    await new Promise((r) => setTimeout(r, 250));
    const alpha = await ok("GET", "/api/workflow-definitions/categories", "alpha reader");
    for (const c of alpha) definitionCategorySchema.parse(c);
    const sdlc = templateFiles().filter((t) => t.file.includes("/sdlc/")).length;
    expect(alpha).toEqual([
      { category: "sdlc", count: sdlc },
      { category: "examples", count: 3 },
      { category: "blog-content", count: 1 },
      { category: "email", count: 1 },
      { category: "landing-pages", count: 1 },
      { category: "paid-ads", count: 1 },
      { category: "secret-category", count: 1 },
      { category: "social-media", count: 1 },
    ]);
    // Beta sees its own email definition counted, and never alpha's category.
    const beta = await ok("GET", "/api/workflow-definitions/categories?project_id=beta", "beta reader");
    expect(beta.find((c: Json) => c.category === "email")).toEqual({ category: "email", count: 2 });
    expect(beta.map((c: Json) => c.category)).not.toContain("secret-category");
    const refused = await call("GET", "/api/workflow-definitions/categories?project_id=alpha", "beta reader");
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe("WEFT_FORBIDDEN");
    // Each category filters the list to exactly its count.
    for (const c of alpha) {
      const list = await ok("GET", `/api/workflow-definitions?category=${c.category}`, "alpha reader");
      expect(list, c.category).toHaveLength(c.count);
    }
    const bad = await call("GET", "/api/workflow-definitions/categories?category=sdlc", "alpha reader");
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("WEFT_BAD_REQUEST");
  });

  it("detail: recent_runs are the newest 5 launched from it that the token may read", async () => {
    const tpl = templateId("simple-build-pipeline");
    const alphaRuns: string[] = [];
    for (let i = 1; i <= 6; i++) alphaRuns.push(await launch("alpha", tpl, `alpha ${i}`));
    const betaRun = await launch("beta", tpl, "beta only");
    for (const id of [...alphaRuns, betaRun]) {
      await until(async () => (await s.env.store.runs.get(id))?.status === "completed", 15_000, `run ${id} completes`);
    }

    const asAlpha = definitionDetailSchema.parse(await ok("GET", `/api/workflow-definitions/${tpl}`, "alpha reader"));
    expect(asAlpha.recent_runs.map((r) => r.name)).toEqual(["alpha 6", "alpha 5", "alpha 4", "alpha 3", "alpha 2"]);
    for (const r of asAlpha.recent_runs) {
      expect(r.status).toBe("completed");
      expect(r.duration_ms).toBeGreaterThanOrEqual(0);
      expect(Date.parse(r.created_at)).not.toBeNaN();
    }
    const asBeta = await ok("GET", `/api/workflow-definitions/${tpl}`, "beta reader");
    expect(asBeta.recent_runs.map((r: Json) => r.id)).toEqual([betaRun]);
    const asAdmin = await ok("GET", `/api/workflow-definitions/${tpl}`, "admin");
    expect(asAdmin.recent_runs[0].id).toBe(betaRun);
    expect(asAdmin.recent_runs).toHaveLength(5);
    // Never used: none.
    expect((await ok("GET", `/api/workflow-definitions/${alphaDef}`, "alpha reader")).recent_runs).toEqual([]);
  });

  it("detail: example_args from the schema's examples, else the defaults, else null", async () => {
    const secret = await ok("GET", `/api/workflow-definitions/${alphaDef}`, "alpha reader");
    expect(secret.example_args).toEqual({ topic: "from examples" });
    const blog = await ok("GET", `/api/workflow-definitions/${templateId("blog-post-with-social")}`, "alpha reader");
    expect(blog.example_args).toMatchObject({ topic: "How to sleep well when you work night shifts", words: 1200 });
    expect(Object.keys(blog.example_args).sort()).toEqual(
      Object.entries(blog.args_schema.properties as Record<string, Json>)
        .filter(([, p]) => "default" in p)
        .map(([k]) => k)
        .sort(),
    );
    const bare = await ok("POST", "/api/workflow-definitions", "admin", {
      source: "name: bare\nsteps:\n  - id: only\n    type: noop\n",
      project_id: "alpha",
    });
    expect(bare.example_args).toBeNull();
    expect(bare.graph).toBe("declared");
    expect(bare.recent_runs).toEqual([]);
    expect(exampleArgsOf({ type: "object", examples: ["not an object", { a: 1 }] })).toEqual({ a: 1 });
    expect(exampleArgsOf({ type: "object", properties: { a: { type: "string" } } })).toBeNull();
  });

  it("a TypeScript definition carries its pre-run steps and edges, drawn from its code and marked dynamic", async () => {
    const ts = definitionDetailSchema.parse(
      await ok("GET", `/api/workflow-definitions/${templateId("implement-feature")}`, "alpha reader"),
    );
    expect(ts.format).toBe("ts");
    expect(ts.graph).toBe("code");
    const ids = ts.steps.map((x) => x.id);
    expect(ids.slice(0, 3)).toEqual(["research-codebase", "create-spec", "approve-spec"]);
    expect(ids).toContain("run-tests");
    expect(ts.step_count).toBe(ts.steps.length);
    expect(ts.edges).toContainEqual({ from: "research-codebase", to: "create-spec", on: "success" });
    const byId = new Map(ts.steps.map((x) => [x.id, x]));
    expect(byId.get("research-codebase")).toMatchObject({ type: "agent", phase: "research", dynamic: null });
    expect(byId.get("spec-rejected")?.dynamic).toBe("conditional");
    expect(ts.steps.some((x) => x.dynamic === "loop")).toBe(true);
    // Every edge joins two drawn steps.
    for (const e of ts.edges) expect(ids).toContain(e.from);
    expect(ts.example_args).toMatchObject({ featureName: "Dark mode toggle" });
    // A YAML template's steps are all as declared.
    const yaml = await ok("GET", `/api/workflow-definitions/${templateId("code-review")}`, "alpha reader");
    expect(yaml.graph).toBe("declared");
    expect(yaml.steps.every((x: Json) => x.dynamic === null)).toBe(true);
  });
});
