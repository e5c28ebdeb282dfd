/**
 * Durable replay of TypeScript workflows. `execute(ctx)` runs as ordinary code in the driving process; every
 * `ctx.step`, `ctx.sleep`, `ctx.waitForApproval`, `ctx.exec`, `ctx.now`, `ctx.random`, `ctx.checkpoint` and
 * `ctx.comment` call is a journal entry: a step run keyed by its id, with its call position in `input.pos`.
 *
 * - A call whose entry is recorded (completed, failed) returns the recorded result at once, without running.
 * - A new call becomes a request: the next pass creates its step run and starts it (a commit), and the
 *   handler runs once that commit is durable. When the handler ends, the pass that applies its result settles
 *   the call's promise before committing (`prepare`) and lets the code run on to its next calls, so the end of
 *   one step and the start of the next are one commit, as on the DAG path. The code may thus see a result the
 *   journal does not hold yet; the next step's handler still runs only after both are durable. After a crash
 *   between the two, the step runs again (at-least-once, as any interrupted step) and replay hands its new
 *   result to the code, which makes the same calls again.
 * - Values that must be durable before the code goes on (`ctx.checkpoint`, `ctx.comment`) settle only after
 *   the pass that recorded them is durable (`committed`).
 * - After a crash or a restart a new driver runs `execute` again from the top: recorded calls replay, the
 *   first unrecorded one runs. A call at a recorded position that names a different step than the journal
 *   fails the run (WEFT_NON_DETERMINISM), naming both.
 * - Calls made in the same turn (`Promise.all`) become requests of the same pass: their steps run in parallel.
 */
import { createHash } from "node:crypto";
import type { ErrorInfo } from "../core/errors.js";
import { TerminalError, toErrorInfo, WeftError } from "../core/errors.js";
import type { Json, JsonObject } from "../core/json.js";
import { isJsonObject } from "../core/json.js";
import type { StepRunRecord, WorkflowStep } from "../core/model.js";
import { attemptBase, newStepRecord, TERMINAL_STEP_STATUSES } from "../core/model.js";
import type { Decision, SchedulerOutput } from "../core/scheduler.js";
import type {
  ApprovalResult,
  ExecResult,
  StepFunctionContext,
  StepResult,
  TsStepConfig,
  TsWorkflowDefinition,
  WorkflowContext,
} from "../definition/typescript/define.js";
import { StepFailedError } from "../definition/typescript/define.js";
import { tsStepToWorkflowStep } from "../definition/typescript/normalise.js";
import type { StepType } from "../steps/step-type.js";
import type { Faults } from "./faults.js";
import type { PlanInput, Planner } from "./planner.js";
import type { RunState } from "./state.js";
import { toJson } from "./step-context.js";

interface Request {
  pos: number;
  step: WorkflowStep;
  fn: ((ctx: StepFunctionContext) => unknown) | undefined;
}

/** A journal entry recorded without running anything (now, random, checkpoint, comment). */
interface ValueEntry {
  pos: number;
  id: string;
  output: Json;
  checkpoint?: string;
  comment?: { text: string; stepId: string | null };
}

interface Waiter {
  optional: boolean;
  resolve: (r: StepResult<Json>) => void;
  reject: (err: unknown) => void;
}

export interface ReplayOptions {
  projectPath: string;
  stepTypes: ReadonlyMap<string, StepType<unknown>>;
  /** Asks the driver for a pass (new requests, execute ended). */
  wake: () => void;
  faults: Faults;
}

export class ReplayPlanner implements Planner {
  private state!: RunState;
  private started = false;
  private stopped = false;
  private pos = 0;
  private requests = new Map<string, Request>();
  private values: ValueEntry[] = [];
  private waiters = new Map<string, Waiter[]>();
  private valueWaiters = new Map<string, () => void>();
  /** Position → the step id recorded there (from the journal). */
  private journal = new Map<number, string>();
  private outcome: { kind: "done"; output: Json } | { kind: "failed"; error: ErrorInfo } | undefined;
  /** A determinism or usage error: fails the run however the code reacts to it. */
  private fatal: ErrorInfo | undefined;

  constructor(
    private readonly def: TsWorkflowDefinition,
    private readonly opts: ReplayOptions,
  ) {}

