/**
 * Running code through the API is a permission of its own (src/server/scripts.ts). Attack tests: a token
 * without `scripts` tries every path that sends code — an inline launch, a definition created or updated with
 * a script, a TypeScript definition — and is refused with a 403 naming the permission, before anything is
 * stored or run. A stored definition's scripts still run for an operate token: its args are values, not code.
 */
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import type { TokenScope } from "../../src/store/store.js";
import { tempDir, weft } from "../cli/helpers.js";
import { until } from "../helpers/engine.js";
import { body, expectError, type Json, type ServerEnv, serverEnv } from "./helpers.js";

const OPERATOR = "operator-token-0123456789abcdef";

async function makeToken(s: ServerEnv, scopes: TokenScope[]): Promise<string> {
  const secret = `weft_${randomUUID()}`;
  await s.env.store.tokens.create({ id: randomUUID(), name: "t", hash: tokenHash(secret), scopes, now: Date.now() });
  return secret;
}

const headers = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Waits (through the store: the routes need a token) until the run completed. */
async function completed(s: ServerEnv, id: string): Promise<void> {
  await until(async () => (await s.env.store.runs.get(id))?.status === "completed", 15_000, `run ${id} completed`);
}

describe("the scripts permission", () => {
  let s: ServerEnv;
  let marker: string;
  let operate: string;
  let admin: string;
  let scripted: string;
  let scriptedAdmin: string;
  const scriptWorkflow = (name: string) => `name: ${name}\nsteps:\n  - id: pwn\n    command: echo ran >> ${marker}\n`;
  const agentWorkflow = `name: agent-pwn\nsteps:\n  - id: a\n    agent: coder\n    prompt: run rm -rf\n    permission: bypassPermissions\n`;
  const noopWorkflow = (name: string) => `name: ${name}\nsteps:\n  - id: only\n    type: noop\n`;

  beforeAll(async () => {
    s = await serverEnv({ apiTokens: [OPERATOR] });
    marker = join(tempDir(), "marker");
    operate = await makeToken(s, [{ projectId: "alpha", role: "operate" }]);
    admin = await makeToken(s, [{ projectId: "alpha", role: "admin" }]);
    scripted = await makeToken(s, [{ projectId: "alpha", role: "operate", scripts: true }]);
    scriptedAdmin = await makeToken(s, [
      { projectId: "alpha", role: "admin", scripts: true },
      { projectId: "beta", role: "admin" },
    ]);
  });
  afterAll(async () => {
    await s.close();
  });

  const launchInline = (secret: string, source: string, projectId = "alpha") =>
    s.app.inject({
      method: "POST",
      url: "/api/workflow-executions",
      headers: headers(secret),
      payload: { workflow: { source }, project_id: projectId },
    });

  it("an inline workflow with a script step (or a CLI agent allowed everything) is refused without it: 403, nothing stored or run", async () => {
    for (const token of [operate, admin]) {
      const refused = expectError(await launchInline(token, scriptWorkflow("inline-pwn")), 403, "WEFT_FORBIDDEN");
      expect(refused.message).toMatch(/needs the scripts permission in project "alpha"/);
      expect(refused.message).toMatch(/step `pwn` \(script\)/);
      expect(refused.message).toMatch(/can run code as the server's user/);
      const agent = expectError(await launchInline(token, agentWorkflow), 403, "WEFT_FORBIDDEN");
      expect(agent.message).toMatch(/step `a` \(agent with permission bypassPermissions\)/);
    }
    // a token with scripts in another project only: still refused in alpha
    expectError(await launchInline(scriptedAdmin, scriptWorkflow("beta-pwn"), "beta"), 403, "WEFT_FORBIDDEN");
    expect(await s.env.store.runs.list()).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });

  it("an inline workflow without code needs only operate", async () => {
    const res = await launchInline(operate, noopWorkflow("harmless"));
    expect(res.statusCode).toBe(201);
    await completed(s, body(res).data.id);
  });

  it("creating or updating a definition with a script is refused without it; nothing is stored", async () => {
    const created = await s.app.inject({
      method: "POST",
      url: "/api/workflow-definitions",
      headers: headers(admin),
      payload: { source: scriptWorkflow("def-pwn"), project_id: "alpha" },
    });
    expect(expectError(created, 403, "WEFT_FORBIDDEN").message).toMatch(/creating a workflow definition with code/);
    expect((await s.env.store.definitions.list({ projectId: "alpha" })).map((d) => d.name)).not.toContain("def-pwn");
    // The same through seed 001's alias, which creates through the same handler.
    const seed001 = await s.app.inject({
      method: "POST",
      url: "/api/v1/workflows/",
      headers: headers(admin),
      payload: {
        workflow: { name: "seed-pwn", steps: [{ id: "pwn", command: `echo ran >> ${marker}` }] },
        project_id: "alpha",
      },
    });
    expect(expectError(seed001, 403, "WEFT_FORBIDDEN").message).toMatch(/creating a workflow definition with code/);
    expect((await s.env.store.definitions.list({ projectId: "alpha" })).map((d) => d.name)).not.toContain("seed-pwn");

    // The same through seed 000's alias: a template whose node is a script step.
    const seed000 = await s.app.inject({
      method: "POST",
      url: "/api/workflows/templates",
      headers: headers(admin),
      payload: {
        name: "seed000-pwn",
        workspace_id: "alpha",
        nodes: [{ id: "pwn", node_type: "script", config: { command: `echo ran >> ${marker}` } }],
      },
    });
    expect(expectError(seed000, 403, "WEFT_FORBIDDEN").message).toMatch(/creating a workflow definition with code/);
    expect((await s.env.store.definitions.list({ projectId: "alpha" })).map((d) => d.name)).not.toContain(
      "seed000-pwn",
    );

    // a harmless definition the admin may store, then change into code
    const ok = await s.app.inject({
      method: "POST",
      url: "/api/workflow-definitions",
      headers: headers(admin),
      payload: { source: noopWorkflow("innocent"), project_id: "alpha" },
    });
    expect(ok.statusCode).toBe(201);
    const def = body(ok).data;
    const updated = await s.app.inject({
      method: "PUT",
      url: `/api/workflow-definitions/${def.id}`,
      headers: headers(admin),
      payload: { source: scriptWorkflow("innocent") },
    });
    expect(expectError(updated, 403, "WEFT_FORBIDDEN").message).toMatch(/updating a workflow definition with code/);
    const stored = await s.env.store.definitions.get(def.id);
    expect(stored?.version).toBe(def.version);
    expect(stored?.workflow.steps.map((st) => st.type)).toEqual(["noop"]);
  });

  it("TypeScript definitions (code) need it before they are loaded; with it, they are checked like files", async () => {
    const send = (secret: string) =>
      s.app.inject({
        method: "POST",
        url: "/api/workflow-definitions",
        headers: headers(secret),
        payload: { source: "export default {}", format: "ts", project_id: "alpha" },
      });
    const refused = expectError(await send(admin), 403, "WEFT_FORBIDDEN");
    expect(refused.message).toContain("the workflow itself (TypeScript)");
    expectError(await send(scriptedAdmin), 422, "WEFT_SCHEMA");
  });

  it("with the permission: inline scripts and script definitions; an operate token launches a stored one with args as values", async () => {
    const inline = await launchInline(scripted, scriptWorkflow("allowed"));
    expect(inline.statusCode).toBe(201);
    await completed(s, body(inline).data.id);
    expect(readFileSync(marker, "utf8")).toBe("ran\n");

    const argFile = join(tempDir(), "arg");
    const source = `name: stored-script\nsteps:\n  - id: echo\n    command: printf %s {{ args.x }} > ${argFile}\n`;
    const def = await s.app.inject({
      method: "POST",
      url: "/api/workflow-definitions",
      headers: headers(scriptedAdmin),
      payload: { source, project_id: "alpha" },
    });
    expect(def.statusCode).toBe(201);
    const payload = `$(touch ${join(tempDir(), "injected")})`;
    const run = await s.app.inject({
      method: "POST",
      url: "/api/workflow-executions",
      headers: headers(operate),
      payload: { workflow_definition_id: body(def).data.id, args: { x: payload } },
    });
    expect(run.statusCode).toBe(201);
    await completed(s, body(run).data.id);
    expect(readFileSync(argFile, "utf8")).toBe(payload);
  });

  it("the operator's WEFT_API_TOKENS tokens have it", async () => {
    const res = await launchInline(OPERATOR, noopWorkflow("x").replace("type: noop", "command: 'true'"));
    expect(res.statusCode).toBe(201);
    await completed(s, body(res).data.id);
  });

  it("the OpenAPI document marks the operations that need it (x-weft-scripts), and only those", async () => {
    const doc = (await s.app.inject({ url: "/api/openapi.json" })).json() as Json;
    const marked: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(ops))
        if (op["x-weft-scripts"] === true) marked.push(`${method} ${path}`);
    }
    expect(marked.sort()).toEqual([
      "post /api/v1/workflows/",
      "post /api/workflow-definitions",
      "post /api/workflow-executions",
      "post /api/workflows/templates",
      "put /api/workflow-definitions/{id}",
      "put /api/workflows/templates/{id}",
    ]);
  });
});

describe("the scripts permission without tokens (loopback open mode)", () => {
  it("the local user may run scripts", async () => {
    const s = await serverEnv();
    try {
      const res = await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        payload: { workflow: { source: "name: local\nsteps:\n  - id: a\n    command: 'true'\n" } },
      });
      expect(res.statusCode).toBe(201);
      await completed(s, body(res).data.id);
    } finally {
      await s.close();
    }
  });
});

describe("weft token create --scripts", () => {
  it("stores the permission with the token's scopes; refuses it for a read-only token", async () => {
    const dir = tempDir();
    const made = await weft([
      "--data-dir",
      dir,
      "token",
      "create",
      "--name",
      "ci",
      "--project",
      "web:operate",
      "--scripts",
      "--format",
      "json",
    ]);
    expect(made.code, made.stderr).toBe(0);
    expect(JSON.parse(made.stdout).scopes).toEqual([{ project_id: "web", role: "operate", scripts: true }]);
    const listed = await weft(["--data-dir", dir, "token", "list"]);
    expect(listed.stdout).toMatch(/web:operate\+scripts/);
    const bad = await weft(["--data-dir", dir, "token", "create", "--name", "r", "--project", "web:read", "--scripts"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--scripts needs the operate or admin role/);
  });
});
