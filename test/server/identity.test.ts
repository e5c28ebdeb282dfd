/**
 * Who did it: comments and approval decisions made through the API record the token's name, whatever the
 * client claims in `created_by` / `by` (kept beside it as `claimed_by`).
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import { until } from "../helpers/engine.js";
import { body, type ServerEnv, serverEnv } from "./helpers.js";

// No script step: launching it needs no more than `operate`.
const GATED =
  "name: gated\nsteps:\n  - id: review\n    type: approval\n  - id: after\n    needs: review\n    type: noop\n";

let s: ServerEnv;
let secret: string;
beforeEach(async () => {
  s = await serverEnv();
  // Created before the first request, so the server never saw "no token exists".
  secret = `weft_${randomUUID()}`;
  const scopes = [{ projectId: "p", role: "operate" as const }];
  await s.env.store.tokens.create({ id: randomUUID(), name: "ci", hash: tokenHash(secret), scopes, now: Date.now() });
});
afterEach(async () => {
  await s.close();
});

const call = (method: "GET" | "POST", url: string, payload?: object) =>
  s.app.inject({ method, url, headers: { authorization: `Bearer ${secret}` }, ...(payload ? { payload } : {}) });

async function waitingRun(): Promise<string> {
  const res = await call("POST", "/api/workflow-executions", { workflow: { source: GATED }, project_id: "p" });
  expect(res.statusCode, res.body).toBe(201);
  const id = body(res).data.id as string;
  await until(async () => (await s.env.store.steps.get(id, "review"))?.status === "waiting", 15_000, "review waiting");
  return id;
}

describe("the recorded actor is the token", () => {
  it("a comment records the token's name as created_by; the client's claim is kept as claimed_by", async () => {
    const id = await waitingRun();
    const res = await call("POST", `/api/workflow-executions/${id}/comments`, { text: "hi", created_by: "the CEO" });
    expect(res.statusCode, res.body).toBe(201);
    expect(body(res).data).toMatchObject({ created_by: "token ci", claimed_by: "the CEO" });
    const listed = body(await call("GET", `/api/workflow-executions/${id}/comments`)).data;
    expect(listed[0]).toMatchObject({ created_by: "token ci", claimed_by: "the CEO" });
    const event = (await s.env.store.events.list(id)).find((e) => e.type === "workflow.comment.created");
    expect(event?.data).toMatchObject({ created_by: "token ci", claimed_by: "the CEO" });
  });

  it("an approval records the token's name as `by`; the client's `by` is kept as claimed_by", async () => {
    const id = await waitingRun();
    const res = await call("POST", `/api/workflow-executions/${id}/steps/review/approve`, { by: "the CEO" });
    expect(res.statusCode, res.body).toBe(200);
    const event = (await s.env.store.events.list(id)).find((e) => e.type === "workflow.approval.decided");
    expect(event?.data).toMatchObject({ approved: true, by: "token ci", claimed_by: "the CEO" });
    const step = await s.env.store.steps.get(id, "review");
    expect(step?.output).toEqual({ approved: true, by: "token ci", comment: null, claimed_by: "the CEO" });
  });

  it("a rejection names the token in its error, not the claim", async () => {
    const id = await waitingRun();
    const res = await call("POST", `/api/workflow-executions/${id}/steps/review/reject`, { by: "the CEO" });
    expect(res.statusCode, res.body).toBe(200);
    const step = await s.env.store.steps.get(id, "review");
    expect(step?.error?.message).toBe("rejected by token ci");
  });
});