  attach(state: RunState): void {
    this.state = state;
    this.journal.clear();
    for (const rec of state.steps.values()) {
      const pos = positionOf(rec);
      if (pos !== undefined) this.journal.set(pos, rec.stepId);
    }
    // Another process changed the run (approve, retry-step…): settle what its journal now says.
    if (this.started) this.committed(state);
  }

  private run(): void {
    const ctx = this.context();
    Promise.resolve()
      .then(() => this.def.execute(ctx as WorkflowContext<never>))
      .then(
        (value) => {
          this.outcome = { kind: "done", output: toJson(value) };
        },
        (err: unknown) => {
          this.outcome = {
            kind: "failed",
            error: err instanceof StepFailedError ? { ...err.error, message: err.message } : toErrorInfo(err),
          };
        },
      )
      .catch((err: unknown) => {
        this.outcome = { kind: "failed", error: toErrorInfo(err) };
      })
      .finally(() => this.opts.wake());
  }

  step(stepId: string): WorkflowStep | undefined {
    return this.requests.get(stepId)?.step;
  }

  inline(stepId: string): ((ctx: StepFunctionContext) => unknown) | undefined {
    return this.requests.get(stepId)?.fn;
  }

  detach(): void {
    this.stopped = true;
  }

  plan({ state, now, capacity }: PlanInput): SchedulerOutput {
    const decisions: Decision[] = [];
    let wakeAt: number | null = null;
    const due = (t: number | null) => {
      if (t === null || t <= now) return true;
      wakeAt = wakeAt === null ? t : Math.min(wakeAt, t);
      return false;
    };
    const status = state.run.status;
    if ((status !== "running" && status !== "waiting") || !this.started) return { decisions, wakeAt, starved: false };

    // Values (now, random, checkpoint, comment) are recorded as completed entries right away.
    for (const v of this.values.splice(0)) {
      if (state.step(v.id)) continue;
      const rec = newStepRecord(state.run.id, v.id, null, now, { pos: v.pos });
      state.setStep({ ...rec, status: "completed", output: v.output, startedAt: now, endedAt: now });
      // Recorded like any finished step, so the state at a checkpoint (rewind) folds it in from the events.
      state.emit("workflow.step.completed", {
        step_id: v.id,
        key: v.id,
        iteration: null,
        attempt: 0,
        status: "completed",
        duration_ms: 0,
      });
      if (v.checkpoint !== undefined) state.addCheckpoint(null, v.checkpoint);
      if (v.comment) {
        state.emit("workflow.comment.created", { comment_id: v.id, step_id: v.comment.stepId, text: v.comment.text });
      }
    }

    let running = 0;
    for (const rec of state.steps.values()) {
      if (rec.status === "running") running++;
      if (rec.status === "waiting" && rec.notBefore !== null && due(rec.notBefore)) {
        decisions.push({
          kind: rec.waitingFor === "approval" ? "approval-timeout" : "wake",
          key: rec.key,
          stepId: rec.stepId,
        });
      }
    }

    const startable: string[] = [];
    if (!this.fatal) {
      for (const req of [...this.requests.values()].sort((a, b) => a.pos - b.pos)) {
        const id = req.step.id;
        let rec = state.step(id);
        if (!rec) {
          rec = newStepRecord(state.run.id, id, null, now, { pos: req.pos });
          state.setStep(rec);
        }
        if (rec.status !== "pending") continue;
        if (rec.attempt > attemptBase(rec) && !due(rec.notBefore)) continue; // a retry's backoff
        startable.push(id);
      }
    }
    const n = Math.max(0, Math.min(capacity, startable.length));
    for (const id of startable.slice(0, n)) decisions.push({ kind: "start", key: id, stepId: id, iteration: null });

    // The run ends once nothing runs and nothing more can start: execute returned, threw, or broke the rules.
    const fatal = this.fatal ?? (this.outcome?.kind === "failed" ? this.outcome.error : undefined);
    const idle = running === 0 && n === 0 && decisions.length === 0;
    if (idle && fatal) {
      decisions.push({ kind: "fail-run", error: fatal, skip: openKeys(state) });
    } else if (idle && this.outcome?.kind === "done") {
      // Calls execute did not await before returning are not run.
      for (const key of openKeys(state)) {
        decisions.push({ kind: "skip", key, stepId: key, reason: "execute returned without waiting for it" });
      }
      decisions.push({ kind: "complete-run", output: this.outcome.output });
    }
    return { decisions, wakeAt, starved: n < startable.length };
  }

