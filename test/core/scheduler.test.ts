import { describe, expect, it } from "vitest";
import type { ErrorInfo } from "../../src/core/errors.js";
import type { Json } from "../../src/core/json.js";
import type { Dependency, RunStatus, StepStatus, Workflow, WorkflowStep } from "../../src/core/model.js";
import { DEFAULT_RETRY } from "../../src/core/model.js";
import type { Decision, Evaluation } from "../../src/core/scheduler.js";
import { schedule } from "../../src/core/scheduler.js";
import type { StateSpec } from "../helpers/step-records.js";
import { stepRecords } from "../helpers/step-records.js";

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
    // The rule is "fires when the source failed", not "when it did not complete".
    name: "on_failure target skipped when source was skipped",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: "skipped", handler: "pending" },
    expect: ["skip handler", "complete-run"],
  },
  {
    name: "on_failure target skipped when source was cancelled",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: "cancelled", handler: "pending" },
    expect: ["skip handler", "complete-run"],
  },
  {
    name: "on_failure target skipped when source's own dependency skipped it",
    workflow: wf([{ id: "x" }, { id: "a", needs: ["x"] }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { x: "skipped", a: "skipped", handler: "pending" },
    expect: ["skip handler", "complete-run"],
  },
  {
    name: "on_failure target waits while its source runs",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: "running", handler: "pending" },
    expect: [],
  },
  {
    name: "on_failure target waits while its source waits",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    steps: { a: { status: "waiting", waitingFor: "approval" }, handler: "pending" },
    expect: [],
  },
  {
    name: "on_failure target waits for a retrying source",
    workflow: wf([{ id: "a" }, { id: "handler", needs: [{ step: "a", on: "failure" }] }]),
    now: 100,
    steps: { a: { status: "pending", attempt: 1, notBefore: 500 }, handler: "pending" },
    expect: [],
  },
  {
    name: "on_failure target runs when an optional source failed",
    workflow: wf([
      { id: "a", optional: true },
      { id: "handler", needs: [{ step: "a", on: "failure" }] },
    ]),
    steps: { a: "failed", handler: "pending" },
    expect: ["start handler"],
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
        steps: stepRecords(row.steps),
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
      steps: stepRecords({
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
      steps: stepRecords({ a: "completed", b: "pending", c: "pending", d: "pending" }),
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
      steps: stepRecords({
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

/** The full decisions, not their brief: reasons, errors, outputs. */
function decide(
  workflow: Workflow,
  spec: Record<string, StateSpec>,
  o: { now?: number; capacity?: number; eval?: Row["eval"] } = {},
) {
  return schedule({
    workflow,
    steps: stepRecords(spec),
    runStatus: "running",
    now: o.now ?? 0,
    capacity: o.capacity ?? 100,
    evaluate: o.eval ?? yes,
  });
}

describe("scheduler: what the decisions carry", () => {
  it("says why a step is skipped", () => {
    const handler = wf([{ id: "a" }, { id: "h", needs: [{ step: "a", on: "failure" }] }]);
    expect(decide(handler, { a: "completed", h: "pending" }).decisions[0]).toEqual({
      kind: "skip",
      key: "h",
      stepId: "h",
      reason: "runs only when `a` fails",
    });
    const reasons = (status: StepStatus) =>
      decide(chain, { a: status, b: "pending", c: "pending" }).decisions.find((d) => d.kind === "skip");
    expect(reasons("skipped")).toMatchObject({ key: "b", reason: "`a` was skipped" });
    expect(reasons("cancelled")).toMatchObject({ key: "b", reason: "`a` was cancelled" });
    const cond = decide(wf([{ id: "a", if: "x" }]), { a: "pending" }, { eval: no });
    expect(cond.decisions[0]).toEqual({ kind: "skip", key: "a", stepId: "a", reason: "condition is false" });
  });

  it("a failed source's dependent is skipped naming it, once the failure is handled", () => {
    const w = wf([{ id: "a" }, { id: "b", needs: ["a"] }, { id: "h", needs: [{ step: "a", on: "failure" }] }]);
    expect(decide(w, { a: "failed", b: "pending", h: "pending" }).decisions).toEqual([
      { kind: "skip", key: "b", stepId: "b", reason: "`a` failed" },
      { kind: "start", key: "h", stepId: "h", iteration: null },
    ]);
  });

  it("the first of several unmet edges names the skip; an edge still waiting holds the skip back", () => {
    const w = wf([{ id: "a" }, { id: "b" }, { id: "c", needs: ["a", "b"] }]);
    expect(decide(w, { a: "skipped", b: "cancelled", c: "pending" }).decisions[0]).toMatchObject({
      kind: "skip",
      reason: "`a` was skipped",
    });
    expect(decide(w, { a: "skipped", b: "running", c: "pending" }).decisions).toEqual([]);
  });

  it("`if` uses expression truthiness: 0, '', null and NaN are false, '0', [] and {} are true", () => {
    const w = wf([{ id: "a", if: "x" }]);
    for (const value of [0, "", null, false, Number.NaN]) {
      expect(brief(decide(w, { a: "pending" }, { eval: () => ({ ok: true, value }) }).decisions)[0]).toBe("skip a");
    }
    for (const value of ["0", "false", [], {}, -1, true]) {
      expect(brief(decide(w, { a: "pending" }, { eval: () => ({ ok: true, value }) }).decisions)[0]).toBe("start a");
    }
  });

  it("a failed `if` or `foreach` evaluation fails the step with that error", () => {
    const error: ErrorInfo = { code: "WEFT_EXPRESSION", message: "`nope` is not defined", retryable: false };
    const bad = (): Evaluation => ({ ok: false, error });
    expect(decide(wf([{ id: "a", if: "nope" }]), { a: "pending" }, { eval: bad }).decisions[0]).toEqual({
      kind: "fail",
      key: "a",
      stepId: "a",
      error,
    });
    expect(decide(wf([{ id: "f", foreach: "nope" }]), { f: "pending" }, { eval: bad }).decisions[0]).toEqual({
      kind: "fail",
      key: "f",
      stepId: "f",
      error,
    });
  });

  it("a foreach over something else than a list fails, saying what it got", () => {
    const w = wf([{ id: "f", foreach: "xs" }]);
    const got = (value: Json) =>
      decide(w, { f: "pending" }, { eval: () => ({ ok: true, value }) }).decisions[0] as Decision & { kind: "fail" };
    expect(got("nope").error).toEqual({
      code: "WEFT_EXPRESSION",
      message: 'foreach of `f` must give a list, got string "nope"',
      retryable: false,
    });
    expect(got(null).error.message).toBe("foreach of `f` must give a list, got null");
    expect(got({ a: 1 }).error.message).toBe("foreach of `f` must give a list, got an object");
    expect(got(42).error.message).toBe("foreach of `f` must give a list, got number 42");
    expect(got("x".repeat(100)).error.message).toBe(`foreach of \`f\` must give a list, got string "${"x".repeat(39)}`);
  });

  it("a foreach joins its item outputs in order, null for an item that did not complete", () => {
    const w = wf([{ id: "f", foreach: "xs", optional: true }]);
    const out = decide(w, {
      f: { status: "running", items: 3 },
      "f[0]": { status: "completed", output: "zero" },
      "f[1]": "skipped",
      "f[2]": { status: "completed", output: { two: 2 } },
    });
    expect(out.decisions).toEqual([
      { kind: "join", stepId: "f", status: "completed", output: ["zero", null, { two: 2 }] },
      { kind: "complete-run", output: { f: ["zero", null, { two: 2 }] } },
    ]);
  });

  it("a foreach join fails with the first failed item's error", () => {
    const w = wf([{ id: "f", foreach: "xs", optional: true }]);
    const out = decide(w, {
      f: { status: "running", items: 3 },
      "f[0]": "completed",
      "f[1]": "failed",
      "f[2]": "failed",
    });
    expect(out.decisions[0]).toEqual({
      kind: "join",
      stepId: "f",
      status: "failed",
      error: { code: "WEFT_STEP_FAILED", message: "f[1] failed", retryable: false },
    });
    expect(brief(out.decisions)).toEqual(["join f failed", "complete-run"]);
  });

  it("foreach items wait, retry and time out like steps", () => {
    const w = wf([{ id: "f", foreach: "xs" }]);
    const out = decide(
      w,
      {
        f: { status: "running", items: 4 },
        "f[0]": { status: "waiting", waitingFor: "timer", notBefore: 100 },
        "f[1]": { status: "waiting", waitingFor: "approval", notBefore: 90 },
        "f[2]": { status: "pending", attempt: 1, notBefore: 300 },
        "f[3]": { status: "waiting", waitingFor: "timer", notBefore: 250 },
      },
      { now: 100 },
    );
    expect(out.decisions).toEqual([
      { kind: "wake", key: "f[0]", stepId: "f" },
      { kind: "approval-timeout", key: "f[1]", stepId: "f" },
    ]);
    expect(out.wakeAt).toBe(250);
    const due = decide(
      w,
      { f: { status: "running", items: 1 }, "f[0]": { status: "pending", attempt: 1, notBefore: 300 } },
      { now: 300 },
    );
    expect(brief(due.decisions)).toEqual(["start f[0]"]);
  });

  it("running foreach items count against capacity and keep the run open", () => {
    const w = wf([{ id: "f", foreach: "xs" }, { id: "g" }]);
    const out = decide(w, { f: { status: "running", items: 1 }, "f[0]": "running", g: "completed" });
    expect(out.decisions).toEqual([]);
  });

  it("starts by priority, then file order, then item order; starved only when some are held back", () => {
    const w = wf([{ id: "low" }, { id: "f", foreach: "xs", priority: 1 }, { id: "mid", priority: 1 }]);
    const out = decide(
      w,
      { low: "pending", f: { status: "running", items: 2 }, "f[1]": "pending", "f[0]": "pending", mid: "pending" },
      { capacity: 3 },
    );
    expect(brief(out.decisions)).toEqual(["start f[0]", "start f[1]", "start mid"]);
    expect(out.starved).toBe(true);
    const all = decide(w, { low: "pending", f: "pending", mid: "pending" }, { eval: () => ({ ok: true, value: [1] }) });
    expect(brief(all.decisions)).toEqual(["expand f 1", "start f[0]", "start mid", "start low"]);
    expect(all.starved).toBe(false);
    expect(decide(w, { low: "pending", f: "completed", mid: "pending" }, { capacity: -3 }).decisions).toEqual([]);
  });

  it("the next wake-up is the earliest future time, and none when nothing waits", () => {
    const w = wf([{ id: "a" }, { id: "s" }, { id: "t" }]);
    const out = decide(
      w,
      {
        a: { status: "pending", attempt: 1, notBefore: 150 },
        s: { status: "waiting", waitingFor: "timer", notBefore: 400 },
        t: { status: "waiting", waitingFor: "timer", notBefore: 300 },
      },
      { now: 100 },
    );
    expect(out.wakeAt).toBe(150);
    expect(decide(chain, { a: "pending", b: "pending", c: "pending" }).wakeAt).toBeNull();
    expect(decide(chain, { a: "pending", b: "pending", c: "pending" }).starved).toBe(false);
  });

  it("a retry after a manual reset counts attempts from the reset", () => {
    const w = wf([{ id: "a" }, { id: "b", needs: ["a"] }]);
    const steps = stepRecords({ a: "skipped", b: { status: "pending", attempt: 2, notBefore: 500 } });
    steps.set("b", { ...steps.get("b")!, input: { base: 2 } });
    // attempt == base: a fresh start, so its dependencies decide (a was skipped).
    const out = schedule({ workflow: w, steps, runStatus: "running", now: 0, capacity: 10, evaluate: yes });
    expect(brief(out.decisions)).toEqual(["skip b", "complete-run"]);
  });

  it("a fatal failure skips every step that has not ended, but not one still running", () => {
    const w = wf([{ id: "a" }, { id: "b" }, { id: "c", needs: ["a"] }, { id: "s" }, { id: "f", foreach: "xs" }]);
    const out = decide(w, {
      a: "failed",
      b: "completed",
      c: "pending",
      s: { status: "waiting", waitingFor: "timer", notBefore: 10_000 },
      f: { status: "running", items: 1 },
      "f[0]": "cancelled",
    });
    expect(out.decisions).toEqual([
      { kind: "join", stepId: "f", status: "completed", output: [null] },
      {
        kind: "fail-run",
        error: { code: "WEFT_STEP_FAILED", message: "a failed", retryable: false },
        skip: ["c", "s"],
      },
    ]);
  });

  it("a failure decided in this pass is fatal unless the step is optional or handled", () => {
    const bad = (): Evaluation => ({ ok: false, error: { code: "WEFT_EXPRESSION", message: "bad", retryable: false } });
    const fatal = decide(wf([{ id: "a", if: "x" }, { id: "b" }]), { a: "pending", b: "pending" }, { eval: bad });
    expect(brief(fatal.decisions)).toEqual(["fail a", "fail-run skip=[b]"]);
    const optional = decide(
      wf([{ id: "a", if: "x", optional: true }, { id: "b" }]),
      { a: "pending", b: "pending" },
      {
        eval: (step) => (step.id === "a" ? bad() : yes()),
      },
    );
    expect(brief(optional.decisions)).toEqual(["fail a", "start b"]);
    const handled = decide(
      wf([{ id: "a", if: "x" }, { id: "b" }, { id: "h", needs: [{ step: "a", on: "always" }] }]),
      { a: "pending", b: "pending", h: "pending" },
      { eval: (step) => (step.id === "a" ? bad() : yes()) },
    );
    expect(brief(handled.decisions)).toEqual(["fail a", "start b"]);
  });

  it("the run output leaves out sinks that did not complete", () => {
    const w = wf([{ id: "a", optional: true }, { id: "b" }, { id: "c" }]);
    const out = decide(w, { a: "failed", b: { status: "completed", output: [1] }, c: "skipped" });
    expect(out.decisions).toEqual([{ kind: "complete-run", output: { b: [1] } }]);
  });

  it("an optional source that was skipped or cancelled still skips its dependents (only its failure is excused)", () => {
    const w = wf([
      { id: "a", optional: true },
      { id: "b", needs: ["a"] },
    ]);
    expect(brief(decide(w, { a: "skipped", b: "pending" }).decisions)).toEqual(["skip b", "complete-run"]);
    expect(brief(decide(w, { a: "cancelled", b: "pending" }).decisions)).toEqual(["skip b", "complete-run"]);
  });

  it("a run that is not active, or has failed, is never starved", () => {
    const paused = schedule({
      workflow: diamond,
      steps: stepRecords({ a: "completed", b: "pending", c: "pending", d: "pending" }),
      runStatus: "paused",
      now: 0,
      capacity: 0,
      evaluate: yes,
    });
    expect(paused).toEqual({ decisions: [], wakeAt: null, starved: false });
    const fatal = decide(wf([{ id: "a" }, { id: "b" }, { id: "c" }]), { a: "failed", b: "running", c: "pending" });
    expect(fatal).toEqual({ decisions: [], wakeAt: null, starved: false });
  });

  it("a running foreach item holds the run's failure until it ends", () => {
    const w = wf([{ id: "a" }, { id: "f", foreach: "xs" }]);
    expect(decide(w, { a: "failed", f: { status: "running", items: 1 }, "f[0]": "running" }).decisions).toEqual([]);
  });

  it("a foreach parent that has ended is not joined again", () => {
    const w = wf([{ id: "f", foreach: "xs" }]);
    const out = decide(w, { f: { status: "completed", items: 1, output: ["x"] }, "f[0]": "completed" });
    expect(out.decisions).toEqual([{ kind: "complete-run", output: { f: ["x"] } }]);
  });

  it("a foreach item waiting for an approval without deadline is left alone", () => {
    const w = wf([{ id: "f", foreach: "xs" }]);
    const out = decide(w, {
      f: { status: "running", items: 1 },
      "f[0]": { status: "waiting", waitingFor: "approval" },
    });
    expect(out).toEqual({ decisions: [], wakeAt: null, starved: false });
  });

  it("evaluates `if` as a condition and `foreach` as a list", () => {
    const asked: string[] = [];
    const evaluate = (step: WorkflowStep, what: "if" | "foreach"): Evaluation => {
      asked.push(`${step.id}:${what}`);
      return { ok: true, value: what === "if" ? true : [] };
    };
    decide(wf([{ id: "a", if: "x", foreach: "xs" }]), { a: "pending" }, { eval: evaluate });
    expect(asked).toEqual(["a:if", "a:foreach"]);
  });

  it("an empty foreach joins with an empty list, which is the run's output", () => {
    const out = decide(wf([{ id: "f", foreach: "xs" }]), { f: "pending" }, { eval: () => ({ ok: true, value: [] }) });
    expect(out.decisions).toEqual([
      { kind: "expand", stepId: "f", items: [] },
      { kind: "join", stepId: "f", status: "completed", output: [] },
      { kind: "complete-run", output: { f: [] } },
    ]);
  });

  it("the run output takes each sink's own join", () => {
    const w = wf([{ id: "f", foreach: "xs" }, { id: "b" }, { id: "g", foreach: "ys" }]);
    const out = decide(w, {
      f: { status: "running", items: 1 },
      "f[0]": { status: "completed", output: "f0" },
      b: { status: "completed", output: "b" },
      g: { status: "running", items: 1 },
      "g[0]": { status: "completed", output: "g0" },
    });
    expect(out.decisions.at(-1)).toEqual({ kind: "complete-run", output: { f: ["f0"], b: "b", g: ["g0"] } });
  });

  it("a fatal failure skips a foreach parent whose items have not ended, and its items", () => {
    const w = wf([{ id: "a" }, { id: "f", foreach: "xs" }]);
    const out = decide(w, { a: "failed", f: { status: "running", items: 1 }, "f[0]": "pending" });
    expect(brief(out.decisions)).toEqual(["fail-run skip=[f,f[0]]"]);
  });

  it("a fatal failure does not skip a foreach item whose timer it wakes", () => {
    const w = wf([{ id: "a" }, { id: "f", foreach: "xs" }]);
    const out = decide(
      w,
      {
        a: "failed",
        f: { status: "running", items: 1 },
        "f[0]": { status: "waiting", waitingFor: "timer", notBefore: 5 },
      },
      { now: 10 },
    );
    expect(brief(out.decisions)).toEqual(["wake f[0]", "fail-run skip=[f]"]);
  });

  it("a failure recorded without an error still fails the run, and a foreach join, with one", () => {
    const steps = stepRecords({ a: "failed", b: "pending" });
    steps.set("a", { ...steps.get("a")!, error: null });
    const run = schedule({ workflow: chain, steps, runStatus: "running", now: 0, capacity: 10, evaluate: yes });
    expect(run.decisions).toEqual([
      {
        kind: "fail-run",
        error: { code: "WEFT_STEP_FAILED", message: "step `a` failed", retryable: false },
        skip: ["b"],
      },
    ]);
    const items = stepRecords({ f: { status: "running", items: 2 }, "f[0]": "completed", "f[1]": "failed" });
    items.set("f[1]", { ...items.get("f[1]")!, error: null });
    const join = schedule({
      workflow: wf([{ id: "f", foreach: "xs", optional: true }]),
      steps: items,
      runStatus: "running",
      now: 0,
      capacity: 10,
      evaluate: yes,
    });
    expect(join.decisions[0]).toEqual({
      kind: "join",
      stepId: "f",
      status: "failed",
      error: { code: "WEFT_STEP_FAILED", message: "item 1 of `f` failed", retryable: false },
    });
  });
});
