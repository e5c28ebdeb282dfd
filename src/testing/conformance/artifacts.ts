/** Store conformance: Artifact metadata, comment attachment, and the run events they append. */
import { describe, expect, it } from "vitest";
import type { Store } from "../../store/store.js";
import { fixtures, type ServerConformanceContext } from "./fixtures.js";

export function artifactsConformance(ctx: ServerConformanceContext): void {
  const { T0, s, comment, artifact, seqs, version } = fixtures(ctx);

  describe("artifacts", () => {
    it("creates an artifact, appending workflow.artifact.created, and reads it back", async () => {
      const run = await ctx.make();
      const input = artifact(run.id, "image");
      const { artifact: a, event } = await s().artifacts.create(input);
      const record = {
        id: input.id,
        runId: run.id,
        stepKey: "a",
        commentId: null,
        name: "../../etc/passwd.png",
        storageKey: input.storageKey,
        fileType: "image",
        mimeType: "image/png",
        sizeBytes: 1024,
        sha256: "ab".repeat(32),
        createdAt: T0 + 2,
        updatedAt: T0 + 2,
      };
      expect(a).toEqual(record);
      expect(await s().artifacts.get(input.id)).toEqual(record);
      expect(event).toEqual({
        type: "workflow.artifact.created",
        data: { artifact_id: input.id, step_id: "a", name: "../../etc/passwd.png", file_type: "image" },
        runId: run.id,
        seq: 2,
        at: T0 + 2,
      });
      expect(await seqs(run.id)).toEqual([1, 2]);
      expect(await version(run.id)).toBe(2);
      expect(await s().artifacts.get("nope")).toBeUndefined();
    });

    it("refuses an unknown run, a duplicate id or storage key, and unsafe storage keys, writing nothing", async () => {
      const run = await ctx.make();
      await expect(s().artifacts.create(artifact("nope"))).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      const first = await s().artifacts.create(artifact(run.id));
      const dupId = artifact(run.id, "image", { id: first.artifact.id, storageKey: "k/other" });
      await expect(s().artifacts.create(dupId)).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      const dupKey = artifact(run.id, "image", { storageKey: first.artifact.storageKey });
      await expect(s().artifacts.create(dupKey)).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      for (const storageKey of [
        "",
        "../x",
        "a/../../b",
        "/etc/passwd",
        "a//b",
        "a/./b",
        ".",
        "a\\b",
        "a/b/",
        "é",
        "a\0b",
      ]) {
        await expect(s().artifacts.create(artifact(run.id, "image", { storageKey }))).rejects.toMatchObject({
          code: "WEFT_INTERNAL",
        });
      }
      expect(await s().artifacts.list(run.id)).toEqual([first.artifact]);
      expect(await seqs(run.id)).toEqual([1, 2]);
    });

    it("lists a run's artifacts oldest first, by step and by comment", async () => {
      const run = await ctx.make();
      const other = await ctx.make();
      const c = (await s().comments.create(comment(run.id))).comment;
      const a = (await s().artifacts.create(artifact(run.id, "image", { now: T0 + 3 }))).artifact;
      const b = (await s().artifacts.create(artifact(run.id, "video", { now: T0 + 4, stepKey: "b" }))).artifact;
      const r = (await s().artifacts.create(artifact(run.id, "code", { now: T0 + 5, stepKey: null }))).artifact;
      await s().artifacts.create(artifact(other.id));
      await s().artifacts.attachToComment(b.id, c.id, T0 + 6);
      const ids = async (opts?: Parameters<Store["artifacts"]["list"]>[1]) =>
        (await s().artifacts.list(run.id, opts)).map((x) => x.id);
      expect(await ids()).toEqual([a.id, b.id, r.id]);
      expect(await ids({ stepKey: "a" })).toEqual([a.id]);
      expect(await ids({ commentId: c.id })).toEqual([b.id]);
      expect(await ids({ stepKey: "a", commentId: c.id })).toEqual([]);
      expect(await ids({ stepKey: "b", commentId: c.id })).toEqual([b.id]);
      expect(await s().artifacts.list("nope")).toEqual([]);
    });

    it("searches artifacts across runs, newest first, by project and file type, with their run", async () => {
      const p1 = await ctx.make({ projectId: "search-p1", name: "first run" });
      const p1b = await ctx.make({ projectId: "search-p1", name: "second run" });
      const p2 = await ctx.make({ projectId: "search-p2", name: "other project" });
      const doc = (await s().artifacts.create(artifact(p1.id, "document", { now: T0 + 3 }))).artifact;
      const img = (await s().artifacts.create(artifact(p1b.id, "image", { now: T0 + 4 }))).artifact;
      const same = (await s().artifacts.create(artifact(p1.id, "document", { now: T0 + 4 }))).artifact;
      const foreign = (await s().artifacts.create(artifact(p2.id, "document", { now: T0 + 9 }))).artifact;
      const ids = async (f: Parameters<Store["artifacts"]["search"]>[0]) =>
        (await s().artifacts.search(f)).map((x) => x.artifact.id);
      // Same time: the later created first.
      expect(await ids({ projectId: "search-p1" })).toEqual([same.id, img.id, doc.id]);
      expect(await ids({ projectId: "search-p1", fileType: "document" })).toEqual([same.id, doc.id]);
      expect(await ids({ projectId: ["search-p1", "search-p2"], fileType: "document" })).toEqual([
        foreign.id,
        same.id,
        doc.id,
      ]);
      expect(await ids({ projectId: "search-p1", limit: 1, offset: 1 })).toEqual([img.id]);
      expect(await ids({ projectId: "search-p1", offset: 3 })).toEqual([]);
      expect(await ids({ projectId: [] })).toEqual([]);
      expect(await ids({ projectId: "nobody" })).toEqual([]);
      const [first] = await s().artifacts.search({ projectId: "search-p1", fileType: "image" });
      expect(first).toEqual({
        artifact: img,
        run: { id: p1b.id, name: "second run", projectId: "search-p1", workflowName: p1b.workflowName },
      });
      expect((await ids({})).slice(0, 1)).toEqual([foreign.id]);
    });

    it("attaches to a comment of the same run and detaches, with events; repeating either is a no-op", async () => {
      const run = await ctx.make();
      const c1 = (await s().comments.create(comment(run.id))).comment; // seq 2
      const c2 = (await s().comments.create(comment(run.id))).comment; // seq 3
      const a = (await s().artifacts.create(artifact(run.id))).artifact; // seq 4

      const attached = await s().artifacts.attachToComment(a.id, c1.id, T0 + 10);
      expect(attached.artifact).toEqual({ ...a, commentId: c1.id, updatedAt: T0 + 10 });
      expect(attached.event).toEqual({
        type: "workflow.artifact.attached",
        data: { artifact_id: a.id, comment_id: c1.id },
        runId: run.id,
        seq: 5,
        at: T0 + 10,
      });
      expect(await s().artifacts.get(a.id)).toEqual(attached.artifact);
      const again = await s().artifacts.attachToComment(a.id, c1.id, T0 + 11);
      expect(again).toEqual({ artifact: attached.artifact, event: null });
      expect(await version(run.id)).toBe(5);

      const moved = await s().artifacts.attachToComment(a.id, c2.id, T0 + 12);
      expect(moved.artifact.commentId).toBe(c2.id);
      expect(moved.event?.seq).toBe(6);

      const detached = await s().artifacts.detachFromComment(a.id, T0 + 13);
      expect(detached.artifact).toEqual({ ...a, commentId: null, updatedAt: T0 + 13 });
      expect(detached.event).toEqual({
        type: "workflow.artifact.detached",
        data: { artifact_id: a.id, comment_id: c2.id },
        runId: run.id,
        seq: 7,
        at: T0 + 13,
      });
      expect(await s().artifacts.detachFromComment(a.id, T0 + 14)).toEqual({
        artifact: detached.artifact,
        event: null,
      });
      expect(await seqs(run.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
      expect(await version(run.id)).toBe(7);
    });

    it("refuses a comment of another run (WEFT_CONFLICT) and unknown ids (WEFT_NOT_FOUND), changing nothing", async () => {
      const run = await ctx.make();
      const other = await ctx.make();
      const foreign = (await s().comments.create(comment(other.id))).comment;
      const a = (await s().artifacts.create(artifact(run.id))).artifact;
      const before = { seqs: await seqs(run.id), otherSeqs: await seqs(other.id), v: await version(run.id) };
      await expect(s().artifacts.attachToComment(a.id, foreign.id, T0 + 9)).rejects.toMatchObject({
        code: "WEFT_CONFLICT",
      });
      await expect(s().artifacts.attachToComment(a.id, "nope", T0 + 9)).rejects.toMatchObject({
        code: "WEFT_NOT_FOUND",
      });
      await expect(s().artifacts.attachToComment("nope", foreign.id, T0 + 9)).rejects.toMatchObject({
        code: "WEFT_NOT_FOUND",
      });
      await expect(s().artifacts.detachFromComment("nope", T0 + 9)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      await expect(s().artifacts.delete("nope", T0 + 9)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect(await s().artifacts.get(a.id)).toEqual(a);
      expect({ seqs: await seqs(run.id), otherSeqs: await seqs(other.id), v: await version(run.id) }).toEqual(before);
    });

    it("deletes an artifact, returning it, with workflow.artifact.deleted", async () => {
      const run = await ctx.make();
      const a = (await s().artifacts.create(artifact(run.id))).artifact;
      const deleted = await s().artifacts.delete(a.id, T0 + 20);
      expect(deleted.artifact).toEqual(a);
      expect(deleted.event).toEqual({
        type: "workflow.artifact.deleted",
        data: { artifact_id: a.id },
        runId: run.id,
        seq: 3,
        at: T0 + 20,
      });
      expect(await s().artifacts.get(a.id)).toBeUndefined();
      expect(await s().artifacts.list(run.id)).toEqual([]);
      // The storage key is free again.
      await s().artifacts.create(artifact(run.id, "image", { storageKey: a.storageKey }));
    });
  });
}
