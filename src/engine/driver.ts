/**
 * Drives one run while this process holds its lease: applies handler results and scheduler decisions to
 * the in-memory state, commits them as one transition, then starts the handlers of the steps it decided to
 * start. Handlers that finish in the same tick are committed together (batched).
 *
 * Failure semantics: a step's handler is only called after the transition that marks it `running` is
 * durable. If the process dies before the handler's result is committed, the next owner finds the step
 * `running`, resets it and runs the same attempt again with the same idempotency key (at-least-once).
 */
import type { ErrorInfo } from "../core/errors.js";
import { BudgetExceededError, RetryableError, TerminalError, toErrorInfo, WeftError } from "../core/errors.js";
import type { EventMap, EventRecord } from "../core/events.js";
import type { JsonObject } from "../core/json.js";
import { isJsonObject } from "../core/json.js";
import type { Lease, RunRecord } from "../core/model.js";
import { attemptBase, newStepRecord, stepRunKey, TERMINAL_RUN_STATUSES } from "../core/model.js";
import { backoffDelay, shouldRetry } from "../core/retry.js";
import type { Decision } from "../core/scheduler.js";
import type { StepOutcome } from "../steps/step-type.js";
import type { CommitResult } from "../store/store.js";
import { ConflictError, FencedError } from "../store/store.js";
import { CheckpointFiles, checkpointsDir, pruneCheckpoints } from "./checkpoints.js";
import type { EngineCore } from "./core.js";
import { logFailureNotice, StepLog, stepLogDir } from "./logs.js";
import type { Planner } from "./planner.js";
import { RunState } from "./state.js";
import { createStepContext, defaultSummary, parseConfig, toJson } from "./step-context.js";
import { UsageLedger, type UsageMeter } from "./usage.js";

interface Result {
  key: string;
  attempt: number;
  outcome?: StepOutcome;
  error?: ErrorInfo;
  retryAfterMs?: number | undefined;
  /** Over budget with the policy `pause`: the run pauses and the step waits, its attempt unspent. */
  budgetPause?: BudgetExceededError | undefined;
}

interface Handler {
  abort: AbortController;
  attempt: number;
  log: StepLog;
}

/** At most this many progress lines of one step run go to the event log; the rest only to events.jsonl. */
const MAX_PROGRESS_EVENTS = 1000;

export class RunDriver {
  /** Undefined until the first reload (`start`) has read the run. */
  state!: RunState;
  private lease!: Lease;
  private takeover = false;
  /** Whether this owner's first commit (see `takeOver`) is durable. */
  private tookOver = false;
  private handlers = new Map<string, Handler>();
  private results: Result[] = [];
  private busy = false;
  private again = false;
  private ended = false;
  private timers: NodeJS.Timeout[] = [];
  private wakeTimer: NodeJS.Timeout | undefined;
  private progressCount = new Map<string, number>();
  private progressTimer: NodeJS.Timeout | undefined;
  private usage!: UsageLedger;
  /** The last event seq the ledger has seen; -1 before the first load. */
  private usageSeq = -1;
  /** Usage events emitted but not yet committed: emitted again into a reloaded state, so no call goes uncounted. */
  private pendingUsage: EventMap["workflow.step.usage"][] = [];
  readonly done: Promise<RunRecord>;
  private resolveDone!: (run: RunRecord) => void;
  private rejectDone!: (err: unknown) => void;
  /** Seed 002's checkpoints/step-N.json, written after the commits, off their path. */
  private readonly files: CheckpointFiles;

  constructor(
    private readonly core: EngineCore,
    readonly runId: string,
    private readonly planner: Planner,
  ) {
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.files = new CheckpointFiles(
      core.files,
      core.dataDir,
      runId,
      (key) => this.state?.step(key)?.output,
      (key) => (this.state?.step(key)?.items ?? null) !== null,
      (err) => core.notice(runId, checkpointFailureNotice(checkpointsDir(core.dataDir, runId), err)),
    );
  }

