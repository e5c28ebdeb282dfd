import { describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../src/core/errors.js";
import { BudgetExceededError } from "../../src/core/errors.js";
import type { Json } from "../../src/core/json.js";
import type { RetryPolicy, RunRecord, RunStatus, StepRunRecord, StepStatus, Workflow } from "../../src/core/model.js";
import { DEFAULT_RETRY } from "../../src/core/model.js";
import type { Decision } from "../../src/core/scheduler.js";
import { RunState } from "../../src/engine/state.js";
import type { Command, Rules, StepResult } from "../../src/engine/transitions.js";
import { apply, applyResult, runTimeout, takeOver, updateRunStatus } from "../../src/engine/transitions.js";

const NOW = 10_000;
const RETRY3: RetryPolicy = { ...DEFAULT_RETRY, maxAttempts: 3, initialDelayMs: 1000, jitter: 0 };
const RETRYABLE: ErrorInfo = { code: "WEFT_RATE_LIMITED", message: "flaky", retryable: true };
const TERMINAL: ErrorInfo = { code: "WEFT_SCRIPT_EXIT", message: "bad", retryable: false };

/** Steps a (retry 3), b (no retry, phase "build"), x (a foreach), o (retry 3, only on WEFT_PROVIDER). */
const workflow: Workflow = {
  name: "t",
  tags: [],
  phases: [],
  steps: [
    { id: "a", name: "Step A", type: "noop", optional: false, retry: RETRY3, priority: 0, config: {}, needs: [] },
    { id: "b", name: "b", type: "noop", optional: false, retry: DEFAULT_RETRY, priority: 0, config: {}, needs: [] },
    { id: "x", name: "x", type: "noop", optional: false, retry: RETRY3, priority: 0, config: {}, needs: [] },
    {
      id: "o",
      name: "o",
      type: "noop",
      optional: false,
      retry: { ...RETRY3, retryOn: ["WEFT_PROVIDER"] },
      priority: 0,
      config: {},
      needs: [],
    },
  ],
};
workflow.steps[1]!.phase = "build";
workflow.steps[2]!.foreach = "[1, 2]";

type StateSpec =
  | StepStatus
  | {
      status: StepStatus;
      attempt?: number;
      notBefore?: number;
      items?: number;
      waitingFor?: "approval" | "timer";
      output?: Json;
      input?: Json;
      startedAt?: number;
    };

function state(spec: Record<string, StateSpec>, runStatus: RunStatus = "running"): RunState {
  const run: RunRecord = {
    id: "r",
    projectId: "p",
    name: "t",
    workflowName: "t",
    workflowHash: "h",
    definition: workflow,
    args: {},
    status: runStatus,
    currentPhase: null,
    error: null,
    output: null,
    priority: 0,
    triggeredBy: null,
    idempotencyKey: null,
    parentRunId: null,
    forkedFrom: null,
    createdAt: 0,
    startedAt: runStatus === "pending" ? null : 1,
    endedAt: null,
    pausedAt: runStatus === "paused" ? 1 : null,
    cancelledAt: null,
    updatedAt: 0,
    version: 1,
    lease: null,
  };
  const steps: StepRunRecord[] = Object.entries(spec).map(([key, v]) => {
    const s = typeof v === "string" ? { status: v } : v;
    const match = /^(.*)\[(\d+)\]$/.exec(key);
    return {
      runId: "r",
      key,
      stepId: match ? match[1]! : key,
      iteration: match ? Number(match[2]) : null,
      status: s.status,
      attempt: s.attempt ?? (s.status === "pending" ? 0 : 1),
      input: s.input ?? null,
      output: s.output ?? null,
      error: null,
      notBefore: s.notBefore ?? null,
      waitingFor: s.waitingFor ?? null,
      items: s.items ?? null,
      startedAt: s.startedAt ?? null,
      endedAt: null,
      updatedAt: 0,
    };
  });
  return new RunState(run, steps);
}

/** Jitter 0 and a fixed random: the backoff is exact. */
const rules: Rules = { step: (id) => workflow.steps.find((s) => s.id === id), random: () => 0.5 };

interface Brief {
  steps: string[];
  events: string[];
  attempts: string[];
  run: string[];
  commands: string[];
}

function briefStep(s: StepRunRecord): string {
  let out = `${s.key} ${s.status}#${s.attempt}`;
  if (s.notBefore !== null) out += ` until=${s.notBefore}`;
  if (s.waitingFor !== null) out += ` for=${s.waitingFor}`;
  if (s.items !== null) out += ` items=${s.items}`;
  if (s.error) out += ` ${s.error.code}`;
  return out;
}

function briefEvent(e: { type: string; data: unknown }): string {
  const d = e.data as Record<string, unknown>;
  const type = e.type.replace(/^workflow\./, "");
  const extra: string[] = [];
  if (typeof d.key === "string") extra.push(d.key);
  for (const f of ["status", "attempt", "delay_ms", "approved", "reason", "until", "current_phase", "epoch"]) {
    if (d[f] !== undefined) extra.push(`${f}=${String(d[f])}`);
  }
  if (type === "execution.status_changed") return `status ${String(d.previous)}→${String(d.status)}`;
  return [type, ...extra].join(" ");
}

function briefCommand(c: Command): string {
  if (c.kind === "launch") return `launch ${c.start.key}`;
  if (c.kind === "abort-handlers") return `abort-handlers ${c.error.code}`;
  return c.kind;
}

/** What a rule changed: the transition the state would commit, plus the commands. */
function outcome(st: RunState, commands: Command[] | undefined): Brief {
  const t = st.take(NOW, 1);
  const run = Object.entries(t.run ?? {})
    .filter(([k]) => k === "status" || k === "output" || k === "currentPhase")
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return {
    steps: (t.steps ?? []).map(briefStep),
    events: (t.events ?? []).map(briefEvent),
    attempts: (t.attempts ?? []).map((a) => `${a.key}#${a.attempt} ${a.status}`),
    run,
    commands: (commands ?? []).map(briefCommand),
  };
}

interface Row {
  name: string;
  steps: Record<string, StateSpec>;
  run?: RunStatus;
  act: (st: RunState) => Command[] | undefined;
  expect: Partial<Brief>;
}

const NONE: Brief = { steps: [], events: [], attempts: [], run: [], commands: [] };
const decide = (d: Decision) => (st: RunState) => apply(st, d, NOW, rules);
const result = (r: StepResult) => (st: RunState) => void applyResult(st, r, NOW, rules);
const budget = new BudgetExceededError("run budget of 100 tokens exceeded", {
  scope: "run",
  pause: true,
  limit: { tokens: 100, costUsd: null },
  spent: { tokens: 120, costUsd: 0 },
});

const applyRows: Row[] = [
  {
    name: "start: running with the next attempt, phase, started; acquire a slot now, launch after the commit",
    steps: { b: "pending" },
    act: decide({ kind: "start", key: "b", stepId: "b", iteration: null }),
    expect: {
      steps: ["b running#1"],
      events: ["execution.phase_changed current_phase=build", "step.started b attempt=1"],
      run: ['currentPhase="build"'],
      commands: ["acquire-slot", "launch b"],
    },
  },
  {
    name: "start of a retry: the backoff wait is cleared, the attempt goes on",
    steps: { a: { status: "pending", attempt: 1, notBefore: NOW - 1 } },
    act: decide({ kind: "start", key: "a", stepId: "a", iteration: null }),
    expect: { steps: ["a running#2"], events: ["step.started a attempt=2"], commands: ["acquire-slot", "launch a"] },
  },
  {
    name: "start of a step run that is gone: nothing",
    steps: {},
    act: decide({ kind: "start", key: "a", stepId: "a", iteration: null }),
    expect: NONE,
  },
  {
    name: "skip: skipped with the reason, no attempt record",
    steps: { a: "pending" },
    act: decide({ kind: "skip", key: "a", stepId: "a", reason: "condition is false" }),
    expect: { steps: ["a skipped#0"], events: ["step.completed a status=skipped attempt=0 reason=condition is false"] },
  },
  {
    name: "fail: failed with the error",
    steps: { a: "pending" },
    act: decide({ kind: "fail", key: "a", stepId: "a", error: TERMINAL }),
    expect: { steps: ["a failed#0 WEFT_SCRIPT_EXIT"], events: ["step.completed a status=failed attempt=0"] },
  },
  {
    name: "expand: the parent runs with its item count, one pending item run each",
    steps: { x: "pending" },
    act: decide({ kind: "expand", stepId: "x", items: ["p", "q"] }),
    expect: { steps: ["x running#0 items=2", "x[0] pending#0", "x[1] pending#0"] },
  },
  {
    name: "expand again (after retry-step): item attempt counts go on",
    steps: { x: "pending", "x[0]": { status: "failed", attempt: 3 }, "x[1]": { status: "completed", attempt: 1 } },
    act: decide({ kind: "expand", stepId: "x", items: ["p", "q", "r"] }),
    expect: { steps: ["x running#0 items=3", "x[0] pending#3", "x[1] pending#1", "x[2] pending#0"] },
  },
  {
    name: "join completed: the parent completes with the outputs, no attempt record",
    steps: { x: { status: "running", attempt: 0, items: 2 } },
    act: decide({ kind: "join", stepId: "x", status: "completed", output: [1, 2] }),
    expect: { steps: ["x completed#0 items=2"], events: ["step.completed x status=completed attempt=0"] },
  },
  {
    name: "join failed: the parent fails with the item's error, no attempt record",
    steps: { x: { status: "running", attempt: 1, items: 2 } },
    act: decide({ kind: "join", stepId: "x", status: "failed", error: TERMINAL }),
    expect: { steps: ["x failed#1 items=2 WEFT_SCRIPT_EXIT"], events: ["step.completed x status=failed attempt=1"] },
  },
  {
    name: "wake: a due sleep completes",
    steps: { a: { status: "waiting", waitingFor: "timer", notBefore: NOW, output: { slept: true } } },
    act: decide({ kind: "wake", key: "a", stepId: "a" }),
    expect: {
      steps: ["a completed#1"],
      events: ["step.completed a status=completed attempt=1"],
      attempts: ["a#1 completed"],
    },
  },
  {
    name: "approval timeout, onTimeout reject (or unset): decided by timeout, the step fails WEFT_REJECTED",
    steps: { a: { status: "waiting", waitingFor: "approval", notBefore: NOW, output: { onTimeout: null } } },
    act: decide({ kind: "approval-timeout", key: "a", stepId: "a" }),
    expect: {
      steps: ["a failed#1 WEFT_REJECTED"],
      events: ["approval.decided a approved=false", "step.completed a status=failed attempt=1"],
      attempts: ["a#1 failed"],
    },
  },
  {
    name: "approval timeout, onTimeout approve: the step completes approved by timeout",
    steps: { a: { status: "waiting", waitingFor: "approval", notBefore: NOW, output: { onTimeout: "approve" } } },
    act: decide({ kind: "approval-timeout", key: "a", stepId: "a" }),
    expect: {
      steps: ["a completed#1"],
      events: ["approval.decided a approved=true", "step.completed a status=completed attempt=1"],
      attempts: ["a#1 completed"],
    },
  },
  {
    name: "complete-run: the run takes the output and completes",
    steps: { a: "completed" },
    act: decide({ kind: "complete-run", output: { a: 1 } }),
    expect: { run: ['output={"a":1}', 'status="completed"'], events: ["status running→completed"] },
  },
  {
    name: "fail-run: the listed steps are skipped, then the run fails",
    steps: { a: "failed", b: "pending" },
    act: decide({ kind: "fail-run", error: TERMINAL, skip: ["b"] }),
    expect: {
      steps: ["b skipped#0"],
      events: ["step.completed b status=skipped attempt=0 reason=the run failed", "status running→failed"],
      run: ['status="failed"'],
    },
  },
];

const resultRows: Row[] = [
  {
    name: "stale: another attempt runs now",
    steps: { a: { status: "running", attempt: 2 } },
    act: result({ key: "a", attempt: 1, outcome: { kind: "completed", output: 1 } }),
    expect: NONE,
  },
  {
    name: "stale: the step run was cancelled meanwhile",
    steps: { a: { status: "cancelled", attempt: 1 } },
    act: result({ key: "a", attempt: 1, outcome: { kind: "completed", output: 1 } }),
    expect: NONE,
  },
  {
    name: "stale: the step run is gone",
    steps: {},
    act: result({ key: "a", attempt: 1, error: RETRYABLE }),
    expect: NONE,
  },
  {
    name: "completed: the step completes with its output",
    steps: { a: { status: "running", startedAt: NOW - 5 } },
    act: result({ key: "a", attempt: 1, outcome: { kind: "completed", output: 7 } }),
    expect: {
      steps: ["a completed#1"],
      events: ["step.completed a status=completed attempt=1"],
      attempts: ["a#1 completed"],
    },
  },
  {
    name: "approval with a timeout: waiting for approval until now + timeout",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, outcome: { kind: "approval", message: "ok?", timeoutMs: 500 } }),
    expect: {
      steps: [`a waiting#1 until=${NOW + 500} for=approval`],
      events: [`step.waiting a reason=approval until=${NOW + 500}`],
    },
  },
  {
    name: "approval without a timeout: waiting for approval, no deadline",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, outcome: { kind: "approval" } }),
    expect: { steps: ["a waiting#1 for=approval"], events: ["step.waiting a reason=approval"] },
  },
  {
    name: "sleep: waiting for the timer until its time",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, outcome: { kind: "sleep", until: NOW + 60_000 } }),
    expect: {
      steps: [`a waiting#1 until=${NOW + 60_000} for=timer`],
      events: [`step.waiting a reason=timer until=${NOW + 60_000}`],
    },
  },
  {
    name: "retryable failure with attempts left: attempt record, pending after the backoff, retrying",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, error: RETRYABLE }),
    expect: {
      steps: [`a pending#1 until=${NOW + 1000} WEFT_RATE_LIMITED`],
      events: ["step.retrying a attempt=1 delay_ms=1000"],
      attempts: ["a#1 failed"],
    },
  },
  {
    name: "second retry: the backoff grows",
    steps: { a: { status: "running", attempt: 2 } },
    act: result({ key: "a", attempt: 2, error: RETRYABLE }),
    expect: {
      steps: [`a pending#2 until=${NOW + 2000} WEFT_RATE_LIMITED`],
      events: ["step.retrying a attempt=2 delay_ms=2000"],
      attempts: ["a#2 failed"],
    },
  },
  {
    name: "retryAfterMs larger than the backoff: the retry waits retryAfterMs",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, error: RETRYABLE, retryAfterMs: 30_000 }),
    expect: {
      steps: [`a pending#1 until=${NOW + 30_000} WEFT_RATE_LIMITED`],
      events: ["step.retrying a attempt=1 delay_ms=30000"],
      attempts: ["a#1 failed"],
    },
  },
  {
    name: "retryAfterMs smaller than the backoff: the backoff wins",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, error: RETRYABLE, retryAfterMs: 10 }),
    expect: { events: ["step.retrying a attempt=1 delay_ms=1000"] },
  },
  {
    name: "retries exhausted: the step fails",
    steps: { a: { status: "running", attempt: 3 } },
    act: result({ key: "a", attempt: 3, error: RETRYABLE }),
    expect: {
      steps: ["a failed#3 WEFT_RATE_LIMITED"],
      events: ["step.completed a status=failed attempt=3"],
      attempts: ["a#3 failed"],
    },
  },
  {
    name: "retries counted from the attempt base (a re-expanded item): retried",
    steps: { "x[0]": { status: "running", attempt: 4, input: { item: 1, base: 3 } } },
    act: result({ key: "x[0]", attempt: 4, error: RETRYABLE }),
    expect: { events: ["step.retrying x[0] attempt=4 delay_ms=1000"], attempts: ["x[0]#4 failed"] },
  },
  {
    name: "a terminal error: no retry",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, error: TERMINAL }),
    expect: {
      steps: ["a failed#1 WEFT_SCRIPT_EXIT"],
      events: ["step.completed a status=failed attempt=1"],
      attempts: ["a#1 failed"],
    },
  },
  {
    name: "an error retryOn does not list: no retry",
    steps: { o: "running" },
    act: result({ key: "o", attempt: 1, error: RETRYABLE }),
    expect: {
      steps: ["o failed#1 WEFT_RATE_LIMITED"],
      events: ["step.completed o status=failed attempt=1"],
      attempts: ["o#1 failed"],
    },
  },
  {
    name: "neither outcome nor error: the step fails WEFT_INTERNAL",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1 }),
    expect: {
      steps: ["a failed#1 WEFT_INTERNAL"],
      events: ["step.completed a status=failed attempt=1"],
      attempts: ["a#1 failed"],
    },
  },
  {
    name: "over budget, policy pause: the step waits with its attempt unspent, the run pauses",
    steps: { a: "running" },
    act: result({ key: "a", attempt: 1, error: TERMINAL, budgetPause: budget }),
    expect: {
      steps: ["a pending#0"],
      events: ["execution.budget_exceeded a", "step.progress a", "status running→paused"],
      run: ['status="paused"'],
    },
  },
  {
    name: "over budget while the run is already paused: no second status change",
    steps: { a: { status: "running", attempt: 2 } },
    run: "paused",
    act: result({ key: "a", attempt: 2, error: TERMINAL, budgetPause: budget }),
    expect: { steps: ["a pending#1"], events: ["execution.budget_exceeded a", "step.progress a"] },
  },
];

