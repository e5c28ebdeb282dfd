/**
 * Seed 001 (HishamOS)'s REST contract, driven as its users would: its paths with their trailing slashes, its
 * `workflow:` wrapper YAML (the seed's own Bug Lifecycle), its field names and status words; and the definition
 * lifecycle it introduces (draft → active → archived) seen from its routes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createMockProvider } from "../../src/agents/mock/index.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { until } from "../helpers/engine.js";
import { body, expectError, type Json, type ServerEnv, serverEnv } from "../server/helpers.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "compat", "seed-001");
/** The seed's example, verbatim (it is cut short in the seed: it names a step it never defines). */
const EXCERPT = readFileSync(join(FIXTURES, "bug-lifecycle-excerpt.yaml"), "utf8");
/** The same, with only what the seed leaves out filled in. */
const BUG_LIFECYCLE = readFileSync(join(FIXTURES, "bug-lifecycle.yaml"), "utf8");

let s: ServerEnv;
beforeEach(async () => {
  // Agents answer offline: a bug described as "slow" keeps triage busy until it is cancelled; "crash" fails it.
  const mock = createMockProvider({
    fixtures: {
      responses: [
        { agent: "bug-triage-agent", match: "slow", delayMs: 600_000 },
        {
          agent: "bug-triage-agent",
          match: "crash",
          fail: { times: 1000, kind: "terminal", message: "triage crashed" },
        },
      ],
    },
  });
  s = await serverEnv({}, { providers: createProviderRegistry({ mock }) });
});
afterEach(async () => {
  await s.close();
});

const yaml = (text: string) =>
  s.app.inject({
    method: "POST",
    url: "/api/v1/workflows/",
    headers: { "content-type": "application/yaml" },
    payload: text,
  });
const json = (payload: Json) => s.app.inject({ method: "POST", url: "/api/v1/workflows/", payload });
const execute = (id: string, payload?: Json) =>
  s.app.inject({ method: "POST", url: `/api/v1/workflows/${id}/execute/`, ...(payload ? { payload } : {}) });
const execution = async (id: string): Promise<Json> =>
  body(await s.app.inject({ url: `/api/v1/workflows/executions/${id}/` }));
const command = (id: string, verb: string) =>
  s.app.inject({ method: "POST", url: `/api/v1/workflows/executions/${id}/${verb}/` });

async function waitExecution(id: string, pred: (e: Json) => boolean, what: string): Promise<Json> {
  let last: Json;
  await until(
    async () => {
      last = await execution(id);
      return pred(last);
    },
    15_000,
    what,
  );
  return last;
}

