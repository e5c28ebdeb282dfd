import { describe, expect, it } from "vitest";
import type { Json } from "../../src/core/json.js";
import type { Dependency, RunStatus, StepRunRecord, StepStatus, Workflow, WorkflowStep } from "../../src/core/model.js";
import { DEFAULT_RETRY } from "../../src/core/model.js";
import type { Decision, Evaluation } from "../../src/core/scheduler.js";
import { schedule } from "../../src/core/scheduler.js";

type StepSpec = Partial<Omit<WorkflowStep, "needs">> & { id: string; needs?: Array<string | Dependency> };

function wf(steps: StepSpec[], extra: Partial<Workflow> = {}): Workflow {
  return {
    name: "t",
    tags: [],
    phases: [],
    steps: steps.map((s) => ({
      name: s.id,
      type: "noop",
      optional: false,
      retry: DEFAULT_RETRY,
      priority: 0,
      config: {},
      ...s,
      needs: (s.needs ?? []).map((n) => (typeof n === "string" ? { step: n, on: "success" as const } : n)),
    })),
    ...extra,
  };
}

type StateSpec =
  | StepStatus
  | {
      status: StepStatus;
      attempt?: number;
      notBefore?: number;
      items?: number;
      waitingFor?: "approval" | "timer";
      output?: Json;
    };

function states(spec: Record<string, StateSpec>): Map<string, StepRunRecord> {
  const m = new Map<string, StepRunRecord>();
  for (const [key, v] of Object.entries(spec)) {
    const s = typeof v === "string" ? { status: v } : v;
    const match = /^(.*)\[(\d+)\]$/.exec(key);
    m.set(key, {
      runId: "r",
      key,
      stepId: match ? match[1]! : key,
      iteration: match ? Number(match[2]) : null,
      status: s.status,
      attempt: s.attempt ?? (s.status === "pending" ? 0 : 1),
      input: null,
      output: s.output ?? null,
      error: s.status === "failed" ? { code: "WEFT_STEP_FAILED", message: `${key} failed`, retryable: false } : null,
      notBefore: s.notBefore ?? null,
      waitingFor: s.waitingFor ?? null,
      items: s.items ?? null,
      startedAt: null,
      endedAt: null,
      updatedAt: 0,
    });
  }
  return m;
}

/** Compact form of decisions for table assertions. */
function brief(ds: Decision[]): string[] {
  return ds.map((d) => {
    switch (d.kind) {
      case "start":
        return `start ${d.key}`;
      case "skip":
        return `skip ${d.key}`;
      case "fail":
        return `fail ${d.key}`;
      case "expand":
        return `expand ${d.stepId} ${d.items.length}`;
      case "join":
        return `join ${d.stepId} ${d.status}`;
      case "wake":
      case "approval-timeout":
        return `${d.kind} ${d.key}`;
      case "complete-run":
        return "complete-run";
      case "fail-run":
        return `fail-run skip=[${d.skip.join(",")}]`;
      default:
        return "?";
    }
  });
}

interface Row {
  name: string;
  workflow: Workflow;
  steps: Record<string, StateSpec>;
  expect: string[];
  runStatus?: RunStatus;
  capacity?: number;
  now?: number;
  eval?: (step: WorkflowStep, what: "if" | "foreach") => Evaluation;
}

const chain = wf([{ id: "a" }, { id: "b", needs: ["a"] }, { id: "c", needs: ["b"] }]);
const diamond = wf([{ id: "a" }, { id: "b", needs: ["a"] }, { id: "c", needs: ["a"] }, { id: "d", needs: ["b", "c"] }]);
const yes = (): Evaluation => ({ ok: true, value: true });
const no = (): Evaluation => ({ ok: true, value: false });