const statusRows: Row[] = [
  {
    name: "running, only a step waiting: waiting",
    steps: { a: "waiting", b: "completed" },
    act: (st) => void updateRunStatus(st, NOW),
    expect: { run: ['status="waiting"'], events: ["status running→waiting"] },
  },
  {
    name: "running, a step waiting and one running: stays running",
    steps: { a: "waiting", b: "running" },
    act: (st) => void updateRunStatus(st, NOW),
    expect: NONE,
  },
  {
    name: "running, a step waiting and a retry in backoff: stays running",
    steps: { a: "waiting", b: { status: "pending", attempt: 1, notBefore: NOW + 5 } },
    act: (st) => void updateRunStatus(st, NOW),
    expect: NONE,
  },
  {
    name: "running, a foreach parent running and its item waiting: waiting (the parent runs no handler)",
    steps: { x: { status: "running", attempt: 0, items: 1 }, "x[0]": "waiting" },
    act: (st) => void updateRunStatus(st, NOW),
    expect: { run: ['status="waiting"'], events: ["status running→waiting"] },
  },
  {
    name: "waiting, a step runs again: running",
    steps: { a: "waiting", b: "running" },
    run: "waiting",
    act: (st) => void updateRunStatus(st, NOW),
    expect: { run: ['status="running"'], events: ["status waiting→running"] },
  },
  {
    name: "waiting, a retry in backoff: running",
    steps: { a: "waiting", b: { status: "pending", attempt: 1, notBefore: NOW + 5 } },
    run: "waiting",
    act: (st) => void updateRunStatus(st, NOW),
    expect: { run: ['status="running"'], events: ["status waiting→running"] },
  },
  {
    name: "waiting, nothing waits any more: running",
    steps: { a: "completed", b: "pending" },
    run: "waiting",
    act: (st) => void updateRunStatus(st, NOW),
    expect: { run: ['status="running"'], events: ["status waiting→running"] },
  },
  {
    name: "waiting, still only waiting: unchanged",
    steps: { a: "waiting" },
    run: "waiting",
    act: (st) => void updateRunStatus(st, NOW),
    expect: NONE,
  },
  {
    name: "paused: left alone",
    steps: { a: "waiting" },
    run: "paused",
    act: (st) => void updateRunStatus(st, NOW),
    expect: NONE,
  },
];

