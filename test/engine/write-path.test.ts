/**
 * The engine's durable path (src/engine/ARCHITECTURE.md, "The durable path"): launches of one turn created in
 * one transaction, the lease taken by a run's first commit and given back by its last, one commit per step of
 * a TypeScript workflow. Counted through a store whose write methods are wrapped.
 */
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Owner } from "../../src/core/model.js";
import { defineWorkflow } from "../../src/definition/typescript/define.js";
import type { Engine, EngineOptions } from "../../src/engine/engine.js";
import { createEngine } from "../../src/engine/engine.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import { FencedError, type Store } from "../../src/store/store.js";
import { tempDir, until, wf } from "../helpers/engine.js";

/** How many runs or transitions each write call carried, by method. */
type Calls = Record<string, number[]>;

interface Counted {
  store: Store;
  calls: Calls;
  engine(opts?: Partial<EngineOptions>): Engine;
}

const open: Array<{ close(): Promise<void> }> = [];
let dir: string | undefined;
afterEach(async () => {
  for (const c of open.splice(0).reverse()) await c.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

/** A store (its own connection) whose write calls are recorded, and engines on it. */
function counted(): Counted {
  dir ??= tempDir();
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability: "normal" });
  open.push(store);
  const calls: Calls = {};
  const record = (name: string, n: number) => {
    calls[name] ??= [];
    calls[name].push(n);
  };
  const wrap = <T extends object>(obj: T, name: keyof T & string, size: (arg: unknown) => number) => {
    const f = obj[name] as unknown as (...a: unknown[]) => unknown;
    (obj as Record<string, unknown>)[name] = (...a: unknown[]) => {
      record(name, size(a[0]));
      return f.apply(obj, a);
    };
  };
  const one = () => 1;
  const many = (a: unknown) => (a as unknown[]).length;
  wrap(store, "commit", one);
  wrap(store, "commitMany", many);
  wrap(store.runs, "create", one);
  wrap(store.runs, "createMany", many);
  wrap(store.leases, "acquire", one);
  wrap(store.leases, "acquireMany", many);
  wrap(store.leases, "release", one);
  const d = dir;
  return {
    store,
    calls,
    engine(opts = {}) {
      const e = createEngine({ store, dataDir: d, projectPath: d, pollMs: 20, ...opts });
      open.push(e);
      return e;
    },
  };
}

const three = wf(`
name: three
argsSchema:
  type: object
  properties: { n: { type: integer } }
steps:
  - { id: a, type: noop }
  - { id: b, type: noop, needs: a }
  - { id: c, type: noop, needs: b }
`);

describe("launches in one turn", () => {
  it("are created in one transaction, each launch with its own result or error", async () => {
    const c = counted();
    const engine = c.engine();
    const results = await Promise.allSettled([
      engine.launch(three, { args: { n: 1 } }),
      engine.launch(three, { args: { n: 2 }, idempotencyKey: "k" }),
      engine.launch(three, { args: { n: 2 }, idempotencyKey: "k" }),
      engine.launch(three, { args: { n: 3 }, idempotencyKey: "k" }),
      engine.launch(three, { args: { n: "x" } }),
      engine.launch(three, { args: { n: 4 }, definitionId: "no-such-definition" }),
      engine.launch(three, { args: { n: 5 } }),
    ]);
    // The first goes straight to the store; the rest of the turn's (the invalid args never reach it) are one.
    expect(c.calls.create).toEqual([1]);
    expect(c.calls.createMany).toEqual([5]);
    const [first, keyed, repeat, mismatch, invalid, unknownDef, last] = results;
    expect(first).toMatchObject({ status: "fulfilled", value: { created: true } });
    expect(keyed).toMatchObject({ status: "fulfilled", value: { created: true } });
    const keyedId = keyed?.status === "fulfilled" ? keyed.value.run.id : "";
    expect(repeat).toMatchObject({ status: "fulfilled", value: { created: false, run: { id: keyedId } } });
    expect(mismatch).toMatchObject({ status: "rejected", reason: { code: "WEFT_IDEMPOTENCY_MISMATCH" } });
    expect(invalid).toMatchObject({ status: "rejected", reason: { code: "WEFT_ARGS" } });
    expect(unknownDef).toMatchObject({ status: "rejected", reason: { code: "WEFT_NOT_FOUND" } });
    expect(last).toMatchObject({ status: "fulfilled", value: { created: true } });
    expect(await c.store.runs.list()).toHaveLength(3);
  });

  it("a lone launch goes straight to the store", async () => {
    const c = counted();
    const engine = c.engine();
    await engine.launch(three, { args: { n: 1 } });
    await engine.launch(three, { args: { n: 2 } });
    expect(c.calls.create).toEqual([1, 1]);
    expect(c.calls.createMany).toBeUndefined();
  });
});

