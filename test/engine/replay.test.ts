import { afterEach, describe, expect, it } from "vitest";
import type { EventRecord } from "../../src/core/events.js";
import type { Json } from "../../src/core/json.js";
import type { TsWorkflowDefinition } from "../../src/definition/typescript/define.js";
import { defineWorkflow, StepFailedError } from "../../src/definition/typescript/define.js";
import type { TestEnv } from "../helpers/engine.js";
import { testEnv, until } from "../helpers/engine.js";

let env: TestEnv;
afterEach(async () => {
  await env?.cleanup();
});

/** A gate a step function waits on, opened by the test. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => {
    open = r;
  });
  return { open, opened };
}

describe("TypeScript workflows: running", () => {
  it("runs steps in order, passes results, and completes with execute's return value", async () => {
    const ran: string[] = [];
    const wf = defineWorkflow({
      name: "order",
      phases: ["one", "two"],
      async execute(ctx) {
        const a = await ctx.step("a", {
          phase: "one",
          fn: () => {
            ran.push("a");
            return 2;
          },
        });
        const b = await ctx.step<number>("b", {
          phase: "two",
          fn: () => {
            ran.push("b");
            return (a.data as number) * 21;
          },
        });
        return { answer: b.data };
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    expect(done.output).toEqual({ answer: 42 });
    expect(done.currentPhase).toBe("two");
    expect(ran).toEqual(["a", "b"]);
    const steps = await env.engine.steps(run.id);
    expect(steps.map((s) => [s.key, s.status, s.output])).toEqual([
      ["a", "completed", 2],
      ["b", "completed", 42],
    ]);
  });

  it("steps started together with Promise.all run in parallel", async () => {
    const g = gate();
    let running = 0;
    let max = 0;
    const work = async () => {
      max = Math.max(max, ++running);
      await g.opened;
      running--;
      return null;
    };
    const wf = defineWorkflow({
      name: "parallel",
      async execute(ctx) {
        await Promise.all([ctx.step("x", { fn: work }), ctx.step("y", { fn: work }), ctx.step("z", { fn: work })]);
        await ctx.step("after", { type: "noop" });
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const done = env.engine.execute(run.id);
    await until(() => running === 3, 5000, "three running");
    g.open();
    expect((await done).status).toBe("completed");
    expect(max).toBe(3);
  });

  it("a failed step rejects ctx.step; uncaught, it fails the run with the step's error", async () => {
    const wf = defineWorkflow({
      name: "fails",
      async execute(ctx) {
        await ctx.step("boom", {
          fn: () => {
            throw new Error("kaput");
          },
        });
        await ctx.step("never", { type: "noop" });
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("failed");
    expect(done.error?.message).toContain("kaput");
    expect((await env.engine.steps(run.id)).map((s) => s.key)).toEqual(["boom"]);
  });

  it("a caught failure lets the code take another path; optional steps resolve with status failed", async () => {
    const wf = defineWorkflow({
      name: "caught",
      async execute(ctx) {
        const opt = await ctx.step("optional-one", { optional: true, command: "exit 4" });
        try {
          await ctx.step("strict", { command: "exit 5" });
        } catch (err) {
          if (!(err instanceof StepFailedError)) throw err;
          await ctx.step("fallback", { type: "noop", output: err.stepId });
        }
        return opt.status;
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    expect(done.output).toBe("failed");
    expect((await env.store.steps.get(run.id, "fallback"))?.output).toBe("strict");
  });

  it("script, agent (mock), exec and retries work through ctx", async () => {
    const wf = defineWorkflow({
      name: "types",
      async execute(ctx) {
        const s = await ctx.step<{ stdout: string }>("script", { type: "script", command: "echo hi" });
        const a = await ctx.step<{ result: string }>("agent", { type: "agent", agent: "claude", prompt: "say hi" });
        const e = await ctx.exec("printf done");
        return { s: s.data?.stdout, a: a.data?.result.startsWith("[mock"), e: e.stdout };
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const done = await env.engine.execute(run.id);
    expect(done.status, JSON.stringify(done.error)).toBe("completed");
    expect(done.output).toEqual({ s: "hi\n", a: true, e: "done" });
  });

  it("validates args with a zod argsSchema", async () => {
    const { z } = await import("zod");
    const wf = defineWorkflow({
      name: "typed-args",
      argsSchema: z.object({ featureName: z.string(), count: z.number().default(3) }),
      async execute(ctx) {
        return `${ctx.args.featureName}:${ctx.args.count}`;
      },
    });
    env = testEnv({ workflows: [wf] });
    await expect(env.engine.launch(wf, { args: { featureName: 5 } })).rejects.toThrow(/args\.featureName/);
    const { run } = await env.engine.launch(wf, { args: { featureName: "auth" } });
    expect((await env.engine.execute(run.id)).output).toBe("auth:3");
  });
});

describe("TypeScript workflows: durable replay", () => {
  it("after a restart, execute runs again from the top and recorded steps do not run again", async () => {
    const ran: string[] = [];
    const g = gate();
    const wf = defineWorkflow({
      name: "restart",
      async execute(ctx) {
        await ctx.step("first", {
          fn: () => {
            ran.push("first");
            return 1;
          },
        });
        await ctx.step("second", {
          fn: async () => {
            ran.push("second");
            await g.opened;
            return 2;
          },
        });
        await ctx.step("third", {
          fn: () => {
            ran.push("third");
            return 3;
          },
        });
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    void env.engine.execute(run.id);
    await until(() => ran.includes("second"), 5000, "second started");
    await env.engine.close(); // the process stops while `second` runs
    g.open();
    const other = env.other({ workflows: [wf] });
    const done = await other.execute(run.id);
    expect(done.status).toBe("completed");
    // `first` ran once; `second` was interrupted and ran again; `third` ran once.
    expect(ran).toEqual(["first", "second", "second", "third"]);
    const attempts = await env.store.steps.attempts(run.id);
    expect(attempts.filter((a) => a.status === "completed").map((a) => a.key)).toEqual(["first", "second", "third"]);
  });

  it("ctx.now and ctx.random are recorded and replayed", async () => {
    const seen: number[][] = [];
    const g = gate();
    const wf = defineWorkflow({
      name: "values",
      async execute(ctx) {
        const values = [ctx.now(), ctx.random()];
        seen.push(values);
        await ctx.step("wait", { fn: () => g.opened.then(() => null) });
        return values;
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    void env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "wait"))?.status === "running", 5000, "wait running");
    await env.engine.close();
    g.open();
    const done = await env.other({ workflows: [wf] }).execute(run.id);
    expect(seen.length).toBe(2);
    expect(seen[1]).toEqual(seen[0]);
    expect(done.output).toEqual(seen[0]);
  });

  it("a replay that asks for a different step at a recorded position fails the run naming both", async () => {
    let flip = false;
    const g = gate();
    const wf = defineWorkflow({
      name: "nondeterministic",
      async execute(ctx) {
        await ctx.step(flip ? "beta" : "alpha", { type: "noop" });
        await ctx.step("block", { fn: () => g.opened.then(() => null) });
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    void env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "block"))?.status === "running", 5000, "block running");
    await env.engine.close();
    g.open();
    flip = true;
    const done = await env.other({ workflows: [wf] }).execute(run.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("WEFT_NON_DETERMINISM");
    expect(done.error?.message).toMatch(/`beta`.*`alpha`/);
  });

  it("a sleep spans a restart of the engine", async () => {
    const wf = defineWorkflow({
      name: "nap",
      async execute(ctx) {
        await ctx.sleep("400ms");
        await ctx.step("after", { type: "noop", output: "awake" });
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    void env.engine.execute(run.id);
    await until(async () => (await env.store.runs.get(run.id))?.status === "waiting", 5000, "waiting");
    await env.engine.close();
    const done = await env.other({ workflows: [wf] }).execute(run.id);
    expect(done.status).toBe("completed");
  });

  it("an approval spans a restart: approved from another process, the new owner goes on", async () => {
    const wf = defineWorkflow({
      name: "approve-ts",
      async execute(ctx) {
        const decision = await ctx.waitForApproval({ id: "ship-it", message: "ship?" });
        return decision.by;
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    void env.engine.execute(run.id);
    await until(async () => (await env.store.runs.get(run.id))?.status === "waiting", 5000, "waiting");
    await env.engine.close();
    const other = env.other({ workflows: [wf] });
    await other.approve(run.id, "ship-it", { by: "carol" });
    const done = await other.execute(run.id);
    expect(done.status).toBe("completed");
    expect(done.output).toBe("carol");
  });

  it("checkpoints and comments are recorded once, not again on replay", async () => {
    const g = gate();
    const wf = defineWorkflow({
      name: "notes",
      async execute(ctx) {
        await ctx.comment("starting");
        await ctx.checkpoint("begun");
        await ctx.step("block", { fn: () => g.opened.then(() => null) });
        await ctx.comment("done");
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    void env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "block"))?.status === "running", 5000, "block running");
    await env.engine.close();
    g.open();
    await env.other({ workflows: [wf] }).execute(run.id);
    const events = await env.store.events.list(run.id);
    const comments = events.filter(
      (e): e is EventRecord & { type: "workflow.comment.created" } => e.type === "workflow.comment.created",
    );
    expect(comments.map((c) => c.data.text)).toEqual(["starting", "done"]);
    const labels = (await env.store.checkpoints.list(run.id)).map((c) => c.label);
    expect(labels.filter((l) => l === "begun")).toHaveLength(1);
  });

  it("pause stops new steps; resume goes on; retry-step re-runs a failed step through replay", async () => {
    let attempts = 0;
    const wf = defineWorkflow({
      name: "controls",
      async execute(ctx) {
        await ctx.step("slow", { command: "sleep 0.3" });
        await ctx.step("flaky", {
          fn: () => {
            attempts++;
            if (attempts === 1) throw new Error("first time fails");
            return "ok";
          },
        });
        return "finished";
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const first = env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "slow"))?.status === "running", 5000, "slow running");
    const other = env.other({ workflows: [wf] });
    await other.pause(run.id);
    await until(async () => (await env.store.steps.get(run.id, "slow"))?.status === "completed", 5000, "slow done");
    await new Promise((r) => setTimeout(r, 150));
    expect(await env.store.steps.get(run.id, "flaky")).toBeUndefined();
    await other.resume(run.id);
    expect((await first).status).toBe("failed");
    await other.retryStep(run.id, "flaky");
    const done = await other.execute(run.id);
    expect(done.status).toBe("completed");
    expect(done.output).toBe("finished");
    expect(attempts).toBe(2);
  });
});

/** Table-driven replay: a recorded journal in, the handlers that ran and the outcome out. */
describe("TypeScript workflows: replay table", () => {
  type Entry = { id: string; status: "completed" | "running" | "failed"; output?: Json };
  const rows: Array<{ name: string; journal: Entry[]; ran: string[]; status: string; error?: RegExp }> = [
    { name: "empty journal: everything runs", journal: [], ran: ["a", "b", "c"], status: "completed" },
    {
      name: "a recorded: b and c run",
      journal: [{ id: "a", status: "completed", output: "A" }],
      ran: ["b", "c"],
      status: "completed",
    },
    {
      name: "a, b recorded: only c runs",
      journal: [
        { id: "a", status: "completed", output: "A" },
        { id: "b", status: "completed", output: "B" },
      ],
      ran: ["c"],
      status: "completed",
    },
    {
      name: "b interrupted: b runs again, then c",
      journal: [
        { id: "a", status: "completed", output: "A" },
        { id: "b", status: "running" },
      ],
      ran: ["b", "c"],
      status: "completed",
    },
    {
      name: "all recorded: nothing runs",
      journal: [
        { id: "a", status: "completed", output: "A" },
        { id: "b", status: "completed", output: "B" },
        { id: "c", status: "completed", output: "C" },
      ],
      ran: [],
      status: "completed",
    },
    {
      name: "a different step at position 0: non-determinism",
      journal: [{ id: "x", status: "completed" }],
      ran: [],
      status: "failed",
      error: /`a`.*`x`/,
    },
    {
      name: "b recorded failed: the run fails without running it",
      journal: [
        { id: "a", status: "completed" },
        { id: "b", status: "failed" },
      ],
      ran: [],
      status: "failed",
      error: /step `b` failed/,
    },
  ];

  for (const row of rows) {
    it(row.name, async () => {
      const ran: string[] = [];
      const wf: TsWorkflowDefinition = defineWorkflow({
        name: "abc",
        async execute(ctx) {
          const out: Json[] = [];
          for (const id of ["a", "b", "c"]) {
            const r = await ctx.step(id, {
              fn: () => {
                ran.push(id);
                return id.toUpperCase();
              },
            });
            out.push(r.data ?? null);
          }
          return out;
        },
      });
      env = testEnv({ workflows: [wf] });
      const { run } = await env.engine.launch(wf);
      // Write the journal as a previous owner would have left it.
      const now = Date.now();
      await env.store.commit({
        runId: run.id,
        expectedVersion: run.version,
        run: { status: "running", startedAt: now },
        steps: row.journal.map((e, pos) => ({
          runId: run.id,
          key: e.id,
          stepId: e.id,
          iteration: null,
          status: e.status,
          attempt: 1,
          input: { pos },
          output: e.output ?? null,
          error: e.status === "failed" ? { code: "WEFT_STEP_FAILED", message: "it broke", retryable: false } : null,
          notBefore: null,
          waitingFor: null,
          items: null,
          startedAt: now,
          endedAt: e.status === "running" ? null : now,
          updatedAt: now,
        })),
        now,
      });
      const done = await env.engine.execute(run.id);
      expect(ran).toEqual(row.ran);
      expect(done.status).toBe(row.status);
      if (row.error) expect(done.error?.message).toMatch(row.error);
      if (row.status === "completed") expect(done.output).toEqual(["A", "B", "C"]);
    });
  }
});

describe("TypeScript workflows: rewind", () => {
  it("forks from a checkpoint: journal entries completed by then are reused, the rest runs", async () => {
    const ran: string[] = [];
    const wf = defineWorkflow({
      name: "rewind-ts",
      async execute(ctx) {
        const t = ctx.now();
        await ctx.step("one", {
          fn: () => {
            ran.push("one");
            return 1;
          },
        });
        await ctx.checkpoint("after one");
        await ctx.step("two", {
          fn: () => {
            ran.push("two");
            return 2;
          },
        });
        return t;
      },
    });
    env = testEnv({ workflows: [wf] });
    const { run } = await env.engine.launch(wf);
    const first = await env.engine.execute(run.id);
    const cp = (await env.store.checkpoints.list(run.id)).find((c) => c.label === "after one");
    const fork = await env.engine.rewind(run.id, cp!.number);
    const done = await env.engine.execute(fork.id);
    expect(done.status).toBe("completed");
    expect(ran).toEqual(["one", "two", "two"]);
    expect(done.output).toBe(first.output); // the recorded ctx.now() came along
  });
});
