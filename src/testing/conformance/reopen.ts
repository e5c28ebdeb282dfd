/** Store conformance: Server records survive closing and reopening. */
import { describe, expect, it } from "vitest";
import type { Store } from "../../store/store.js";
import { fixtures, type ServerConformanceContext } from "./fixtures.js";

export function reopenConformance(ctx: ServerConformanceContext): void {
  const { T0, s, definition, comment, artifact, token } = fixtures(ctx);

  describe("server records after reopening", () => {
    it("keeps definitions, comments, artifacts, attachments and tokens", async () => {
      const def = await s().definitions.create(definition());
      const run = await ctx.make({ definitionId: def.id });
      const c = (await s().comments.create(comment(run.id))).comment;
      const doc = (await s().artifacts.create(artifact(run.id, "document"))).artifact;
      const img = (
        await s().artifacts.attachToComment(
          (
            await s().artifacts.create(artifact(run.id, "image"))
          ).artifact.id,
          c.id,
          T0 + 3,
        )
      ).artifact;
      await s().attachments.attach(doc.id, [img.id], T0 + 4);
      const t = await s().tokens.create(token());
      const read = async (x: Store) => ({
        def: await x.definitions.get(def.id),
        run: await x.runs.get(run.id),
        comments: await x.comments.list(run.id),
        artifacts: await x.artifacts.list(run.id),
        attachments: await x.attachments.list(doc.id),
        token: await x.tokens.findByHash(t.hash),
        events: await x.events.list(run.id),
      });
      const before = await read(s());
      expect(before.def?.timesUsed).toBe(1);
      expect(before.events.map((e) => e.type)).toEqual([
        "workflow.execution.created",
        "workflow.comment.created",
        "workflow.artifact.created",
        "workflow.artifact.created",
        "workflow.artifact.attached",
      ]);
      await s().close();
      expect(await read(await ctx.another())).toEqual(before);
    });
  });
}
