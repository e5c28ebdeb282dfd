/** Store conformance: Comments, and the run events they append. */
import { describe, expect, it } from "vitest";
import type { EventRecord } from "../../core/events.js";
import { ConflictError } from "../../store/store.js";
import { fixtures, type ServerConformanceContext } from "./fixtures.js";

export function commentsConformance(ctx: ServerConformanceContext): void {
  const { T0, s, comment, seqs, version } = fixtures(ctx);

  describe("comments", () => {
    it("creates a comment and appends workflow.comment.created with the run's next seq", async () => {
      const run = await ctx.make();
      const input = comment(run.id, { stepKey: "a" });
      const { comment: c, event } = await s().comments.create(input);
      const record = {
        id: input.id,
        runId: run.id,
        stepKey: "a",
        text: "looks good",
        commentType: "user",
        createdBy: "u1",
        claimedBy: null,
        createdAt: T0 + 1,
        updatedAt: T0 + 1,
      };
      expect(c).toEqual(record);
      expect(await s().comments.get(input.id)).toEqual(record);
      const expectedEvent: EventRecord = {
        type: "workflow.comment.created",
        data: { comment_id: input.id, step_id: "a", text: "looks good", comment_type: "user", created_by: "u1" },
        runId: run.id,
        seq: 2,
        at: T0 + 1,
      };
      expect(event).toEqual(expectedEvent);
      expect((await s().events.list(run.id))[1]).toEqual(expectedEvent);
      expect(await version(run.id)).toBe(2);
      expect((await (await ctx.another()).runs.versions([run.id])).get(run.id)).toBe(2);
    });

    it("keeps who the writer claimed to be beside who wrote it, in the record and the event", async () => {
      const run = await ctx.make();
      const input = comment(run.id, { createdBy: "token ci", claimedBy: "alice" });
      const { comment: c, event } = await s().comments.create(input);
      expect(c).toMatchObject({ createdBy: "token ci", claimedBy: "alice" });
      expect(await s().comments.get(input.id)).toMatchObject({ createdBy: "token ci", claimedBy: "alice" });
      expect(event.data).toMatchObject({ created_by: "token ci", claimed_by: "alice" });
      expect((await s().events.list(run.id))[1]?.data).toMatchObject({ created_by: "token ci", claimed_by: "alice" });
    });

    it("lists a run's comments oldest first, or one step's", async () => {
      const run = await ctx.make();
      const other = await ctx.make();
      const a = await s().comments.create(comment(run.id, { now: T0 + 1, text: "run-level" }));
      const b = await s().comments.create(comment(run.id, { now: T0 + 2, stepKey: "a", commentType: "agent" }));
      const c = await s().comments.create(comment(run.id, { now: T0 + 3, stepKey: "b", createdBy: null }));
      await s().comments.create(comment(other.id));
      const ids = async (opts?: { stepKey?: string }) => (await s().comments.list(run.id, opts)).map((x) => x.id);
      expect(await ids()).toEqual([a.comment.id, b.comment.id, c.comment.id]);
      expect(await ids({ stepKey: "a" })).toEqual([b.comment.id]);
      expect(await ids({ stepKey: "zzz" })).toEqual([]);
      expect(await s().comments.list("nope")).toEqual([]);
      expect(await s().comments.get("nope")).toBeUndefined();
    });

    it("refuses an unknown run (WEFT_NOT_FOUND) or a duplicate id (WEFT_CONFLICT), appending nothing", async () => {
      const run = await ctx.make();
      await expect(s().comments.create(comment("nope"))).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      const first = await s().comments.create(comment(run.id));
      const dup = s().comments.create(comment(run.id, { id: first.comment.id, text: "again" }));
      await expect(dup).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      expect(await seqs(run.id)).toEqual([1, 2]);
      expect(await version(run.id)).toBe(2);
      expect(await s().comments.get(first.comment.id)).toEqual(first.comment);
    });

    it("keeps seqs contiguous between commits and comments from two instances; an owner's stale commit conflicts", async () => {
      const run = await ctx.make();
      const other = await ctx.another();
      const progress = (output: string) => ({
        type: "workflow.step.progress" as const,
        data: { step_id: "a", key: "a", output, stream: "stdout" as const },
      });
      const r1 = await s().commit({ runId: run.id, expectedVersion: 1, events: [progress("1")], now: T0 + 1 });
      expect(r1.eventSeqs).toEqual([2]);
      const c1 = await other.comments.create(comment(run.id));
      expect(c1.event.seq).toBe(3);
      // The owner computed its next change from version 2: the comment moved the run to 3.
      const stale = s().commit({ runId: run.id, expectedVersion: 2, events: [progress("x")], now: T0 + 2 });
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      expect((await s().runs.versions([run.id])).get(run.id)).toBe(3);
      const r2 = await s().commit({ runId: run.id, expectedVersion: 3, events: [progress("2")], now: T0 + 2 });
      expect(r2.eventSeqs).toEqual([4]);
      const c2 = await s().comments.create(comment(run.id));
      const c3 = await other.comments.create(comment(run.id));
      expect([c2.event.seq, c3.event.seq]).toEqual([5, 6]);
      expect(await seqs(run.id)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(await version(run.id)).toBe(6);
    });

    it("numbers comments created concurrently on several instances without gaps or duplicates", async () => {
      const run = await ctx.make();
      const stores = [s(), ...(await Promise.all([ctx.another(), ctx.another()]))];
      const created = await Promise.all(
        Array.from({ length: 12 }, (_, i) => stores[i % 3]!.comments.create(comment(run.id, { text: `c${i}` }))),
      );
      expect(created.map((c) => c.event.seq).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 12 }, (_, i) => i + 2),
      );
      expect(await seqs(run.id)).toEqual(Array.from({ length: 13 }, (_, i) => i + 1));
      expect(await s().comments.list(run.id)).toHaveLength(12);
    });
  });
}
