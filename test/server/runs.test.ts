import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { workflowHash } from "../../src/definition/index.js";
import { loadTypeScriptWorkflow } from "../../src/definition/typescript/load.js";
import { runDetailSchema, runListItemSchema, runSchema } from "../../src/server/schemas.js";
import { repoRoot } from "../cli/helpers.js";
import { until, wf } from "../helpers/engine.js";
import {
  APPROVAL,
  body,
  expectError,
  getRun,
  type Json,
  launch,
  launchId,
  QUICK,
  rawExchange,
  type ServerEnv,
  SLEEPY,
  serverEnv,
  stepOf,
  waitRun,
  waitStatus,
} from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

describe("launch, list, detail (inject)", () => {
  it("launches an inline YAML workflow (201), drives it in the background, and shows its steps", async () => {
    const res = await launch(s.app, QUICK, { name: "first", args: {}, triggered_by: "test", priority: 3 });
    expect(res.statusCode).toBe(201);
    const run = body(res).data;
    expect(runSchema.parse(run)).toBeTruthy();
    expect(run).toMatchObject({
      name: "first",
      workflow_name: "quick",
      project_id: "default",
      workflow_definition_id: null,
      status: "pending",
      current_step_index: 0,
      priority: 3,
      triggered_by: "test",
      args: {},
    });
    const done = await waitStatus(s.app, run.id, "completed");
    expect(runDetailSchema.parse(done)).toBeTruthy();
    expect(done.current_step_index).toBe(2);
    expect(done.current_phase).toBe("ship");
    expect(done.completed_at).not.toBeNull();
    expect(done.comments).toEqual([]);
    expect(done.steps.map((x: Json) => [x.id, x.step_id, x.status, x.phase])).toEqual([
      [`${run.id}:hello`, "hello", "completed", "build"],
      [`${run.id}:bye`, "bye", "completed", "ship"],
    ]);
    expect(done.workflow_definition).toMatchObject({
      name: "quick",
      phases: ["build", "ship"],
      steps: [
        { id: "hello", type: "script", phase: "build", needs: [] },
        { id: "bye", type: "noop", phase: "ship", needs: ["hello"] },
      ],
    });
  });

  it("launches an inline JSON workflow, with args checked against its argsSchema (defaults applied)", async () => {
    const source = JSON.stringify({
      name: "json-wf",
      argsSchema: {
        type: "object",
        properties: { who: { type: "string" }, times: { type: "integer", default: 2 } },
        required: ["who"],
      },
      steps: [{ id: "greet", command: "echo hi {{ args.who }}" }],
    });
    const id = await launchId(s.app, source, { args: { who: "ada" }, project_id: "p1" });
    const run = await waitStatus(s.app, id, "completed");
    expect(run.args).toEqual({ who: "ada", times: 2 });
    expect(run.project_id).toBe("p1");
    expect(stepOf(run, "greet").status).toBe("completed");
  });

  it("lists runs newest first with steps, workflow and _count; filters by project, status, limit, offset", async () => {
    const a = await launchId(s.app, QUICK, { project_id: "p1" });
    await waitStatus(s.app, a, "completed");
    const b = await launchId(s.app, QUICK, { project_id: "p2" });
    await waitStatus(s.app, b, "completed");
    const c = await launchId(s.app, SLEEPY, { project_id: "p1" });
    await s.app.inject({ method: "POST", url: `/api/workflow-executions/${c}/pause` });

    const all = body(await s.app.inject({ url: "/api/workflow-executions" })).data;
    expect(all.map((r: Json) => r.id)).toEqual([c, b, a]);
    for (const r of all) expect(runListItemSchema.parse(r)).toBeTruthy();
    expect(all[2]._count).toEqual({ comments: 0, artifacts: 0 });
    expect(all[2].steps.map((x: Json) => x.key)).toEqual(["hello", "bye"]);
    expect(all[2].workflow_definition.name).toBe("quick");

    const p1 = body(await s.app.inject({ url: "/api/workflow-executions?project_id=p1" })).data;
    expect(p1.map((r: Json) => r.id)).toEqual([c, a]);
    const done = body(await s.app.inject({ url: "/api/workflow-executions?status=completed" })).data;
    expect(done.map((r: Json) => r.id)).toEqual([b, a]);
    const several = body(
      await s.app.inject({ url: "/api/workflow-executions?status=paused,failed&status=completed" }),
    ).data;
    expect(several).toHaveLength(3);
    const page = body(await s.app.inject({ url: "/api/workflow-executions?limit=1&offset=1" })).data;
    expect(page.map((r: Json) => r.id)).toEqual([b]);
    const beyond = body(await s.app.inject({ url: "/api/workflow-executions?offset=10" })).data;
    expect(beyond).toEqual([]);
  });

  it("an idempotency key creates one run: a repeat answers 200 with the first", async () => {
    const first = await launch(s.app, QUICK, { idempotency_key: "k-1" });
    const again = await launch(s.app, QUICK, { idempotency_key: "k-1" });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(body(again).data.id).toBe(body(first).data.id);
    await waitStatus(s.app, body(first).data.id, "completed");
  });

  it("a run whose step fails ends failed with its error", async () => {
    const id = await launchId(s.app, "name: f\nsteps:\n  - id: boom\n    command: exit 3\n");
    const run = await waitStatus(s.app, id, "failed");
    expect(stepOf(run, "boom")).toMatchObject({ status: "failed", error: { code: "WEFT_SCRIPT_EXIT" } });
    expect(run.error_message).toMatch(/exited with code 3/);
  });
});

