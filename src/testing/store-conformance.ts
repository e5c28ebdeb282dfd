/**
 * The Store conformance suite: the port's behaviour, run against every backend (SQLite here, PostgreSQL
 * later, a user's own store too). It tests only what `Store` promises, through the port.
 *
 * `open` is called before every test and must return an empty database. `reopen` returns another,
 * independent instance on the same database — "another process" — and may be called several times; the
 * suite closes what `reopen` returned. `cleanup` runs after every test and must tolerate a `store` the test
 * closed already.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { NewEvent } from "../core/events.js";
import type { JsonObject } from "../core/json.js";
import type { AttemptRecord, Owner, RunStatus, StepRunRecord, Workflow } from "../core/model.js";
import { newStepRecord } from "../core/model.js";
import { ConflictError, FencedError, type NewRun, type Store, type Transition } from "../store/store.js";
import { serverConformance } from "./conformance/index.js";
import { writePathConformance } from "./conformance/write-path.js";

export interface ConformanceHarness {
  store: Store;
  reopen: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

const T0 = 1_700_000_000_000;

const workflow: Workflow = {
  name: "conformance",
  tags: ["test"],
  phases: ["build"],
  steps: ["a", "b"].map((id) => ({
    id,
    name: id.toUpperCase(),
    type: "noop",
    phase: "build",
    needs: id === "b" ? [{ step: "a", on: "success" as const }] : [],
    optional: false,
    retry: { maxAttempts: 3, initialDelayMs: 100, backoffMultiplier: 2, maxDelayMs: 1000, jitter: 0 },
    priority: 0,
    config: {},
  })),
};

const uid = (): string => globalThis.crypto.randomUUID();

function step(runId: string, key: string, patch: Partial<StepRunRecord> = {}): StepRunRecord {
  return { ...newStepRecord(runId, key, null, T0), ...patch };
}

function newRun(patch: Partial<NewRun> = {}): NewRun {
  const id = patch.id ?? uid();
  return {
    id,
    projectId: "p1",
    name: "run",
    definition: workflow,
    workflowHash: "hash",
    args: { topic: "x" },
    priority: 0,
    triggeredBy: "test",
    idempotencyKey: null,
    parentRunId: null,
    forkedFrom: null,
    steps: [step(id, "a"), step(id, "b")],
    events: [created()],
    now: T0,
    ...patch,
  };
}

function created(): NewEvent {
  const data = { workflow_name: "conformance", workflow_hash: "hash", args: {}, triggered_by: null };
  return { type: "workflow.execution.created", data };
}

function statusEvent(status: RunStatus, previous: RunStatus): NewEvent {
  return { type: "workflow.execution.status_changed", data: { status, previous } };
}

function progress(key: string, output: string): NewEvent {
  return { type: "workflow.step.progress", data: { step_id: key, key, output, stream: "stdout" } };
}

function attempt(runId: string, key: string, n: number, output: JsonObject | null = { n }): AttemptRecord {
  return { runId, key, attempt: n, status: "completed", output, error: null, startedAt: T0 + n, endedAt: T0 + n + 1 };
}

const owner = (id: string): Owner => ({ id, host: "host", pid: 1000 });

/** Everything stored for one run, to show that a refused write changed nothing. */
async function snapshot(store: Store, runId: string) {
  return {
    run: await store.runs.get(runId),
    steps: await store.steps.list(runId),
    attempts: await store.steps.attempts(runId),
    events: await store.events.list(runId),
    checkpoints: await store.checkpoints.list(runId),
  };
}

