/** Store conformance: Images attached to document artifacts (seed 000). */
import { describe, expect, it } from "vitest";
import { MAX_DOCUMENT_ATTACHMENTS } from "../../store/store.js";
import { fixtures, type ServerConformanceContext, settle } from "./fixtures.js";

export function attachmentsConformance(ctx: ServerConformanceContext): void {
  const { T0, s, artifact } = fixtures(ctx);

  describe("document attachments", () => {
    async function docWithImages(n: number) {
      const run = await ctx.make();
      const doc = (await s().artifacts.create(artifact(run.id, "document"))).artifact;
      const images: string[] = [];
      for (let i = 0; i < n; i++) images.push((await s().artifacts.create(artifact(run.id, "image"))).artifact.id);
      return { run, doc: doc.id, images };
    }
    const pairs = async (doc: string) =>
      (await s().attachments.list(doc)).map((a) => [a.imageId, a.position, a.primary] as const);

    it("attaches images in the order given; the first becomes primary; repeats and duplicates are ignored", async () => {
      const { doc, images } = await docWithImages(4);
      const [i1, i2, i3, i4] = images as [string, string, string, string];
      const list = await s().attachments.attach(doc, [i2, i1, i2], T0 + 5);
      expect(list).toEqual([
        { documentId: doc, imageId: i2, primary: true, position: 1, createdAt: T0 + 5 },
        { documentId: doc, imageId: i1, primary: false, position: 2, createdAt: T0 + 5 },
      ]);
      expect(await s().attachments.list(doc)).toEqual(list);
      const more = await s().attachments.attach(doc, [i1, i3, i4], T0 + 6);
      expect(more.map((a) => [a.imageId, a.position, a.primary, a.createdAt])).toEqual([
        [i2, 1, true, T0 + 5],
        [i1, 2, false, T0 + 5],
        [i3, 3, false, T0 + 6],
        [i4, 4, false, T0 + 6],
      ]);
      expect(await s().attachments.attach(doc, [], T0 + 7)).toEqual(more);
      expect(await s().attachments.attach(doc, [i4, i3], T0 + 7)).toEqual(more);
      expect(await s().attachments.list("nope")).toEqual([]);
    });

    it(`allows ${MAX_DOCUMENT_ATTACHMENTS} images per document; a call that would pass it writes nothing`, async () => {
      const { doc, images } = await docWithImages(MAX_DOCUMENT_ATTACHMENTS + 2);
      await s().attachments.attach(doc, images.slice(0, 15), T0 + 5);
      const over = s().attachments.attach(doc, images.slice(15, 21), T0 + 6);
      await expect(over).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      expect(await s().attachments.list(doc)).toHaveLength(15);
      const full = await s().attachments.attach(doc, images.slice(10, 20), T0 + 6); // 5 repeats + 5 new
      expect(full).toHaveLength(MAX_DOCUMENT_ATTACHMENTS);
      await expect(s().attachments.attach(doc, [images[20]!], T0 + 7)).rejects.toMatchObject({
        code: "WEFT_CONFLICT",
      });
      expect(await s().attachments.attach(doc, images.slice(0, 20), T0 + 7)).toEqual(full);
      expect(await s().attachments.list(doc)).toEqual(full);
    });

    it("of two instances racing past the limit, exactly one fails", async () => {
      const { doc, images } = await docWithImages(22);
      const other = await ctx.another();
      const { ok, errors } = await settle([
        s().attachments.attach(doc, images.slice(0, 11), T0 + 5),
        other.attachments.attach(doc, images.slice(11, 22), T0 + 5),
      ]);
      expect(ok).toHaveLength(1);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: "WEFT_CONFLICT" });
      expect(await s().attachments.list(doc)).toHaveLength(11);
    });

    it("attaches images of another run of the same project (seed 000's select from project)", async () => {
      const { run, doc } = await docWithImages(0);
      const sibling = await ctx.make({ projectId: run.projectId });
      const image = (await s().artifacts.create(artifact(sibling.id, "image"))).artifact.id;
      expect(await s().attachments.attach(doc, [image], T0)).toMatchObject([{ imageId: image, primary: true }]);
    });

    it("refuses wrong file types, images of another project and unknown artifacts, writing nothing", async () => {
      const { run, doc, images } = await docWithImages(2);
      const [i1, i2] = images as [string, string];
      const pdf = (await s().artifacts.create(artifact(run.id, "document"))).artifact.id;
      const otherRun = await ctx.make({ projectId: `${run.projectId}-other` });
      const foreign = (await s().artifacts.create(artifact(otherRun.id, "image"))).artifact.id;
      const conflictOf = async (p: Promise<unknown>) => expect(p).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      await conflictOf(s().attachments.attach(i1, [i2], T0));
      await conflictOf(s().attachments.attach(doc, [i1, pdf], T0));
      await conflictOf(s().attachments.attach(doc, [i1, foreign], T0));
      await expect(s().attachments.attach("nope", [i1], T0)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      await expect(s().attachments.attach(doc, [i1, "nope"], T0)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect(await s().attachments.list(doc)).toEqual([]);
      expect(await s().attachments.list(i1)).toEqual([]);
    });

    it("detaches one image; when it was primary, the lowest position left becomes primary", async () => {
      const { doc, images } = await docWithImages(3);
      const [i1, i2, i3] = images as [string, string, string];
      await s().attachments.attach(doc, [i1, i2, i3], T0);
      expect(await s().attachments.detach(doc, i2)).toHaveLength(2);
      expect(await pairs(doc)).toEqual([
        [i1, 1, true],
        [i3, 3, false],
      ]);
      expect(await s().attachments.detach(doc, i1)).toEqual([
        { documentId: doc, imageId: i3, primary: true, position: 3, createdAt: T0 },
      ]);
      await expect(s().attachments.detach(doc, i1)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect(await s().artifacts.get(i1)).toBeDefined();
      expect(await s().attachments.detach(doc, i3)).toEqual([]);
      // Attaching again to an empty document makes a primary again.
      expect(await s().attachments.attach(doc, [i2], T0 + 1)).toMatchObject([
        { imageId: i2, primary: true, position: 1 },
      ]);
    });

    it("sets the primary image: exactly one", async () => {
      const { doc, images } = await docWithImages(3);
      const [i1, i2, i3] = images as [string, string, string];
      await s().attachments.attach(doc, [i1, i2, i3], T0);
      const list = await s().attachments.setPrimary(doc, i3);
      expect(list.map((a) => a.primary)).toEqual([false, false, true]);
      expect((await s().attachments.setPrimary(doc, i3)).map((a) => a.primary)).toEqual([false, false, true]);
      expect((await s().attachments.setPrimary(doc, i1)).map((a) => a.primary)).toEqual([true, false, false]);
      await expect(s().attachments.setPrimary(doc, "nope")).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      await expect(s().attachments.setPrimary("nope", i1)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect((await s().attachments.list(doc)).filter((a) => a.primary)).toHaveLength(1);
    });

    it("deleting an artifact removes its attachments both ways and promotes a new primary", async () => {
      const { run, doc, images } = await docWithImages(3);
      const [i1, i2, i3] = images as [string, string, string];
      const doc2 = (await s().artifacts.create(artifact(run.id, "document"))).artifact.id;
      await s().attachments.attach(doc, [i1, i2, i3], T0);
      await s().attachments.attach(doc2, [i1, i3], T0);
      await s().artifacts.delete(i1, T0 + 1);
      expect(await pairs(doc)).toEqual([
        [i2, 2, true],
        [i3, 3, false],
      ]);
      expect(await pairs(doc2)).toEqual([[i3, 2, true]]);
      await s().artifacts.delete(doc, T0 + 2);
      expect(await s().attachments.list(doc)).toEqual([]);
      expect(await s().artifacts.get(i2)).toBeDefined();
    });
  });
}