describe("pause, resume, cancel", () => {
  it("pause holds the next steps (200, paused_at; again: 200 idempotent); resume carries on to the end", async () => {
    const id = await launchId(s.app, SLEEPY);
    await waitRun(s.app, id, (r) => stepOf(r, "a").status === "running", "a running");
    const paused = await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/pause` });
    expect(paused.statusCode).toBe(200);
    expect(body(paused).data).toMatchObject({ id, status: "paused", cancelled_at: null });
    expect(body(paused).data.paused_at).toMatch(/^\d{4}-/);
    // The record answered was changed when it was paused, not before.
    expect(Date.parse(body(paused).data.updated_at)).toBeGreaterThanOrEqual(Date.parse(body(paused).data.paused_at));
    const again = await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/pause` });
    expect(again.statusCode).toBe(200);
    expect(body(again).data.status).toBe("paused");

    // a finishes; b does not start while paused.
    const held = await waitRun(s.app, id, (r) => stepOf(r, "a").status === "completed", "a completed");
    await new Promise((r) => setTimeout(r, 300));
    expect(stepOf(await getRun(s.app, id), "b").status).toBe("pending");
    expect(held.status).toBe("paused");

    const resumed = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/resume`,
      headers: { "content-type": "application/json" },
      payload: "",
    });
    expect(resumed.statusCode).toBe(200);
    expect(body(resumed).data.status).toBe("running");
    // resume of a running run is a no-op
    const noop = await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/resume`, payload: {} });
    expect(noop.statusCode).toBe(200);
    await waitStatus(s.app, id, "completed");
  });

  it("cancel stops the run (200, cancelled_at); a second cancel, a pause and a resume then answer 409", async () => {
    const id = await launchId(s.app, SLEEPY);
    await waitRun(s.app, id, (r) => stepOf(r, "a").status === "running", "a running");
    const res = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/cancel`,
      payload: { by: "ci" },
    });
    expect(res.statusCode).toBe(200);
    expect(body(res).data).toMatchObject({ id, status: "cancelled" });
    expect(body(res).data.cancelled_at).toMatch(/^\d{4}-/);
    const run = await getRun(s.app, id);
    expect(run.steps.map((x: Json) => x.status)).toEqual(["cancelled", "cancelled", "cancelled"]);
    expect(run.error_message).toMatch(/cancelled by ci/);
    for (const verb of ["cancel", "pause", "resume"]) {
      const e = expectError(
        await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/${verb}` }),
        409,
        "WEFT_CONFLICT",
      );
      expect(e.message).toMatch(/cancelled/);
    }
  });

  it("two concurrent cancels: exactly one wins (200), the other gets 409", async () => {
    for (let i = 0; i < 5; i++) {
      const id = await launchId(s.app, SLEEPY);
      const results = await Promise.all(
        [1, 2].map(() => s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/cancel` })),
      );
      expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
      expect((await getRun(s.app, id)).status).toBe("cancelled");
    }
  });

  it("pause racing cancel: both may succeed only in the order pause → cancel; the run ends cancelled", async () => {
    const id = await launchId(s.app, SLEEPY);
    const [p, c] = await Promise.all([
      s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/pause` }),
      s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/cancel` }),
    ]);
    expect(c.statusCode).toBe(200);
    expect([200, 409]).toContain(p.statusCode);
    expect((await getRun(s.app, id)).status).toBe("cancelled");
  });

  it("pause of a completed run is a 409 that says why", async () => {
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    const e = expectError(await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/pause` }), 409);
    expect(e.message).toMatch(/completed/);
  });
});

