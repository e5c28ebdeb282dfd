/**
 * The typed client `weftflow/client` (src/client): its types are up to date with the server's OpenAPI
 * document (`scripts/gen-client.js --check`, the check CI runs through this test, and that it does catch a
 * drift), and it drives today's API against a real listening server — launch, read, list, control, and
 * refusals as `WeftApiError` with the API's code.
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWeftClient, unwrap, WeftApiError } from "../../src/client/index.js";
import { repoRoot } from "../cli/helpers.js";
import { APPROVAL, QUICK, type ServerEnv, serverEnv } from "../server/helpers.js";

const run = promisify(execFile);
const GEN = join(repoRoot, "scripts", "gen-client.js");

describe("src/client/schema.ts", () => {
  it("matches the server's OpenAPI document (`node scripts/gen-client.js --check`)", async () => {
    const { stdout } = await run(process.execPath, [GEN, "--check"], { cwd: repoRoot });
    expect(stdout).toBe("src/client/schema.ts matches the OpenAPI document\n");
  }, 120_000);

  it("--check fails on a copy that drifted from the document", async () => {
    const dir = mkdtempSync(join(tmpdir(), "weft-gen-check-"));
    try {
      const copy = join(dir, "schema.ts");
      copyFileSync(join(repoRoot, "src", "client", "schema.ts"), copy);
      writeFileSync(copy, "// an edit by hand\n", { flag: "a" });
      const err = await run(process.execPath, [GEN, "--check", "--file", copy], { cwd: repoRoot }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toContain("is out of date with the server's OpenAPI document: run `npm run gen:client`");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** A server listening for this `describe`'s tests: `server.base` is its URL. */
function listening(deps: Parameters<typeof serverEnv>[0] = {}): { base: string } {
  let s: ServerEnv | undefined;
  const server = { base: "" };
  beforeAll(async () => {
    s = await serverEnv(deps);
    server.base = await s.listen();
  });
  afterAll(async () => {
    await s?.close();
  });
  return server;
}

describe("createWeftClient against a listening server", () => {
  const server = listening();

  it("launches an inline workflow, reads it until it completes, and finds it in the list", async () => {
    const api = createWeftClient({ baseUrl: server.base });
    const launched = unwrap(
      await api.POST("/api/workflow-executions", { body: { workflow: { source: QUICK }, name: "from the client" } }),
    );
    expect(launched).toMatchObject({ name: "from the client", workflow_name: "quick" });
    const id: string = launched.id;
    await expect
      .poll(async () => unwrap(await api.GET("/api/workflow-executions/{id}", { params: { path: { id } } })).status, {
        timeout: 20_000,
      })
      .toBe("completed");
    const detail = unwrap(await api.GET("/api/workflow-executions/{id}", { params: { path: { id } } }));
    expect(detail.steps.map((st) => [st.key, st.status])).toEqual([
      ["hello", "completed"],
      ["bye", "completed"],
    ]);
    const list = unwrap(await api.GET("/api/workflow-executions", { params: { query: { status: "completed" } } }));
    expect(list.map((r) => r.id)).toContain(id);
  });

  it("controls a run: an approval waits, is approved through the client, and the run completes", async () => {
    const api = createWeftClient({ baseUrl: server.base });
    const { id } = unwrap(await api.POST("/api/workflow-executions", { body: { workflow: { source: APPROVAL } } }));
    const waiting = async () => {
      const r = unwrap(await api.GET("/api/workflow-executions/{id}", { params: { path: { id } } }));
      return r.steps.find((st) => st.status === "waiting");
    };
    await expect.poll(waiting, { timeout: 20_000 }).toBeTruthy();
    const step = await waiting();
    unwrap(
      await api.POST("/api/workflow-executions/{id}/steps/{step}/approve", {
        params: { path: { id, step: step?.key ?? "" } },
        body: { comment: "fine" },
      }),
    );
    await expect
      .poll(async () => unwrap(await api.GET("/api/workflow-executions/{id}", { params: { path: { id } } })).status, {
        timeout: 20_000,
      })
      .toBe("completed");
  });

  it("a refusal is a WeftApiError with the API's status, code and message", async () => {
    const api = createWeftClient({ baseUrl: server.base });
    const missing = await api.GET("/api/workflow-executions/{id}", { params: { path: { id: "no-such-run" } } });
    const err = (() => {
      try {
        unwrap(missing);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(WeftApiError);
    expect(err).toMatchObject({ status: 404, code: "WEFT_NOT_FOUND" });
    expect((err as WeftApiError).message).toContain("no-such-run");

    const invalid = await api.POST("/api/workflow-executions", {
      body: { workflow: { source: "name: x\nsteps: 3\n" } },
    });
    expect(() => unwrap(invalid)).toThrow(WeftApiError);
    expect(invalid.response.status).toBe(422);
    expect(invalid.error).toMatchObject({ error: { code: expect.stringMatching(/^WEFT_/) } });
  });
});

describe("createWeftClient with API tokens", () => {
  const TOKEN = "client-test-token-0123456789";
  const server = listening({ apiTokens: [TOKEN] });

  it("sends the token as a Bearer (a fixed one or a function asked each time); without one, 401", async () => {
    const session = unwrap(await createWeftClient({ baseUrl: server.base, token: TOKEN }).GET("/api/session"));
    expect(session.mode).toBe("token");
    let current: string | null = null;
    const rotating = createWeftClient({ baseUrl: server.base, token: () => current });
    const before = await rotating.GET("/api/session");
    expect(() => unwrap(before)).toThrow(expect.objectContaining({ status: 401, code: "WEFT_UNAUTHORIZED" }));
    current = TOKEN;
    expect(unwrap(await rotating.GET("/api/session")).mode).toBe("token");
  });
});