  get priority(): number {
    return this.state?.run.priority ?? 0;
  }

  /** Takes the lease and starts driving. False when another live process holds the run. */
  async start(): Promise<boolean> {
    const { owner, leaseMs, clock } = this.core;
    const got = await this.core.acquireLease(this.runId, {
      owner,
      leaseMs,
      now: clock.now(),
      isOwnerDead: this.core.isOwnerDead,
    });
    if (!got) return false;
    this.lease = got.lease;
    this.takeover = got.takeover;
    await this.reload();
    if (this.ended) {
      // Stopped (engine closing) while it was starting: give the run back at once.
      await this.core.store.leases.release(this.lease).catch(() => {});
      return true;
    }
    const now = clock.now();
    this.takeOver(now);
    this.timers.push(setInterval(() => this.heartbeat(), Math.max(50, Math.floor(leaseMs / 3))));
    const timeout = this.state.workflow.timeoutMs;
    if (timeout !== undefined) {
      const startedAt = this.state.run.startedAt ?? now;
      this.timers.push(setTimeout(() => this.runTimedOut(timeout), Math.max(0, startedAt + timeout - now)));
    }
    for (const t of this.timers) t.unref?.();
    this.tick();
    return true;
  }

  /**
   * The changes that open this owner's tenure, carried by its first commit: the lease event, and the steps a
   * previous owner left `running` (interrupted) set back to run the same attempt again. Applied again when that
   * first commit conflicts, since the reload drops them.
   */
  private takeOver(now: number): void {
    const { owner } = this.core;
    this.state.emit("workflow.execution.lease_acquired", {
      owner_id: owner.id,
      host: owner.host,
      pid: owner.pid,
      epoch: this.lease.epoch,
      takeover: this.takeover,
    });
    for (const rec of [...this.state.steps.values()]) {
      if (rec.status === "running" && rec.items === null && !this.handlers.has(rec.key)) {
        this.state.updateStep(rec.key, { status: "pending", attempt: rec.attempt - 1, notBefore: null }, now);
        this.state.emit("workflow.step.progress", {
          step_id: rec.stepId,
          key: rec.key,
          output: `attempt ${rec.attempt} was interrupted (its process stopped); running it again`,
          stream: "info",
        });
      }
    }
    if (this.state.run.status === "pending") this.state.setStatus("running", now);
  }

  private async reload(): Promise<void> {
    const loaded = this.usageSeq >= 0;
    const [run, steps, events] = await Promise.all([
      this.core.store.runs.get(this.runId),
      this.core.store.steps.list(this.runId),
      // The whole log once (what was spent before: another process, an earlier attempt); then only what is new.
      this.core.store.events.list(this.runId, Math.max(0, this.usageSeq)),
    ]);
    if (!run) throw new WeftError("WEFT_NOT_FOUND", `run ${this.runId} does not exist`);
    this.state = new RunState(run, steps);
    this.files.loaded(run, steps, events);
    if (!loaded) this.usage = UsageLedger.from(run.definition.budget, events);
    else {
      // While this process holds the lease only it writes usage (already counted when reported); others
      // may change the budget.
      for (const e of events) if (e.type === "workflow.execution.budget_changed") this.usage.apply(e);
    }
    this.usageSeq = events.at(-1)?.seq ?? Math.max(0, this.usageSeq);
    // Reported calls whose events the replaced state had not committed yet.
    for (const u of this.pendingUsage) this.state.emit("workflow.step.usage", u);
    this.planner.attach(this.state);
    // Handlers whose step was cancelled or reset by another process stop now.
    for (const [key, h] of this.handlers) {
      const rec = this.state.step(key);
      if (rec?.status !== "running" || rec.attempt !== h.attempt) {
        h.abort.abort(
          new WeftError("WEFT_CANCELLED", `step run ${key} was ${rec?.status ?? "removed"} by another process`),
        );
      }
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.ended) return;
    try {
      const ok = await this.core.renewLease(this.lease);
      if (!ok && !this.ended) this.lost();
    } catch (err) {
      if (this.ended) return; // the engine closed meanwhile
      this.core.logger.warn(`run ${this.runId}: lease renewal failed: ${(err as Error).message}`);
    }
  }