describe("approve, reject, retry", () => {
  it("approve a waiting step (by, comment): the run goes on to completion", async () => {
    const id = await launchId(s.app, APPROVAL);
    const waiting = await waitRun(s.app, id, (r) => stepOf(r, "review").status === "waiting", "review waiting");
    expect(waiting.status).toBe("waiting");
    expect(stepOf(waiting, "review").waiting_for).toBe("approval");
    // too early for ship
    expectError(
      await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/steps/ship/approve` }),
      409,
      "WEFT_CONFLICT",
    );
    const res = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/steps/review/approve`,
      payload: { by: "ada", comment: "lgtm" },
    });
    expect(res.statusCode).toBe(200);
    expect(runDetailSchema.parse(body(res).data)).toBeTruthy();
    expect(stepOf(body(res).data, "review").status).toBe("completed");
    const done = await waitStatus(s.app, id, "completed");
    expect(stepOf(done, "ship").status).toBe("completed");
    const detail = body(await s.app.inject({ url: `/api/workflow-steps/${encodeURIComponent(`${id}:review`)}` })).data;
    // The decider recorded is the caller (no tokens: the local user); the client's `by` is kept as its claim.
    expect(detail.output).toEqual({ approved: true, by: "local user", comment: "lgtm", claimed_by: "ada" });
  });

  it("reject fails the step and the run; the step can be addressed by its step run id too", async () => {
    const id = await launchId(s.app, APPROVAL);
    await waitRun(s.app, id, (r) => stepOf(r, "review").status === "waiting", "review waiting");
    const res = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/steps/${encodeURIComponent(`${id}:review`)}/reject`,
      payload: { comment: "not yet" },
    });
    expect(res.statusCode).toBe(200);
    const run = await waitStatus(s.app, id, "failed");
    expect(stepOf(run, "review").error).toMatchObject({ code: "WEFT_REJECTED" });
    expect(stepOf(run, "ship").status).toBe("skipped");
  });

  it("two concurrent approvals: exactly one wins, the other gets 409", async () => {
    const id = await launchId(s.app, APPROVAL);
    await waitRun(s.app, id, (r) => stepOf(r, "review").status === "waiting", "review waiting");
    const results = await Promise.all(
      ["approve", "approve", "reject"].map((v) =>
        s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/steps/review/${v}` }),
      ),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    for (const r of results.filter((x) => x.statusCode === 409)) expectError(r, 409, "WEFT_CONFLICT");
  });

  it("retry a failed step after fixing its cause: the run completes", async () => {
    const flag = join(s.env.dir, "flag");
    const source = `name: gate
steps:
  - id: gate
    command: test -f ${flag}
  - id: after
    needs: gate
    command: echo passed
`;
    const id = await launchId(s.app, source);
    await waitStatus(s.app, id, "failed");
    // retrying a step that did not fail is a conflict; an unknown step is a 404
    expectError(
      await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/steps/nope/retry` }),
      404,
      "WEFT_NOT_FOUND",
    );
    writeFileSync(flag, "");
    const res = await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/steps/gate/retry` });
    expect(res.statusCode).toBe(200);
    expect(["running", "completed"]).toContain(body(res).data.status);
    const run = await waitStatus(s.app, id, "completed");
    expect(stepOf(run, "gate").attempt).toBe(2);
    expectError(
      await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/steps/gate/retry` }),
      409,
      "WEFT_CONFLICT",
    );
  });
});

describe("checkpoints and rewind", () => {
  it("lists checkpoints newest first; rewind forks a new run (201) that reuses completed steps", async () => {
    const marker = join(s.env.dir, "ran-first");
    const source = `name: three
steps:
  - id: first
    command: echo x >> ${marker}
  - id: second
    needs: first
    command: echo two
  - id: third
    needs: second
    type: noop
`;
    const id = await launchId(s.app, source);
    await waitStatus(s.app, id, "completed");
    const cps = body(await s.app.inject({ url: `/api/workflow-executions/${id}/checkpoints` })).data;
    expect(cps.length).toBeGreaterThanOrEqual(3);
    expect(cps[0].number).toBeGreaterThan(cps[1].number);
    const afterFirst = cps.find((c: Json) => c.step_key === "first");
    expect(afterFirst).toMatchObject({ label: expect.any(String), event_seq: expect.any(Number) });
    const limited = body(await s.app.inject({ url: `/api/workflow-executions/${id}/checkpoints?limit=1` })).data;
    expect(limited).toHaveLength(1);

    const res = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/rewind`,
      payload: { checkpoint: afterFirst.number },
    });
    expect(res.statusCode).toBe(201);
    const fork = body(res).data;
    expect(fork.id).not.toBe(id);
    expect(fork.forked_from).toEqual({ run_id: id, checkpoint: afterFirst.number });
    expect(fork.parent_run_id).toBe(id);
    const done = await waitStatus(s.app, fork.id, "completed");
    expect(done.steps.map((x: Json) => x.status)).toEqual(["completed", "completed", "completed"]);
    // `first` was reused, not run again
    expect((await import("node:fs")).readFileSync(marker, "utf8")).toBe("x\n");
    // the forks of a run: ?forked_from= lists them (and only them)
    const forks = body(await s.app.inject({ url: `/api/workflow-executions?forked_from=${id}` })).data;
    expect(forks.map((r: Json) => r.id)).toEqual([fork.id]);
    expect(body(await s.app.inject({ url: `/api/workflow-executions?forked_from=${fork.id}` })).data).toEqual([]);

    expectError(
      await s.app.inject({
        method: "POST",
        url: `/api/workflow-executions/${id}/rewind`,
        payload: { checkpoint: 999 },
      }),
      404,
      "WEFT_NOT_FOUND",
    );
    expectError(
      await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/rewind`, payload: { checkpoint: 0 } }),
      400,
      "WEFT_BAD_REQUEST",
    );
    expectError(await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/rewind` }), 400);
  });
});

