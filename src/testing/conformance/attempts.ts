/** Store conformance: attempts as a step's commit writes them, read back (issue 14's leaner write path). */
import { describe, expect, it } from "vitest";
import type { AttemptRecord } from "../../core/model.js";
import type { ServerConformanceContext } from "./fixtures.js";

export function attemptsConformance(ctx: ServerConformanceContext): void {
  const { T0 } = ctx;
  const s = () => ctx.store();
  const attempt = (runId: string, key: string, n: number, endedAt: number): AttemptRecord => ({
    runId,
    key,
    attempt: n,
    status: n === 1 ? "failed" : "completed",
    output: n === 1 ? null : { key, n },
    error: n === 1 ? { code: "WEFT_STEP_FAILED", message: `${key} failed`, retryable: true } : null,
    startedAt: endedAt - 1,
    endedAt,
  });

  describe("attempts", () => {
    it("lists a run's attempts oldest first by endedAt, whatever order they were recorded in", async () => {
      const run = await ctx.make({ steps: [] });
      const b2 = attempt(run.id, "b", 2, T0 + 50);
      const a1 = attempt(run.id, "a", 1, T0 + 20);
      const b1 = attempt(run.id, "b", 1, T0 + 30);
      const a2 = attempt(run.id, "a", 2, T0 + 40);
      const c1 = attempt(run.id, "c", 1, T0 + 30);
      let version = run.version;
      for (const attempts of [[b2, a1], [c1], [b1, a2]]) {
        version = (await s().commit({ runId: run.id, expectedVersion: version, attempts, now: T0 + 60 })).version;
      }
      const expected = [a1, b1, c1, a2, b2];
      expect(await s().steps.attempts(run.id)).toEqual(expected);
      expect(await s().steps.attempts(run.id, "b")).toEqual([b1, b2]);
      expect(await (await ctx.another()).steps.attempts(run.id)).toEqual(expected);
    });

    it("refuses a commit that records an attempt number twice, writing nothing", async () => {
      const run = await ctx.make({ steps: [] });
      const first = attempt(run.id, "a", 1, T0 + 20);
      const { version } = await s().commit({ runId: run.id, expectedVersion: run.version, attempts: [first], now: T0 });
      const again = { ...first, endedAt: T0 + 30 };
      const before = { run: await s().runs.get(run.id), events: await s().events.list(run.id) };
      await expect(
        s().commit({
          runId: run.id,
          expectedVersion: version,
          attempts: [attempt(run.id, "b", 1, T0 + 25), again],
          events: [{ type: "workflow.step.progress", data: { step_id: "a", key: "a", output: "x", stream: "stdout" } }],
          now: T0 + 30,
        }),
      ).rejects.toThrow();
      expect(await s().steps.attempts(run.id)).toEqual([first]);
      expect({ run: await s().runs.get(run.id), events: await s().events.list(run.id) }).toEqual(before);
    });
  });
}