  /**
   * Called by the engine's poller with the run's stored version: a different one means another process
   * changed the run (pause, cancel, approve…); reload and act on it.
   */
  async onVersion(version: number): Promise<void> {
    // Not loaded yet (registered with the poller before its first reload finished): that reload reads the latest.
    if (this.ended || this.busy || this.state === undefined || version === this.state.run.version) return;
    // The reload holds the pass lock: a pass started meanwhile would work on the state the reload replaces.
    this.busy = true;
    try {
      await this.reload();
    } catch (err) {
      this.core.logger.warn(`run ${this.runId}: reload failed: ${(err as Error).message}`);
    } finally {
      this.busy = false;
    }
    this.again = false;
    this.tick();
  }

  /** Schedules a pass; passes never overlap, and a request during one runs another right after. */
  tick(): void {
    if (this.ended) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.pass()
      .catch((err: unknown) => this.fail(err))
      .finally(() => {
        this.busy = false;
        // A request that arrived after the pass's last check (it may finish without awaiting) runs now.
        if (this.again) {
          this.again = false;
          this.tick();
        }
      });
  }

  private async pass(): Promise<void> {
    do {
      this.again = false;
      if (this.ended) return;
      if (TERMINAL_RUN_STATUSES.has(this.state.run.status) && !this.state.dirty) {
        await this.finish(); // ended by another process (cancel) or before we took over
        return;
      }
      const now = this.core.clock.now();
      const consumed = this.results.length;
      for (let i = 0; i < consumed; i++) this.applyResult(this.results[i]!, now);
      const starts: Array<Extract<Decision, { kind: "start" }>> = [];
      let wakeAt: number | null = null;
      for (let pass = 0; pass < 10_000; pass++) {
        const out = this.planner.plan({ state: this.state, now, capacity: this.capacity() });
        wakeAt = out.wakeAt;
        if (out.starved) this.core.starved.add(this);
        else this.core.starved.delete(this);
        if (out.decisions.length === 0) break;
        for (const d of out.decisions) {
          this.apply(d, now);
          if (d.kind === "start") starts.push(d);
        }
      }
      this.updateRunStatus(now);
      if (!this.state.dirty) {
        this.results.splice(0, consumed);
        this.setWake(wakeAt);
        break;
      }
      this.core.faults.hit("before-commit");
      const t = this.state.take(now, this.lease.epoch);
      const usageFlushed = this.pendingUsage.length;
      let res: CommitResult;
      try {
        res = await this.core.commit(t);
        this.state.run.version = res.version;
        this.state.run.updatedAt = now;
      } catch (err) {
        this.core.slots.release(starts.length);
        if (err instanceof ConflictError) {
          await this.reload();
          if (!this.tookOver) this.takeOver(this.core.clock.now());
          this.again = true;
          continue;
        }
        if (err instanceof FencedError) {
          this.lost();
          return;
        }
        throw err;
      }
      this.results.splice(0, consumed);
      this.pendingUsage.splice(0, usageFlushed);
      this.tookOver = true;
      this.planner.committed(this.state);
      this.core.faults.hit("after-commit");
      const records = this.publish(t.events ?? [], res.eventSeqs, now);
      this.files.committed(records, res.checkpoints);
      for (const s of starts) this.launch(s);
      this.setWake(wakeAt);
      if (TERMINAL_RUN_STATUSES.has(this.state.run.status)) {
        await this.finish();
        return;
      }
    } while (this.again);
  }

  private capacity(): number {
    const par = this.state.workflow.parallelism ?? Number.POSITIVE_INFINITY;
    let running = 0;
    for (const rec of this.state.steps.values()) if (rec.status === "running" && rec.items === null) running++;
    return Math.max(0, Math.min(par - running, this.core.slots.available()));
  }

