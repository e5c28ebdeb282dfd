import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TerminalError } from "../../src/core/errors.js";
import type { EventRecord } from "../../src/core/events.js";
import type { Json } from "../../src/core/json.js";
import type { TestEnv } from "../helpers/engine.js";
import { testEnv, until, wf } from "../helpers/engine.js";

let env: TestEnv;
afterEach(async () => {
  await env?.cleanup();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function collect(e: TestEnv): EventRecord[] {
  const events: EventRecord[] = [];
  e.engine.subscribe((ev) => events.push(ev));
  return events;
}

const seedCodeReview = readFileSync(
  new URL("../../examples/seed-dialects/code-review-workflow.yaml", import.meta.url),
  "utf8",
);

describe("engine: end to end", () => {
  it("runs the seed 003 code review: parallel scan and check, mock agents, completed", async () => {
    env = testEnv();
    const events = collect(env);
    const { run } = await env.engine.launch(wf(seedCodeReview), { args: { filePath: "src/app.ts" } });
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const order = events.filter((e) => e.type === "workflow.step.started" || e.type === "workflow.step.completed");
    const idx = (type: string, key: string) =>
      order.findIndex((e) => e.type === type && "key" in e.data && e.data.key === key);
    // Both middle steps started before either finished: they ran at the same time.
    expect(idx("workflow.step.started", "security-scan")).toBeLessThan(idx("workflow.step.completed", "quality-check"));
    expect(idx("workflow.step.started", "quality-check")).toBeLessThan(idx("workflow.step.completed", "security-scan"));
    const steps = await env.engine.steps(run.id);
    expect(steps.map((s) => [s.key, s.status])).toEqual([
      ["parse-changes", "completed"],
      ["security-scan", "completed"],
      ["quality-check", "completed"],
      ["generate-report", "completed"],
    ]);
    // The rendered prompt reached the provider with the context value (the logs are on disk once flushed).
    await env.engine.flush();
    const input = JSON.parse(
      readFileSync(join(env.dir, "runs", run.id, "logs", "parse-changes", "input.json"), "utf8"),
    );
    expect(JSON.stringify(input)).toContain("src/app.ts");
    for (const f of ["input.json", "output.json", "events.jsonl", "summary.md"]) {
      expect(existsSync(join(env.dir, "runs", run.id, "logs", "generate-report", f)), f).toBe(true);
    }
    expect(existsSync(join(env.dir, "runs", run.id, "definition.json"))).toBe(true);
    expect(JSON.parse(readFileSync(join(env.dir, "runs", run.id, "args.json"), "utf8"))).toEqual({
      filePath: "src/app.ts",
    });
    const cps = await env.store.checkpoints.list(run.id);
    expect(cps.length).toBe(4);
  });

  it("passes outputs between script steps and keeps injection attempts inert", async () => {
    env = testEnv();
    const marker = join(env.dir, "pwned");
    const w = wf(`
name: inject
steps:
  - id: a
    command: printf '%s' "{{ args.value }}"
  - id: b
    needs: a
    command: echo got {{ steps.a.output.stdout }}
`);
    for (const value of [
      `$(touch ${marker})`,
      `\`touch ${marker}\``,
      `x; touch ${marker}`,
      `a\ntouch ${marker}`,
      `"; touch ${marker}; "`,
    ]) {
      const { run } = await env.engine.launch(w, { args: { value } });
      const done = await env.engine.execute(run.id);
      expect(done.status).toBe("completed");
      const steps = await env.engine.steps(run.id);
      expect((steps[0]?.output as { stdout: string } | undefined)?.stdout).toBe(value);
      expect(existsSync(marker)).toBe(false);
    }
  });

  it("retries a failing script with backoff and records each attempt", async () => {
    env = testEnv();
    const counter = join(env.dir, "count");
    const w = wf(`
name: flaky
steps:
  - id: flaky
    command: n=$(cat ${counter} 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${counter}; [ $n -ge 3 ]
    retry: { maxAttempts: 3, delay: 20ms, backoff: 2, jitter: 0 }
`);
    const events = collect(env);
    const { run } = await env.engine.launch(w);
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const retrying = events.filter((e) => e.type === "workflow.step.retrying");
    expect(retrying.map((e) => e.type === "workflow.step.retrying" && e.data.delay_ms)).toEqual([20, 40]);
    const attempts = await env.store.steps.attempts(run.id, "flaky");
    expect(attempts.map((a) => a.status)).toEqual(["failed", "failed", "completed"]);
  });

  it("does not retry terminal errors and fails the run with the step's error", async () => {
    env = testEnv({
      functions: {
        boom: () => {
          throw new TerminalError("no way");
        },
      },
    });
    const { run } = await env.engine.launch(
      wf(`
name: t
steps:
  - id: boom
    type: function
    function: boom
    retry: 5
  - id: after
    needs: boom
    type: noop
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("failed");
    expect(done.error?.message).toContain("no way");
    const steps = await env.engine.steps(run.id);
    expect(steps.map((s) => [s.key, s.status, s.attempt])).toEqual([
      ["boom", "failed", 1],
      ["after", "skipped", 0],
    ]);
  });

  it("times out a step and kills its process group", async () => {
    env = testEnv();
    const pidFile = join(env.dir, "background.pid");
    const { run } = await env.engine.launch(
      wf(`
name: slow
steps:
  - id: slow
    command: sleep 300 & echo $! > ${pidFile}; sleep 300
    timeout: 300ms
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("WEFT_TIMEOUT");
    // The background `sleep` of the step's process group is gone too (not only the shell).
    const background = Number(readFileSync(pidFile, "utf8"));
    await until(() => !alive(background), 10_000, "the background sleep to be killed");
  });

  it("times out a whole run", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: slow-run
timeout: 300ms
steps:
  - id: slow
    command: sleep 30
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("failed");
    expect(done.error?.code).toBe("WEFT_TIMEOUT");
  });

  it("skips on a false condition, propagates the skip, and runs on_failure handlers", async () => {
    env = testEnv({
      functions: {
        fail: () => {
          throw new TerminalError("broken");
        },
      },
    });
    const { run } = await env.engine.launch(
      wf(`
name: branches
argsSchema:
  type: object
  properties: { severity: { type: number } }
steps:
  - id: triage
    type: noop
    output: { severity: "{{ args.severity }}" }
  - id: escalate
    needs: triage
    if: "{{ steps.triage.output.severity }} > 3"
    type: noop
  - id: after-escalate
    needs: escalate
    type: noop
  - id: fix
    needs: triage
    type: function
    function: fail
    on_failure: notify
  - id: notify
    type: noop
    output: "fix failed"
`),
      { args: { severity: 2 } },
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const status = Object.fromEntries((await env.engine.steps(run.id)).map((s) => [s.key, s.status]));
    expect(status).toEqual({
      triage: "completed",
      escalate: "skipped",
      "after-escalate": "skipped",
      fix: "failed",
      notify: "completed",
    });
  });

  it("skips an on_failure handler whose source was skipped", async () => {
    env = testEnv({
      functions: {
        fail: () => {
          throw new TerminalError("broken");
        },
      },
    });
    const { run } = await env.engine.launch(
      wf(`
name: skipped-source
steps:
  - id: never
    if: "{{ false }}"
    type: function
    function: fail
    on_failure: handle-never
  - id: handle-never
    type: noop
  - id: root
    type: function
    function: fail
    on_failure: rescue
  - id: rescue
    type: noop
  - id: child
    needs: root
    type: noop
    on_failure: handle-child
  - id: handle-child
    type: noop
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const status = Object.fromEntries((await env.engine.steps(run.id)).map((s) => [s.key, s.status]));
    expect(status).toEqual({
      never: "skipped",
      "handle-never": "skipped",
      root: "failed",
      rescue: "completed",
      child: "skipped",
      "handle-child": "skipped",
    });
  });

  it.each([
    [1000, 1000, false],
    [1001, 1000, true],
    [2500, 1000, true],
  ])(
    "stores %i output lines as %i progress events (notice: %s), and every line in events.jsonl",
    async (lines, kept, notice) => {
      env = testEnv({
        functions: {
          chatty: (_input, ctx) => {
            for (let i = 1; i <= lines; i++) ctx.log("stdout", `line ${i}`);
            return null;
          },
        },
      });
      const { run } = await env.engine.launch(
        wf("name: t\nsteps:\n  - { id: talk, type: function, function: chatty }\n"),
      );
      expect((await env.engine.execute(run.id)).status).toBe("completed");
      const progress = (await env.store.events.list(run.id))
        .filter((e) => e.type === "workflow.step.progress")
        .map((e) => (e.data as { output: string }).output);
      const expected = Array.from({ length: kept }, (_, i) => `line ${i + 1}`);
      expect(progress).toEqual(
        notice ? [...expected, "(further output of talk is only in its events.jsonl log)"] : expected,
      );
      const file = join(env.dir, "runs", run.id, "logs", "talk", "events.jsonl");
      await until(
        () => existsSync(file) && readFileSync(file, "utf8").includes(`line ${lines}"`),
        10_000,
        "the log file",
      );
      const logged = readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.includes('"line '));
      expect(logged).toHaveLength(lines);
    },
  );

  it("an optional step's failure does not fail the run", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: opt
steps:
  - id: lint
    command: exit 3
    optional: true
  - id: build
    needs: lint
    command: echo ok
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const steps = await env.engine.steps(run.id);
    expect(steps[0]?.error?.code).toBe("WEFT_SCRIPT_EXIT");
  });

  it("fans out with foreach and joins the outputs in order", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: fan
steps:
  - id: each
    foreach: "{{ args.items }}"
    command: echo "item {{ item }} at {{ index }}"
  - id: join
    needs: each
    type: noop
    output: "{{ length(steps.each.output) }}"
`),
      { args: { items: ["a", "b", "c"] } },
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const steps = await env.engine.steps(run.id);
    const each = steps.find((s) => s.key === "each");
    expect((each?.output as Array<{ result: string }> | undefined)?.map((o) => o.result)).toEqual([
      "item a at 0",
      "item b at 1",
      "item c at 2",
    ]);
    expect(steps.find((s) => s.key === "join")?.output).toBe(3);
  });

  it("parallelism 1 runs independent steps one at a time", async () => {
    env = testEnv();
    const events = collect(env);
    const { run } = await env.engine.launch(
      wf(`
name: par
parallelism: 1
mode: dag
steps:
  - { id: a, command: sleep 0.05 }
  - { id: b, command: sleep 0.05 }
  - { id: c, command: sleep 0.05 }
`),
    );
    await env.engine.execute(run.id);
    let running = 0;
    let max = 0;
    for (const e of events) {
      if (e.type === "workflow.step.started") max = Math.max(max, ++running);
      if (e.type === "workflow.step.completed") running--;
    }
    expect(max).toBe(1);
  });

  it("a global cap bounds handlers across runs", async () => {
    let now = 0;
    let max = 0;
    env = testEnv({
      globalConcurrency: 2,
      functions: {
        work: async () => {
          max = Math.max(max, ++now);
          await new Promise((r) => setTimeout(r, 20));
          now--;
          return null;
        },
      },
    });
    const w = wf(`
name: cap
mode: dag
steps:
  - { id: a, type: function, function: work }
  - { id: b, type: function, function: work }
  - { id: c, type: function, function: work }
`);
    const runs = await Promise.all([1, 2, 3].map(() => env.engine.launch(w)));
    const done = await Promise.all(runs.map((r) => env.engine.execute(r.run.id)));
    expect(done.every((r) => r.status === "completed")).toBe(true);
    expect(max).toBe(2);
  });

  it("launching twice with one idempotency key starts one run", async () => {
    env = testEnv();
    const w = wf("name: once\nsteps:\n  - { id: a, type: noop }\n");
    const a = await env.engine.launch(w, { idempotencyKey: "k-1" });
    const b = await env.engine.launch(w, { idempotencyKey: "k-1" });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.run.id).toBe(a.run.id);
  });

  it("rejects bad args with every problem", async () => {
    env = testEnv();
    const w = wf(`
name: typed
argsSchema:
  type: object
  properties:
    environment: { type: string, enum: [dev, staging, production] }
    count: { type: integer }
  required: [environment]
steps:
  - { id: a, type: noop }
`);
    await expect(env.engine.launch(w, { args: { environment: "prod", count: "x" } })).rejects.toThrow(
      /environment[\s\S]*count/,
    );
    expect(await env.store.runs.list()).toEqual([]);
  });

  it("tracks the current phase", async () => {
    env = testEnv();
    const events = collect(env);
    const { run } = await env.engine.launch(
      wf(`
name: phased
phases: [build, test]
steps:
  - { id: a, phase: build, type: noop }
  - { id: b, phase: test, type: noop }
`),
    );
    const done = await env.engine.execute(run.id);
    expect(done.currentPhase).toBe("test");
    expect(
      events
        .filter((e) => e.type === "workflow.execution.phase_changed")
        .map((e) => "current_phase" in e.data && e.data.current_phase),
    ).toEqual(["build", "test"]);
  });
});

describe("engine: control from another process", () => {
  it("approval parks the run as waiting; another engine approves; the run completes", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: approve
steps:
  - { id: build, type: noop }
  - { id: review, needs: build, type: approval, message: "ship {{ run.name }}?" }
  - { id: ship, needs: review, type: noop, output: "{{ steps.review.output.by }}" }
`),
    );
    const done = env.engine.execute(run.id);
    await until(async () => (await env.store.runs.get(run.id))?.status === "waiting", 5000, "waiting");
    const other = env.other();
    await expect(other.approve(run.id, "build")).rejects.toThrow(/not waiting for approval/);
    await other.approve(run.id, "review", { by: "alice", comment: "lgtm" });
    const final = await done;
    expect(final.status).toBe("completed");
    const steps = await env.engine.steps(run.id);
    expect(steps.find((s) => s.key === "ship")?.output).toBe("alice");
  });

  it("a rejection fails the approval step and follows on_failure", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: reject
steps:
  - { id: review, type: approval, on_failure: rollback }
  - { id: ship, needs: review, type: noop }
  - { id: rollback, type: noop }
`),
    );
    const done = env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "review"))?.status === "waiting");
    await env.other().reject(run.id, "review", { by: "bob" });
    expect((await done).status).toBe("completed");
    const status = Object.fromEntries((await env.engine.steps(run.id)).map((s) => [s.key, s.status]));
    expect(status).toEqual({ review: "failed", ship: "skipped", rollback: "completed" });
  });

  it("an approval timeout applies onTimeout", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf("name: t\nsteps:\n  - { id: review, type: approval, timeout: 100ms, onTimeout: approve }\n"),
    );
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
  });

  it("pause from another process stops new steps after the current ones; resume goes on", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: pausable
steps:
  - { id: a, command: sleep 0.3 }
  - { id: b, command: echo b }
`),
    );
    const done = env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "running");
    const other = env.other();
    await other.pause(run.id);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "completed", 5000, "a completes");
    await new Promise((r) => setTimeout(r, 150));
    expect((await env.store.steps.get(run.id, "b"))?.status).toBe("pending");
    expect((await env.store.runs.get(run.id))?.status).toBe("paused");
    await other.resume(run.id);
    expect((await done).status).toBe("completed");
  });

  it("cancel from another process kills the running script and cancels the rest", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: cancellable
steps:
  - { id: a, command: sleep 300 }
  - { id: b, command: echo b }
`),
    );
    const done = env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "running");
    await env.other().cancel(run.id, "test");
    const final = await done; // the step's `sleep 300` was killed, or this would outlast the test's timeout
    expect(final.status).toBe("cancelled");
    const status = Object.fromEntries((await env.engine.steps(run.id)).map((s) => [s.key, s.status]));
    expect(status).toEqual({ a: "cancelled", b: "cancelled" });
  });

  it("retry-step resets a failed step and the run completes", async () => {
    env = testEnv();
    const flag = join(env.dir, "ok");
    const { run } = await env.engine.launch(
      wf(`
name: retry
steps:
  - { id: a, type: noop }
  - { id: b, needs: a, command: "test -f ${flag}" }
  - { id: c, needs: b, type: noop }
`),
    );
    expect((await env.engine.execute(run.id)).status).toBe("failed");
    writeFileSync(flag, "");
    await env.engine.retryStep(run.id, "b");
    const final = await env.engine.execute(run.id);
    expect(final.status).toBe("completed");
    const attempts = await env.store.steps.attempts(run.id, "a");
    expect(attempts.length).toBe(1); // a was not run again
  });

  it("rewind forks a new run from a checkpoint, reusing completed steps", async () => {
    const calls: string[] = [];
    const fn = (name: string) => (input: Json) => {
      calls.push(name);
      return { from: name, input };
    };
    env = testEnv({ functions: { one: fn("one"), two: fn("two"), three: fn("three") } });
    const { run } = await env.engine.launch(
      wf(`
name: rewind
steps:
  - { id: s1, type: function, function: one }
  - { id: s2, type: function, function: two }
  - { id: s3, type: function, function: three }
`),
    );
    await env.engine.execute(run.id);
    expect(calls).toEqual(["one", "two", "three"]);
    const cps = await env.store.checkpoints.list(run.id);
    const afterS1 = cps.find((c) => c.stepKey === "s1");
    const fork = await env.engine.rewind(run.id, afterS1!.number);
    expect(fork.forkedFrom).toEqual({ runId: run.id, checkpoint: afterS1!.number });
    const done = await env.engine.execute(fork.id);
    expect(done.status).toBe("completed");
    expect(calls).toEqual(["one", "two", "three", "two", "three"]);
    expect((await env.store.steps.get(fork.id, "s1"))?.output).toEqual({ from: "one", input: null });
  });

  it("a sleep survives a restart of the engine", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(
      wf(`
name: nap
steps:
  - { id: nap, type: sleep, duration: 400ms }
  - { id: after, needs: nap, type: noop }
`),
    );
    void env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "nap"))?.status === "waiting");
    await env.engine.close();
    const second = env.other();
    const final = await second.execute(run.id);
    expect(final.status).toBe("completed");
    // The sleep was re-armed from its stored timer, not started again.
    expect((await env.store.steps.attempts(run.id, "nap")).length).toBe(1);
  });
});

describe("engine: ownership", () => {
  it("a live owner's run cannot be driven by another engine", async () => {
    env = testEnv();
    const { run } = await env.engine.launch(wf("name: t\nsteps:\n  - { id: a, command: sleep 0.5 }\n"));
    const done = env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "running");
    const other = env.other();
    await expect(other.execute(run.id)).rejects.toThrow(/another process/);
    expect(other.ownedElsewhere((await env.store.runs.get(run.id))!)).toBe(true);
    expect((await done).status).toBe("completed");
  });

  it("after lease expiry another owner takes over and the stale owner's writes are refused", async () => {
    let clock = 1_000_000;
    env = testEnv({ clock: { now: () => clock }, leaseMs: 1000 });
    const { run } = await env.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: sleep, duration: 1h }\n"));
    const first = env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "waiting");
    const remoteOwner = { id: "remote", host: "elsewhere", pid: 1 };
    const other = env.other({ owner: remoteOwner, clock: { now: () => clock } });
    await expect(other.execute(run.id)).rejects.toThrow(/another process/);
    clock += 5000; // the first owner's lease expired (its heartbeats use the same fake clock but time jumped)
    const lease = await env.store.leases.acquire(run.id, { owner: remoteOwner, leaseMs: 60_000, now: clock });
    expect(lease?.takeover).toBe(true);
    // The first engine notices on its next write or renewal and stops.
    await expect(first).rejects.toThrow(/took over/);
  });

  it("a stale owner's result is refused by the fence: nothing of it is written and it stops", async () => {
    // The lease (10 min) is never renewed during the test, so only the commit's epoch check can notice the takeover.
    let clock = 1_000_000;
    env = testEnv({ clock: { now: () => clock }, leaseMs: 600_000 });
    const go = join(env.dir, "go");
    const { run } = await env.engine.launch(
      wf(`name: t\nsteps:\n  - { id: a, command: "while [ ! -e '${go}' ]; do sleep 0.02; done; echo stale" }\n`),
    );
    const first = env.engine.execute(run.id);
    first.catch(() => undefined);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "running");
    const before = (await env.store.runs.get(run.id))!;

    clock += 700_000; // the first owner's lease expired; another process takes the run
    const remoteOwner = { id: "remote", host: "elsewhere", pid: 1 };
    const lease = await env.store.leases.acquire(run.id, { owner: remoteOwner, leaseMs: 600_000, now: clock });
    expect(lease?.takeover).toBe(true);
    expect(lease?.lease.epoch).toBeGreaterThan(before.lease!.epoch);
    const eventsAtTakeover = (await env.store.events.list(run.id)).length;

    // The first owner's step ends now: its commit carries the old epoch.
    writeFileSync(go, "");
    await expect(first).rejects.toThrow(/took over/);
    const step = await env.store.steps.get(run.id, "a");
    expect(step?.status).toBe("running");
    expect(step?.output).toBeNull();
    const after = (await env.store.runs.get(run.id))!;
    expect(after.status).toBe("running");
    expect(after.lease?.owner.id).toBe("remote");
    expect((await env.store.events.list(run.id)).length).toBe(eventsAtTakeover);
  });
});

describe("engine: lease defaults (docs/operations.md: 30 s, renewed every 10 s)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("takes a 30 s lease and renews it to 30 s ahead every 10 s", async () => {
    // Only the intervals are faked (the heartbeat is one): the store and the waits below use real time.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    let clock = 1_000_000;
    env = testEnv({ clock: { now: () => clock } });
    const { run } = await env.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: sleep, duration: 1h }\n"));
    void env.engine.execute(run.id);
    await until(async () => (await env.store.steps.get(run.id, "a"))?.status === "waiting");
    const expiresAt = async () => (await env.store.runs.get(run.id))?.lease?.expiresAt;
    expect(await expiresAt()).toBe(1_030_000);
    clock += 9_999;
    await vi.advanceTimersByTimeAsync(9_999);
    expect(await expiresAt()).toBe(1_030_000); // not renewed yet
    clock += 1;
    await vi.advanceTimersByTimeAsync(1);
    await until(async () => (await expiresAt()) === 1_040_000, 10_000, "the first renewal");
    clock += 10_000;
    await vi.advanceTimersByTimeAsync(10_000);
    await until(async () => (await expiresAt()) === 1_050_000, 10_000, "the second renewal");
    vi.useRealTimers();
    await env.engine.cancel(run.id, "done");
  });
});

describe("engine: group commit", () => {
  it("commits many runs' steps together and keeps each run's outcome its own", async () => {
    env = testEnv({ globalConcurrency: 1000 });
    let batches = 0;
    const commitMany = env.store.commitMany.bind(env.store);
    env.store.commitMany = (ts) => {
      batches++;
      return commitMany(ts);
    };
    const w = wf(
      "name: many\nsteps:\n  - { id: a, type: noop }\n  - { id: b, type: sleep, duration: 50ms }\n  - { id: c, type: noop }\n",
    );
    const runs = await Promise.all(Array.from({ length: 40 }, () => env.engine.launch(w)));
    const done = Promise.all(runs.map((r) => env.engine.execute(r.run.id)));
    // Another process pauses one run mid-way: its refused batch slot must not disturb the others.
    const target = runs[7]!.run.id;
    await until(async () => (await env.store.steps.get(target, "b"))?.status === "waiting");
    await env.other().pause(target);
    await until(async () => (await env.store.runs.list({ status: ["completed"] })).length === 39, 10_000, "39 runs");
    expect((await env.store.runs.get(target))?.status).toBe("paused");
    await env.other().resume(target);
    const final = await done;
    expect(final.every((r) => r.status === "completed")).toBe(true);
    expect(batches).toBeGreaterThan(0);
    for (const r of runs) {
      const events = await env.store.events.list(r.run.id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    }
  });
});

describe("engine: close", () => {
  it("closing while a run is starting settles execute, gives the lease back, and refuses new work", async () => {
    env = testEnv();
    const w = wf("name: t\nsteps:\n  - { id: a, command: sleep 5 }\n");
    const { run } = await env.engine.launch(w);
    // Settled either way (close() waits for the run's files, so it may settle before close returns).
    const pending = env.engine.execute(run.id).then(
      () => "settled",
      () => "settled",
    );
    await env.engine.close();
    await expect(Promise.race([pending, new Promise((r) => setTimeout(() => r("hung"), 3000))])).resolves.toBe(
      "settled",
    );
    await expect(env.engine.execute(run.id)).rejects.toThrow(/closed/);
    // Another engine takes the run at once: the lease was released.
    expect((await env.store.runs.get(run.id))?.lease ?? null).toBeNull();
    const other = env.other();
    const done = other.execute(run.id);
    await until(async () => (await env.store.runs.get(run.id))?.lease?.owner.id === other.owner.id, 10_000, "takeover");
    await other.cancel(run.id);
    expect((await done).status).toBe("cancelled");
  });
});
