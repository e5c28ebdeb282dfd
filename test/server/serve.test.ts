/** `weft serve` as a real process (the built CLI): listens, drives runs, takes over orphans, refuses open binds. */
import { existsSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/engine.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import { cleanUpAfterTests, startRun, startWeft, tempDir, UUID, weft } from "../cli/helpers.js";
import { until, wf } from "../helpers/engine.js";
import { type Json, QUICK } from "./helpers.js";

cleanUpAfterTests();

async function startServe(dataDir: string, extra: string[] = [], env: Record<string, string> = {}) {
  const p = startWeft(["--data-dir", dataDir, "serve", "--port", "0", ...extra], { env });
  const line = await p.waitForLine(/listening on http:\/\//);
  const url = /(http:\/\/\S+)/.exec(line)?.[1] as string;
  return { p, url };
}

const api = async (url: string, path: string, init: RequestInit = {}) => {
  const res = await fetch(`${url}/api${path}`, init);
  return { status: res.status, json: (await res.json()) as Json };
};

const waitCompleted = (url: string, id: string) =>
  until(
    async () => (await api(url, `/workflow-executions/${id}`)).json.data?.status === "completed",
    20_000,
    `${id} completed`,
  );

describe("weft serve", () => {
  it("prints its URL, runs what is launched through the API, and shuts down cleanly on SIGTERM", async () => {
    const dir = tempDir();
    const { p, url } = await startServe(dir);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await api(url, "/workflow-executions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ workflow: { source: QUICK } }),
    });
    expect(res.status).toBe(201);
    const id = res.json.data.id as string;
    await waitCompleted(url, id);
    const run = (await api(url, `/workflow-executions/${id}`)).json.data;
    expect(run.steps.map((s: Json) => s.status)).toEqual(["completed", "completed"]);
    p.kill("SIGTERM");
    const end = await p.done();
    expect(end.code).toBe(0);
    expect(end.stderr).toMatch(/shutting down/);
  });

  it("drives runs nobody drives: launched elsewhere without an owner, or left by a killed `weft run`", async () => {
    const dir = tempDir();
    // a run created in the store and never executed
    const store = createSqliteStore({ path: join(dir, "weft.db") });
    const engine = createEngine({ store, dataDir: dir });
    const { run: orphan } = await engine.launch(wf(QUICK));
    await engine.close();
    await store.close();
    // a run whose driving process was killed in the middle of a step
    const file = join(dir, "slow.yaml");
    writeFileSync(
      file,
      "name: slow\nsteps:\n  - id: wait\n    command: sleep 1\n  - id: done\n    needs: wait\n    type: noop\n",
    );
    const { p: cli, id: crashed } = await startRun(dir, [file]);
    expect(crashed).toMatch(UUID);
    await cli.waitForLine(/wait\s+running/);
    cli.kill("SIGKILL");
    await cli.done();

    const { p, url } = await startServe(dir);
    await waitCompleted(url, orphan.id);
    await waitCompleted(url, crashed);
    const taken = (await api(url, `/workflow-executions/${crashed}`)).json.data;
    expect(taken.steps.map((s: Json) => s.status)).toEqual(["completed", "completed"]);
    p.kill("SIGINT");
    expect((await p.done()).code).toBe(0);
  });

  it("refuses to bind to a non-loopback address without API tokens, naming the setting; starts with them", async () => {
    const dir = tempDir();
    const refused = await weft(["--data-dir", dir, "serve", "--host", "0.0.0.0", "--port", "0"]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/WEFT_API_TOKENS/);
    expect(refused.stderr).toMatch(/0\.0\.0\.0/);
    expect(existsSync(join(dir, "weft.db"))).toBe(false);

    const tokens = { WEFT_API_TOKENS: "tok-1-0123456789ab, tok-2-0123456789ab" };
    const { p, url } = await startServe(dir, ["--host", "0.0.0.0"], tokens);
    const port = new URL(url).port;
    const local = `http://127.0.0.1:${port}`;
    expect((await api(local, "/workflow-executions")).status).toBe(401);
    const ok = await api(local, "/workflow-executions", { headers: { authorization: "Bearer tok-2-0123456789ab" } });
    expect(ok.status).toBe(200);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("refuses API tokens shorter than 16 characters at start-up, naming which, never printing it", async () => {
    const dir = tempDir();
    const env = { WEFT_API_TOKENS: "a-long-enough-token-1, s3cret" };
    const short = await weft(["--data-dir", dir, "serve", "--port", "0"], { env });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain(
      "weft: API token 2 of 2 (WEFT_API_TOKENS or --api-tokens) is 6 characters long; tokens must be at least 16 characters",
    );
    expect(short.stderr).not.toContain("s3cret");
    const flag = await weft(["--data-dir", dir, "serve", "--port", "0", "--api-tokens", "fifteen-chars-x"]);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/the API token .* is 15 characters long/);
    expect(existsSync(join(dir, "weft.db"))).toBe(false);
  });

  it("weft token create/list/revoke: a stored token opens a non-loopback bind and scopes what it sees", async () => {
    const dir = tempDir();
    const bad = await weft(["--data-dir", dir, "token", "create", "--name", "x", "--project", "web:boss"]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/<project>:<role>/);
    const none = await weft(["--data-dir", dir, "token", "create", "--name", "x"]);
    expect(none.stderr).toMatch(/at least one --project/);

    const created = await weft(["--data-dir", dir, "token", "create", "--name", "ci", "--project", "web:read"]);
    expect(created.code).toBe(0);
    const secret = created.stdout.trim();
    expect(secret).toMatch(/^weft_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(/Shown once/);
    const listed = await weft(["--data-dir", dir, "token", "list", "--format", "json"]);
    const tokens = JSON.parse(listed.stdout) as Json[];
    expect(tokens).toHaveLength(1);
    expect(tokens[0].scopes).toEqual([{ project_id: "web", role: "read", scripts: false }]);
    expect(listed.stdout).not.toContain(secret);

    const { p, url } = await startServe(dir, ["--host", "0.0.0.0"]);
    const local = `http://127.0.0.1:${new URL(url).port}`;
    expect((await api(local, "/workflow-executions")).status).toBe(401);
    const auth = { headers: { authorization: `Bearer ${secret}` } };
    expect((await api(local, "/workflow-executions?project_id=web", auth)).status).toBe(200);
    expect((await api(local, "/workflow-executions?project_id=other", auth)).status).toBe(403);
    const launch = await api(local, "/workflow-executions", {
      method: "POST",
      headers: { ...auth.headers, "content-type": "application/json" },
      body: JSON.stringify({ workflow: { source: QUICK }, project_id: "web" }),
    });
    expect(launch.status).toBe(403);

    const revoked = await weft(["--data-dir", dir, "token", "revoke", tokens[0].id]);
    expect(revoked.code).toBe(0);
    expect((await api(local, "/workflow-executions?project_id=web", auth)).status).toBe(401);
    expect((await weft(["--data-dir", dir, "token", "revoke", "nope"])).stderr).toMatch(/no API token has id nope/);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("a port in use or a bad --port is a clear error, not a stack trace", async () => {
    const dir = tempDir();
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const busy = await weft(["--data-dir", dir, "serve", "--port", String(port)]);
      expect(busy.code).toBe(4);
      expect(busy.stderr).toMatch(/in use/);
      expect(busy.stderr).not.toMatch(/at .*\.js:\d+/);
    } finally {
      blocker.close();
    }
    const bad = await weft(["--data-dir", dir, "serve", "--port", "http"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--port/);
  });
});