  /**
   * Starts `execute` (the driver's first pass: its takeover already reset the steps a previous owner left
   * running), or settles the promises of calls whose steps this pass ended; then resolves once the code ran on
   * to its next calls.
   */
  prepare(state: RunState): Promise<void> | undefined {
    const status = state.run.status;
    if (this.stopped || (status !== "running" && status !== "waiting")) return undefined;
    if (!this.started) {
      this.started = true;
      this.run();
    } else if (this.settleEnded(state)) this.opts.faults.hit("after-settle");
    else return undefined;
    // The code goes on in microtasks: by the next turn it has made its next calls, returned, or awaits other work.
    return new Promise((resolve) => setImmediate(resolve));
  }

  /** Settles the waiters of calls whose steps `state` ends; true when there were any. */
  private settleEnded(state: RunState): boolean {
    let any = false;
    for (const [id, list] of this.waiters) {
      const rec = state.step(id);
      if (!rec || !TERMINAL_STEP_STATUSES.has(rec.status)) continue;
      this.waiters.delete(id);
      this.requests.delete(id);
      for (const w of list) settle(rec, w);
      any = true;
    }
    return any;
  }

  /** Settles the promises of calls whose entries the durable journal now ends. */
  committed(state: RunState): void {
    if (this.stopped) return;
    this.settleEnded(state);
    for (const [id, resolve] of this.valueWaiters) {
      if (state.step(id)) {
        this.valueWaiters.delete(id);
        resolve();
      }
    }
  }

  /** Checks a call against the journal; returns its recorded entry, if any. */
  private claim(pos: number, id: string): StepRunRecord | undefined {
    const recorded = this.journal.get(pos);
    if (recorded !== undefined && recorded !== id) {
      this.fatal = {
        code: "WEFT_NON_DETERMINISM",
        message: `replay asked for step \`${id}\` at position ${pos}, but the journal recorded \`${recorded}\` there — execute must make the same calls in the same order on every replay (branch only on args, step results, ctx.now() and ctx.random())`,
        retryable: false,
      };
      this.opts.wake();
      throw new WeftError("WEFT_NON_DETERMINISM", this.fatal.message);
    }
    const rec = this.state.step(id);
    if (rec !== undefined) {
      const at = positionOf(rec);
      if (at !== undefined && at !== pos) {
        const message =
          recorded === undefined && this.requests.has(id)
            ? `step id \`${id}\` is used twice in one run (positions ${at} and ${pos}); give each ctx.step a unique id`
            : `replay asked for step \`${id}\` at position ${pos}, but the journal recorded it at position ${at}`;
        this.fatal = { code: "WEFT_NON_DETERMINISM", message, retryable: false };
        this.opts.wake();
        throw new WeftError("WEFT_NON_DETERMINISM", message);
      }
    }
    return rec;
  }

  private request(pos: number, step: WorkflowStep, fn: Request["fn"]): Promise<StepResult<Json>> {
    const rec = this.claim(pos, step.id);
    return new Promise<StepResult<Json>>((resolve, reject) => {
      const waiter: Waiter = { optional: step.optional, resolve, reject };
      if (rec && TERMINAL_STEP_STATUSES.has(rec.status)) {
        settle(rec, waiter); // recorded: replay the result without running
        return;
      }
      this.requests.set(step.id, { pos, step, fn });
      const list = this.waiters.get(step.id) ?? [];
      list.push(waiter);
      this.waiters.set(step.id, list);
      this.opts.wake();
    });
  }

  /** Records a value once; on replay returns the recorded one. */
  private value(
    kind: string,
    make: () => Json,
    extra: Partial<ValueEntry> = {},
  ): { output: Json; recorded: Promise<void> } {
    const pos = this.pos++;
    const id = `$${kind}-${pos}`;
    const rec = this.claim(pos, id);
    if (rec) return { output: rec.output, recorded: Promise.resolve() };
    const output = make();
    this.values.push({ pos, id, output, ...extra });
    const recorded = new Promise<void>((resolve) => this.valueWaiters.set(id, resolve));
    this.opts.wake();
    return { output, recorded };
  }