  private apply(d: Decision, now: number): void {
    const st = this.state;
    switch (d.kind) {
      case "start": {
        const rec = st.step(d.key);
        if (!rec) return;
        const next = st.updateStep(
          d.key,
          { status: "running", attempt: rec.attempt + 1, startedAt: now, notBefore: null, endedAt: null },
          now,
        );
        const step = this.planner.step(d.stepId);
        this.core.slots.acquire(1);
        st.setPhase(step?.phase);
        st.emit("workflow.step.started", {
          step_id: d.stepId,
          key: d.key,
          iteration: d.iteration,
          attempt: next.attempt,
          step_name: step?.name ?? d.stepId,
          phase: step?.phase ?? null,
        });
        return;
      }
      case "skip":
        st.endStep(d.key, "skipped", now, { reason: d.reason });
        return;
      case "fail":
        st.endStep(d.key, "failed", now, { error: d.error });
        return;
      case "expand": {
        st.updateStep(d.stepId, { status: "running", items: d.items.length, startedAt: now }, now);
        d.items.forEach((item, i) => {
          // A re-expansion after retry-step keeps counting attempts (attempt records are never overwritten).
          const prev = st.step(stepRunKey(d.stepId, i))?.attempt ?? 0;
          st.setStep({ ...newStepRecord(this.runId, d.stepId, i, now, { item, base: prev }), attempt: prev });
        });
        return;
      }
      case "join":
        if (d.status === "completed")
          st.endStep(d.stepId, "completed", now, { output: d.output, attemptRecord: false });
        else st.endStep(d.stepId, "failed", now, { error: d.error, attemptRecord: false });
        return;
      case "wake":
        st.endStep(d.key, "completed", now);
        return;
      case "approval-timeout": {
        const rec = st.step(d.key);
        const req = rec && isJsonObject(rec.output) ? rec.output : {};
        const approve = req.onTimeout === "approve";
        st.emit("workflow.approval.decided", { step_id: d.stepId, key: d.key, approved: approve, by: "timeout" });
        if (approve) st.endStep(d.key, "completed", now, { output: { approved: true, by: "timeout", comment: null } });
        else
          st.endStep(d.key, "failed", now, {
            error: {
              code: "WEFT_REJECTED",
              message: `approval \`${d.key}\` timed out and was rejected`,
              retryable: false,
            },
          });
        return;
      }
      case "complete-run":
        st.patchRun({ output: d.output });
        st.setStatus("completed", now);
        return;
      case "fail-run":
        for (const key of d.skip) st.endStep(key, "skipped", now, { reason: "the run failed" });
        st.setStatus("failed", now, d.error);
        return;
    }
  }

