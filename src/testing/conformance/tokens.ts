/** Store conformance: API tokens. */
import { describe, expect, it } from "vitest";
import { fixtures, type ServerConformanceContext } from "./fixtures.js";

export function tokensConformance(ctx: ServerConformanceContext): void {
  const { T0, s, token } = fixtures(ctx);

  describe("tokens", () => {
    it("creates a token and finds it by id and by hash; lists tokens oldest first", async () => {
      const input = token({
        scopes: [
          { projectId: "*", role: "read" },
          { projectId: "p1", role: "admin" },
        ],
      });
      const created = await s().tokens.create(input);
      const record = {
        id: input.id,
        name: "ci",
        hash: input.hash,
        scopes: [
          { projectId: "*", role: "read" },
          { projectId: "p1", role: "admin" },
        ],
        createdAt: T0,
        lastUsedAt: null,
        revokedAt: null,
      };
      expect(created).toEqual(record);
      expect(await s().tokens.get(input.id)).toEqual(record);
      expect(await s().tokens.findByHash(input.hash)).toEqual(record);
      expect(await s().tokens.findByHash("nope")).toBeUndefined();
      const second = await s().tokens.create(token({ now: T0 + 1 }));
      expect((await s().tokens.list()).map((t) => t.id)).toEqual([input.id, second.id]);
      await expect(s().tokens.create(token({ hash: input.hash }))).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      await expect(s().tokens.create(token({ id: input.id }))).rejects.toMatchObject({ code: "WEFT_CONFLICT" });
      expect(await s().tokens.list()).toHaveLength(2);
    });

    it("revokes a token: findByHash no longer finds it; revoking again keeps the first time", async () => {
      const t = await s().tokens.create(token());
      const revoked = await s().tokens.revoke(t.id, T0 + 5);
      expect(revoked).toEqual({ ...t, revokedAt: T0 + 5 });
      expect(await s().tokens.findByHash(t.hash)).toBeUndefined();
      expect(await (await ctx.another()).tokens.findByHash(t.hash)).toBeUndefined();
      expect(await s().tokens.revoke(t.id, T0 + 9)).toEqual(revoked);
      expect(await s().tokens.list()).toEqual([revoked]);
      await expect(s().tokens.revoke("nope", T0)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
    });

    it("records uses: lastUsedAt only moves forward; revoked and unknown tokens are ignored", async () => {
      const t = await s().tokens.create(token());
      await s().tokens.touch(t.id, T0 + 10);
      expect((await s().tokens.get(t.id))?.lastUsedAt).toBe(T0 + 10);
      await s().tokens.touch(t.id, T0 + 5);
      expect((await s().tokens.get(t.id))?.lastUsedAt).toBe(T0 + 10);
      await (await ctx.another()).tokens.touch(t.id, T0 + 20);
      expect((await s().tokens.findByHash(t.hash))?.lastUsedAt).toBe(T0 + 20);
      await s().tokens.revoke(t.id, T0 + 30);
      await s().tokens.touch(t.id, T0 + 40);
      expect((await s().tokens.get(t.id))?.lastUsedAt).toBe(T0 + 20);
      await s().tokens.touch("nope", T0);
    });
  });
}