export function storeConformanceSuite(name: string, open: () => Promise<ConformanceHarness>): void {
  describe(`Store conformance: ${name}`, () => {
    let h: ConformanceHarness;
    let store: Store;
    const others: Store[] = [];
    const another = async (): Promise<Store> => {
      const s = await h.reopen();
      others.push(s);
      return s;
    };
    const make = async (patch: Partial<NewRun> = {}) => (await store.runs.create(newRun(patch))).run;
    const commit = (t: Omit<Transition, "now"> & { now?: number }) => store.commit({ now: T0 + 10, ...t });

    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      for (const s of others.splice(0)) await s.close();
      await h.cleanup();
    });

    describe("runs", () => {
      it("creates a run with its steps and first events, and reads it back", async () => {
        const input = newRun({ idempotencyKey: "k1", forkedFrom: { runId: "r0", checkpoint: 2 }, parentRunId: "r0" });
        const { run, created: isNew } = await store.runs.create(input);
        expect(isNew).toBe(true);
        expect(run).toMatchObject({ id: input.id, status: "pending", version: 1, lease: null, createdAt: T0 });
        expect(run.workflowName).toBe("conformance");
        expect(await store.runs.get(input.id)).toEqual(run);
        expect((await store.steps.list(input.id)).map((s) => s.key)).toEqual(["a", "b"]);
        expect(await store.steps.get(input.id, "b")).toEqual(input.steps[1]);
        const events = await store.events.list(input.id);
        expect(events).toEqual([{ ...created(), runId: input.id, seq: 1, at: T0 }]);
      });

      it("keeps a test run's flag for its life: false unless created as one, unchanged by commits", async () => {
        const plain = await make();
        const test = await make({ testRun: true });
        expect(plain.testRun).toBe(false);
        expect(test.testRun).toBe(true);
        await store.commit({ runId: test.id, expectedVersion: 1, run: { status: "running" }, now: T0 + 1 });
        expect(await store.runs.get(test.id)).toMatchObject({ status: "running", testRun: true });
        expect((await store.runs.get(plain.id))?.testRun).toBe(false);
        expect((await store.runs.list({ projectId: test.projectId })).find((r) => r.id === test.id)?.testRun).toBe(
          true,
        );
      });

      it("creates the attempts a rewound run copies", async () => {
        const id = uid();
        await make({ id, attempts: [attempt(id, "a", 1)] });
        expect(await store.steps.attempts(id)).toEqual([attempt(id, "a", 1)]);
      });

      it("lists runs newest first by default, filtered by status and project, limited", async () => {
        const a = await make({ now: T0 + 1 });
        const b = await make({ now: T0 + 2, projectId: "p2" });
        const c = await make({ now: T0 + 3 });
        await store.commit({ runId: b.id, expectedVersion: 1, run: { status: "running" }, now: T0 + 4 });
        const ids = async (f?: Parameters<Store["runs"]["list"]>[0]) => (await store.runs.list(f)).map((r) => r.id);
        expect(await ids()).toEqual([c.id, b.id, a.id]);
        expect(await ids({ order: "oldest" })).toEqual([a.id, b.id, c.id]);
        expect(await ids({ limit: 2 })).toEqual([c.id, b.id]);
        expect(await ids({ status: ["running"] })).toEqual([b.id]);
        expect(await ids({ status: ["pending", "running"], order: "oldest" })).toEqual([a.id, b.id, c.id]);
        expect(await ids({ status: ["completed"] })).toEqual([]);
        expect(await ids({ projectId: "p1" })).toEqual([c.id, a.id]);
        expect(await ids({ projectId: "p2", status: ["running"] })).toEqual([b.id]);
        expect(await ids({ projectId: ["p1", "p2"], limit: 2 })).toEqual([c.id, b.id]);
        expect(await ids({ projectId: ["p2", "p3"] })).toEqual([b.id]);
        expect(await ids({ projectId: [] })).toEqual([]);
      });

      it("creates once per idempotency key", async () => {
        const first = await store.runs.create(newRun({ idempotencyKey: "same" }));
        const second = await store.runs.create(newRun({ idempotencyKey: "same", name: "other" }));
        expect(second.created).toBe(false);
        expect(second.run).toEqual(first.run);
        expect(await store.runs.list()).toHaveLength(1);
      });

      it("scopes idempotency keys per project: the same key in two projects names two runs", async () => {
        const a = await store.runs.create(newRun({ idempotencyKey: "shared", projectId: "p1", args: { who: "a" } }));
        const b = await store.runs.create(newRun({ idempotencyKey: "shared", projectId: "p2", args: { who: "b" } }));
        expect([a.created, b.created]).toEqual([true, true]);
        expect(b.run.id).not.toBe(a.run.id);
        expect(b.run).toMatchObject({ projectId: "p2", args: { who: "b" }, idempotencyKey: "shared" });
        const again = await store.runs.create(
          newRun({ idempotencyKey: "shared", projectId: "p2", args: { who: "b" } }),
        );
        expect(again).toMatchObject({ created: false, run: { id: b.run.id } });
        expect(await store.runs.list()).toHaveLength(2);
      });

      it("refuses a key reused with another workflow or another fingerprint, and creates nothing", async () => {
        const keyed = (patch: Partial<NewRun>) =>
          newRun({ idempotencyKey: "k", idempotencyFingerprint: "f1", ...patch });
        const first = await store.runs.create(keyed({}));
        const mismatch = expect.objectContaining({ code: "WEFT_IDEMPOTENCY_MISMATCH" });
        await expect(store.runs.create(keyed({ workflowHash: "other-hash" }))).rejects.toThrow(mismatch);
        await expect(store.runs.create(keyed({ idempotencyFingerprint: "f2" }))).rejects.toThrow(mismatch);
        await expect(store.runs.create(keyed({ idempotencyFingerprint: "f2" }))).rejects.toThrow(first.run.id);
        expect(await store.runs.list()).toHaveLength(1);
        // The same request again, or one whose fingerprint is unknown, is the same run.
        expect(await store.runs.create(keyed({}))).toMatchObject({ created: false, run: { id: first.run.id } });
        const unknown = await store.runs.create(keyed({ idempotencyFingerprint: null }));
        expect(unknown).toMatchObject({ created: false, run: { id: first.run.id } });
      });

      it("creates once per idempotency key when two instances race", async () => {
        const other = await another();
        const results = await Promise.all([
          store.runs.create(newRun({ idempotencyKey: "race" })),
          other.runs.create(newRun({ idempotencyKey: "race" })),
        ]);
        expect(results.filter((r) => r.created)).toHaveLength(1);
        expect(results[0]?.run.id).toBe(results[1]?.run.id);
        expect(await store.runs.list()).toHaveLength(1);
        expect(await store.events.list(results[0]!.run.id)).toHaveLength(1);
      });

      it("lists active runs: pending, running or waiting, by priority then age", async () => {
        const low = await make({ now: T0 + 1, priority: 0 });
        const high = await make({ now: T0 + 2, priority: 5 });
        const older = await make({ now: T0 + 3, priority: 0 });
        const waiting = await make({ now: T0 + 4, priority: 0 });
        const finished = await make({ now: T0, priority: 9 });
        const paused = await make({ now: T0, priority: 9 });
        await commit({ runId: waiting.id, expectedVersion: 1, run: { status: "waiting" } });
        await commit({ runId: finished.id, expectedVersion: 1, run: { status: "completed", endedAt: T0 } });
        await commit({ runId: paused.id, expectedVersion: 1, run: { status: "paused", pausedAt: T0 } });
        const active = await store.runs.active(10);
        expect(active.map((r) => r.id)).toEqual([high.id, low.id, older.id, waiting.id]);
        expect((await store.runs.active(2)).map((r) => r.id)).toEqual([high.id, low.id]);
      });

      it("pages through active runs with a cursor: each exactly once, ties broken by id", async () => {
        const made = [];
        for (let i = 0; i < 7; i++) made.push(await make({ now: T0 + (i % 2), priority: i % 3 === 0 ? 1 : 0 }));
        const all = (await store.runs.active(100)).map((r) => r.id);
        expect([...all].sort()).toEqual(made.map((r) => r.id).sort());
        const paged: string[] = [];
        let after: { priority: number; createdAt: number; id: string } | undefined;
        for (;;) {
          const page = await store.runs.active(3, after);
          paged.push(...page.map((r) => r.id));
          const last = page.at(-1);
          if (page.length < 3 || !last) break;
          after = { priority: last.priority, createdAt: last.createdAt, id: last.id };
        }
        expect(paged).toEqual(all);
      });

      it("returns the versions of known runs, and omits unknown ones", async () => {
        const a = await make();
        const b = await make();
        await commit({ runId: b.id, expectedVersion: 1 });
        const v = await store.runs.versions([a.id, b.id, "nope"]);
        expect([...v.entries()].sort()).toEqual(
          [
            ...new Map([
              [a.id, 1],
              [b.id, 2],
            ]).entries(),
          ].sort(),
        );
      });

      it("sees a commit made through another instance at once", async () => {
        const run = await make();
        const other = await another();
        expect((await store.runs.versions([run.id])).get(run.id)).toBe(1);
        await other.commit({ runId: run.id, expectedVersion: 1, run: { status: "paused" }, now: T0 + 1 });
        expect((await store.runs.versions([run.id])).get(run.id)).toBe(2);
        expect((await store.runs.get(run.id))?.status).toBe("paused");
        await commit({ runId: run.id, expectedVersion: 2 });
        expect((await other.runs.versions([run.id])).get(run.id)).toBe(3);
        expect((await store.runs.versions([run.id])).get(run.id)).toBe(3);
      });
    });

    describe("commit", () => {
      it("commitMany applies each transition on its own, in one transaction: a refused one changes nothing", async () => {
        const a = await make();
        const b = await make();
        const c = await make();
        const before = await snapshot(store, b.id);
        const results = await store.commitMany([
          {
            runId: a.id,
            expectedVersion: 1,
            run: { status: "running" },
            events: [statusEvent("running", "pending")],
            now: T0 + 5,
          },
          {
            runId: b.id,
            expectedVersion: 7, // stale
            run: { status: "failed" },
            steps: [step(b.id, "a", { status: "failed", updatedAt: T0 + 5 })],
            events: [statusEvent("failed", "pending")],
            now: T0 + 5,
          },
          { runId: c.id, expectedVersion: 1, checkpoints: [{ stepKey: null, label: "x" }], now: T0 + 5 },
          { runId: "missing", expectedVersion: 1, now: T0 + 5 },
        ]);
        expect(results[0]).toEqual({ version: 2, eventSeqs: [2], checkpoints: [] });
        expect(results[1]).toBeInstanceOf(ConflictError);
        expect(results[2]).toMatchObject({ version: 2, checkpoints: [{ number: 1, eventSeq: 1 }] });
        expect(results[3]).toMatchObject({ code: "WEFT_NOT_FOUND" });
        expect((await store.runs.get(a.id))?.status).toBe("running");
        expect(await snapshot(store, b.id)).toEqual(before);
        expect((await store.checkpoints.list(c.id)).length).toBe(1);
        expect(await store.commitMany([])).toEqual([]);
      });

      it("applies patches, upserts, attempts, events and checkpoints, numbering them per run", async () => {
        const run = await make();
        const id = run.id;
        const r1 = await store.commit({
          runId: id,
          expectedVersion: 1,
          run: { status: "running", startedAt: T0 + 1, currentPhase: "build" },
          steps: [step(id, "a", { status: "running", attempt: 1, startedAt: T0 + 1, updatedAt: T0 + 1 })],
          events: [statusEvent("running", "pending"), progress("a", "hi")],
          now: T0 + 1,
        });
        expect(r1).toEqual({ version: 2, eventSeqs: [2, 3], checkpoints: [] });

        const done = step(id, "a", { status: "completed", attempt: 1, output: { ok: true }, updatedAt: T0 + 2 });
        const r2 = await store.commit({
          runId: id,
          expectedVersion: 2,
          steps: [done, step(id, "b", { status: "ready", updatedAt: T0 + 2 })],
          attempts: [attempt(id, "a", 1)],
          events: [progress("a", "x"), progress("a", "y"), progress("a", "z")],
          checkpoints: [{ stepKey: "a", label: "after a" }],
          now: T0 + 2,
        });
        expect(r2.version).toBe(3);
        expect(r2.eventSeqs).toEqual([4, 5, 6]);
        const cp1 = { runId: id, number: 1, stepKey: "a", eventSeq: 6, label: "after a", createdAt: T0 + 2 };
        expect(r2.checkpoints).toEqual([cp1]);

        const r3 = await store.commit({
          runId: id,
          expectedVersion: 3,
          checkpoints: [
            { stepKey: null, label: "manual" },
            { stepKey: null, label: "again" },
          ],
          now: T0 + 3,
        });
        expect(r3.eventSeqs).toEqual([]);
        expect(r3.checkpoints.map((c) => [c.number, c.eventSeq])).toEqual([
          [2, 6],
          [3, 6],
        ]);
        const r4 = await store.commit({ runId: id, expectedVersion: 4, events: [progress("b", "b")], now: T0 + 4 });
        expect(r4.eventSeqs).toEqual([7]);

        const stored = await store.runs.get(id);
        expect(stored).toMatchObject({ status: "running", startedAt: T0 + 1, currentPhase: "build", version: 5 });
        expect(stored).toMatchObject({ updatedAt: T0 + 4, endedAt: null, output: null, error: null });
        expect(await store.steps.get(id, "a")).toEqual(done);
        expect((await store.steps.get(id, "b"))?.status).toBe("ready");
        expect((await store.events.list(id)).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
        expect((await store.events.list(id))[1]).toEqual({
          ...statusEvent("running", "pending"),
          runId: id,
          seq: 2,
          at: T0 + 1,
        });
        expect(await store.checkpoints.get(id, 1)).toEqual(cp1);
        expect((await store.checkpoints.list(id)).map((c) => c.number)).toEqual([3, 2, 1]);
      });

      it("changes only the patched run fields, and can set them back to null", async () => {
        const run = await make();
        const error = { code: "WEFT_STEP_FAILED" as const, message: "boom", retryable: false };
        await commit({ runId: run.id, expectedVersion: 1, run: { status: "failed", error, endedAt: T0 + 5 } });
        expect(await store.runs.get(run.id)).toMatchObject({ status: "failed", error, endedAt: T0 + 5 });
        await commit({ runId: run.id, expectedVersion: 2, run: { output: { n: [1, 2] } } });
        expect(await store.runs.get(run.id)).toMatchObject({ status: "failed", error, output: { n: [1, 2] } });
        await commit({ runId: run.id, expectedVersion: 3, run: { status: "running", error: null, endedAt: null } });
        expect(await store.runs.get(run.id)).toMatchObject({ status: "running", error: null, endedAt: null });
        expect((await store.runs.get(run.id))?.output).toEqual({ n: [1, 2] });
      });

      it("refuses a stale version with ConflictError and writes nothing", async () => {
        const run = await make();
        await commit({ runId: run.id, expectedVersion: 1, run: { status: "running" } });
        const before = await snapshot(store, run.id);
        const stale = commit({
          runId: run.id,
          expectedVersion: 1,
          run: { status: "completed" },
          steps: [step(run.id, "a", { status: "completed" })],
          attempts: [attempt(run.id, "a", 1)],
          events: [statusEvent("completed", "running")],
          checkpoints: [{ stepKey: "a", label: "a" }],
        });
        await expect(stale).rejects.toBeInstanceOf(ConflictError);
        await expect(stale).rejects.toMatchObject({ code: "WEFT_CONFLICT", runId: run.id, expected: 1, actual: 2 });
        expect(await snapshot(store, run.id)).toEqual(before);
      });

      it("applies a forced change whatever the version", async () => {
        const run = await make();
        await commit({ runId: run.id, expectedVersion: 1 });
        const r = await commit({ runId: run.id, expectedVersion: 1, force: true, run: { status: "cancelled" } });
        expect(r.version).toBe(3);
        expect((await store.runs.get(run.id))?.status).toBe("cancelled");
      });

      it("throws WEFT_NOT_FOUND for an unknown run", async () => {
        await expect(commit({ runId: "nope", expectedVersion: 1 })).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      });
    });

    describe("leases", () => {
      it("exactly one of 8 concurrent acquires (8 owners on 8 instances) wins", async () => {
        const run = await make();
        const stores = [store, ...(await Promise.all(Array.from({ length: 7 }, another)))];
        const results = await Promise.all(
          stores.map((s, i) => s.leases.acquire(run.id, { owner: owner(`o${i}`), leaseMs: 30_000, now: T0 })),
        );
        const winners = results.filter((r) => r !== undefined);
        expect(winners).toHaveLength(1);
        expect(winners[0]).toMatchObject({
          takeover: false,
          lease: { runId: run.id, epoch: 1, expiresAt: T0 + 30_000 },
        });
        const stored = await stores[3]!.runs.get(run.id);
        expect(stored?.lease).toEqual(winners[0]?.lease);
        expect(stored?.version).toBe(2);
      });

      it("fences a stale owner after its lease expired and another took over", async () => {
        const run = await make();
        const a = await store.leases.acquire(run.id, { owner: owner("A"), leaseMs: 100, now: T0 });
        const other = await another();
        const early = await other.leases.acquire(run.id, { owner: owner("B"), leaseMs: 100, now: T0 + 99 });
        expect(early).toBeUndefined();
        const b = await other.leases.acquire(run.id, { owner: owner("B"), leaseMs: 100, now: T0 + 100 });
        expect(b?.takeover).toBe(true);
        expect(b?.lease.epoch).toBe(a!.lease.epoch + 1);

        const version = (await store.runs.get(run.id))!.version;
        const before = await snapshot(store, run.id);
        const write = commit({ runId: run.id, expectedVersion: version, epoch: a!.lease.epoch, events: [created()] });
        await expect(write).rejects.toBeInstanceOf(FencedError);
        await expect(write).rejects.toMatchObject({ code: "WEFT_FENCED", runId: run.id });
        // Fencing is checked before the version.
        await expect(commit({ runId: run.id, expectedVersion: 0, epoch: a!.lease.epoch })).rejects.toBeInstanceOf(
          FencedError,
        );
        expect(await store.leases.renew(a!.lease, 1000, T0 + 150)).toBe(false);
        await store.leases.release(a!.lease);
        expect(await snapshot(store, run.id)).toEqual(before);

        const ok = await other.commit({
          runId: run.id,
          expectedVersion: version,
          epoch: b!.lease.epoch,
          now: T0 + 150,
        });
        expect(ok.version).toBe(version + 1);
      });

      it("takes over a live lease when isOwnerDead says its holder is gone", async () => {
        const run = await make();
        const a = await store.leases.acquire(run.id, { owner: owner("A"), leaseMs: 60_000, now: T0 });
        const other = await another();
        const seen: Owner[] = [];
        const alive = await other.leases.acquire(run.id, {
          owner: owner("B"),
          leaseMs: 60_000,
          now: T0 + 1,
          isOwnerDead: (o) => {
            seen.push(o);
            return false;
          },
        });
        expect(alive).toBeUndefined();
        expect(seen).toEqual([owner("A")]);
        const b = await other.leases.acquire(run.id, {
          owner: owner("B"),
          leaseMs: 60_000,
          now: T0 + 2,
          isOwnerDead: (o) => o.id === "A",
        });
        expect(b).toMatchObject({ takeover: true, lease: { epoch: a!.lease.epoch + 1, owner: owner("B") } });
        const version = (await store.runs.get(run.id))!.version;
        await expect(commit({ runId: run.id, expectedVersion: version, epoch: a!.lease.epoch })).rejects.toBeInstanceOf(
          FencedError,
        );
      });

      it("acquireMany acquires each run as acquire would; an unknown run is that request's error only", async () => {
        if (!store.leases.acquireMany) return; // optional in the port
        const free = await make();
        const held = await make();
        await store.leases.acquire(held.id, { owner: owner("B"), leaseMs: 1000, now: T0 });
        const results = await store.leases.acquireMany([
          { runId: free.id, opts: { owner: owner("A"), leaseMs: 100, now: T0 } },
          { runId: held.id, opts: { owner: owner("A"), leaseMs: 100, now: T0 } },
          { runId: "nope", opts: { owner: owner("A"), leaseMs: 100, now: T0 } },
        ]);
        expect(results[0]).toEqual({
          takeover: false,
          lease: { runId: free.id, owner: owner("A"), epoch: 1, expiresAt: T0 + 100 },
        });
        expect(results[1]).toBeUndefined();
        expect(results[2]).toMatchObject({ code: "WEFT_NOT_FOUND" });
        expect((await store.runs.get(free.id))?.lease?.owner.id).toBe("A");
      });

      it("renewMany renews each lease as renew would: the current ones, not a lost one", async () => {
        if (!store.leases.renewMany) return; // optional in the port
        const r1 = await make();
        const r2 = await make();
        const a = await store.leases.acquire(r1.id, { owner: owner("A"), leaseMs: 100, now: T0 });
        const b = await store.leases.acquire(r2.id, { owner: owner("A"), leaseMs: 100, now: T0 });
        const taken = await store.leases.acquire(r2.id, { owner: owner("B"), leaseMs: 100, now: T0 + 200 });
        expect(taken).toBeDefined();
        expect(await store.leases.renewMany([a!.lease, b!.lease], 1000, T0 + 50)).toEqual([true, false]);
        expect(await store.leases.acquire(r1.id, { owner: owner("B"), leaseMs: 100, now: T0 + 500 })).toBeUndefined();
      });

      it("renews: same owner keeps its epoch and version; renew extends only the current lease", async () => {
        const run = await make();
        const a = (await store.leases.acquire(run.id, { owner: owner("A"), leaseMs: 100, now: T0 }))!;
        expect(a.lease.epoch).toBe(1);
        const version = (await store.runs.get(run.id))!.version;
        const again = await store.leases.acquire(run.id, { owner: owner("A"), leaseMs: 100, now: T0 + 50 });
        expect(again).toEqual({ takeover: false, lease: { ...a.lease, expiresAt: T0 + 150 } });
        expect(await store.leases.renew(a.lease, 500, T0 + 60)).toBe(true);
        const stored = await store.runs.get(run.id);
        expect(stored?.lease).toEqual({ ...a.lease, expiresAt: T0 + 560 });
        expect(stored?.version).toBe(version);
        const other = await another();
        expect(await other.leases.acquire(run.id, { owner: owner("B"), leaseMs: 100, now: T0 + 559 })).toBeUndefined();
      });

      it("releases only the current lease; the next owner gets a higher epoch", async () => {
        const run = await make();
        const a = (await store.leases.acquire(run.id, { owner: owner("A"), leaseMs: 60_000, now: T0 }))!;
        const v1 = (await store.runs.get(run.id))!.version;
        await store.leases.release({ ...a.lease, epoch: a.lease.epoch - 1 });
        expect((await store.runs.get(run.id))?.lease).toEqual(a.lease);
        await store.leases.release(a.lease);
        const released = await store.runs.get(run.id);
        expect(released?.lease).toBeNull();
        expect(released?.version).toBe(v1 + 1);
        expect(await store.leases.renew(a.lease, 100, T0 + 1)).toBe(false);
        const b = await store.leases.acquire(run.id, { owner: owner("B"), leaseMs: 100, now: T0 + 1 });
        expect(b).toMatchObject({ takeover: false, lease: { epoch: a.lease.epoch + 1 } });
      });

      it("acquires a finished run (to retry it)", async () => {
        const run = await make();
        await commit({ runId: run.id, expectedVersion: 1, run: { status: "failed", endedAt: T0 } });
        const got = await store.leases.acquire(run.id, { owner: owner("A"), leaseMs: 100, now: T0 });
        expect(got?.lease.epoch).toBe(1);
      });

      it("throws WEFT_NOT_FOUND when acquiring an unknown run; renew of one is false", async () => {
        const opts = { owner: owner("A"), leaseMs: 100, now: T0 };
        await expect(store.leases.acquire("nope", opts)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
        const lease = { runId: "nope", owner: owner("A"), epoch: 1, expiresAt: T0 };
        expect(await store.leases.renew(lease, 100, T0)).toBe(false);
        await store.leases.release(lease);
      });
    });

    describe("reads", () => {
      it("lists events after a seq, limited, oldest first", async () => {
        const run = await make();
        await commit({ runId: run.id, expectedVersion: 1, events: ["1", "2", "3", "4"].map((o) => progress("a", o)) });
        const seqs = async (after?: number, limit?: number) =>
          (await store.events.list(run.id, after, limit)).map((e) => e.seq);
        expect(await seqs()).toEqual([1, 2, 3, 4, 5]);
        expect(await seqs(2)).toEqual([3, 4, 5]);
        expect(await seqs(2, 2)).toEqual([3, 4]);
        expect(await seqs(5)).toEqual([]);
      });

      it("lists attempts of a run and of one step run", async () => {
        const run = await make();
        const id = run.id;
        await commit({ runId: id, expectedVersion: 1, attempts: [attempt(id, "a", 1), attempt(id, "b", 1)] });
        await commit({ runId: id, expectedVersion: 2, attempts: [attempt(id, "a", 2, null)] });
        expect(await store.steps.attempts(id)).toEqual([
          attempt(id, "a", 1),
          attempt(id, "b", 1),
          attempt(id, "a", 2, null),
        ]);
        expect(await store.steps.attempts(id, "a")).toEqual([attempt(id, "a", 1), attempt(id, "a", 2, null)]);
        expect(await store.steps.attempts(id, "zzz")).toEqual([]);
      });

      it("lists checkpoints newest first, limited", async () => {
        const run = await make();
        const labels = ["c1", "c2", "c3"].map((label) => ({ stepKey: null, label }));
        await commit({ runId: run.id, expectedVersion: 1, checkpoints: labels });
        expect((await store.checkpoints.list(run.id, 2)).map((c) => c.label)).toEqual(["c3", "c2"]);
        expect(await store.checkpoints.get(run.id, 4)).toBeUndefined();
      });

      it("removes checkpoints by number, never reusing a number, leaving the run's version and events alone", async () => {
        const run = await make();
        const labels = ["c1", "c2", "c3", "c4"].map((label) => ({ stepKey: null, label }));
        await commit({ runId: run.id, expectedVersion: 1, checkpoints: labels });
        const other = await make();
        await commit({ runId: other.id, expectedVersion: 1, checkpoints: [{ stepKey: null, label: "o1" }] });
        const events = await store.events.list(run.id);
        expect(await store.checkpoints.remove(run.id, [1, 3, 9])).toBe(2);
        expect((await store.checkpoints.list(run.id)).map((c) => c.number)).toEqual([4, 2]);
        expect(await store.checkpoints.get(run.id, 1)).toBeUndefined();
        expect((await store.checkpoints.list(other.id)).map((c) => c.label)).toEqual(["o1"]);
        expect((await store.runs.versions([run.id])).get(run.id)).toBe(2);
        expect(await store.events.list(run.id)).toEqual(events);
        expect(await store.checkpoints.remove("nope", [1])).toBe(0);
        expect(await store.checkpoints.remove(run.id, [])).toBe(0);
        const next = await commit({ runId: run.id, expectedVersion: 2, checkpoints: [{ stepKey: null, label: "c5" }] });
        expect(next.checkpoints[0]?.number).toBe(5);
      });

      it("round-trips nested JSON: unicode, big strings, numbers, nulls", async () => {
        const big = "λ🧵".repeat(200_000);
        const args = {
          text: 'naïve — 日本語 🎉 \u0000 "quoted" \\ \n',
          nested: { a: [1, -2.5, 1e300, true, null, {}, []] },
        };
        const id = uid();
        await make({ id, args, definition: { ...workflow, description: "ü" } });
        const error = {
          code: "WEFT_PARSE" as const,
          message: "x",
          retryable: false,
          location: { file: "f", line: 1, column: 2 },
        };
        const s = step(id, "a", {
          input: { big },
          output: [args, big],
          error,
          iteration: 3,
          items: 2,
          waitingFor: "timer",
        });
        const event: NewEvent = {
          type: "workflow.step.progress",
          data: { step_id: "a", key: "a", output: big, stream: "info" },
        };
        await commit({ runId: id, expectedVersion: 1, steps: [s], events: [event], run: { output: { args, big } } });
        const run = await store.runs.get(id);
        expect(run?.args).toEqual(args);
        expect(run?.output).toEqual({ args, big });
        expect(run?.definition).toEqual({ ...workflow, description: "ü" });
        expect(await store.steps.get(id, "a")).toEqual(s);
        expect((await store.events.list(id, 1))[0]?.data).toEqual(event.data);
      });

      it("keeps everything after closing and reopening", async () => {
        const run = await make();
        await commit({ runId: run.id, expectedVersion: 1, run: { status: "running" }, events: [progress("a", "p")] });
        await commit({ runId: run.id, expectedVersion: 2, checkpoints: [{ stepKey: "a", label: "a" }] });
        const before = await snapshot(store, run.id);
        await store.close();
        const reopened = await another();
        expect(await snapshot(reopened, run.id)).toEqual(before);
        expect((await reopened.runs.versions([run.id])).get(run.id)).toBe(3);
      });

      it("answers undefined or empty for unknown ids", async () => {
        expect(await store.runs.get("nope")).toBeUndefined();
        expect(await store.steps.get("nope", "a")).toBeUndefined();
        expect(await store.steps.list("nope")).toEqual([]);
        expect(await store.steps.attempts("nope")).toEqual([]);
        expect(await store.events.list("nope")).toEqual([]);
        expect(await store.checkpoints.list("nope")).toEqual([]);
        expect(await store.checkpoints.get("nope", 1)).toBeUndefined();
        expect((await store.runs.versions(["nope"])).size).toBe(0);
        const run = await make();
        expect(await store.steps.get(run.id, "zzz")).toBeUndefined();
      });
    });

    serverConformance({ store: () => store, another, make, workflow, T0 });
    writePathConformance({ store: () => store, another, make, workflow, T0 });
  });
}
