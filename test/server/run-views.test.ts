/**
 * The run views' totals (progress, steps by status, current step, tokens, cost, waiting for a person, the
 * remaining-time estimate), `view=summary`, and the workflow's edges — over real HTTP routes (inject), every
 * response checked against its schema (`validateResponses`).
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runDetailSchema, runListItemSchema, runSummarySchema } from "../../src/server/schemas.js";
import { median } from "../../src/server/views.js";
import {
  body,
  expectError,
  type Json,
  launchId,
  REVIEWED,
  type ServerEnv,
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

const approve = async (id: string) => {
  const res = await s.app.inject({ method: "POST", url: `/api/workflow-executions/${id}/steps/review/approve` });
  expect(res.statusCode, res.body).toBe(200);
};

describe("run views: totals", () => {
  it("a run waiting for a person: progress, steps by status, current step, tokens, cost, message, edges", async () => {
    const id = await launchId(s.app, REVIEWED);
    const run = await waitRun(s.app, id, (r) => r.waiting_for_person === true, "waiting for approval");
    expect(runDetailSchema.parse(run)).toBeTruthy();
    expect(run.step_count).toBe(4);
    expect(run.steps_by_status).toMatchObject({ completed: 1, waiting: 1, pending: 2, running: 0, failed: 0 });
    expect(run.progress_percent).toBe(25);
    expect(run.current_step).toEqual({ key: "review", name: "review", status: "waiting" });
    // The mock provider counts ~4 characters a token and prices nothing.
    expect(run.tokens.input).toBeGreaterThan(0);
    expect(run.tokens.output).toBeGreaterThan(0);
    expect(run.tokens.total).toBe(run.tokens.input + run.tokens.output);
    expect(run.cost_usd).toBe(0);
    expect(run.estimated_remaining_ms).toBeNull(); // no completed run of this workflow yet
    const review = stepOf(run, "review");
    expect(review).toMatchObject({ waiting_for: "approval", status: "waiting" });
    expect(review.message).toMatch(/^Publish .+\?$/);
    expect(stepOf(run, "draft").message).toBeNull();
    expect(run.workflow_definition.edges).toEqual([
      { from: "draft", to: "review", on: "success" },
      { from: "review", to: "ship", on: "success" },
      { from: "ship", to: "cleanup", on: "failure" },
    ]);

    await approve(id);
    const done = await waitStatus(s.app, id, "completed");
    expect(done).toMatchObject({
      progress_percent: 100,
      waiting_for_person: false,
      current_step: null,
      estimated_remaining_ms: 0,
    });
    expect(done.steps_by_status).toMatchObject({ completed: 3, skipped: 1 });
    // The list item says the same as the detail.
    const list = body(await s.app.inject({ url: "/api/workflow-executions" })).data as Json[];
    const item = list.find((r) => r.id === id);
    expect(runListItemSchema.parse(item)).toBeTruthy();
    expect(item.tokens).toEqual(done.tokens);
    expect(item.progress_percent).toBe(100);
  });

  it("estimates the time left from the median of the workflow's completed runs", async () => {
    const durations: number[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await launchId(s.app, REVIEWED);
      await waitRun(s.app, id, (r) => r.waiting_for_person, "waiting");
      await approve(id);
      durations.push((await waitStatus(s.app, id, "completed")).duration_ms);
    }
    const typical = median(durations) as number;
    const id = await launchId(s.app, REVIEWED);
    const run = await waitRun(s.app, id, (r) => r.waiting_for_person, "waiting");
    // Never less than the typical duration's share of the steps left (3 of 4), never more than the whole.
    expect(run.estimated_remaining_ms).toBeGreaterThanOrEqual(Math.floor((typical * 75) / 100));
    expect(run.estimated_remaining_ms).toBeLessThanOrEqual(Math.ceil(typical));
    // Another project's runs of the same workflow do not count.
    const other = await launchId(s.app, REVIEWED, { project_id: "elsewhere" });
    expect((await waitRun(s.app, other, (r) => r.waiting_for_person, "waiting")).estimated_remaining_ms).toBeNull();
  });

  it("median: odd and even counts, none", () => {
    expect(median([])).toBeNull();
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
  });
});

describe("view=summary", () => {
  it("lists runs without steps or workflow, with their totals; up to 1000 a page", async () => {
    const ids = [await launchId(s.app, REVIEWED), await launchId(s.app, REVIEWED)];
    for (const id of ids) await waitRun(s.app, id, (r) => r.waiting_for_person, "waiting");
    const res = await s.app.inject({ url: "/api/workflow-executions?view=summary&limit=1000" });
    expect(res.statusCode, res.body).toBe(200);
    const items = body(res).data as Json[];
    expect(items.map((r) => r.id)).toEqual([...ids].reverse());
    for (const item of items) {
      expect(runSummarySchema.strict().parse(item)).toBeTruthy();
      expect(item).not.toHaveProperty("steps");
      expect(item).not.toHaveProperty("workflow_definition");
      expect(item).toMatchObject({ waiting_for_person: true, progress_percent: 25, step_count: 4 });
      expect(item.current_step.key).toBe("review");
    }
    // The full view stays at 200 a page.
    const e = expectError(await s.app.inject({ url: "/api/workflow-executions?limit=500" }), 400, "WEFT_BAD_REQUEST");
    expect(e.message).toMatch(/view=summary/);
    expectError(await s.app.inject({ url: "/api/workflow-executions?view=summary&limit=1001" }), 400);
    expectError(await s.app.inject({ url: "/api/workflow-executions?view=tiny" }), 400);
  });
});