describe("the lease of a run", () => {
  it("is taken by its first commit and given back by the commit that ends it: one commit per step", async () => {
    const c = counted();
    const engine = c.engine();
    const { run } = await engine.launch(three, { args: { n: 1 } });
    const done = await engine.execute(run.id);
    expect(done.status).toBe("completed");
    // take + start a; end a + start b; end b + start c; end c + completed + give back.
    expect(c.calls.commit).toEqual([1, 1, 1, 1]);
    expect(c.calls.acquire ?? []).toEqual([]);
    expect(c.calls.acquireMany ?? []).toEqual([]);
    expect(c.calls.release ?? []).toEqual([]);
    const stored = await c.store.runs.get(run.id);
    expect(stored).toMatchObject({ status: "completed", lease: null, leaseEpoch: 1 });
    const events = await c.store.events.list(run.id);
    const acquired = events.find((e) => e.type === "workflow.execution.lease_acquired");
    expect(acquired?.data).toMatchObject({ owner_id: engine.owner.id, epoch: 1, takeover: false });
    // The take and the first start are one commit: the same `at`, right after the created event.
    expect(events.slice(1, 4).map((e) => e.type)).toEqual([
      "workflow.execution.lease_acquired",
      "workflow.execution.status_changed",
      "workflow.step.started",
    ]);
  });

  it("runs started in one turn take their leases in one transaction", async () => {
    const c = counted();
    const engine = c.engine();
    const runs = await Promise.all([1, 2, 3, 4].map((n) => engine.launch(three, { args: { n } })));
    const done = await Promise.all(runs.map(({ run }) => engine.execute(run.id)));
    expect(done.map((r) => r.status)).toEqual(["completed", "completed", "completed", "completed"]);
    // 4 transitions a run, no other write; those of the runs driven side by side share transactions.
    const grouped = c.calls.commitMany ?? [];
    expect((c.calls.commit ?? []).length + grouped.reduce((a, b) => a + b, 0)).toBe(16);
    expect(grouped.length).toBeGreaterThan(0);
    expect(c.calls.acquire ?? []).toEqual([]);
    expect(c.calls.release ?? []).toEqual([]);
    for (const { run } of runs) expect(await c.store.runs.get(run.id)).toMatchObject({ lease: null, leaseEpoch: 1 });
  });

  it("of two engines starting one run at once, one drives it; the other is refused", async () => {
    const a = counted();
    const b = counted();
    const ea = a.engine();
    const eb = b.engine();
    const { run } = await ea.launch(three, { args: { n: 1 } });
    const results = await Promise.allSettled([ea.execute(run.id), eb.execute(run.id)]);
    const refused = results.filter((r) => r.status === "rejected");
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ reason: { code: "WEFT_CONFLICT" } });
    expect(String((refused[0] as PromiseRejectedResult).reason)).toMatch(/being driven by another process/);
    expect(results.find((r) => r.status === "fulfilled")).toMatchObject({ value: { status: "completed" } });
    const steps = await a.store.steps.attempts(run.id);
    expect(steps.map((s) => [s.key, s.attempt, s.status])).toEqual([
      ["a", 1, "completed"],
      ["b", 1, "completed"],
      ["c", 1, "completed"],
    ]);
  });

  it("fences an owner whose run another process took over: its late result is never written", async () => {
    const c = counted();
    // A's owner record names a process that does not exist: B takes the run over at once.
    const deadOwner: Owner = { id: "dead-owner", host: (await import("node:os")).hostname(), pid: 2 ** 22 + 7 };
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let calls = 0;
    const functions = {
      slow: async () => {
        calls++;
        if (calls === 1) await gate; // A's handler: ends only after B took over
        return { by: calls };
      },
    };
    const slow = wf("name: slow\nsteps:\n  - { id: s, type: function, function: slow }\n");
    // A never polls: only its own commit can tell it that it lost the run.
    const a = c.engine({ owner: deadOwner, functions, pollMs: 600_000 });
    const { run } = await a.launch(slow);
    const aDone = a.execute(run.id);
    await until(async () => (await c.store.steps.get(run.id, "s"))?.status === "running", 10_000, "A's start");
    const b = counted().engine({ functions });
    const bDone = await b.execute(run.id);
    expect(bDone.status).toBe("completed");
    release();
    await expect(aDone).rejects.toBeInstanceOf(FencedError);
    const attempts = await c.store.steps.attempts(run.id, "s");
    expect(attempts.map((x) => [x.attempt, x.status, x.output])).toEqual([[1, "completed", { by: 2 }]]);
    expect(await c.store.runs.get(run.id)).toMatchObject({ lease: null, leaseEpoch: 2 });
  });
});

describe("TypeScript workflows", () => {
  it("commit once per step: a step's end with the next step's start", async () => {
    const seen: unknown[] = [];
    const ts = defineWorkflow({
      name: "ts-three",
      async execute(ctx) {
        for (const id of ["a", "b", "c"]) {
          const r = await ctx.step(id, { type: "noop" });
          seen.push(r.status);
        }
        return { ok: true };
      },
    });
    const c = counted();
    const engine = c.engine({ workflows: [ts] });
    const { run } = await engine.launch(ts);
    const done = await engine.execute(run.id);
    expect(done).toMatchObject({ status: "completed", output: { ok: true } });
    expect(seen).toEqual(["completed", "completed", "completed"]);
    // take + start a; end a + start b; end b + start c; end c + completed + give back.
    expect(c.calls.commit).toEqual([1, 1, 1, 1]);
    const steps = await c.store.steps.list(run.id);
    expect(steps.map((s) => [s.key, s.status, s.attempt])).toEqual([
      ["a", "completed", 1],
      ["b", "completed", 1],
      ["c", "completed", 1],
    ]);
  });
});