const rows: Row[] = [
  // Dependencies
  { name: "roots start", workflow: chain, steps: { a: "pending", b: "pending", c: "pending" }, expect: ["start a"] },
  { name: "waits for running dep", workflow: chain, steps: { a: "running", b: "pending", c: "pending" }, expect: [] },
  {
    name: "dep completed → start",
    workflow: chain,
    steps: { a: "completed", b: "pending", c: "pending" },
    expect: ["start b"],
  },
  {
    name: "no level barrier: b starts while c still runs",
    workflow: wf([{ id: "a" }, { id: "c" }, { id: "b", needs: ["a"] }]),
    steps: { a: "completed", c: "running", b: "pending" },
    expect: ["start b"],
  },
  {
    name: "diamond fan-out",
    workflow: diamond,
    steps: { a: "completed", b: "pending", c: "pending", d: "pending" },
    expect: ["start b", "start c"],
  },
  {
    name: "diamond join waits",
    workflow: diamond,
    steps: { a: "completed", b: "completed", c: "running", d: "pending" },
    expect: [],
  },
  {
    name: "diamond join",
    workflow: diamond,
    steps: { a: "completed", b: "completed", c: "completed", d: "pending" },
    expect: ["start d"],
  },
  {
    name: "all done → run completes",
    workflow: chain,
    steps: { a: "completed", b: "completed", c: "completed" },
    expect: ["complete-run"],
  },
  // Capacity, priority
  {
    name: "capacity 1 of 2",
    workflow: diamond,
    capacity: 1,
    steps: { a: "completed", b: "pending", c: "pending", d: "pending" },
    expect: ["start b"],
  },
  {
    name: "capacity 0",
    workflow: diamond,
    capacity: 0,
    steps: { a: "completed", b: "pending", c: "pending", d: "pending" },
    expect: [],
  },
  {
    name: "priority beats file order",
    workflow: wf([{ id: "low" }, { id: "high", priority: 5 }]),
    capacity: 1,
    steps: { low: "pending", high: "pending" },
    expect: ["start high"],
  },
  // Run status
  {
    name: "paused run starts nothing",
    workflow: chain,
    runStatus: "paused",
    steps: { a: "pending", b: "pending", c: "pending" },
    expect: [],
  },
  {
    name: "cancelled run starts nothing",
    workflow: chain,
    runStatus: "cancelled",
    steps: { a: "pending", b: "pending", c: "pending" },
    expect: [],
  },
  {
    name: "waiting run still schedules",
    workflow: diamond,
    runStatus: "waiting",
    steps: { a: "completed", b: "waiting", c: "pending", d: "pending" },
    expect: ["start c"],
  },
  // Conditions and skip propagation
  {
    name: "if false → skip",
    workflow: wf([{ id: "a", if: "x" }]),
    eval: no,
    steps: { a: "pending" },
    expect: ["skip a", "complete-run"],
  },
  {
    name: "if true → start",
    workflow: wf([{ id: "a", if: "x" }]),
    eval: yes,
    steps: { a: "pending" },
    expect: ["start a"],
  },
  {
    name: "if error → fail (fatal) → run fails",
    workflow: wf([{ id: "a", if: "x" }]),
    eval: () => ({ ok: false, error: { code: "WEFT_EXPRESSION", message: "bad", retryable: false } }),
    steps: { a: "pending" },
    expect: ["fail a", "fail-run skip=[]"],
  },
  { name: "skip propagates", workflow: chain, steps: { a: "skipped", b: "pending", c: "pending" }, expect: ["skip b"] },
  {
    name: "skip propagates further on next pass",
    workflow: chain,
    steps: { a: "skipped", b: "skipped", c: "pending" },
    expect: ["skip c", "complete-run"],
  },
  {
    name: "chain fully skipped → completes",
    workflow: chain,
    steps: { a: "skipped", b: "skipped", c: "skipped" },
    expect: ["complete-run"],
  },
  {
    name: "always edge runs after skip",
    workflow: wf([{ id: "a" }, { id: "b", needs: [{ step: "a", on: "always" }] }]),
    steps: { a: "skipped", b: "pending" },
    expect: ["start b"],
  },
  // Failure handling
  {
    name: "fatal failure: nothing new starts while others run",
    workflow: wf([{ id: "a" }, { id: "b" }, { id: "c", needs: ["a"] }]),
    steps: { a: "failed", b: "running", c: "pending" },
    expect: [],
  },
  {
    name: "fatal failure: run fails when nothing runs",
    workflow: wf([{ id: "a" }, { id: "b" }, { id: "c", needs: ["a"] }]),
    steps: { a: "failed", b: "completed", c: "pending" },
    expect: ["fail-run skip=[c]"],
  },
  {
    name: "optional failure: dependents run",
    workflow: wf([
      { id: "a", optional: true },
      { id: "b", needs: ["a"] },
    ]),
    steps: { a: "failed", b: "pending" },
    expect: ["start b"],
  },
  {
    name: "optional failure: run completes",
    workflow: wf([
      { id: "a", optional: true },
      { id: "b", needs: ["a"] },
    ]),
    steps: { a: "failed", b: "completed" },
    expect: ["complete-run"],
  },
  {
    name: "on_failure target runs when source failed",
    workflow: wf([{ id: "a" }, { id: "ok", needs: ["a"] }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: "failed", ok: "pending", handler: "pending" },
    expect: ["skip ok", "start handler"],
  },
  {
    name: "on_failure target skipped when source completed",
    workflow: wf([{ id: "a" }, { id: "ok", needs: ["a"] }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: "completed", ok: "pending", handler: "pending" },
    expect: ["skip handler", "start ok"],
  },
  {
    name: "on_failure target skipped when source was skipped (its `if` was false)",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }, { id: "other" }]),
    steps: { a: "skipped", handler: "pending", other: "running" },
    expect: ["skip handler"],
  },
  {
    name: "on_failure target skipped when source was skipped because its own dependency failed",
    workflow: wf([
      { id: "root" },
      { id: "a", needs: ["root"] },
      { id: "handler", needs: [{ step: "a", on: "failure" }] },
      { id: "rescue", needs: [{ step: "root", on: "failure" }] },
      { id: "other" },
    ]),
    steps: { root: "failed", a: "skipped", handler: "pending", rescue: "completed", other: "running" },
    expect: ["skip handler"],
  },
  {
    name: "on_failure target skipped when source was cancelled",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }, { id: "other" }]),
    steps: { a: "cancelled", handler: "pending", other: "running" },
    expect: ["skip handler"],
  },
  {
    name: "handled failure does not fail the run",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: "failed", handler: "completed" },
    expect: ["complete-run"],
  },
  // Retries
  {
    name: "retry waits for backoff",
    workflow: chain,
    now: 100,
    steps: { a: { status: "pending", attempt: 1, notBefore: 500 }, b: "pending", c: "pending" },
    expect: [],
  },
  {
    name: "retry due → start",
    workflow: chain,
    now: 500,
    steps: { a: { status: "pending", attempt: 1, notBefore: 500 }, b: "pending", c: "pending" },
    expect: ["start a"],
  },
  // Waiting steps
  {
    name: "sleep not due",
    workflow: wf([{ id: "s" }]),
    now: 10,
    steps: { s: { status: "waiting", waitingFor: "timer", notBefore: 20 } },
    expect: [],
  },
  {
    name: "sleep due → wake",
    workflow: wf([{ id: "s" }]),
    now: 20,
    steps: { s: { status: "waiting", waitingFor: "timer", notBefore: 20 } },
    expect: ["wake s"],
  },
  {
    name: "approval waits without deadline",
    workflow: wf([{ id: "ap" }, { id: "b", needs: ["ap"] }]),
    steps: { ap: { status: "waiting", waitingFor: "approval" }, b: "pending" },
    expect: [],
  },
  {
    name: "approval deadline passed",
    workflow: wf([{ id: "ap" }]),
    now: 50,
    steps: { ap: { status: "waiting", waitingFor: "approval", notBefore: 40 } },
    expect: ["approval-timeout ap"],
  },
  // foreach
  {
    name: "foreach expands and starts items",
    workflow: wf([{ id: "f", foreach: "xs" }]),
    eval: () => ({ ok: true, value: [1, 2, 3] }),
    steps: { f: "pending" },
    expect: ["expand f 3", "start f[0]", "start f[1]", "start f[2]"],
  },
  {
    name: "foreach over empty list completes at once",
    workflow: wf([{ id: "f", foreach: "xs" }]),
    eval: () => ({ ok: true, value: [] }),
    steps: { f: "pending" },
    expect: ["expand f 0", "join f completed", "complete-run"],
  },
  {
    name: "foreach over a non-list fails",
    workflow: wf([{ id: "f", foreach: "xs", optional: true }]),
    eval: () => ({ ok: true, value: "nope" }),
    steps: { f: "pending" },
    expect: ["fail f", "complete-run"],
  },
  {
    name: "foreach items respect capacity",
    workflow: wf([{ id: "f", foreach: "xs" }]),
    capacity: 1,
    steps: { f: { status: "running", items: 2 }, "f[0]": "running", "f[1]": "pending" },
    expect: ["start f[1]"],
  },
  {
    name: "foreach join when all items end",
    workflow: wf([
      { id: "f", foreach: "xs" },
      { id: "g", needs: ["f"] },
    ]),
    steps: { f: { status: "running", items: 2 }, "f[0]": "completed", "f[1]": "completed", g: "pending" },
    expect: ["join f completed"],
  },
  {
    name: "foreach item failure fails the join",
    workflow: wf([{ id: "f", foreach: "xs" }]),
    steps: { f: { status: "running", items: 2 }, "f[0]": "completed", "f[1]": "failed" },
    expect: ["join f failed", "fail-run skip=[]"],
  },
];