const owner = { id: "o1", host: "h", pid: 42 };
const takeOverRows: Row[] = [
  {
    name: "take-over: lease event, an interrupted step run goes back to pending with its attempt unspent",
    steps: { a: { status: "running", attempt: 2 }, b: "completed" },
    act: (st) => void takeOver(st, { owner, epoch: 3, takeover: true, live: () => false }, NOW),
    expect: {
      steps: ["a pending#1"],
      events: ["execution.lease_acquired epoch=3", "step.progress a"],
    },
  },
  {
    name: "take-over of a pending run: it becomes running",
    steps: { a: "pending" },
    run: "pending",
    act: (st) => void takeOver(st, { owner, epoch: 1, takeover: false, live: () => false }, NOW),
    expect: { events: ["execution.lease_acquired epoch=1", "status pending→running"], run: ['status="running"'] },
  },
  {
    name: "take-over again (after a conflict): a step this process still runs is not interrupted",
    steps: { a: "running" },
    act: (st) => void takeOver(st, { owner, epoch: 1, takeover: false, live: (key) => key === "a" }, NOW),
    expect: { events: ["execution.lease_acquired epoch=1"] },
  },
  {
    name: "take-over: a foreach parent stays running, its interrupted item is reset",
    steps: { x: { status: "running", attempt: 0, items: 1 }, "x[0]": "running" },
    act: (st) => void takeOver(st, { owner, epoch: 2, takeover: true, live: () => false }, NOW),
    expect: { steps: ["x[0] pending#0"], events: ["execution.lease_acquired epoch=2", "step.progress x[0]"] },
  },
];