describe("bad input: a clear 4xx, never a 500, and the server keeps serving", () => {
  const post = (payload: string, headers: Record<string, string> = { "content-type": "application/json" }) =>
    s.app.inject({ method: "POST", url: "/api/workflow-executions", payload, headers });

  it("malformed JSON → 400 with the parser's message", async () => {
    const e = expectError(await post('{"workflow": {"source": '), 400, "WEFT_BAD_REQUEST");
    expect(e.message).toMatch(/invalid JSON body/);
  });

  it("prototype-poisoning JSON → 400", async () => {
    for (const payload of ['{"__proto__":{"x":1}}', '{"workflow":{"constructor":{"prototype":{"x":1}}}}']) {
      const e = expectError(await post(payload), 400, "WEFT_BAD_REQUEST");
      expect(e.message).toMatch(/prototype/);
    }
    expect(({} as Json).x).toBeUndefined();
  });

  it("wrong content type → 415", async () => {
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "application/xml"]) {
      const e = expectError(await post("workflow=x", { "content-type": type }), 415, "WEFT_BAD_REQUEST");
      expect(e.message).toContain(type);
    }
  });

  it("a 2 MB body → 413", async () => {
    const big = JSON.stringify({ workflow: { source: `name: x\n#${"a".repeat(2 * 1024 * 1024)}` } });
    const e = expectError(await post(big), 413, "WEFT_TOO_LARGE");
    expect(e.message).toMatch(/1048576 bytes/);
  });

  it("unknown ids → 404 on every run route", async () => {
    const id = "00000000-0000-4000-8000-000000000000";
    const routes: Array<[string, string, unknown?]> = [
      ["GET", `/api/workflow-executions/${id}`],
      ["POST", `/api/workflow-executions/${id}/pause`],
      ["POST", `/api/workflow-executions/${id}/resume`],
      ["POST", `/api/workflow-executions/${id}/cancel`],
      ["POST", `/api/workflow-executions/${id}/steps/a/approve`],
      ["POST", `/api/workflow-executions/${id}/steps/a/reject`],
      ["POST", `/api/workflow-executions/${id}/steps/a/retry`],
      ["GET", `/api/workflow-executions/${id}/checkpoints`],
      ["POST", `/api/workflow-executions/${id}/rewind`, { checkpoint: 1 }],
    ];
    for (const [method, url, payload] of routes) {
      const e = expectError(
        await s.app.inject({ method: method as "GET", url, ...(payload ? { payload: payload as object } : {}) }),
        404,
        "WEFT_NOT_FOUND",
      );
      expect(e.message).toContain(id);
    }
  });

  it("unknown route → 404 naming it", async () => {
    const e = expectError(await s.app.inject({ url: "/api/nothing-here" }), 404, "WEFT_NOT_FOUND");
    expect(e.message).toContain("GET /api/nothing-here");
    expectError(await s.app.inject({ method: "DELETE", url: "/api/workflow-executions" }), 404);
  });

  it("invalid YAML → 422 with every issue's line and column", async () => {
    const syntax = expectError(await launch(s.app, "name: x\nsteps: [\n  - id: a\n"), 422);
    expect(syntax.issues?.[0]).toMatchObject({
      code: "WEFT_PARSE",
      line: expect.any(Number),
      column: expect.any(Number),
    });

    const source = `name: x
steps:
  - id: a
    command: echo a
    needs: ghost
  - id: a
    type: noop
  - id: c
    type: teleport
`;
    const e = expectError(await launch(s.app, source), 422);
    const codes = e.issues?.map((i: Json) => i.code);
    expect(codes).toEqual(expect.arrayContaining(["WEFT_UNKNOWN_REF", "WEFT_DUPLICATE_ID", "WEFT_UNKNOWN_STEP_TYPE"]));
    for (const i of e.issues ?? []) {
      expect(i.file).toBe("workflow.yaml");
      expect(i.line).toBeGreaterThan(1);
      expect(i.column).toBeGreaterThan(0);
    }
    expect(e.message).toMatch(/^3 problems: workflow\.yaml:5:/);
    // nothing was created
    expect(body(await s.app.inject({ url: "/api/workflow-executions" })).data).toEqual([]);
  });

  it("args that do not match the argsSchema → 422 WEFT_ARGS; args of the wrong type → 400", async () => {
    const source = `name: x
argsSchema:
  type: object
  properties: { n: { type: integer } }
  required: [n]
steps:
  - id: a
    type: noop
`;
    const e = expectError(await launch(s.app, source, { args: { n: "three" } }), 422, "WEFT_ARGS");
    expect(e.issues?.length).toBeGreaterThan(0);
    expectError(await launch(s.app, source, { args: {} }), 422, "WEFT_ARGS");
    const f = expectError(await launch(s.app, source, { args: "n=3" }), 400, "WEFT_BAD_REQUEST");
    expect(f.fields?.[0].path).toBe("body.args");
    expect(body(await s.app.inject({ url: "/api/workflow-executions" })).data).toEqual([]);
  });

  it("body fields: unknown keys, wrong types, neither or both workflow forms → 400 naming the field", async () => {
    const unknown = expectError(await launch(s.app, QUICK, { colour: "red" }), 400);
    expect(unknown.message).toContain("colour");
    const wrong = expectError(await launch(s.app, QUICK, { priority: "high" }), 400);
    expect(wrong.fields?.[0].path).toBe("body.priority");
    expectError(await launch(s.app, QUICK, { workflow_definition_id: "d1" }), 400);
    const neither = expectError(
      await s.app.inject({ method: "POST", url: "/api/workflow-executions", payload: { name: "x" } }),
      400,
    );
    expect(neither.message).toMatch(/exactly one/);
    expectError(await s.app.inject({ method: "POST", url: "/api/workflow-executions" }), 400);
    expectError(
      await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        payload: "[1,2]",
        headers: { "content-type": "application/json" },
      }),
      400,
    );
    // pause takes no fields
    expectError(
      await s.app.inject({ method: "POST", url: "/api/workflow-executions/x/pause", payload: { force: true } }),
      400,
    );
  });

  it("bad query strings → 400 (types are coerced, unknown keys refused)", async () => {
    for (const q of ["limit=abc", "limit=0", "limit=1000", "offset=-1", "status=sleeping", "colour=red", "limit=1.5"]) {
      const e = expectError(await s.app.inject({ url: `/api/workflow-executions?${q}` }), 400, "WEFT_BAD_REQUEST");
      expect(e.message).toMatch(/query/);
    }
    expectError(await s.app.inject({ url: "/api/workflow-executions/x/checkpoints?limit=-1" }), 400);
  });

  it("the server keeps serving after all of that", async () => {
    await post("{nope");
    await post("x", { "content-type": "text/plain" });
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    expect((await s.app.inject({ url: "/api/workflow-executions" })).statusCode).toBe(200);
  });
});

