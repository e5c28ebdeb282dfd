/**
 * The conformance suite's part for the grouped write path: runs created many in one transaction
 * (`runs.createMany`), and leases taken and given back by commits (`Transition.takeLease` / `releaseLease`),
 * fenced like `leases.acquire` / `release`.
 */
import { describe, expect, it } from "vitest";
import type { Owner } from "../../core/model.js";
import { ConflictError, FencedError, type NewRun } from "../../store/store.js";
import { type ServerConformanceContext, uid } from "./fixtures.js";

const owner = (id: string): Owner => ({ id, host: "host", pid: 1000 });

export function writePathConformance(ctx: ServerConformanceContext): void {
  const { T0 } = ctx;
  const s = () => ctx.store();
  const run = (patch: Partial<NewRun> = {}): NewRun => {
    const id = patch.id ?? uid();
    return {
      id,
      projectId: "p1",
      name: "run",
      definition: ctx.workflow,
      workflowHash: "hash",
      args: {},
      priority: 0,
      triggeredBy: null,
      idempotencyKey: null,
      parentRunId: null,
      forkedFrom: null,
      steps: [],
      events: [
        {
          type: "workflow.execution.created",
          data: { workflow_name: "w", workflow_hash: "hash", args: {}, triggered_by: null },
        },
      ],
      now: T0,
      ...patch,
    };
  };

  describe("runs.createMany", () => {
    it("creates each run in order, a refused one alone; a later key finds an earlier run of the same call", async () => {
      const createMany = s().runs.createMany;
      if (!createMany) return; // optional in the port
      const keyed = (patch: Partial<NewRun>) => run({ idempotencyKey: "k", idempotencyFingerprint: "f1", ...patch });
      const [a, b, repeat, mismatch, unknownDef] = await createMany.call(s().runs, [
        run(),
        keyed({}),
        keyed({}),
        keyed({ idempotencyFingerprint: "f2" }),
        run({ definitionId: "nope" }),
      ]);
      expect(a).toMatchObject({ created: true, run: { status: "pending", version: 1, leaseEpoch: 0 } });
      expect(b).toMatchObject({ created: true });
      const first = (b as { run: { id: string } }).run.id;
      expect(repeat).toMatchObject({ created: false, run: { id: first } });
      expect(mismatch).toMatchObject({ code: "WEFT_IDEMPOTENCY_MISMATCH" });
      expect(String(mismatch)).toContain(first);
      expect(unknownDef).toMatchObject({ code: "WEFT_NOT_FOUND" });
      const stored = await s().runs.list({ order: "oldest" });
      expect(stored.map((r) => r.id).sort()).toEqual([(a as { run: { id: string } }).run.id, first].sort());
      expect(await s().events.list(first)).toHaveLength(1);
      // A key created by the batch is seen by a later create of another instance.
      const other = await ctx.another();
      expect(await other.runs.create(keyed({}))).toMatchObject({ created: false, run: { id: first } });
    });
  });

  describe("leases taken and given back by commits", () => {
    it("takes a free lease with the next epoch in the commit, bumping the version once", async () => {
      const r = await ctx.make();
      const expiresAt = T0 + 1000;
      const res = await s().commit({
        runId: r.id,
        expectedVersion: r.version,
        epoch: (r.leaseEpoch ?? 0) + 1,
        takeLease: { owner: owner("A"), expiresAt },
        run: { status: "running", startedAt: T0 },
        now: T0,
      });
      expect(res.version).toBe(r.version + 1);
      const stored = await s().runs.get(r.id);
      expect(stored).toMatchObject({ status: "running", version: r.version + 1, leaseEpoch: 1 });
      expect(stored?.lease).toEqual({ runId: r.id, owner: owner("A"), epoch: 1, expiresAt });
      // It is a lease like one `acquire` took: renewed by its owner, held against others while live.
      const lease = stored!.lease!;
      expect(await s().leases.renew(lease, 1000, T0 + 500)).toBe(true);
      const other = await ctx.another();
      expect(await other.leases.acquire(r.id, { owner: owner("B"), leaseMs: 100, now: T0 + 600 })).toBeUndefined();
    });

    it("refuses a take with another epoch than the next, or from a version read before, and changes nothing", async () => {
      const r = await ctx.make();
      const take = { owner: owner("A"), expiresAt: T0 + 1000 };
      const base = { runId: r.id, expectedVersion: r.version, takeLease: take, now: T0 };
      await expect(s().commit({ ...base, epoch: (r.leaseEpoch ?? 0) + 2 })).rejects.toBeInstanceOf(FencedError);
      await expect(s().commit({ ...base, epoch: undefined })).rejects.toBeInstanceOf(FencedError);
      // Another instance took the run meanwhile: the take's epoch is no longer the next one.
      const other = await ctx.another();
      const b = await other.leases.acquire(r.id, { owner: owner("B"), leaseMs: 100, now: T0 });
      expect(b?.lease.epoch).toBe(1);
      await expect(s().commit({ ...base, epoch: 1 })).rejects.toBeInstanceOf(FencedError);
      // B gave it back: the epoch is the next again, but the version moved, even for a forced commit.
      await other.leases.release(b!.lease);
      const released = await s().runs.get(r.id);
      expect(released).toMatchObject({ lease: null, leaseEpoch: 1 });
      await expect(s().commit({ ...base, epoch: 2, force: true })).rejects.toBeInstanceOf(ConflictError);
      expect(await s().runs.get(r.id)).toEqual(released);
      // Read again, it is taken.
      await s().commit({ ...base, expectedVersion: released!.version, epoch: 2 });
      expect((await s().runs.get(r.id))?.lease).toMatchObject({ owner: owner("A"), epoch: 2 });
    });

    it("fences the owner a commit took the run from", async () => {
      const r = await ctx.make();
      const a = (await s().leases.acquire(r.id, { owner: owner("A"), leaseMs: 100, now: T0 }))!;
      const other = await ctx.another();
      const expired = (await other.runs.get(r.id))!;
      await other.commit({
        runId: r.id,
        expectedVersion: expired.version,
        epoch: (expired.leaseEpoch ?? 0) + 1,
        takeLease: { owner: owner("B"), expiresAt: T0 + 1000 },
        now: T0 + 200,
      });
      const stale = { runId: r.id, expectedVersion: expired.version + 1, epoch: a.lease.epoch, now: T0 + 201 };
      await expect(s().commit(stale)).rejects.toBeInstanceOf(FencedError);
      await expect(s().commit({ ...stale, releaseLease: true })).rejects.toBeInstanceOf(FencedError);
      expect(await s().leases.renew(a.lease, 100, T0 + 202)).toBe(false);
      expect((await s().runs.get(r.id))?.lease).toMatchObject({ owner: owner("B"), epoch: a.lease.epoch + 1 });
    });

    it("gives the lease back in the commit that carries it, keeping the epoch for the next owner", async () => {
      const r = await ctx.make();
      const a = (await s().leases.acquire(r.id, { owner: owner("A"), leaseMs: 60_000, now: T0 }))!;
      const held = (await s().runs.get(r.id))!;
      const res = await s().commit({
        runId: r.id,
        expectedVersion: held.version,
        epoch: a.lease.epoch,
        run: { status: "completed", endedAt: T0 + 5 },
        releaseLease: true,
        now: T0 + 5,
      });
      expect(res.version).toBe(held.version + 1);
      const ended = await s().runs.get(r.id);
      expect(ended).toMatchObject({ status: "completed", lease: null, leaseEpoch: a.lease.epoch });
      expect(await s().leases.renew(a.lease, 100, T0 + 6)).toBe(false);
      const b = await s().leases.acquire(r.id, { owner: owner("B"), leaseMs: 100, now: T0 + 7 });
      expect(b).toMatchObject({ takeover: false, lease: { epoch: a.lease.epoch + 1 } });
    });

    it("takes leases of several runs in one commitMany, a refused take alone", async () => {
      const [r1, r2] = [await ctx.make(), await ctx.make()];
      const take = (runId: string, version: number, epoch: number) => ({
        runId,
        expectedVersion: version,
        epoch,
        takeLease: { owner: owner("A"), expiresAt: T0 + 1000 },
        now: T0,
      });
      const results = await s().commitMany([take(r1.id, r1.version, 1), take(r2.id, r2.version, 3)]);
      expect(results[0]).toMatchObject({ version: r1.version + 1 });
      expect(results[1]).toBeInstanceOf(FencedError);
      expect((await s().runs.get(r1.id))?.lease).toMatchObject({ epoch: 1 });
      expect(await s().runs.get(r2.id)).toMatchObject({ lease: null, leaseEpoch: 0, version: r2.version });
    });
  });
}
