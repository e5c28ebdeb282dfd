/** Store conformance: the batched reads behind the API's run views (`runs.overview`, `runs.durations`, `steps.waiting`). */
import { describe, expect, it } from "vitest";
import type { NewEvent } from "../../core/events.js";
import type { RunRecord, StepRunRecord } from "../../core/model.js";
import { fixtures, type ServerConformanceContext, uid } from "./fixtures.js";

export function viewsConformance(ctx: ServerConformanceContext): void {
  const { T0, s, comment, artifact } = fixtures(ctx);

  const usage = (key: string, input: number, output: number, cost: number | null): NewEvent => ({
    type: "workflow.step.usage",
    data: {
      step_id: key,
      key,
      attempt: 1,
      provider: "mock",
      model: "m",
      input_tokens: input,
      output_tokens: output,
      cost_usd: cost,
    },
  });
  const stepOf = async (run: RunRecord, key: string) => (await s().steps.get(run.id, key)) as StepRunRecord;
  /** Applies a change to the run as a controller would (no lease). */
  const change = async (
    run: RunRecord,
    t: { steps?: StepRunRecord[]; events?: NewEvent[]; run?: object; now?: number },
  ) => {
    const current = (await s().runs.get(run.id)) as RunRecord;
    await s().commit({ runId: run.id, expectedVersion: current.version, now: T0 + 5, ...t });
  };

  describe("run views", () => {
    it("overview: steps, usage totals and counts of many runs in one call; unknown ids absent", async () => {
      const a = await ctx.make();
      const b = await ctx.make();
      await change(a, { events: [usage("a", 100, 20, 0.5), usage("b", 10, 2, null)] });
      await change(b, { events: [usage("a", 7, 3, null)] });
      await s().comments.create(comment(a.id));
      await s().comments.create(comment(a.id));
      await s().artifacts.create(artifact(b.id));
      const o = await s().runs.overview([a.id, b.id, "nope"]);
      expect([...o.keys()].sort()).toEqual([a.id, b.id].sort());
      expect(o.get(a.id)).toMatchObject({
        usage: { inputTokens: 110, outputTokens: 22, costUsd: 0.5, calls: 2 },
        comments: 2,
        artifacts: 0,
      });
      // No call had a price: the cost is unknown, not 0.
      expect(o.get(b.id)).toMatchObject({
        usage: { inputTokens: 7, outputTokens: 3, costUsd: null, calls: 1 },
        comments: 0,
        artifacts: 1,
      });
      expect(o.get(a.id)?.steps).toEqual(await s().steps.list(a.id));
      // brief: the same records without input, output and error.
      const withOutput = {
        ...(await stepOf(a, "a")),
        status: "completed" as const,
        output: { text: "hi" },
        input: { q: 1 },
      };
      await change(a, { steps: [withOutput] });
      const brief = (await s().runs.overview([a.id], { steps: "brief" })).get(a.id)?.steps;
      expect(brief).toEqual(
        (await s().steps.list(a.id)).map((x) => ({ ...x, input: null, output: null, error: null })),
      );
      expect(brief?.[0]?.status).toBe("completed");
      expect((await s().runs.overview([])).size).toBe(0);
    });

    it("durations: the newest completed runs of each project and workflow hash, newest first", async () => {
      const hash = `h-${uid()}`;
      const finish = async (projectId: string, start: number, end: number, status = "completed") => {
        const run = await ctx.make({ projectId, workflowHash: hash });
        await change(run, { run: { status, startedAt: start, endedAt: end } });
      };
      await finish("p1", T0, T0 + 100);
      await finish("p1", T0 + 10, T0 + 310);
      await finish("p1", T0 + 20, T0 + 220);
      await finish("p1", T0, T0 + 999, "failed");
      await finish("p2", T0, T0 + 50);
      const [p1, p2, none] = await s().runs.durations(
        [
          { projectId: "p1", workflowHash: hash },
          { projectId: "p2", workflowHash: hash },
          { projectId: "p1", workflowHash: "other" },
        ],
        2,
      );
      expect(p1).toEqual([300, 200]);
      expect(p2).toEqual([50]);
      expect(none).toEqual([]);
    });

    it("waiting: steps waiting for approval across unfinished runs, oldest first, narrowed by project", async () => {
      const wait = async (
        run: RunRecord,
        key: string,
        since: number,
        waitingFor: "approval" | "timer" = "approval",
      ) => {
        const step = await stepOf(run, key);
        await change(run, { steps: [{ ...step, status: "waiting", waitingFor, updatedAt: since }] });
      };
      const project = `p-${uid()}`;
      const r1 = await ctx.make({ projectId: project });
      const r2 = await ctx.make({ projectId: project });
      const r3 = await ctx.make({ projectId: `${project}-other` });
      const done = await ctx.make({ projectId: project });
      await wait(r1, "b", T0 + 30);
      await wait(r2, "a", T0 + 10);
      await wait(r2, "b", T0 + 20, "timer");
      await wait(r3, "a", T0 + 5);
      await wait(done, "a", T0 + 1);
      await change(done, { run: { status: "cancelled", endedAt: T0 + 2 } });
      const keys = (rows: Array<{ run: RunRecord; step: StepRunRecord }>) =>
        rows.map((x) => `${x.run.id}:${x.step.key}`);
      expect(keys(await s().steps.waiting({ waitingFor: "approval", projectId: project }))).toEqual([
        `${r2.id}:a`,
        `${r1.id}:b`,
      ]);
      expect(
        keys(await s().steps.waiting({ waitingFor: "approval", projectId: [project, `${project}-other`] })),
      ).toEqual([`${r3.id}:a`, `${r2.id}:a`, `${r1.id}:b`]);
      expect(keys(await s().steps.waiting({ waitingFor: "approval", projectId: project, limit: 1 }))).toEqual([
        `${r2.id}:a`,
      ]);
      expect(keys(await s().steps.waiting({ waitingFor: "timer", projectId: project }))).toEqual([`${r2.id}:b`]);
      const [first] = await s().steps.waiting({ waitingFor: "approval", projectId: project });
      expect(first?.run).toEqual(await s().runs.get(r2.id));
    });
  });
}
