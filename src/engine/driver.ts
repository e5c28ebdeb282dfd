/**
 * Drives one run while this process holds its lease: applies handler results and scheduler decisions to
 * the in-memory state, commits them as one transition, then starts the handlers of the steps it decided to
 * start. Handlers that finish in the same tick are committed together (batched).
 *
 * Failure semantics: a step's handler is only called after the transition that marks it `running` is
 * durable. If the process dies before the handler's result is committed, the next owner finds the step
 * `running`, resets it and runs the same attempt again with the same idempotency key (at-least-once).
 */
import { BudgetExceededError, RetryableError, TerminalError, toErrorInfo, WeftError } from "../core/errors.js";
import type { EventMap, EventRecord } from "../core/events.js";
import type { JsonObject } from "../core/json.js";
import { isJsonObject } from "../core/json.js";
import type { Lease, RunRecord } from "../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../core/model.js";
import type { StepOutcome } from "../steps/step-type.js";
import type { CommitResult, Transition } from "../store/store.js";
import { ConflictError, FencedError } from "../store/store.js";
import { CheckpointFiles, checkpointsDir, pruneCheckpoints } from "./checkpoints.js";
import type { EngineCore } from "./core.js";
import { logFailureNotice, StepLog, stepLogDir } from "./logs.js";
import type { Planner } from "./planner.js";
import { RunState } from "./state.js";
import { createStepContext, defaultSummary, parseConfig, toJson } from "./step-context.js";
import type { Rules, StartDecision, StepResult } from "./transitions.js";
import { apply, applyResult, runTimeout, takeOver, updateRunStatus } from "./transitions.js";
import { UsageLedger, type UsageMeter } from "./usage.js";

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
  /** Whether this owner's first commit (see `takeOver`), which took the lease, is durable. */
  private tookOver = false;
  /** `start` waiting for the first commit: true when it took the lease, false when another process had it. */
  private taking: { resolve: (took: boolean) => void; reject: (err: unknown) => void } | undefined;
  /** The commit that ended the run gave the lease back. */
  private released = false;
  private handlers = new Map<string, Handler>();
  private results: StepResult[] = [];
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
  /** What the transitions read besides the state: the step definitions, the backoff's random source. */
  private readonly rules: Rules;

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
    this.rules = { step: (stepId) => planner.step(stepId), random: core.random };
  }

  get priority(): number {
    return this.state?.run.priority ?? 0;
  }

  /**
   * Takes the lease and starts driving. False when another live process holds the run. The lease is taken by
   * the first commit (`Transition.takeLease`), together with what the first pass decided: one transaction.
   */
  async start(): Promise<boolean> {
    const { leaseMs, clock } = this.core;
    await this.reload();
    // Stopped (engine closing) while it was reading: nothing was taken, nothing to give back.
    if (this.ended) return true;
    if (!this.mayTake()) return false;
    const taken = new Promise<boolean>((resolve, reject) => {
      this.taking = { resolve, reject };
    });
    this.takeOver(clock.now());
    this.tick();
    if (!(await taken)) return false;
    if (this.ended) return true; // the first pass ended the run already
    const now = clock.now();
    this.timers.push(setInterval(() => this.heartbeat(), Math.max(50, Math.floor(leaseMs / 3))));
    const timeout = this.state.workflow.timeoutMs;
    if (timeout !== undefined) {
      const startedAt = this.state.run.startedAt ?? now;
      this.timers.push(setTimeout(() => this.runTimedOut(timeout), Math.max(0, startedAt + timeout - now)));
    }
    for (const t of this.timers) t.unref?.();
    return true;
  }

  /**
   * Whether the run as last read may be taken: no lease, an expired one, this owner's, or one of a dead process.
   * Sets the lease this owner will hold once its first commit (which takes it) is durable.
   */
  private mayTake(): boolean {
    const { owner, leaseMs, clock, isOwnerDead } = this.core;
    const now = clock.now();
    const held = this.state.run.lease;
    if (held !== null && held.owner.id !== owner.id && held.expiresAt > now && !isOwnerDead(held.owner)) return false;
    this.takeover = held !== null && held.owner.id !== owner.id;
    const epoch = (this.state.run.leaseEpoch ?? held?.epoch ?? 0) + 1;
    this.lease = { runId: this.runId, owner, epoch, expiresAt: now + leaseMs };
    return true;
  }

  /** The pass's changes as one transition: the first takes the lease, the one that ends the run gives it back. */
  private transition(now: number): Transition {
    const t = this.state.take(now, this.lease.epoch);
    if (!this.tookOver) t.takeLease = { owner: this.lease.owner, expiresAt: now + this.core.leaseMs };
    if (TERMINAL_RUN_STATUSES.has(this.state.run.status)) t.releaseLease = true;
    return t;
  }

  /** A transition of `transition` is durable: the lease is held (from the first) or given back (the last). */
  private committed(t: Transition): void {
    if (t.takeLease !== undefined) {
      this.lease = { ...this.lease, expiresAt: t.takeLease.expiresAt };
      this.tookOver = true;
      this.state.run.lease = this.lease;
      this.state.run.leaseEpoch = this.lease.epoch;
      this.core.faults.hit("after-take");
      this.taking?.resolve(true);
      this.taking = undefined;
    }
    if (t.releaseLease) {
      this.released = true;
      this.state.run.lease = null;
      this.core.faults.hit("after-end");
    } else if (this.ended && t.takeLease !== undefined) {
      // Stopped while its first commit was in flight: give back the lease that commit took.
      void this.core.store.leases.release(this.lease).catch(() => {});
    }
  }

  /**
   * The changes that open this owner's tenure, carried by its first commit: the lease event, and the steps a
   * previous owner left `running` (interrupted) set back to run the same attempt again. Applied again when that
   * first commit conflicts, since the reload drops them.
   */
  private takeOver(now: number): void {
    const { owner } = this.core;
    const live = (key: string) => this.handlers.has(key);
    takeOver(this.state, { owner, epoch: this.lease.epoch, takeover: this.takeover, live }, now);
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
      let now = this.core.clock.now();
      const consumed = this.results.length;
      for (let i = 0; i < consumed; i++) applyResult(this.state, this.results[i]!, now, this.rules);
      const preparing = this.planner.prepare(this.state);
      if (preparing) {
        await preparing; // a TypeScript workflow's code runs on to its next calls
        if (this.ended) return;
        now = this.core.clock.now(); // what it recorded meanwhile (ctx.now()) is not later than its commit
      }
      const starts: StartDecision[] = [];
      let wakeAt: number | null = null;
      for (let pass = 0; pass < 10_000; pass++) {
        const out = this.planner.plan({ state: this.state, now, capacity: this.capacity() });
        wakeAt = out.wakeAt;
        if (out.starved) this.core.starved.add(this);
        else this.core.starved.delete(this);
        if (out.decisions.length === 0) break;
        for (const d of out.decisions) {
          for (const c of apply(this.state, d, now, this.rules)) {
            if (c.kind === "acquire-slot") this.core.slots.acquire(1);
            else if (c.kind === "launch") starts.push(c.start);
          }
        }
      }
      updateRunStatus(this.state, now);
      if (!this.state.dirty) {
        this.results.splice(0, consumed);
        this.setWake(wakeAt);
        break;
      }
      this.core.faults.hit("before-commit");
      const t = this.transition(now);
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
          if (!this.tookOver) {
            // The lease is not taken yet: decide again from what is stored now.
            if (!this.mayTake()) {
              this.lost();
              return;
            }
            this.takeOver(this.core.clock.now());
          }
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
      this.committed(t);
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

  private launch(s: StartDecision): void {
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
    const result: StepResult = { key: s.key, attempt: rec.attempt };
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

  private runTimedOut(ms: number): void {
    if (this.ended) return;
    const commands = runTimeout(this.state, ms, this.core.clock.now());
    if (commands.length === 0) return;
    for (const c of commands) {
      if (c.kind === "abort-handlers")
        for (const h of this.handlers.values()) h.abort.abort(new WeftError(c.error.code, c.error.message));
    }
    this.tick();
  }

  /** The lease moved to another process (or was never taken: it took the run first): stop without writing. */
  private lost(): void {
    if (this.ended) return;
    if (!this.tookOver) {
      this.ended = true;
      this.stopTimers();
      this.taking?.resolve(false);
      this.taking = undefined;
      return;
    }
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
    // Given back by the commit that ended the run, unless another process ended it.
    if (!this.released && this.tookOver) {
      try {
        await this.core.store.leases.release(this.lease);
      } catch {
        // The lease expires on its own.
      }
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
    // A driver stopped before its first commit took the lease has nothing to give back.
    if (this.tookOver && !this.released) await this.core.store.leases.release(this.lease).catch(() => {});
    this.taking?.resolve(true); // `start` returns: the run stays as stored
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
    if (this.taking) {
      // `start` throws it: nobody waits for `done` then.
      this.taking.reject(err);
      this.taking = undefined;
      this.done.catch(() => {});
    }
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