describe("a launch by workflow_definition_id", () => {
  async function storeDefinition(id: string, projectId: string, format: "yaml" | "ts" = "yaml", system = false) {
    const workflow = wf(QUICK);
    await s.env.store.definitions.create({
      id,
      projectId,
      name: `quick-${id}`,
      description: null,
      category: null,
      tags: [],
      format,
      source: QUICK,
      workflow,
      workflowHash: workflowHash(workflow),
      system,
      now: Date.now(),
    });
  }
  const byId = (payload: Record<string, unknown>) =>
    s.app.inject({ method: "POST", url: "/api/workflow-executions", payload });

  it("launches a stored definition in its project, linked to it; unknown or other-project ids are 404", async () => {
    await storeDefinition("d1", "p1");
    const res = await byId({ workflow_definition_id: "d1", args: {} });
    expect(res.statusCode).toBe(201);
    const run = body(res).data;
    expect(run).toMatchObject({ workflow_definition_id: "d1", project_id: "p1", workflow_name: "quick" });
    const done = await waitStatus(s.app, run.id, "completed");
    expect(done.workflow_definition.id).toBe("d1");
    expect((await s.env.store.definitions.stats("d1"))?.timesUsed).toBe(1);
    await launchId(s.app, QUICK);
    const fromD1 = body(await s.app.inject({ url: "/api/workflow-executions?workflow_definition_id=d1" })).data;
    expect(fromD1.map((r: Json) => r.id)).toEqual([run.id]);

    expectError(await byId({ workflow_definition_id: "nope" }), 404, "WEFT_NOT_FOUND");
    const other = expectError(await byId({ workflow_definition_id: "d1", project_id: "p2" }), 404);
    expect(other.message).toMatch(/in project p2/);
  });

  it("a built-in (system) definition may be launched in any project", async () => {
    await storeDefinition("sys", "default", "yaml", true);
    const res = await byId({ workflow_definition_id: "sys", project_id: "p9" });
    expect(res.statusCode).toBe(201);
    expect(body(res).data.project_id).toBe("p9");
    await waitStatus(s.app, body(res).data.id, "completed");
  });

  it("launches a stored TypeScript definition (durable replay from a content-addressed copy of its text)", async () => {
    const source = readFileSync(join(repoRoot, "test/fixtures/ts/cli/approval.ts"), "utf8");
    const dir = join(s.env.dir, "authoring");
    mkdirSync(dir);
    const file = join(dir, "approval.ts");
    writeFileSync(file, source);
    const { workflow } = await loadTypeScriptWorkflow(file);
    await s.env.store.definitions.create({
      id: "ts1",
      projectId: "default",
      name: workflow.name,
      description: null,
      category: null,
      tags: [],
      format: "ts",
      source,
      workflow,
      workflowHash: workflowHash(workflow),
      system: false,
      now: Date.now(),
    });
    const res = await byId({ workflow_definition_id: "ts1", args: { version: "2.0.0" } });
    expect(res.statusCode, res.body).toBe(201);
    const id = body(res).data.id as string;
    const waiting = await waitStatus(s.app, id, "waiting");
    expect(waiting.steps.map((x: Json) => x.key)).toContain("build");
    const approve = await s.app.inject({
      method: "POST",
      url: `/api/workflow-executions/${id}/steps/sign-off/approve`,
    });
    expect(approve.statusCode, approve.body).toBe(200);
    const done = await waitStatus(s.app, id, "completed");
    expect(JSON.stringify(done.output)).toContain("released 2.0.0");
    // Its args are checked by the code's zod schema: a wrong type is a 422 naming the field.
    const bad = expectError(await byId({ workflow_definition_id: "ts1", args: { version: 3 } }), 422);
    expect(bad.message).toMatch(/version/);
    // A definition whose text does not load is a 422 with its position, not a 500.
    await s.env.store.definitions.create({
      ...(await s.env.store.definitions.get("ts1"))!,
      id: "ts2",
      name: "broken",
      source: "export default 42;\n",
      now: Date.now(),
    });
    expect(expectError(await byId({ workflow_definition_id: "ts2" }), 422).message).toMatch(/default export/i);
  });

  it("a custom resolveDefinition is used when given", async () => {
    const t = await serverEnv({
      resolveDefinition: async (id) =>
        id === "x" ? { workflow: wf(QUICK), projectId: "px", system: false } : undefined,
    });
    try {
      expectError(
        await t.app.inject({
          method: "POST",
          url: "/api/workflow-executions",
          payload: { workflow_definition_id: "y" },
        }),
        404,
      );
      // the store refuses a run linked to a definition it does not hold: nothing half-written
      const res = await t.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        payload: { workflow_definition_id: "x" },
      });
      expectError(res, 404, "WEFT_NOT_FOUND");
      expect(body(await t.app.inject({ url: "/api/workflow-executions" })).data).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe("API tokens", () => {
  it("with tokens configured, a request without one, or with a wrong one, is 401", async () => {
    const t = await serverEnv({ apiTokens: ["s3cret", "other"] });
    try {
      expectError(await t.app.inject({ url: "/api/workflow-executions" }), 401, "WEFT_UNAUTHORIZED");
      expectError(
        await t.app.inject({ url: "/api/workflow-executions", headers: { authorization: "Bearer nope" } }),
        401,
        "WEFT_UNAUTHORIZED",
      );
      const ok = await t.app.inject({ url: "/api/workflow-executions", headers: { authorization: "Bearer s3cret" } });
      expect(ok.statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

describe("a real HTTP client against a listening server", () => {
  it("launch, watch, pause/resume, cancel and errors over fetch, while runs execute", async () => {
    const base = await s.listen();
    const api = (path: string, init: RequestInit = {}) => fetch(`${base}/api${path}`, init);
    const postJson = (path: string, value: unknown) =>
      api(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(value) });

    // several runs at once
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await postJson("/workflow-executions", { workflow: { source: SLEEPY }, name: `run ${i}` });
      expect(res.status).toBe(201);
      expect(res.headers.get("content-type")).toMatch(/application\/json/);
      ids.push(((await res.json()) as Json).data.id);
    }
    const [p, c, ...rest] = ids as [string, string, ...string[]];
    await until(async () => {
      const r = (await (await api(`/workflow-executions/${p}`)).json()) as Json;
      return r.data.status === "running";
    });
    const paused = await api(`/workflow-executions/${p}/pause`, { method: "POST" });
    expect(paused.status).toBe(200);
    expect(((await paused.json()) as Json).data.status).toBe("paused");
    const cancelled = await postJson(`/workflow-executions/${c}/cancel`, {});
    expect(cancelled.status).toBe(200);

    // errors over a real socket
    const bad = await api("/workflow-executions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{broken",
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error.code).toBe("WEFT_BAD_REQUEST");
    // Fastify answers 413 before reading the whole body; the client still sending it reads the answer.
    const size = 2 * 1024 * 1024;
    const huge = await rawExchange(
      base,
      `POST /api/workflow-executions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${size}\r\n\r\n`,
      { bodyBytes: size, holdReads: true },
    );
    expectError(huge, 413, "WEFT_TOO_LARGE");
    const text = await api("/workflow-executions", { method: "POST", body: "hello" });
    expect(text.status).toBe(415);
    const missing = await api("/workflow-executions/nope");
    expect(missing.status).toBe(404);
    const conflict = await api(`/workflow-executions/${c}/cancel`, { method: "POST" });
    expect(conflict.status).toBe(409);

    const resumed = await api(`/workflow-executions/${p}/resume`, { method: "POST" });
    expect(resumed.status).toBe(200);
    for (const id of [p, ...rest]) {
      await until(
        async () => ((await (await api(`/workflow-executions/${id}`)).json()) as Json).data.status === "completed",
        15_000,
        `run ${id} completed`,
      );
    }
    const list = (await (await api("/workflow-executions?status=completed")).json()) as Json;
    expect(list.data).toHaveLength(3);
    expect(existsSync(join(s.env.dir, "runs", p, "definition.json"))).toBe(true);
  });
});
