/**
 * A run's state in memory plus the changes not yet committed. Every change goes through these methods, so
 * one `Transition` carries exactly what changed (no re-serialisation of unchanged steps).
 */
import type { ErrorInfo } from "../core/errors.js";
import type { EventMap, EventType, NewEvent } from "../core/events.js";
import type { Json } from "../core/json.js";
import type { AttemptRecord, RunRecord, RunStatus, StepRunRecord, Workflow, WorkflowStep } from "../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../core/model.js";
import type { RunPatch, Transition } from "../store/store.js";

export class RunState {
  readonly steps: Map<string, StepRunRecord>;
  readonly byId: Map<string, WorkflowStep>;
  private changed = new Map<string, StepRunRecord>();
  private patch: RunPatch = {};
  private events: NewEvent[] = [];
  private attempts: AttemptRecord[] = [];
  private checkpoints: Array<{ stepKey: string | null; label: string }> = [];

  constructor(
    public run: RunRecord,
    steps: StepRunRecord[],
  ) {
    this.steps = new Map(steps.map((s) => [s.key, s]));
    this.byId = new Map(run.definition.steps.map((s) => [s.id, s]));
  }

  get workflow(): Workflow {
    return this.run.definition;
  }

  get dirty(): boolean {
    return this.changed.size > 0 || this.events.length > 0 || Object.keys(this.patch).length > 0;
  }

  step(key: string): StepRunRecord | undefined {
    return this.steps.get(key);
  }

  setStep(rec: StepRunRecord): void {
    this.steps.set(rec.key, rec);
    this.changed.set(rec.key, rec);
  }

  updateStep(key: string, patch: Partial<StepRunRecord>, now: number): StepRunRecord {
    const prev = this.steps.get(key);
    if (!prev) throw new Error(`no step run ${key}`);
    const next = { ...prev, ...patch, updatedAt: now };
    this.setStep(next);
    return next;
  }

  emit<T extends EventType>(type: T, data: EventMap[T]): void {
    this.events.push({ type, data } as NewEvent);
  }

  addAttempt(a: AttemptRecord): void {
    this.attempts.push(a);
  }

  addCheckpoint(stepKey: string | null, label: string): void {
    this.checkpoints.push({ stepKey, label });
  }

  patchRun(p: RunPatch): void {
    Object.assign(this.run, p);
    Object.assign(this.patch, p);
  }

  setStatus(status: RunStatus, now: number, error?: ErrorInfo): void {
    const previous = this.run.status;
    if (previous === status) return;
    const p: RunPatch = { status };
    if (status === "running" && this.run.startedAt === null) p.startedAt = now;
    if (status === "paused") p.pausedAt = now;
    if (previous === "paused") p.pausedAt = null;
    if (status === "cancelled") p.cancelledAt = now;
    if (TERMINAL_RUN_STATUSES.has(status)) p.endedAt = now;
    else if (TERMINAL_RUN_STATUSES.has(previous)) {
      p.endedAt = null;
      p.error = null;
      p.cancelledAt = null;
    }
    if (error) p.error = error;
    this.patchRun(p);
    this.emit("workflow.execution.status_changed", { status, previous, error });
  }

  setPhase(phase: string | undefined): void {
    if (phase === undefined || phase === this.run.currentPhase) return;
    const previous = this.run.currentPhase;
    this.patchRun({ currentPhase: phase });
    this.emit("workflow.execution.phase_changed", { current_phase: phase, previous });
  }

  /** Ends a step run (completed, failed, skipped, cancelled) with its event, attempt record and checkpoint. */
  endStep(
    key: string,
    status: "completed" | "failed" | "skipped" | "cancelled",
    now: number,
    opts: { output?: Json; error?: ErrorInfo; reason?: string; attemptRecord?: boolean } = {},
  ): void {
    const prev = this.steps.get(key);
    if (!prev) return;
    const rec = this.updateStep(
      key,
      {
        status,
        output: opts.output ?? (status === "completed" ? prev.output : null),
        error: opts.error ?? null,
        endedAt: now,
        notBefore: null,
        waitingFor: null,
      },
      now,
    );
    if (opts.attemptRecord !== false && prev.attempt > 0 && status !== "skipped") {
      this.addAttempt({
        runId: rec.runId,
        key,
        attempt: rec.attempt,
        status,
        output: status === "completed" ? rec.output : null,
        error: rec.error,
        startedAt: prev.startedAt ?? now,
        endedAt: now,
      });
    }
    this.emit("workflow.step.completed", {
      step_id: rec.stepId,
      key,
      iteration: rec.iteration,
      attempt: rec.attempt,
      status,
      duration_ms: prev.startedAt === null ? null : now - prev.startedAt,
      error: opts.error,
      reason: opts.reason,
    });
    if (status === "completed" || status === "failed") this.addCheckpoint(key, `after ${key}`);
  }

  /** Takes the pending changes as one transition and clears them. */
  take(now: number, epoch: number | undefined): Transition {
    const t: Transition = {
      runId: this.run.id,
      expectedVersion: this.run.version,
      epoch,
      run: Object.keys(this.patch).length ? this.patch : undefined,
      steps: this.changed.size ? [...this.changed.values()] : undefined,
      attempts: this.attempts.length ? this.attempts : undefined,
      events: this.events.length ? this.events : undefined,
      checkpoints: this.checkpoints.length ? this.checkpoints : undefined,
      now,
    };
    this.changed = new Map();
    this.patch = {};
    this.events = [];
    this.attempts = [];
    this.checkpoints = [];
    return t;
  }
}
