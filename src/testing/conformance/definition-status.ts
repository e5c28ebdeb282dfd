/** Store conformance: a definition's lifecycle status (draft, active, archived) — stored, changed, filtered on. */
import { describe, expect, it } from "vitest";
import { ConflictError } from "../../store/store.js";
import { fixtures, type ServerConformanceContext } from "./fixtures.js";

export function definitionStatusConformance(ctx: ServerConformanceContext): void {
  const { T0, s, definition } = fixtures(ctx);

  describe("definition status", () => {
    it("stores the status given on create, `active` when none is", async () => {
      const plain = await s().definitions.create(definition({ name: "plain" }));
      const draft = await s().definitions.create(definition({ name: "draft", status: "draft" }));
      expect(plain.status).toBe("active");
      expect(draft.status).toBe("draft");
      expect((await s().definitions.get(plain.id))?.status).toBe("active");
      expect((await s().definitions.get(draft.id))?.status).toBe("draft");
      expect((await s().definitions.getByName("p1", "draft"))?.status).toBe("draft");
    });

    it("changes the status by update, bumping the version; a stale version changes nothing", async () => {
      const def = await s().definitions.create(definition({ status: "draft" }));
      const active = await s().definitions.update(def.id, { status: "active", now: T0 + 1 }, 1);
      expect(active).toEqual({ ...def, status: "active", version: 2, updatedAt: T0 + 1 });
      await expect(s().definitions.update(def.id, { status: "archived", now: T0 + 2 }, 1)).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await s().definitions.get(def.id)).toEqual(active);
      // Other changes keep the status.
      const renamed = await s().definitions.update(def.id, { name: "renamed", now: T0 + 3 }, 2);
      expect(renamed.status).toBe("active");
    });

    it("lists and counts categories by status, with the other filters", async () => {
      const d = async (name: string, status: "draft" | "active" | "archived", projectId = "p1") =>
        (await s().definitions.create(definition({ name, status, projectId, category: status }))).id;
      const draft = await d("a-draft", "draft");
      const active = await d("b-active", "active");
      const archived = await d("c-archived", "archived");
      const elsewhere = await d("d-draft", "draft", "p2");
      const ids = async (f: Parameters<ReturnType<typeof s>["definitions"]["list"]>[0]) =>
        (await s().definitions.list({ sort: "name", ...f })).map((x) => x.id);
      expect(await ids({})).toEqual([draft, active, archived, elsewhere]);
      expect(await ids({ status: ["draft"] })).toEqual([draft, elsewhere]);
      expect(await ids({ status: ["draft", "active"], projectId: "p1" })).toEqual([draft, active]);
      expect(await ids({ status: ["archived"], search: "ARCH", category: "archived" })).toEqual([archived]);
      expect(await ids({ status: [] })).toEqual([]);
      expect(await s().definitions.categories({ projectId: "p1", status: ["draft", "active"] })).toEqual([
        { category: "active", count: 1 },
        { category: "draft", count: 1 },
      ]);
      expect(await s().definitions.categories({ status: ["draft"] })).toEqual([{ category: "draft", count: 2 }]);
    });
  });
}
