/**
 * A step's detail (`GET /api/workflow-steps/:id`): its agent transcript (`session`), artifacts and comments;
 * and a run's artifact list (`GET /api/workflow-executions/:id/artifacts?step_id=`). Real HTTP (a listening
 * server, fetch, FormData uploads); responses checked against their schemas.
 */
import { appendFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { stepLogDir } from "../../src/engine/logs.js";
import { artifactSchema, stepDetailSchema } from "../../src/server/schemas.js";
import { parseSession } from "../../src/server/session.js";
import { type Json, launchId, QUICK, REVIEWED, type ServerEnv, serverEnv, waitRun, waitStatus } from "./helpers.js";

let s: ServerEnv;
let base: string;
beforeEach(async () => {
  s = await serverEnv();
  base = await s.listen();
});
afterEach(async () => {
  await s.close();
});

const get = async (path: string): Promise<{ status: number; json: Json }> => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, json: await res.json() };
};
const stepDetail = async (runId: string, key: string) => {
  const res = await get(`/api/workflow-steps/${encodeURIComponent(`${runId}:${key}`)}`);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return stepDetailSchema.parse(res.json.data);
};
const upload = async (runId: string, name: string, stepId?: string): Promise<Json> => {
  const fd = new FormData();
  fd.append("file", new Blob([Buffer.from(`# ${name}\n`)], { type: "text/markdown" }), name);
  if (stepId !== undefined) fd.append("step_id", stepId);
  const res = await fetch(`${base}/api/workflow-executions/${runId}/artifacts`, { method: "POST", body: fd });
  expect(res.status).toBe(201);
  return ((await res.json()) as Json).data;
};
const comment = async (runId: string, text: string, stepId?: string): Promise<Json> => {
  const res = await fetch(`${base}/api/workflow-executions/${runId}/comments`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text, ...(stepId ? { step_id: stepId } : {}) }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as Json).data;
};

describe("GET /api/workflow-steps/:id", () => {
  it("an agent step shows its transcript: one exchange per provider call, as the provider recorded it", async () => {
    const id = await launchId(s.app, REVIEWED);
    await waitRun(s.app, id, (r) => r.waiting_for_person, "waiting");
    const draft = await stepDetail(id, "draft");
    expect(draft.session).not.toBeNull();
    const session = draft.session as NonNullable<typeof draft.session>;
    expect(session.truncated).toBe(false);
    expect(session.size_bytes).toBeGreaterThan(0);
    expect(session.exchanges).toHaveLength(1);
    const [x] = session.exchanges;
    expect(x).toMatchObject({ attempt: 1, agent: "writer", provider: "mock", model: "mock-1" });
    expect(Date.parse(x?.at ?? "")).not.toBeNaN();
    expect(x?.entries.map((e) => e.type)).toEqual(["request", "response"]);
    expect(x?.entries[0]?.prompt).toContain("haiku");
    expect(x?.entries[1]?.text).toBe(draft.output && (draft.output as Json).result);
    // A step that is no agent has none.
    expect((await stepDetail(id, "review")).session).toBeNull();
  });

  it("shows the step's artifacts and comments, not the run's or another step's", async () => {
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    const onHello = await upload(id, "notes.md", "hello");
    await upload(id, "run-level.md");
    await upload(id, "bye.md", `${id}:bye`);
    const said = await comment(id, "nice output", "hello");
    await comment(id, "on the run");
    const hello = await stepDetail(id, "hello");
    expect(hello.artifacts.map((a) => a.id)).toEqual([onHello.id]);
    expect(hello.artifacts[0]).toEqual(onHello);
    expect(hello.comments.map((c) => c.id)).toEqual([said.id]);
    expect(hello.comments[0]).toMatchObject({ text: "nice output", step_key: "hello" });
  });
});

describe("GET /api/workflow-executions/:id/artifacts", () => {
  it("lists a run's artifacts, oldest first, or one step's; an unknown step is 422, an unknown run 404", async () => {
    const id = await launchId(s.app, QUICK);
    await waitStatus(s.app, id, "completed");
    const a = await upload(id, "a.md", "hello");
    const b = await upload(id, "b.md");
    const c = await upload(id, "c.md", "hello");
    const all = await get(`/api/workflow-executions/${id}/artifacts`);
    expect(all.status).toBe(200);
    for (const x of all.json.data) artifactSchema.strict().parse(x);
    expect(all.json.data.map((x: Json) => x.id)).toEqual([a.id, b.id, c.id]);
    const hello = await get(`/api/workflow-executions/${id}/artifacts?step_id=hello`);
    expect(hello.json.data.map((x: Json) => x.id)).toEqual([a.id, c.id]);
    const byRunStepId = await get(
      `/api/workflow-executions/${id}/artifacts?step_id=${encodeURIComponent(`${id}:hello`)}`,
    );
    expect(byRunStepId.json.data.map((x: Json) => x.id)).toEqual([a.id, c.id]);
    expect((await get(`/api/workflow-executions/${id}/artifacts?step_id=bye`)).json.data).toEqual([]);
    const unknown = await get(`/api/workflow-executions/${id}/artifacts?step_id=nope`);
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.code).toBe("WEFT_UNKNOWN_REF");
    expect((await get(`/api/workflow-executions/${id}/artifacts?step_id=other:hello`)).status).toBe(422);
    expect((await get("/api/workflow-executions/no-such-run/artifacts")).status).toBe(404);
  });
});

describe("session.jsonl", () => {
  it("groups entries under their exchange header; a file read from its middle drops what precedes a header", () => {
    const lines = [
      { type: "session", attempt: 1, agent: "w", provider: "mock", model: "m", at: "2026-01-01T00:00:00.000Z" },
      { type: "request", prompt: "p1" },
      { type: "response", text: "t1" },
      { type: "session", attempt: 2, agent: "w", provider: "mock", model: "m2", at: "x", sessionId: "s2" },
      { type: "request", prompt: "p2" },
    ].map((l) => JSON.stringify(l));
    const whole = parseSession(`${lines.join("\n")}\n`, false);
    expect(whole.map((x) => [x.attempt, x.model, x.session_id, x.entries.length])).toEqual([
      [1, "m", null, 2],
      [2, "m2", "s2", 1],
    ]);
    // From the middle: the cut first line and the entries before the next header are left out.
    const cut = parseSession(`ponse","text":"t1"}\n${lines.slice(2).join("\n")}\nnot json\n`, true);
    expect(cut).toHaveLength(1);
    expect(cut[0]?.entries).toEqual([{ type: "request", prompt: "p2" }]);
  });

  it("a crash-cut line in the file is skipped, the rest shown", async () => {
    const id = await launchId(s.app, REVIEWED);
    await waitRun(s.app, id, (r) => r.waiting_for_person, "waiting");
    appendFileSync(join(stepLogDir(s.env.dir, id, "draft"), "session.jsonl"), '{"type":"sess');
    const draft = await stepDetail(id, "draft");
    expect(draft.session?.exchanges).toHaveLength(1);
    expect(draft.session?.exchanges[0]?.entries).toHaveLength(2);
  });
});
