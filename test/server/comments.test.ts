import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { commentSchema } from "../../src/server/schemas.js";
import { until } from "../helpers/engine.js";
import { body, expectError, type Json, launchId, QUICK, type ServerEnv, serverEnv, waitStatus } from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

const url = (id: string) => `/api/workflow-executions/${id}/comments`;
const post = (id: string, payload: unknown) =>
  s.app.inject({ method: "POST", url: url(id), payload: payload as object });

async function doneRun(): Promise<string> {
  const id = await launchId(s.app, QUICK);
  await waitStatus(s.app, id, "completed");
  return id;
}

describe("comments (inject)", () => {
  it("creates run- and step-level comments (201), by step run id or step key; lists oldest first; filters by step", async () => {
    const id = await doneRun();
    const r1 = await post(id, { text: "looks good" });
    expect(r1.statusCode).toBe(201);
    const c1 = body(r1).data;
    expect(commentSchema.parse(c1)).toBeTruthy();
    expect(c1).toMatchObject({
      workflow_run_id: id,
      workflow_run_step_id: null,
      step_key: null,
      text: "looks good",
      comment_type: "user",
      created_by: "local user",
      claimed_by: null,
      artifacts: [],
    });
    const c2 = body(await post(id, { text: "hello step", step_id: `${id}:hello`, comment_type: "agent" })).data;
    expect(c2).toMatchObject({ workflow_run_step_id: `${id}:hello`, step_key: "hello", comment_type: "agent" });
    const c3 = body(await post(id, { text: "by key", step_id: "bye", created_by: "bot" })).data;
    expect(c3).toMatchObject({ workflow_run_step_id: `${id}:bye`, step_key: "bye", created_by: "local user" });
    expect(c3.claimed_by).toBe("bot");

    const all = body(await s.app.inject({ url: url(id) })).data;
    expect(all.map((c: Json) => c.id)).toEqual([c1.id, c2.id, c3.id]);
    for (const c of all) expect(commentSchema.parse(c)).toBeTruthy();
    const hello = body(await s.app.inject({ url: `${url(id)}?step_id=hello` })).data;
    expect(hello.map((c: Json) => c.id)).toEqual([c2.id]);
    const byRunStepId = body(await s.app.inject({ url: `${url(id)}?step_id=${encodeURIComponent(`${id}:bye`)}` })).data;
    expect(byRunStepId.map((c: Json) => c.id)).toEqual([c3.id]);

    // the run's event log has them, in order
    const events = await s.env.store.events.list(id);
    const created = events.filter((e) => e.type === "workflow.comment.created");
    expect(created.map((e) => (e.data as Json).comment_id)).toEqual([c1.id, c2.id, c3.id]);
  });

  it("a comment on a step not yet run (a step of the workflow) is accepted", async () => {
    const id = await launchId(
      s.app,
      "name: later\nsteps:\n  - id: a\n    command: sleep 0.3\n  - id: b\n    needs: a\n    type: noop\n",
    );
    const res = await post(id, { text: "before b runs", step_id: "b" });
    expect(res.statusCode).toBe(201);
    await waitStatus(s.app, id, "completed");
  });

  it("a step of another run, or a step the run does not have → 422; unknown run → 404", async () => {
    const a = await doneRun();
    const b = await doneRun();
    const foreign = expectError(await post(a, { text: "x", step_id: `${b}:hello` }), 422);
    expect(foreign.message).toMatch(/does not belong/);
    const unknown = expectError(await post(a, { text: "x", step_id: "ghost" }), 422);
    expect(unknown.message).toMatch(/no step "ghost"/);
    expectError(await s.app.inject({ url: `${url(a)}?step_id=ghost` }), 422);
    expectError(await s.app.inject({ url: `${url(a)}?step_id=${encodeURIComponent(`${b}:hello`)}` }), 422);
    expectError(await post("nope", { text: "x" }), 404, "WEFT_NOT_FOUND");
    expectError(await s.app.inject({ url: url("nope") }), 404, "WEFT_NOT_FOUND");
    expect(body(await s.app.inject({ url: url(a) })).data).toEqual([]);
  });

  it("bad bodies → 400; the server keeps serving", async () => {
    const id = await doneRun();
    expectError(await post(id, {}), 400, "WEFT_BAD_REQUEST");
    expectError(await post(id, { text: "" }), 400);
    expectError(await post(id, { text: "x".repeat(10_001) }), 400);
    expectError(await post(id, { text: "x", comment_type: "robot" }), 400);
    const system = expectError(await post(id, { text: "x", comment_type: "system" }), 400, "WEFT_BAD_REQUEST");
    expect(system.message).toContain(
      'comment_type: must be "user" or "agent" ("system" comments are written by weft only)',
    );
    expectError(await post(id, { text: "x", extra: true }), 400);
    expectError(await post(id, { text: 5 }), 400);
    expectError(await s.app.inject({ url: `${url(id)}?step_id=hello&x=1` }), 400);
    expect((await post(id, { text: "x".repeat(10_000) })).statusCode).toBe(201);
  });

  it("lists the artifacts attached to each comment", async () => {
    const id = await doneRun();
    const c = body(await post(id, { text: "see screenshot", step_id: "hello" })).data;
    const now = Date.now();
    await s.env.store.artifacts.create({
      id: "art-1",
      runId: id,
      stepKey: "hello",
      name: "shot.png",
      storageKey: `runs/${id}/artifacts/art-1`,
      fileType: "image",
      mimeType: "image/png",
      sizeBytes: 3,
      sha256: "0".repeat(64),
      now,
    });
    await s.env.store.artifacts.attachToComment("art-1", c.id, now);
    const [listed] = body(await s.app.inject({ url: url(id) })).data;
    expect(listed.artifacts).toEqual([
      expect.objectContaining({
        id: "art-1",
        name: "shot.png",
        file_type: "image",
        mime_type: "image/png",
        size_bytes: 3,
        workflow_comment_id: c.id,
        workflow_run_step_id: `${id}:hello`,
      }),
    ]);
  });
});