describe("seed 001: /api/v1/workflows/", () => {
  it("the seed's own example is refused (422) with every gap it leaves, by line", async () => {
    const res = await yaml(EXCERPT);
    const e = expectError(res, 422);
    const issues = (e.issues ?? []).map((i: Json) => `${i.line}:${i.column} ${i.message}`);
    expect(issues).toEqual([
      "15:19 step `triage` has on_failure: `notify_team`, but no step has that id",
      "24:7 step `fix` (agent): `prompt`: an agent step needs a prompt or inputs",
    ]);
    expect(body(await s.app.inject({ url: "/api/workflow-definitions?status=all" })).data).toEqual([]);
  });

  it("creates the Bug Lifecycle from its YAML as a draft; GET answers it with the seed's fields", async () => {
    const res = await yaml(BUG_LIFECYCLE);
    expect(res.statusCode).toBe(201);
    const wf = body(res);
    expect(wf).toMatchObject({
      name: "Bug Lifecycle",
      version: "1.0",
      status: "draft",
      description: null,
      project_id: "default",
      revision: 1,
    });
    expect(wf.definition.workflow.steps.map((x: Json) => x.id)).toEqual(["triage", "assign", "fix", "notify_team"]);
    expect(wf.definition.workflow.steps[1].condition).toBe("{{steps.triage.output.severity}} > 3");
    expect(body(await s.app.inject({ url: `/api/v1/workflows/${wf.id}/` }))).toEqual(wf);
    // The same definition in weft's own API, with weft's names.
    const own = body(await s.app.inject({ url: `/api/workflow-definitions/${wf.id}` })).data;
    expect(own).toMatchObject({ id: wf.id, status: "draft", version: 1, source: BUG_LIFECYCLE });
    expect(own.edges).toEqual([
      { from: "triage", to: "assign", on: "success" },
      { from: "assign", to: "fix", on: "success" },
      { from: "triage", to: "notify_team", on: "failure" },
    ]);
  });

  it("creates from JSON, wrapped in `workflow:` or bare, as a draft unless it says active", async () => {
    const document = body(await yaml(BUG_LIFECYCLE)).definition;
    const renamed = (name: string) => ({ ...document.workflow, name });
    const wrapped = await json({ workflow: renamed("wrapped") });
    expect(wrapped.statusCode).toBe(201);
    expect(body(wrapped)).toMatchObject({
      name: "wrapped",
      status: "draft",
      definition: { workflow: renamed("wrapped") },
    });
    const bare = await json({ ...renamed("bare"), status: "active" });
    expect(body(bare)).toMatchObject({ name: "bare", status: "active", version: "1.0" });
    expect(body(bare).definition).toEqual(renamed("bare"));
    // A name the project has already: 409, as weft's own create.
    expectError(await json({ workflow: renamed("bare") }), 409, "WEFT_CONFLICT");
  });

  it("refuses bodies that are no workflow with a 4xx naming what is wrong", async () => {
    const archived = expectError(await json({ workflow: { name: "x", steps: [] }, status: "archived" }), 400);
    expect(archived.message).toMatch(/^invalid request: body: status: .*"draft"\|"active"/);
    expect(expectError(await json([1, 2]), 400).message).toContain("expected object, received array");
    expect(expectError(await yaml(""), 400).message).toContain("must not be empty");
    const notYaml = expectError(await yaml("workflow: [unclosed"), 422);
    expect(notYaml.issues?.[0]?.line).toBe(1);
    const noSteps = expectError(await json({ workflow: { name: "empty" } }), 422);
    expect(noSteps.message).toContain("steps");
    // Without the trailing slash it is not the seed's route.
    expectError(await s.app.inject({ method: "POST", url: "/api/v1/workflows", payload: { workflow: {} } }), 404);
    expectError(await s.app.inject({ url: "/api/v1/workflows/nope/" }), 404, "WEFT_NOT_FOUND");
  });
});