describe("scheduler", () => {
  for (const row of rows) {
    it(row.name, () => {
      const out = schedule({
        workflow: row.workflow,
        steps: states(row.steps),
        runStatus: row.runStatus ?? "running",
        now: row.now ?? 0,
        capacity: row.capacity ?? 100,
        evaluate: row.eval ?? yes,
      });
      expect(brief(out.decisions)).toEqual(row.expect);
    });
  }

  it("reports the next wake-up time", () => {
    const out = schedule({
      workflow: wf([{ id: "a" }, { id: "s" }]),
      steps: states({
        a: { status: "pending", attempt: 1, notBefore: 300 },
        s: { status: "waiting", waitingFor: "timer", notBefore: 200 },
      }),
      runStatus: "running",
      now: 100,
      capacity: 10,
      evaluate: yes,
    });
    expect(out.wakeAt).toBe(200);
  });

  it("reports starvation when capacity holds steps back", () => {
    const out = schedule({
      workflow: diamond,
      steps: states({ a: "completed", b: "pending", c: "pending", d: "pending" }),
      runStatus: "running",
      now: 0,
      capacity: 1,
      evaluate: yes,
    });
    expect(out.starved).toBe(true);
  });

  it("run output is the sink steps' outputs", () => {
    const out = schedule({
      workflow: chain,
      steps: states({
        a: { status: "completed", output: 1 },
        b: { status: "completed", output: 2 },
        c: { status: "completed", output: { done: true } },
      }),
      runStatus: "running",
      now: 0,
      capacity: 10,
      evaluate: yes,
    });
    expect(out.decisions).toEqual([{ kind: "complete-run", output: { c: { done: true } } }]);
  });
});