  private applyResult(r: Result, now: number): void {
    const st = this.state;
    const rec = st.step(r.key);
    if (rec?.status !== "running" || rec.attempt !== r.attempt) return; // stale: cancelled or reset meanwhile
    const o = r.outcome;
    if (r.budgetPause) {
      const b = r.budgetPause;
      st.updateStep(r.key, { status: "pending", attempt: rec.attempt - 1, notBefore: null }, now);
      st.emit("workflow.execution.budget_exceeded", {
        step_id: rec.stepId,
        key: r.key,
        scope: b.scope,
        policy: "pause",
        limit: { tokens: b.limit.tokens, cost_usd: b.limit.costUsd },
        spent: { tokens: b.spent.tokens, cost_usd: b.spent.costUsd },
      });
      st.emit("workflow.step.progress", { step_id: rec.stepId, key: r.key, output: b.message, stream: "info" });
      if (st.run.status !== "paused") st.setStatus("paused", now);
      return;
    }
    if (o?.kind === "completed") {
      st.endStep(r.key, "completed", now, { output: o.output });
    } else if (o?.kind === "approval") {
      st.updateStep(
        r.key,
        {
          status: "waiting",
          waitingFor: "approval",
          notBefore: o.timeoutMs === undefined ? null : now + o.timeoutMs,
          output: { message: o.message ?? null, onTimeout: o.onTimeout ?? null },
        },
        now,
      );
      st.emit("workflow.step.waiting", {
        step_id: rec.stepId,
        key: r.key,
        reason: "approval",
        message: o.message,
        until: o.timeoutMs === undefined ? undefined : now + o.timeoutMs,
      });
    } else if (o?.kind === "sleep") {
      st.updateStep(
        r.key,
        { status: "waiting", waitingFor: "timer", notBefore: o.until, output: o.output ?? null },
        now,
      );
      st.emit("workflow.step.waiting", { step_id: rec.stepId, key: r.key, reason: "timer", until: o.until });
    } else {
      const error = r.error ?? { code: "WEFT_INTERNAL", message: "step ended without a result", retryable: false };
      const step = this.planner.step(rec.stepId);
      const tries = rec.attempt - attemptBase(rec);
      if (step && shouldRetry(step.retry, tries, error)) {
        const delay = Math.max(backoffDelay(step.retry, tries + 1, this.core.random), r.retryAfterMs ?? 0);
        st.addAttempt({
          runId: this.runId,
          key: r.key,
          attempt: rec.attempt,
          status: "failed",
          output: null,
          error,
          startedAt: rec.startedAt ?? now,
          endedAt: now,
        });
        st.updateStep(r.key, { status: "pending", notBefore: now + delay, error }, now);
        st.emit("workflow.step.retrying", {
          step_id: rec.stepId,
          key: r.key,
          attempt: rec.attempt,
          delay_ms: delay,
          error,
        });
      } else {
        st.endStep(r.key, "failed", now, { error });
      }
    }
  }

  private updateRunStatus(now: number): void {
    const st = this.state;
    const s = st.run.status;
    if (s !== "running" && s !== "waiting") return;
    let running = false;
    let waiting = false;
    let backoff = false;
    for (const rec of st.steps.values()) {
      if (rec.status === "running" && rec.items === null) running = true;
      else if (rec.status === "waiting") waiting = true;
      else if (rec.status === "pending" && rec.attempt > 0) backoff = true;
    }
    if (!running && waiting && !backoff) st.setStatus("waiting", now);
    else if (s === "waiting" && (running || backoff || !waiting)) st.setStatus("running", now);
  }

  private setWake(at: number | null): void {
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    if (at === null) return;
    this.wakeTimer = setTimeout(() => this.tick(), Math.max(0, at - this.core.clock.now()) + 1);
  }

  private publish(events: ReadonlyArray<{ type: string; data: unknown }>, seqs: number[], now: number): EventRecord[] {
    if (!events.length) return [];
    const records = events.map((e, i) => ({ ...e, runId: this.runId, seq: seqs[i] ?? 0, at: now }) as EventRecord);
    this.core.publish(records);
    return records;
  }