describe("seed 001: executing a workflow", () => {
  it("a draft does not execute; it test-runs; activated, it executes and reads back in the seed's words", async () => {
    const wf = body(await yaml(BUG_LIFECYCLE));
    const refused = expectError(await execute(wf.id, { input_data: { bug_description: "crash" } }), 409);
    expect(refused.message).toContain("it is a draft; activate it (POST /api/workflow-definitions/");

    const test = await execute(wf.id, { input_data: { bug_description: "crash on save" }, test_run: true });
    expect(test.statusCode).toBe(201);
    expect(body(test)).toMatchObject({ workflow: wf.id, workflow_name: "Bug Lifecycle", test_run: true });
    const tested = await waitExecution(
      body(test).id,
      (e) => e.weft_status !== "running" && e.weft_status !== "pending",
      "the test run to end",
    );
    expect(tested.status).toBe("completed");

    const active = await s.app.inject({ method: "POST", url: `/api/workflow-definitions/${wf.id}/activate` });
    expect(body(active).data.status).toBe("active");
    expect(body(await s.app.inject({ url: `/api/v1/workflows/${wf.id}/` })).status).toBe("active");

    const run = await execute(wf.id, { input_data: { bug_description: "crash on save" } });
    expect(run.statusCode).toBe(201);
    const id = body(run).id as string;
    const done = await waitExecution(
      id,
      (e) => ["completed", "failed", "cancelled"].includes(e.status),
      "the execution to end",
    );
    expect(done).toMatchObject({
      id,
      workflow: wf.id,
      status: "completed",
      weft_status: "completed",
      current_step: null,
      test_run: false,
      state: { input: { bug_description: "crash on save" } },
    });
    const step = (key: string) => done.steps.find((x: Json) => x.step_id === key);
    expect(step("triage")).toMatchObject({ status: "failed", retry_count: 0, output: null });
    expect(step("triage").error_message).toContain("triage crashed");
    expect(step("assign").status).toBe("skipped");
    expect(step("fix").status).toBe("skipped");
    expect(step("notify_team").status).toBe("completed");
    expect(Object.keys(done.state.steps)).toEqual(["notify_team"]);
    expect(done.state.steps.notify_team.output).toEqual(step("notify_team").output);
    expect(done.retry_count).toBe(0);
  });

  it("pause/, resume/ and cancel/ a running execution; a command its state refuses is a 409", async () => {
    const wf = body(await yaml(BUG_LIFECYCLE));
    await s.app.inject({ method: "POST", url: `/api/workflow-definitions/${wf.id}/activate` });
    const id = body(await execute(wf.id, { input_data: { bug_description: "slow page" } })).id as string;
    const busy = await waitExecution(id, (e) => e.steps[0].status === "running", "triage to start");
    expect(busy).toMatchObject({ status: "running", current_step: "triage", error_message: null });
    expect(busy.steps.map((x: Json) => x.status)).toEqual(["running", "pending", "pending", "pending"]);

    const paused = await command(id, "pause");
    expect(paused.statusCode).toBe(200);
    expect(body(paused)).toMatchObject({ id, status: "paused", weft_status: "paused" });
    expect((await execution(id)).status).toBe("paused");
    const resumed = await command(id, "resume");
    expect(body(resumed)).toMatchObject({ id, status: "running" });

    const cancelled = await command(id, "cancel");
    expect(cancelled.statusCode).toBe(200);
    expect(body(cancelled).status).toBe("cancelled");
    const after = await waitExecution(
      id,
      (e) => e.steps.every((x: Json) => x.weft_status === "cancelled" || x.weft_status === "skipped"),
      "its steps to stop",
    );
    expect(after.steps.map((x: Json) => x.status)).toEqual(["skipped", "skipped", "skipped", "skipped"]);
    expect(after.current_step).toBeNull();
    for (const verb of ["pause", "resume", "cancel"]) {
      const e = expectError(await command(id, verb), 409, "WEFT_CONFLICT");
      expect(e.message).toContain("cancelled");
    }
    expectError(await command("nope", "pause"), 404, "WEFT_NOT_FOUND");
    expectError(await s.app.inject({ url: "/api/v1/workflows/executions/nope/" }), 404, "WEFT_NOT_FOUND");
    expectError(await s.app.inject({ method: "POST", url: `/api/v1/workflows/executions/${id}/pause` }), 404);
  });

  it("an archived workflow never executes, not even as a test run; input_data must be an object", async () => {
    const wf = body(
      await json({ ...body(await yaml(BUG_LIFECYCLE)).definition.workflow, name: "old", status: "active" }),
    );
    await s.app.inject({ method: "POST", url: `/api/workflow-definitions/${wf.id}/archive` });
    for (const extra of [{}, { test_run: true }]) {
      const e = expectError(await execute(wf.id, { input_data: { bug_description: "x" }, ...extra }), 409);
      expect(e.message).toContain("it is archived; re-activate it first");
    }
    await s.app.inject({ method: "POST", url: `/api/workflow-definitions/${wf.id}/activate` });
    const bad = expectError(await execute(wf.id, { input_data: "not an object" }), 400);
    expect(bad.fields?.[0]?.path).toBe("body.input_data");
    expectError(await execute(wf.id, { inputs: {} }), 400);
    expectError(await execute("nope", {}), 404, "WEFT_NOT_FOUND");
  });
});
