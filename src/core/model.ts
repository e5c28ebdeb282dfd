/**
 * The model: one set of shapes for workflows, runs, steps and events, shared by every layer.
 *
 * Terminology
 * - workflow: a definition (YAML/JSON file or TypeScript module), normalised to `Workflow`. Immutable once a
 *   run starts: the run keeps a snapshot and its hash.
 * - run: one execution of a workflow with `args`.
 * - step: a node of a workflow. step run: that step inside one run — one per `foreach` item, keyed
 *   `stepId` or `stepId[i]`. attempt: one try of a step run (1-based).
 * - phase: a named stage a step belongs to; a run's `currentPhase` is the phase of its latest started step.
 * - event: an append-only record of something that happened to a run, numbered per run (`seq`).
 * - checkpoint: a marker taken after every finished step; the run's state at a checkpoint is derived from
 *   the events up to its `eventSeq`, so a checkpoint costs one small row, not a copy of the state.
 * - lease: a process's ownership of a run, with a fencing `epoch` that makes a stale owner's writes fail.
 *
 * This module is pure: no node:* imports, no I/O.
 */
import type { ErrorInfo, SourceLocation } from "./errors.js";
import type { Json, JsonObject } from "./json.js";

export const RUN_STATUSES = ["pending", "running", "paused", "waiting", "completed", "failed", "cancelled"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled"]);

export const STEP_STATUSES = [
  "pending",
  "ready",
  "running",
  "waiting",
  "completed",
  "failed",
  "skipped",
  "cancelled",
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const TERMINAL_STEP_STATUSES: ReadonlySet<StepStatus> = new Set(["completed", "failed", "skipped", "cancelled"]);

/** When a dependency edge is satisfied: its source completed (default), failed (`on_failure`), or either. */
export type DependencyCondition = "success" | "failure" | "always";

export interface Dependency {
  step: string;
  on: DependencyCondition;
}

export interface RetryPolicy {
  /** Total tries including the first; 1 means no retry. */
  maxAttempts: number;
  /** Delay before the second attempt, in ms. */
  initialDelayMs: number;
  /** Each further delay is the previous one times this. */
  backoffMultiplier: number;
  /** Upper bound of one delay, in ms. */
  maxDelayMs: number;
  /** 0..1: the delay is scaled by a random factor in [1 - jitter, 1]. */
  jitter: number;
  /**
   * Error codes that may be retried. Absent: every retryable error (a `RetryableError`, a script's non-zero
   * exit, a timeout, an unexpected exception). Terminal errors are never retried.
   */
  retryOn?: string[] | undefined;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 1,
  initialDelayMs: 1000,
  backoffMultiplier: 2,
  maxDelayMs: 60_000,
  jitter: 0.2,
};

/** A step of a normalised workflow. Type-specific settings live in `config`, checked by the step type's schema. */
export interface WorkflowStep {
  id: string;
  name: string;
  /** `agent`, `script`, `approval`, `sleep`, `noop`, `function`, or a plugin's type. */
  type: string;
  phase?: string | undefined;
  /** Resolved dependencies (explicit ones, on_success/on_failure edges, and the file-order default). */
  needs: Dependency[];
  /** Condition expression source (`if` / `condition`); false → the step is skipped. */
  if?: string | undefined;
  /** A failure does not fail the run (`optional` / `continueOnError`). */
  optional: boolean;
  retry: RetryPolicy;
  timeoutMs?: number | undefined;
  /** Expression yielding a list: one step run per item, joined into a list output. */
  foreach?: string | undefined;
  /** Higher runs first when more steps are ready than may start. */
  priority: number;
  /** Type-specific settings (prompt, agent, command, inputs, env, cwd, duration, …) as written; templated at run time. */
  config: JsonObject;
  /** Where the step is defined, for error messages. */
  location?: SourceLocation | undefined;
}

export type Dialect = "canonical" | "seed-000" | "seed-001" | "seed-002" | "seed-003" | "typescript";

/** A spending limit of a run or step. Past it: fail the step, or pause the run until a person raises it. */
export interface Budget {
  tokens?: number | undefined;
  costUsd?: number | undefined;
  /** Default `pause` for a run, `fail` for a step. */
  onExceed?: "fail" | "pause" | undefined;
}

export interface Workflow {
  name: string;
  description?: string | undefined;
  version?: string | undefined;
  author?: string | undefined;
  tags: string[];
  category?: string | undefined;
  phases: string[];
  /** JSON Schema of the run's args. */
  argsSchema?: JsonObject | undefined;
  /** Max steps of one run running at once. Absent: unbounded (the engine's global cap still applies). */
  parallelism?: number | undefined;
  /** Whole-run timeout in ms. */
  timeoutMs?: number | undefined;
  /** Most tokens (in + out) and USD the run's agent calls may spend, and what happens past it. */
  budget?: Budget | undefined;
  /**
   * Checkpoint retention: once a run ends, its checkpoints but the newest `keep` are pruned (the latest and any
   * a rewound run was forked from are always kept). Absent: every checkpoint is kept.
   */
  checkpoints?: { keep: number } | undefined;
  steps: WorkflowStep[];
  source?:
    | {
        file: string;
        format: "yaml" | "json" | "ts";
        dialect: Dialect;
        /** TypeScript workflows: sha256 of the source text, to detect a change before a replay. */
        sourceHash?: string | undefined;
      }
    | undefined;
}

/** Identifies the process that owns a run. */
export interface Owner {
  id: string;
  host: string;
  pid: number;
  /** Process start time as the OS reports it (Linux: /proc/<pid>/stat field 22), to survive pid reuse. */
  pidStart?: string | undefined;
}

export interface Lease {
  runId: string;
  owner: Owner;
  /** Fencing token: increases on every takeover. A write carrying an older epoch is refused. */
  epoch: number;
  expiresAt: number;
}

/** Times are milliseconds since the epoch. */
export interface RunRecord {
  id: string;
  projectId: string;
  name: string;
  workflowName: string;
  /** sha256 of the canonical JSON of `definition`. */
  workflowHash: string;
  definition: Workflow;
  args: JsonObject;
  status: RunStatus;
  currentPhase: string | null;
  error: ErrorInfo | null;
  output: Json | null;
  priority: number;
  triggeredBy: string | null;
  idempotencyKey: string | null;
  parentRunId: string | null;
  /** Rewound runs: the checkpoint they were forked from. */
  forkedFrom: { runId: string; checkpoint: number } | null;
  /** The stored workflow definition (template) it was launched from; null for a file. Stores set it always. */
  definitionId?: string | null | undefined;
  /**
   * A test run: every agent call is answered by the offline mock provider, whatever the agents are configured
   * with (scripts still run). Kept for the run's life (resume, takeover, rewind). Stores set it always.
   */
  testRun?: boolean | undefined;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
  pausedAt: number | null;
  cancelledAt: number | null;
  updatedAt: number;
  /** Bumped by every committed change; optimistic concurrency between the owner and controllers. */
  version: number;
  lease: Lease | null;
  /**
   * The epoch of the run's latest lease, held or given back (0: never leased); the next lease taken has this + 1.
   * Stores report it; where absent, the held lease's epoch stands in.
   */
  leaseEpoch?: number | undefined;
}

export interface StepRunRecord {
  runId: string;
  /** `stepId` or `stepId[i]` for foreach items. */
  key: string;
  stepId: string;
  iteration: number | null;
  status: StepStatus;
  /** Attempts started so far. */
  attempt: number;
  input: Json | null;
  output: Json | null;
  error: ErrorInfo | null;
  /** Not before this time: the backoff of a retry, or the wake-up time of a sleep. */
  notBefore: number | null;
  waitingFor: "approval" | "timer" | null;
  /** For a foreach step's parent record: how many items it fanned out to. */
  items: number | null;
  startedAt: number | null;
  endedAt: number | null;
  updatedAt: number;
}

/** One finished attempt, kept forever (history; rewind reads outputs from here). */
export interface AttemptRecord {
  runId: string;
  key: string;
  attempt: number;
  status: "completed" | "failed" | "cancelled";
  output: Json | null;
  error: ErrorInfo | null;
  startedAt: number;
  endedAt: number;
}

export interface CheckpointRecord {
  runId: string;
  /** 1, 2, 3… per run. */
  number: number;
  /** The step run whose end created it, or null for a manual/label checkpoint. */
  stepKey: string | null;
  eventSeq: number;
  label: string;
  createdAt: number;
}

/**
 * Attempts made before the step run was last reset by retry-step; retry limits and backoff count from here.
 * Kept in `input.base` (the engine's own bookkeeping; the step's rendered input lives in input.json).
 */
export function attemptBase(rec: StepRunRecord): number {
  const input = rec.input;
  if (typeof input === "object" && input !== null && !Array.isArray(input)) {
    const base = Object.hasOwn(input, "base") ? input.base : undefined;
    if (typeof base === "number") return base;
  }
  return 0;
}

/** Stable idempotency key handed to every attempt of a step run. */
export function idempotencyKey(runId: string, stepId: string, iteration: number | null): string {
  return `${runId}:${stepId}:${iteration ?? 0}`;
}

export function stepRunKey(stepId: string, iteration: number | null): string {
  return iteration === null ? stepId : `${stepId}[${iteration}]`;
}

/** A step run not started yet. */
export function newStepRecord(
  runId: string,
  stepId: string,
  iteration: number | null,
  now: number,
  input: Json = null,
): StepRunRecord {
  return {
    runId,
    key: stepRunKey(stepId, iteration),
    stepId,
    iteration,
    status: "pending",
    attempt: 0,
    input,
    output: null,
    error: null,
    notBefore: null,
    waitingFor: null,
    items: null,
    startedAt: null,
    endedAt: null,
    updatedAt: now,
  };
}

/**
 * TypeScript workflows journal a few values as completed step runs that run nothing (`ctx.now()`,
 * `ctx.random()`, `ctx.checkpoint()`, `ctx.comment()`): `$now-3`, `$checkpoint-5`… Views of a run's steps
 * may leave them out.
 */
export function isJournalValue(key: string): boolean {
  return /^\$(now|random|checkpoint|comment)-\d+$/.test(key);
}