  private launch(s: Extract<Decision, { kind: "start" }>): void {
    const rec = this.state.step(s.key);
    const step = this.planner.step(s.stepId);
    if (!rec || !step) return;
    const log = new StepLog(this.core.files, stepLogDir(this.core.dataDir, this.runId, s.key), (err) =>
      this.core.notice(this.runId, logFailureNotice(this.core.dataDir, this.runId, err)),
    );
    const abort = new AbortController();
    const h: Handler = { abort, attempt: rec.attempt, log };
    this.handlers.set(s.key, h);
    this.core.faults.hit("after-start");
    let timer: NodeJS.Timeout | undefined;
    if (step.timeoutMs !== undefined) {
      const ms = step.timeoutMs;
      timer = setTimeout(
        () =>
          abort.abort(new WeftError("WEFT_TIMEOUT", `step \`${s.key}\` timed out after ${ms} ms`, { retryable: true })),
        ms,
      );
    }
    const item =
      s.iteration !== null && isJsonObject(rec.input)
        ? { item: rec.input.item ?? null, index: s.iteration }
        : undefined;
    const ctx = createStepContext({
      core: this.core,
      state: this.state,
      step,
      key: s.key,
      iteration: s.iteration,
      attempt: rec.attempt,
      log,
      item,
      onLog: (stream, text) => this.progress(step.id, s.key, stream, text),
      usage: this.meter(step.id, s.key, rec.attempt),
    });
    const started = this.core.clock.now();
    const result: Result = { key: s.key, attempt: rec.attempt };
    const type = this.core.stepTypes.get(step.type);
    const inline = this.planner.inline(s.stepId);
    const run = async (): Promise<StepOutcome> => {
      if (inline) {
        // A TypeScript step's own `fn`: it runs here, not through a registered step type.
        const value = await inline({
          runId: this.runId,
          stepId: s.stepId,
          attempt: rec.attempt,
          idempotencyKey: ctx.idempotencyKey,
          signal: abort.signal,
        });
        return { kind: "completed", output: toJson(value) };
      }
      if (!type) throw new TerminalError(`no step type \`${step.type}\` is registered`, "WEFT_UNKNOWN_STEP_TYPE");
      return type.run(ctx, parseConfig(type, step), abort.signal);
    };
    run()
      .then((outcome) => {
        result.outcome = outcome;
        if (outcome.kind === "completed") {
          log.writeJson("output.json", outcome.output);
          log.summary(outcome.summary ?? defaultSummary(step, s.key, rec.attempt, started, this.core.clock.now()));
        }
      })
      .catch((err: unknown) => {
        // A timeout or cancel aborted the handler: its reason says why, whatever the handler threw after.
        const reason: unknown = abort.signal.reason;
        const error = abort.signal.aborted && reason instanceof WeftError ? reason.toInfo() : toErrorInfo(err);
        result.error = error;
        if (err instanceof RetryableError) result.retryAfterMs = err.retryAfterMs;
        if (err instanceof BudgetExceededError && err.pause && !abort.signal.aborted) result.budgetPause = err;
        log.event({ type: "error", at: this.core.clock.now(), error: error as unknown as JsonObject });
        log.summary(`# ${step.name}\n\nFailed (attempt ${rec.attempt}): ${error.message}\n`);
      })
      .finally(() => {
        if (timer) clearTimeout(timer);
        if (this.handlers.get(s.key) === h) this.handlers.delete(s.key);
        this.core.faults.hit("after-handler");
        this.results.push(result);
        this.tick();
        this.core.slots.release(1);
      });
  }

  /** A step run's view of the usage ledger: a report counts at once and is committed with the next pass. */
  private meter(stepId: string, key: string, attempt: number): UsageMeter {
    return {
      report: (u) => {
        if (this.state.step(key)?.attempt !== attempt) return; // a stale handler's late report
        this.usage.record(key, u);
        const event: EventMap["workflow.step.usage"] = {
          step_id: stepId,
          key,
          attempt,
          provider: u.provider,
          model: u.model,
          input_tokens: u.inputTokens,
          output_tokens: u.outputTokens,
          cost_usd: u.costUsd ?? null,
        };
        this.pendingUsage.push(event);
        this.state.emit("workflow.step.usage", event);
        this.tick();
      },
      spent: () => ({ run: { ...this.usage.run }, step: { ...this.usage.step(key) } }),
      runBudget: () => this.usage.budget(),
      stepBudget: (declared) => this.usage.stepBudget(key, declared),
    };
  }

  private progress(stepId: string, key: string, stream: "stdout" | "stderr" | "info", text: string): void {
    const n = (this.progressCount.get(key) ?? 0) + 1;
    this.progressCount.set(key, n);
    // Lines 1…MAX become events; the next one is replaced by a notice (once); the rest go only to events.jsonl.
    if (n > MAX_PROGRESS_EVENTS + 1) return;
    const output =
      n > MAX_PROGRESS_EVENTS ? `(further output of ${key} is only in its events.jsonl log)` : text.slice(0, 8192);
    this.state.emit("workflow.step.progress", { step_id: stepId, key, output, stream });
    if (!this.progressTimer) {
      this.progressTimer = setTimeout(() => {
        this.progressTimer = undefined;
        this.tick();
      }, 50);
    }
  }