describe("comments over a listening server", () => {
  it("a WebSocket client subscribed to the run receives workflow.comment.created; HTTP errors leave it serving", async () => {
    const base = await s.listen();
    const id = await doneRun();
    const ws = new WebSocket(`${base.replace("http", "ws")}/api/ws?run_id=${id}`);
    const messages: Json[] = [];
    const subscribed = new Promise<void>((resolve, reject) => {
      ws.on("message", (raw) => {
        const m = JSON.parse(raw.toString());
        messages.push(m);
        if (m.type === "subscribed") resolve();
      });
      ws.on("error", reject);
    });
    try {
      await subscribed;
      const call = async (method: string, path: string, payload?: unknown) => {
        const res = await fetch(`${base}${path}`, {
          method,
          headers: payload === undefined ? {} : { "content-type": "application/json" },
          body: payload === undefined ? undefined : JSON.stringify(payload),
        });
        return { status: res.status, json: (await res.json()) as Json };
      };
      expectError(await call("POST", url(id), { text: "" }), 400);
      expectError(await call("POST", url(id), { text: "x", step_id: "ghost" }), 422);
      expectError(await call("POST", url("nope"), { text: "x" }), 404);
      const res = await call("POST", url(id), { text: "live!", step_id: "hello" });
      expect(res.status).toBe(201);
      const comment = res.json.data;

      // Delivered by the feed's poll (every 100 ms) at the latest: wait for it, not for the clock.
      await until(() => messages.some((m) => m.type === "workflow.comment.created"), 15_000, "the comment event");
      const got = messages.find((m) => m.type === "workflow.comment.created") as Json;
      expect(got.data).toMatchObject({
        execution_id: id,
        comment_id: comment.id,
        text: "live!",
        project_id: "default",
      });
      expect(typeof got.seq).toBe("number");

      const listed = await call("GET", url(id));
      expect(listed.status).toBe(200);
      expect(listed.json.data.map((c: Json) => c.id)).toEqual([comment.id]);
    } finally {
      ws.close();
    }
  });
});
