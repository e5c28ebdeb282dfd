/**
 * `weft status <id> --format json` prints the API's run view: the same object, field for field, as
 * `GET /api/workflow-executions/:id` of `weft serve` on the same data directory (src/engine/run-view.ts).
 * Nothing in it is volatile for a run that has ended (its remaining-time estimate is 0), so the two are compared
 * whole.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanUpAfterTests, fixture, killAll, startWeft, tempDir, weftIn } from "./helpers.js";

cleanUpAfterTests();
afterAll(killAll);

describe("weft status --format json", () => {
  it("is the API's run view of the run, field for field", async () => {
    const data = join(tempDir(), "data");
    const ran = await weftIn(data, ["run", fixture("quick.yaml"), "--name", "view check", "--priority", "3"]);
    expect(ran.code, ran.stderr).toBe(0);
    const id = ran.lines[0] ?? "";
    const failed = await weftIn(data, ["run", fixture("fail-until-flag.yaml"), "--arg", `flag=${join(data, "none")}`]);
    const failedId = failed.lines[0] ?? "";

    const server = startWeft(["--data-dir", data, "serve", "--port", "0"]);
    const url = (await server.waitForLine(/listening on http:\/\//, 60_000)).match(/http:\/\/\S+/)?.[0] ?? "";
    try {
      for (const runId of [id, failedId]) {
        const status = await weftIn(data, ["status", runId, "--format", "json"]);
        expect(status.code, status.stderr).toBe(0);
        const cli = JSON.parse(status.stdout);
        const res = await fetch(`${url}/api/workflow-executions/${runId}`);
        expect(res.status).toBe(200);
        const api = ((await res.json()) as { data: unknown }).data;
        expect(Object.keys(cli).sort()).toEqual(Object.keys(api as object).sort());
        expect(cli).toEqual(api);
      }
    } finally {
      server.kill("SIGTERM");
      await server.done(30_000);
    }
  });

  it("of an unknown run: exit 3 and the reason", async () => {
    const data = join(tempDir(), "data");
    const r = await weftIn(data, ["status", "no-such-run", "--format", "json"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no run has id no-such-run");
  });
});