const timeoutRows: Row[] = [
  {
    name: "run timeout: running, waiting and pending step runs are cancelled, the run fails, handlers abort",
    steps: { a: "running", b: "waiting", o: "pending", x: "completed" },
    act: (st) => runTimeout(st, 500, NOW),
    expect: {
      steps: ["a cancelled#1 WEFT_TIMEOUT", "b cancelled#1 WEFT_TIMEOUT", "o cancelled#0 WEFT_TIMEOUT"],
      events: [
        "step.completed a status=cancelled attempt=1 reason=the run timed out",
        "step.completed b status=cancelled attempt=1 reason=the run timed out",
        "step.completed o status=cancelled attempt=0 reason=the run timed out",
        "status running→failed",
      ],
      attempts: ["a#1 cancelled", "b#1 cancelled"],
      run: ['status="failed"'],
      commands: ["abort-handlers WEFT_TIMEOUT"],
    },
  },
  {
    name: "run timeout after the run ended: nothing",
    steps: { a: "completed" },
    run: "completed",
    act: (st) => runTimeout(st, 500, NOW),
    expect: NONE,
  },
];

describe("transitions", () => {
  for (const [group, rows] of [
    ["apply", applyRows],
    ["applyResult", resultRows],
    ["updateRunStatus", statusRows],
    ["takeOver", takeOverRows],
    ["runTimeout", timeoutRows],
  ] as const) {
    describe(group, () => {
      for (const row of rows) {
        it(row.name, () => {
          const st = state(row.steps, row.run);
          const got = outcome(st, row.act(st));
          const want: Partial<Brief> = {};
          for (const k of Object.keys(row.expect) as Array<keyof Brief>) want[k] = got[k];
          expect(want).toEqual(row.expect);
        });
      }
    });
  }

  it("a re-expanded item's attempt base is the attempt it continues from", () => {
    const st = state({ x: "pending", "x[0]": { status: "failed", attempt: 3 } });
    apply(st, { kind: "expand", stepId: "x", items: ["p"] }, NOW, rules);
    expect(st.step("x[0]")).toMatchObject({ attempt: 3, input: { item: "p", base: 3 }, status: "pending" });
  });

  it("an approval's request keeps its message and onTimeout for the timeout rule", () => {
    const st = state({ a: "running" });
    applyResult(
      st,
      { key: "a", attempt: 1, outcome: { kind: "approval", message: "ship?", timeoutMs: 5, onTimeout: "approve" } },
      NOW,
      rules,
    );
    st.take(NOW, 1);
    apply(st, { kind: "approval-timeout", key: "a", stepId: "a" }, NOW + 5, rules);
    expect(st.step("a")).toMatchObject({ status: "completed", output: { approved: true, by: "timeout" } });
  });

  it("the backoff's jitter comes from the random source", () => {
    const jittery: Rules = {
      step: () => ({ ...workflow.steps[0]!, retry: { ...RETRY3, jitter: 0.5 } }),
      random: () => 1,
    };
    const st = state({ a: "running" });
    applyResult(st, { key: "a", attempt: 1, error: RETRYABLE }, NOW, jittery);
    expect(st.step("a")?.notBefore).toBe(NOW + 500);
  });
});
