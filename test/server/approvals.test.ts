/**
 * `GET /api/approvals` (the review inbox) over real HTTP routes (inject), responses checked against their
 * schema: steps waiting for approval across runs, oldest first, with the output under review; a token sees its
 * projects only; decided steps leave the inbox.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import { approvalSchema } from "../../src/server/schemas.js";
import {
  APPROVAL,
  body,
  expectError,
  type Json,
  launchId,
  REVIEWED,
  type ServerEnv,
  serverEnv,
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

const inbox = async (query = "", headers: Record<string, string> = {}): Promise<Json[]> => {
  const res = await s.app.inject({ url: `/api/approvals${query}`, headers });
  expect(res.statusCode, res.body).toBe(200);
  const items = body(res).data as Json[];
  for (const item of items) approvalSchema.strict().parse(item);
  return items;
};
const waiting = (id: string) => waitRun(s.app, id, (r) => r.waiting_for_person === true, "waiting for approval");

describe("GET /api/approvals", () => {
  it("lists every step waiting for a person, oldest first, with the run, the message and the output under review", async () => {
    const first = await launchId(s.app, APPROVAL, { name: "first", project_id: "alpha" });
    await waiting(first);
    const second = await launchId(s.app, REVIEWED, { name: "second", project_id: "beta" });
    await waiting(second);
    const third = await launchId(s.app, APPROVAL, { name: "third", project_id: "alpha" });
    await waiting(third);

    const items = await inbox();
    expect(items.map((i) => i.workflow_run_id)).toEqual([first, second, third]);
    const [a, b] = items;
    expect(a).toMatchObject({
      id: `${first}:review`,
      run_name: "first",
      run_status: "waiting",
      workflow_name: "gated",
      project_id: "alpha",
      step_id: "review",
      key: "review",
      name: "review",
      message: "ship it?",
      timeout_at: null,
    });
    // The output of the step it needs: the script's, as the run's step shows it.
    const build = body(await s.app.inject({ url: `/api/workflow-steps/${encodeURIComponent(`${first}:build`)}` })).data;
    expect(a.output_under_review).toEqual(build.output);
    expect(a.output_under_review).not.toBeNull();
    expect(b.output_under_review).toHaveProperty("result"); // the agent's draft
    expect(Date.parse(a.waiting_since)).toBeLessThanOrEqual(Date.parse(b.waiting_since));

    expect((await inbox("?project_id=alpha")).map((i) => i.workflow_run_id)).toEqual([first, third]);
    expect((await inbox("?limit=1")).map((i) => i.workflow_run_id)).toEqual([first]);

    // Decided: gone from the inbox.
    const res = await s.app.inject({ method: "POST", url: `/api/workflow-executions/${first}/steps/review/approve` });
    expect(res.statusCode, res.body).toBe(200);
    await waitStatus(s.app, first, "completed");
    expect((await inbox()).map((i) => i.workflow_run_id)).toEqual([second, third]);
    // A paused run's approval stays in the inbox (approving it is allowed; the run goes on once resumed).
    await s.app.inject({ method: "POST", url: `/api/workflow-executions/${third}/pause` });
    expect((await inbox()).find((i) => i.workflow_run_id === third)?.run_status).toBe("paused");
    // A cancelled run's does not.
    await s.app.inject({ method: "POST", url: `/api/workflow-executions/${second}/cancel` });
    expect((await inbox()).map((i) => i.workflow_run_id)).toEqual([third]);

    expectError(await s.app.inject({ url: "/api/approvals?limit=0" }), 400);
    expectError(await s.app.inject({ url: "/api/approvals?step=x" }), 400);
  });

  it("a token sees its projects' approvals only; naming another project is 403", async () => {
    const alpha = await launchId(s.app, APPROVAL, { project_id: "alpha" });
    const beta = await launchId(s.app, APPROVAL, { project_id: "beta" });
    await waiting(alpha);
    await waiting(beta);
    const secret = `weft_${randomUUID()}`;
    await s.env.store.tokens.create({
      id: randomUUID(),
      name: "alpha reader",
      hash: tokenHash(secret),
      scopes: [{ projectId: "alpha", role: "read" }],
      now: Date.now(),
    });
    await new Promise((r) => setTimeout(r, 250)); // the server remembers "no token" for up to 200 ms
    const headers = { authorization: `Bearer ${secret}` };
    expect((await inbox("", headers)).map((i) => i.workflow_run_id)).toEqual([alpha]);
    expectError(await s.app.inject({ url: "/api/approvals?project_id=beta", headers }), 403, "WEFT_FORBIDDEN");
    expectError(await s.app.inject({ url: "/api/approvals" }), 401, "WEFT_UNAUTHORIZED");
  });
});
