/** Store conformance: Workflow definitions (templates) and their usage stats. */
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../core/model.js";
import { ConflictError, type NewDefinition, type Store } from "../../store/store.js";
import { fixtures, type ServerConformanceContext, settle } from "./fixtures.js";

export function definitionsConformance(ctx: ServerConformanceContext): void {
  const { T0, workflow, s, definition } = fixtures(ctx);

  describe("definitions", () => {
    it("creates a definition and reads it back by id and by name, with empty usage stats", async () => {
      const input = definition({ system: true });
      const created = await s().definitions.create(input);
      const expected = {
        id: input.id,
        projectId: "p1",
        name: "Blog post",
        description: "Writes a blog post",
        category: "content",
        tags: ["blog", "writing"],
        format: "yaml",
        source: input.source,
        workflow,
        workflowHash: "hash-1",
        system: true,
        status: "active",
        version: 1,
        createdAt: T0,
        updatedAt: T0,
        timesUsed: 0,
        averageDurationMs: null,
        successRate: null,
        lastUsedAt: null,
      };
      expect(created).toEqual(expected);
      expect(await s().definitions.get(input.id)).toEqual(expected);
      expect(await s().definitions.getByName("p1", "Blog post")).toEqual(expected);
      expect(await s().definitions.getByName("p2", "Blog post")).toBeUndefined();
      expect(await s().definitions.getByName("p1", "blog post")).toBeUndefined();
      expect(await s().definitions.get("nope")).toBeUndefined();
      expect(await s().definitions.stats("nope")).toBeUndefined();
      expect(await s().definitions.stats(input.id)).toEqual({
        timesUsed: 0,
        averageDurationMs: null,
        successRate: null,
        lastUsedAt: null,
      });
    });

    it("refuses a second definition with the same name in a project, or the same id, with WEFT_CONFLICT", async () => {
      const first = await s().definitions.create(definition());
      await expect(s().definitions.create(definition())).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      await expect(s().definitions.create(definition({ id: first.id, name: "x" }))).rejects.toMatchObject({
        code: "WEFT_CONFLICT",
      });
      await s().definitions.create(definition({ projectId: "p2" }));
      expect(await s().definitions.list()).toHaveLength(2);
    });

    it("lists by project (optionally with system ones), category, system and case-insensitive search", async () => {
      const d = async (name: string, patch: Partial<NewDefinition> = {}) =>
        (await s().definitions.create(definition({ name, ...patch }))).id;
      const blog = await d("Blog Post", { tags: ["Writing"], description: null });
      const ads = await d("Facebook Ads", { category: "ads", description: "Ünïcode CAMPAIGN copy", tags: [] });
      const builtIn = await d("Email", {
        projectId: "p0",
        system: true,
        category: "email",
        description: "Newsletter",
        tags: ["mail"],
      });
      const other = await d("Other", { projectId: "p2", category: null, description: "100% off_sale", tags: [] });
      const names = async (f: Parameters<Store["definitions"]["list"]>[0]) =>
        (await s().definitions.list({ sort: "name", ...f })).map((x) => x.id);
      expect(await names({})).toEqual([blog, builtIn, ads, other]);
      expect(await names({ projectId: "p1" })).toEqual([blog, ads]);
      expect(await names({ projectId: "p1", includeSystem: true })).toEqual([blog, builtIn, ads]);
      expect(await names({ projectId: "p1", includeSystem: true, system: true })).toEqual([builtIn]);
      expect(await names({ projectId: ["p1", "nope"] })).toEqual([blog, ads]);
      expect(await names({ projectId: [], includeSystem: true })).toEqual([builtIn]);
      expect(await names({ system: false })).toEqual([blog, ads, other]);
      expect(await names({ category: "ads" })).toEqual([ads]);
      expect(await names({ category: "content", projectId: "p2" })).toEqual([]);
      expect(await names({ search: "post" })).toEqual([blog]);
      expect(await names({ search: "WRIT" })).toEqual([blog]);
      expect(await names({ search: "ünïcode campaign" })).toEqual([ads]);
      expect(await names({ search: "MAIL" })).toEqual([builtIn]);
      expect(await names({ search: "% off_" })).toEqual([other]);
      expect(await names({ search: "_" })).toEqual([other]);
      expect(await names({ search: "zzz" })).toEqual([]);
      expect(await names({ search: "" })).toHaveLength(4);
      expect(await names({ limit: 2 })).toEqual([blog, builtIn]);
      expect(await names({ limit: 2, offset: 1 })).toEqual([builtIn, ads]);
      expect(await names({ offset: 3 })).toEqual([other]);
    });

    it("counts categories for the same project filter as list: most first, then by name; none left out", async () => {
      const d = async (name: string, patch: Partial<NewDefinition> = {}) =>
        (await s().definitions.create(definition({ name, ...patch }))).id;
      await d("A", { category: "paid-ads" });
      await d("B", { category: "email" });
      await d("C", { category: "paid-ads" });
      await d("D", { category: null });
      await d("E", { category: "Blog-content" });
      await d("F", { projectId: "p0", system: true, category: "sdlc" });
      await d("G", { projectId: "p0", system: true, category: "email" });
      await d("H", { projectId: "p2", category: "secret" });
      expect(await s().definitions.categories({ projectId: "p1" })).toEqual([
        { category: "paid-ads", count: 2 },
        { category: "Blog-content", count: 1 },
        { category: "email", count: 1 },
      ]);
      expect(await s().definitions.categories({ projectId: "p1", includeSystem: true })).toEqual([
        { category: "email", count: 2 },
        { category: "paid-ads", count: 2 },
        { category: "Blog-content", count: 1 },
        { category: "sdlc", count: 1 },
      ]);
      expect(await s().definitions.categories({ projectId: ["p2"], includeSystem: true })).toEqual([
        { category: "email", count: 1 },
        { category: "sdlc", count: 1 },
        { category: "secret", count: 1 },
      ]);
      expect(await s().definitions.categories({ projectId: [] })).toEqual([]);
      expect((await s().definitions.categories()).map((c) => c.category)).toContain("secret");
    });

    it("sorts by usage (most runs first), newest, or name", async () => {
      const ids: string[] = [];
      for (const [i, name] of ["b", "A", "c"].entries()) {
        ids.push((await s().definitions.create(definition({ name, now: T0 + i }))).id);
      }
      const [b, a, c] = ids as [string, string, string];
      await ctx.make({ definitionId: c });
      await ctx.make({ definitionId: c });
      await ctx.make({ definitionId: b });
      const sorted = async (sort: "usage" | "newest" | "name" | undefined) =>
        (await s().definitions.list({ sort })).map((x) => x.id);
      expect(await sorted("usage")).toEqual([c, b, a]);
      expect(await sorted(undefined)).toEqual([c, b, a]);
      expect(await sorted("newest")).toEqual([c, a, b]);
      expect(await sorted("name")).toEqual([a, b, c]);
      expect((await s().definitions.list({ sort: "usage" })).map((x) => x.timesUsed)).toEqual([2, 1, 0]);
    });

    it("computes usage stats from the runs launched from it", async () => {
      const def = await s().definitions.create(definition());
      const run = async (status: RunRecord["status"], createdAt: number, duration?: number) => {
        const r = await ctx.make({ definitionId: def.id, now: createdAt });
        if (status === "pending") return r;
        const ended = duration === undefined ? {} : { startedAt: createdAt, endedAt: createdAt + duration };
        await s().commit({ runId: r.id, expectedVersion: 1, run: { status, ...ended }, now: createdAt + 1 });
        return r;
      };
      const first = await run("completed", T0 + 10, 1000);
      await run("completed", T0 + 20, 2001);
      await run("failed", T0 + 30, 50_000);
      await run("cancelled", T0 + 40, 70_000);
      await run("running", T0 + 50);
      await run("pending", T0 + 60);
      await ctx.make({ now: T0 + 70 }); // not linked
      const stats = { timesUsed: 6, averageDurationMs: 1501, successRate: 2 / 3, lastUsedAt: T0 + 60 };
      expect(await s().definitions.stats(def.id)).toEqual(stats);
      expect(await s().definitions.get(def.id)).toMatchObject(stats);
      expect((await s().definitions.list())[0]).toMatchObject(stats);
      expect((await s().runs.get(first.id))?.definitionId).toBe(def.id);
      expect(await s().runs.list({ definitionId: def.id })).toHaveLength(6);
      expect(await s().runs.list({ definitionId: def.id, status: ["completed"] })).toHaveLength(2);
    });

    it("links a run to nothing by default, and refuses an unknown definition, creating nothing", async () => {
      const plain = await ctx.make();
      expect(plain.definitionId).toBeNull();
      expect((await s().runs.get(plain.id))?.definitionId).toBeNull();
      await expect(ctx.make({ definitionId: "nope" })).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect(await s().runs.list()).toHaveLength(1);
    });

    it("updates the given fields and bumps the version; a stale version is a ConflictError", async () => {
      const def = await s().definitions.create(definition());
      const wf2 = { ...workflow, name: "Blog post v2" };
      const updated = await s().definitions.update(
        def.id,
        {
          name: "Blog v2",
          tags: ["x"],
          description: null,
          source: "v2",
          workflow: wf2,
          workflowHash: "h2",
          now: T0 + 5,
        },
        1,
      );
      const expected = { ...def, name: "Blog v2", tags: ["x"], description: null, source: "v2", workflow: wf2 };
      expect(updated).toEqual({ ...expected, workflowHash: "h2", version: 2, updatedAt: T0 + 5 });
      expect(await s().definitions.get(def.id)).toEqual(updated);
      expect(await s().definitions.getByName("p1", "Blog post")).toBeUndefined();

      const stale = s().definitions.update(def.id, { name: "lost", now: T0 + 6 }, 1);
      await expect(stale).rejects.toBeInstanceOf(ConflictError);
      await expect(stale).rejects.toMatchObject({
        code: "WEFT_CONFLICT",
        expected: 1,
        actual: 2,
        entity: "definition",
      });
      await expect(s().definitions.update("nope", { now: T0 }, 1)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect(await s().definitions.get(def.id)).toEqual(updated);
    });

    it("refuses a rename to a name the project uses, changing nothing", async () => {
      const a = await s().definitions.create(definition({ name: "a" }));
      await s().definitions.create(definition({ name: "b" }));
      await expect(s().definitions.update(a.id, { name: "b", now: T0 + 1 }, 1)).rejects.toMatchObject({
        code: "WEFT_CONFLICT",
      });
      expect(await s().definitions.get(a.id)).toEqual(a);
    });

    it("of two instances updating one version at once, exactly one wins", async () => {
      const def = await s().definitions.create(definition());
      const stores = [s(), ...(await Promise.all([ctx.another(), ctx.another(), ctx.another()]))];
      const { ok, errors } = await settle(
        stores.map((x, i) => x.definitions.update(def.id, { description: `by ${i}`, now: T0 + 1 }, 1)),
      );
      expect(ok).toHaveLength(1);
      expect(errors).toHaveLength(3);
      for (const e of errors) expect(e).toBeInstanceOf(ConflictError);
      expect(await s().definitions.get(def.id)).toEqual(ok[0]);
    });

    it("deletes a user definition; its runs keep their snapshot and lose the link; system ones are refused", async () => {
      const def = await s().definitions.create(definition());
      const run = await ctx.make({ definitionId: def.id });
      await s().definitions.delete(def.id);
      expect(await s().definitions.get(def.id)).toBeUndefined();
      const after = await s().runs.get(run.id);
      expect(after).toMatchObject({ definitionId: null, definition: workflow, workflowName: workflow.name });
      await expect(s().definitions.delete(def.id)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });

      const builtIn = await s().definitions.create(definition({ system: true }));
      await expect(s().definitions.delete(builtIn.id)).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      expect(await s().definitions.get(builtIn.id)).toEqual(builtIn);
    });
  });
}