  private context(): WorkflowContext<JsonObject> {
    const state = () => this.state;
    const self = this;
    const stepFrom = (
      id: string,
      config: TsStepConfig,
      internal: boolean,
    ): { step: WorkflowStep; fn: Request["fn"] } => {
      const fn = typeof config.fn === "function" ? (config.fn as Request["fn"]) : undefined;
      // The engine's own entries ($sleep-3, $exec-5…) use ids users cannot: normalise under a stand-in id.
      const res = tsStepToWorkflowStep(internal ? "engine-entry" : id, config, {
        stepTypes: this.opts.stepTypes,
        phases: this.state.workflow.phases,
      });
      if ("error" in res) throw new TerminalError(res.error, "WEFT_STEP_CONFIG");
      return { step: internal ? { ...res.step, id, name: config.name ?? id } : res.step, fn };
    };
    const call = async <T>(id: string, config: TsStepConfig, internal = false): Promise<StepResult<T>> => {
      const pos = self.pos++;
      const { step, fn } = stepFrom(id, config, internal);
      return (await self.request(pos, step, fn)) as StepResult<T>;
    };
    return {
      get runId() {
        return state().run.id;
      },
      projectPath: this.opts.projectPath,
      get args() {
        return state().run.args;
      },
      step: <T = Json>(id: string, config: TsStepConfig) => call<T>(id, config),
      async checkpoint(label) {
        await self.value("checkpoint", () => label ?? null, { checkpoint: label ?? "ctx.checkpoint()" }).recorded;
      },
      async comment(text, stepId) {
        await self.value("comment", () => text, { comment: { text, stepId: stepId ?? null } }).recorded;
      },
      async exec(command, cwd) {
        const id = `$exec-${self.pos}`;
        const r = await call<ExecResult>(id, { type: "script", command, ...(cwd ? { cwd } : {}) }, true);
        const out = (r.data ?? {}) as Partial<ExecResult>;
        return { exitCode: out.exitCode ?? 0, stdout: out.stdout ?? "", stderr: out.stderr ?? "" };
      },
      getStepResult<T = Json>(stepId: string): StepResult<T> | undefined {
        const rec = state().step(stepId);
        if (!rec || !TERMINAL_STEP_STATUSES.has(rec.status)) return undefined;
        return resultOf(rec) as StepResult<T>;
      },
      async sleep(duration, id) {
        const sid = id ?? `$sleep-${self.pos}`;
        await call(sid, { type: "sleep", duration }, id === undefined);
      },
      async waitForApproval(o = {}) {
        const sid = o.id ?? `$approval-${self.pos}`;
        const config: TsStepConfig = { type: "approval" };
        if (o.message !== undefined) config.message = o.message;
        if (o.timeout !== undefined) config.timeout = o.timeout;
        if (o.onTimeout !== undefined) config.onTimeout = o.onTimeout;
        const r = await call<ApprovalResult>(sid, config, o.id === undefined);
        const d = (r.data ?? {}) as Partial<ApprovalResult>;
        return { approved: d.approved ?? true, by: d.by ?? "unknown", comment: d.comment ?? null };
      },
      now: () => self.value("now", () => Date.now()).output as number,
      random: () => self.value("random", () => Math.random()).output as number,
    };
  }
}

function positionOf(rec: StepRunRecord): number | undefined {
  const input = rec.input;
  if (isJsonObject(input) && typeof input.pos === "number") return input.pos;
  return undefined;
}

function resultOf(rec: StepRunRecord): StepResult<Json> {
  if (rec.status === "completed") return { stepId: rec.stepId, status: "completed", data: rec.output };
  const error = rec.error ?? { code: "WEFT_STEP_FAILED" as const, message: `step ${rec.status}`, retryable: false };
  return { stepId: rec.stepId, status: rec.status === "skipped" ? "skipped" : "failed", error };
}

function settle(rec: StepRunRecord, w: Waiter): void {
  const r = resultOf(rec);
  if (r.status === "completed" || w.optional) w.resolve(r);
  else
    w.reject(
      new StepFailedError(rec.stepId, r.error ?? { code: "WEFT_STEP_FAILED", message: "failed", retryable: false }),
    );
}

function openKeys(state: RunState): string[] {
  return [...state.steps.values()]
    .filter((r) => !TERMINAL_STEP_STATUSES.has(r.status) && r.status !== "running")
    .map((r) => r.key);
}

/** A stable hash of a workflow definition's code, for definitions registered in memory (no file). */
export function codeHash(def: TsWorkflowDefinition): string {
  return createHash("sha256").update(String(def.execute)).digest("hex");
}