  private async runTimedOut(ms: number): Promise<void> {
    if (this.ended || TERMINAL_RUN_STATUSES.has(this.state.run.status)) return;
    const now = this.core.clock.now();
    const error: ErrorInfo = {
      code: "WEFT_TIMEOUT",
      message: `the run exceeded its timeout of ${ms} ms`,
      retryable: false,
    };
    for (const h of this.handlers.values()) h.abort.abort(new WeftError("WEFT_TIMEOUT", error.message));
    for (const rec of [...this.state.steps.values()]) {
      if (rec.status === "running" || rec.status === "waiting" || rec.status === "pending") {
        this.state.endStep(rec.key, "cancelled", now, { reason: "the run timed out", error });
      }
    }
    this.state.setStatus("failed", now, error);
    this.tick();
  }

  /** The lease moved to another process: stop everything without writing. */
  private lost(): void {
    if (this.ended) return;
    this.core.logger.warn(`run ${this.runId}: another process took over this run; stopping here`);
    this.stopTimers();
    for (const h of this.handlers.values()) h.abort.abort(new WeftError("WEFT_FENCED", "the run was taken over"));
    this.ended = true;
    this.core.detach(this);
    this.rejectDone(new FencedError(this.runId));
  }

  private async finish(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    for (const h of this.handlers.values()) {
      h.abort.abort(new WeftError("WEFT_CANCELLED", `the run is ${this.state.run.status}`));
    }
    await Promise.all([...this.handlers.values()].map((h) => h.log.flush()));
    // Not waited for here (a run is done when its end is committed): the engine's close() waits for it.
    this.core.afterwards(this.files.finish().then(() => this.retain()));
    try {
      await this.core.store.leases.release(this.lease);
    } catch {
      // The lease expires on its own.
    }
    this.core.detach(this);
    this.resolveDone(this.state.run);
  }

  /** The workflow's `checkpoints: { keep: N }`, applied once the run has ended (a notice when it fails). */
  private async retain(): Promise<void> {
    const keep = this.state.workflow.checkpoints?.keep;
    if (keep === undefined) return;
    try {
      await pruneCheckpoints(this.core.store, this.core.dataDir, this.runId, keep);
    } catch (err) {
      this.core.notice(this.runId, `checkpoints: { keep: ${keep} } was not applied: ${(err as Error).message}`);
    }
  }

  /** Graceful stop (process shutdown): abort handlers, release the lease; the run stays as stored. */
  async stop(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    for (const h of this.handlers.values()) h.abort.abort(new WeftError("WEFT_CANCELLED", "weft is shutting down"));
    this.core.afterwards(this.files.flush());
    // A driver stopped before `start` took the lease has nothing to give back (start releases it then).
    if (this.lease) await this.core.store.leases.release(this.lease).catch(() => {});
    this.core.detach(this);
    if (this.state) this.resolveDone(this.state.run);
    else {
      const run = await this.core.store.runs.get(this.runId).catch(() => undefined);
      if (run) this.resolveDone(run);
      else this.rejectDone(new WeftError("WEFT_CANCELLED", "the engine closed before the run started"));
    }
  }

  private fail(err: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.stopTimers();
    for (const h of this.handlers.values()) h.abort.abort(new WeftError("WEFT_INTERNAL", "the engine failed"));
    this.core.detach(this);
    this.rejectDone(err);
  }

  private stopTimers(): void {
    this.planner.detach();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.progressTimer) clearTimeout(this.progressTimer);
  }
}

function checkpointFailureNotice(dir: string, err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  const why = typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
  return `checkpoint files under ${dir} cannot be written (${why}); the checkpoints are still recorded in the database`;
}
