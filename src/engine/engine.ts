/**
 * createEngine(): the one object the CLI, the server and tests talk to. No globals: two engines can run in
 * one process (each with its own owner identity), on one store or on different ones.
 */
import { createMockProvider } from "../agents/mock/index.js";
import type { ProviderRegistry } from "../agents/provider.js";
import { createProviderRegistry, testRunRegistry } from "../agents/registry.js";
import { ValidationError, WeftError } from "../core/errors.js";
import type { EventRecord, NewEvent } from "../core/events.js";
import type { JsonObject } from "../core/json.js";
import type { CheckpointRecord, Owner, RunRecord, StepRunRecord, Workflow } from "../core/model.js";
import { newStepRecord, TERMINAL_RUN_STATUSES } from "../core/model.js";
import { launchFingerprint, validateArgs, workflowHash } from "../definition/index.js";
import type { TsWorkflowDefinition } from "../definition/typescript/define.js";
import { isTsWorkflow } from "../definition/typescript/define.js";
import { createStepTypeRegistry } from "../steps/registry.js";
import type { Sandbox } from "../steps/script/sandbox.js";
import type { StepFunction, StepType } from "../steps/step-type.js";
import { newRunId } from "../store/run-id.js";
import type { Store } from "../store/store.js";
import { ConflictError } from "../store/store.js";
import { Committer, Launches } from "./committer.js";
import { checkDocumentArgs } from "./context-documents.js";
import * as control from "./control.js";
import type { Clock, DriverHandle, EngineCore, Logger } from "./core.js";
import { Slots } from "./core.js";
import { RunDriver } from "./driver.js";
import type { Faults } from "./faults.js";
import { noFaults } from "./faults.js";
import { FileWriter } from "./file-writer.js";
import { runFolderNotice, writeRunFiles } from "./logs.js";
import { currentOwner, isOwnerDead } from "./owner.js";
import type { Planner } from "./planner.js";
import { DagPlanner } from "./planner.js";
import { LeaseRenewals } from "./renewals.js";
import { ReplayPlanner } from "./replay.js";
import { RunState } from "./state.js";
import type { TsLoader } from "./ts-code.js";
import { parseZodArgs, TsCode } from "./ts-code.js";
import { WaitQueue } from "./wait-queue.js";

export interface EngineOptions {
  store: Store;
  /** Where run folders (definition.json, args.json, logs/) are written. */
  dataDir: string;
  /** Default working directory of scripts and CLI agents. Default: process.cwd(). */
  projectPath?: string;
  /**
   * The environment the processes of steps (scripts) begin with, before what each step names (`env:`) and the
   * `WEFT_RUN_ID`… weft sets. Default: none — a library reads no `process.env`; build it with `stepBaseEnv`
   * (core/environment.ts) from the environment you choose to hand on. The CLI and the server do.
   */
  stepEnv?: Readonly<Record<string, string>>;
  /** Confines script steps (`createBwrapSandbox`). Default: none. */
  sandbox?: Sandbox;
  /** Extra step types (plugins), registered next to the built-ins. */
  stepTypes?: StepType<unknown>[];
  /** Functions callable by `type: function` steps, by name. */
  functions?: ReadonlyMap<string, StepFunction> | Record<string, StepFunction>;
  /** Agent name → provider. Default: every agent answered by the offline mock provider. */
  providers?: ProviderRegistry;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  owner?: Owner;
  /** How long a lease lasts without renewal, ms. Default 30,000; renewed every third of it. */
  leaseMs?: number;
  /** How often an owner checks whether another process changed its runs, ms. Default 100. */
  pollMs?: number;
  /** Most step handlers running at once in this engine, all runs together. Default 64. */
  globalConcurrency?: number;
  /**
   * Benchmarks: told, for each step run that ended, how many ms after its end its log (summary.md with
   * the rest of its files) was on disk.
   */
  onStepLogWritten?: (ms: number) => void;
  faults?: Faults;
  /** TypeScript workflows defined in memory (`defineWorkflow`), so runs of them can be driven here. */
  workflows?: readonly TsWorkflowDefinition[];
  /** Loads a TypeScript workflow file (default: the built-in esbuild loader). */
  loadTypeScript?: TsLoader;
}

export interface ExecuteOptions {
  /** Replay a TypeScript workflow even though its file changed since the run started. */
  allowChangedSource?: boolean;
}

export interface LaunchOptions {
  args?: JsonObject;
  name?: string;
  projectId?: string;
  priority?: number;
  triggeredBy?: string;
  /**
   * At most one run is ever created per key in a project; a second launch with the same workflow and args
   * returns the first run, one with another workflow or other args throws `WEFT_IDEMPOTENCY_MISMATCH`.
   */
  idempotencyKey?: string;
  parentRunId?: string;
  /** The stored workflow definition (template) this run is launched from: its usage stats count the run. */
  definitionId?: string;
  /** The code of a TypeScript workflow loaded from a file (its `workflow` model comes from the same load). */
  code?: TsWorkflowDefinition;
  /**
   * The run's budget, over the workflow's `budget`: a limit given replaces the workflow's, one left out keeps it.
   * Recorded as the run's first `workflow.execution.budget_changed` (by `triggeredBy`, else `launch`).
   */
  budget?: { tokens?: number | undefined; costUsd?: number | undefined } | undefined;
  /**
   * A test run: every agent call is answered by the offline mock provider (the one `providers` answers
   * unconfigured agents with), whatever the agents are configured with; scripts still run. Kept on the run
   * (`RunRecord.testRun`) for its life: a resume, a takeover and a rewind keep the mock.
   */
  testRun?: boolean;
}

export interface DecisionOptions {
  by?: string;
  comment?: string | undefined;
  claimedBy?: string | undefined;
}

export type EventListener = (event: EventRecord) => void;
export type NoticeListener = (runId: string, message: string) => void;

export interface Engine {
  readonly owner: Owner;
  readonly store: Store;
  /** Validates args against the workflow's argsSchema (applying defaults) and creates the run. Throws ValidationError. */
  launch(
    workflow: Workflow | TsWorkflowDefinition,
    opts?: LaunchOptions,
  ): Promise<{ run: RunRecord; created: boolean }>;
  /**
   * Drives the run in this process until it ends (resolves with the final record), taking over from a dead
   * owner. Throws WEFT_CONFLICT when another live process drives it (follow its events instead).
   */
  execute(runId: string, opts?: ExecuteOptions): Promise<RunRecord>;
  pause(runId: string): Promise<RunRecord>;
  resume(runId: string): Promise<RunRecord>;
  /**
   * Sets the run's budget (or, with `step`, that step run's), replacing the workflow's or step's limits: null
   * for no limit. A run paused over its budget stays paused: resume it after.
   */
  setBudget(
    runId: string,
    budget: { tokens: number | null; costUsd: number | null; step?: string | undefined },
    by?: string,
  ): Promise<RunRecord>;
  cancel(runId: string, by?: string): Promise<RunRecord>;
  /**
   * Decides a waiting approval. `by`: who decided (recorded as the decider); `claimedBy`: who a client said
   * decided, kept beside it when it is not the same source (the API records the token as `by`).
   */
  approve(runId: string, step: string, opts?: DecisionOptions): Promise<RunRecord>;
  reject(runId: string, step: string, opts?: DecisionOptions): Promise<RunRecord>;
  retryStep(runId: string, step: string, by?: string): Promise<RunRecord>;
  /** Forks a new run from a checkpoint of `runId`: steps completed at that checkpoint are reused, the rest run. */
  rewind(runId: string, checkpoint: number, opts?: { triggeredBy?: string }): Promise<RunRecord>;
  getRun(runId: string): Promise<RunRecord | undefined>;
  steps(runId: string): Promise<StepRunRecord[]>;
  /** Whether a live process other than this one holds the run's lease. */
  ownedElsewhere(run: RunRecord): boolean;
  subscribe(listener: EventListener): () => void;
  onNotice(listener: NoticeListener): () => void;
  /**
   * Resolves when every file written so far is on disk: run folders, step logs, checkpoint files (they are
   * written after the commits, off the engine's path). Benchmarks and tests wait on it; runs go on meanwhile.
   */
  flush(): Promise<void>;
  /** Stops every run this engine drives (handlers aborted, leases released); waits for their files. */
  close(): Promise<void>;
}

/** Loaded on first use: `import "weftflow"` does not load esbuild. */
const defaultTsLoader: TsLoader = async (file) =>
  (await import("../definition/typescript/load.js")).loadTypeScriptWorkflow(file);

/** A launch's `budget` as the run's first budget change: each limit given replaces the workflow's. */
function launchBudgetEvents(workflow: Workflow, o: LaunchOptions): NewEvent[] {
  const b = o.budget;
  if (b === undefined || (b.tokens === undefined && b.costUsd === undefined)) return [];
  const data = {
    key: null,
    tokens: b.tokens ?? workflow.budget?.tokens ?? null,
    cost_usd: b.costUsd ?? workflow.budget?.costUsd ?? null,
    by: o.triggeredBy ?? "launch",
  };
  return [{ type: "workflow.execution.budget_changed", data }];
}

export function createEngine(opts: EngineOptions): Engine {
  const listeners = new Set<EventListener>();
  const noticeListeners = new Set<NoticeListener>();
  const noticed = new Set<string>();
  const drivers = new Map<string, RunDriver>();
  const functions =
    opts.functions instanceof Map
      ? opts.functions
      : new Map(Object.entries((opts.functions as Record<string, StepFunction> | undefined) ?? {}));
  const stepTypes = createStepTypeRegistry({ functions, stepTypes: opts.stepTypes });
  const slots = new Slots(opts.globalConcurrency ?? 64);
  const starved = new WaitQueue<DriverHandle>();
  // A freed slot goes to the run waiting first (priority, then how long); one still wanting more waits again.
  slots.onRelease = () =>
    starved.serve(
      () => slots.available() > 0,
      (d) => d.tick(),
    );
  const logger: Logger = opts.logger ?? {
    info: () => {},
    warn: (m) => process.stderr.write(`weft: ${m}\n`),
  };

  const committer = new Committer(opts.store);
  const leaseMs = opts.leaseMs ?? 30_000;
  const clock: Clock = opts.clock ?? { now: () => Date.now() };
  const renewals = new LeaseRenewals(opts.store, leaseMs, clock);
  const providers = opts.providers ?? createProviderRegistry({ mock: createMockProvider() });
  const launches = new Launches(opts.store, opts.faults ?? noFaults);
  /** Definitions are not changed once loaded: each is hashed once, not at every launch. */
  const hashes = new WeakMap<Workflow, string>();
  const hashOf = (w: Workflow): string => {
    let h = hashes.get(w);
    if (h === undefined) {
      h = workflowHash(w);
      hashes.set(w, h);
    }
    return h;
  };
  const afterwards = new Set<Promise<void>>();
  const files = new FileWriter(opts.onStepLogWritten);
  const core: EngineCore = {
    store: opts.store,
    commit: (t) => committer.commit(t),
    clock,
    random: opts.random ?? Math.random,
    owner: opts.owner ?? currentOwner(),
    leaseMs,
    pollMs: opts.pollMs ?? 100,
    dataDir: opts.dataDir,
    files,
    projectPath: opts.projectPath ?? process.cwd(),
    stepEnv: opts.stepEnv ?? {},
    sandbox: opts.sandbox,
    stepTypes,
    providers,
    testProviders: testRunRegistry(providers, providers.mock ?? createMockProvider()),
    faults: opts.faults ?? noFaults,
    logger,
    slots,
    starved,
    isOwnerDead,
    renewLease: (lease) => renewals.renew(lease),
    publish(events) {
      for (const e of events) for (const l of listeners) l(e);
    },
    afterwards(work) {
      const p = work.catch(() => {});
      afterwards.add(p);
      void p.finally(() => afterwards.delete(p));
    },
    notice(runId, message) {
      const k = `${runId}\0${message}`;
      if (noticed.has(k)) return;
      noticed.add(k);
      for (const l of noticeListeners) l(runId, message);
    },
    detach(driver) {
      starved.delete(driver);
      if (drivers.get(driver.runId) === driver) drivers.delete(driver.runId);
      if (drivers.size === 0 && poller) {
        clearInterval(poller);
        poller = undefined;
      }
    },
  };
  const { store } = core;
  let closed = false;
  const tsCode = new TsCode(opts.loadTypeScript ?? defaultTsLoader, opts.workflows ?? []);

  // One poller for every run this engine drives: notices changes made by other processes.
  let poller: NodeJS.Timeout | undefined;
  let polling = false;
  const poll = async () => {
    if (polling || drivers.size === 0) return;
    polling = true;
    try {
      const versions = await store.runs.versions([...drivers.keys()]);
      for (const [id, v] of versions) await drivers.get(id)?.onVersion(v);
    } catch (err) {
      logger.warn(`polling for changes failed: ${(err as Error).message}`);
    } finally {
      polling = false;
    }
  };
  const ensurePoller = () => {
    if (poller || drivers.size === 0) return;
    // Not unref'd: while this engine drives a run, `await engine.execute()` keeps the process alive even
    // when the run only waits for a person or a timer.
    poller = setInterval(() => void poll(), core.pollMs);
  };

  async function load(runId: string): Promise<RunState> {
    const [run, steps] = await Promise.all([store.runs.get(runId), store.steps.list(runId)]);
    if (!run) throw new WeftError("WEFT_NOT_FOUND", `no run has id ${runId}; \`weft list\` shows the runs`);
    return new RunState(run, steps);
  }

  /** Applies a command with optimistic concurrency: reload and re-apply when the run changed meanwhile. */
  async function command(runId: string, mutate: (st: RunState, now: number) => void): Promise<RunRecord> {
    for (let i = 0; ; i++) {
      const st = await load(runId);
      const now = clock.now();
      mutate(st, now);
      if (!st.dirty) return st.run;
      const t = st.take(now, undefined);
      try {
        const res = await store.commit(t);
        st.run.version = res.version;
        // The store stamped the row with `now`: so is the record returned (a pause's `updated_at` ≥ `paused_at`).
        st.run.updatedAt = now;
        core.publish(
          (t.events ?? []).map((e, j) => ({ ...e, runId, seq: res.eventSeqs[j] ?? 0, at: now }) as EventRecord),
        );
        return st.run;
      } catch (err) {
        if (err instanceof ConflictError && i < 20) continue;
        throw err;
      }
    }
  }

  // A run folder is written after its launch, nothing waiting for it. When the disk is full, the run stops
  // as if a commit had failed (WEFT_STORAGE from execute: resuming it carries on); other failures are a notice.
  const folderFull = new Map<string, unknown>();
  const stopOnFull = new Map<string, (err: unknown) => void>();
  function writeRunFolder(run: RunRecord): void {
    writeRunFiles(files, core.dataDir, run, (err) => {
      if (!(err instanceof WeftError && err.code === "WEFT_STORAGE")) {
        core.notice(run.id, runFolderNotice(core.dataDir, run.id, err));
        return;
      }
      const stop = stopOnFull.get(run.id);
      if (stop) stop(err);
      else folderFull.set(run.id, err);
    });
  }

  async function startDriver(driver: RunDriver, run: RunRecord): Promise<RunRecord> {
    const runId = run.id;
    // close() may have run while execute was reading the run: start nothing then.
    if (closed) throw new WeftError("WEFT_CONFLICT", "the engine is closed; it drives no more runs");
    const full = folderFull.get(runId);
    if (full !== undefined) {
      folderFull.delete(runId);
      throw full;
    }
    drivers.set(runId, driver);
    const started = await driver.start().catch((err: unknown) => {
      core.detach(driver);
      throw err;
    });
    if (started && closed)
      await driver.stop(); // closed while it was starting
    else if (started) ensurePoller();
    else {
      core.detach(driver);
      const owner = run.lease?.owner;
      throw new WeftError(
        "WEFT_CONFLICT",
        `run ${runId} is being driven by another process${owner ? ` (pid ${owner.pid} on ${owner.host})` : ""}`,
      );
    }
    return new Promise<RunRecord>((resolve, reject) => {
      stopOnFull.set(runId, (err) => {
        reject(err); // first: stopping resolves `done`
        void driver.stop();
      });
      driver.done.then(resolve, reject).finally(() => stopOnFull.delete(runId));
    });
  }

  function ownedElsewhere(run: RunRecord): boolean {
    const l = run.lease;
    if (!l || l.owner.id === core.owner.id) return false;
    return l.expiresAt > clock.now() && !isOwnerDead(l.owner);
  }

  return {
    owner: core.owner,
    store,

    async launch(input, o = {}) {
      let workflow: Workflow;
      let code = o.code;
      if (isTsWorkflow(input)) {
        code = input;
        workflow = tsCode.register(input);
      } else {
        workflow = input;
        if (code) tsCode.register(code, workflow);
      }
      const file = workflow.source?.file ?? "args";
      // A zod argsSchema (TypeScript workflows) validates and defaults the args itself; else the JSON Schema.
      const parsed = code ? parseZodArgs(code, o.args ?? {}, file) : undefined;
      const { args, issues } = parsed ?? validateArgs(workflow, o.args ?? {}, file);
      if (issues.length) throw new ValidationError(issues);
      const projectId = o.projectId ?? "default";
      const documentIssues = await checkDocumentArgs(store, workflow.argsSchema, args, projectId, file);
      if (documentIssues.length) throw new ValidationError(documentIssues);
      const id = newRunId();
      const now = clock.now();
      // A TypeScript workflow's steps are its journal, created as `execute` calls them; its static steps
      // are only a drawing of the code.
      const steps =
        workflow.source?.format === "ts" ? [] : workflow.steps.map((s) => newStepRecord(id, s.id, null, now));
      const hash = hashOf(workflow);
      const res = await launches.create({
        id,
        projectId,
        name: o.name ?? workflow.name,
        definition: workflow,
        workflowHash: hash,
        args,
        priority: o.priority ?? 0,
        triggeredBy: o.triggeredBy ?? null,
        idempotencyKey: o.idempotencyKey ?? null,
        idempotencyFingerprint: o.idempotencyKey === undefined ? null : launchFingerprint(hash, args),
        parentRunId: o.parentRunId ?? null,
        definitionId: o.definitionId ?? null,
        testRun: o.testRun === true,
        forkedFrom: null,
        steps,
        events: [
          {
            type: "workflow.execution.created",
            data: { workflow_name: workflow.name, workflow_hash: hash, args, triggered_by: o.triggeredBy ?? null },
          },
          ...launchBudgetEvents(workflow, o),
        ],
        now,
      });
      if (res.created) writeRunFolder(res.run);
      core.faults.hit("after-launch");
      return res;
    },

    async execute(runId, o = {}) {
      if (closed) throw new WeftError("WEFT_CONFLICT", "the engine is closed; it drives no more runs");
      const existing = drivers.get(runId);
      if (existing) return existing.done;
      const run = await store.runs.get(runId);
      if (!run) throw new WeftError("WEFT_NOT_FOUND", `no run has id ${runId}`);
      if (TERMINAL_RUN_STATUSES.has(run.status)) return run;
      let planner: Planner;
      if (run.definition.source?.format === "ts") {
        const code = await tsCode.codeFor(run.definition, runId, o.allowChangedSource ?? false);
        let driverRef: RunDriver | undefined;
        planner = new ReplayPlanner(code, {
          projectPath: core.projectPath,
          stepTypes,
          wake: () => driverRef?.tick(),
          faults: core.faults,
        });
        const driver = new RunDriver(core, runId, planner);
        driverRef = driver;
        return startDriver(driver, run);
      }
      planner = new DagPlanner();
      return startDriver(new RunDriver(core, runId, planner), run);
    },

    pause: (runId) => command(runId, (st, now) => control.pause(st, now)),

    resume: (runId) => command(runId, (st, now) => control.resume(st, now)),
    setBudget: (runId, budget, by = "user") => command(runId, (st) => control.setBudget(st, budget, by)),
    cancel: (runId, by = "user") => command(runId, (st, now) => control.cancel(st, now, by)),
    approve: (runId, step, o = {}) =>
      command(runId, (st, now) => control.decide(st, now, step, true, o.by ?? "user", o.comment, o.claimedBy)),
    reject: (runId, step, o = {}) =>
      command(runId, (st, now) => control.decide(st, now, step, false, o.by ?? "user", o.comment, o.claimedBy)),
    retryStep: (runId, step, by = "user") =>
      command(runId, (st, now) => {
        control.retryStep(st, now, step, by);
      }),

    async rewind(runId, checkpoint, o = {}) {
      const source = await load(runId);
      const cp: CheckpointRecord | undefined = await store.checkpoints.get(runId, checkpoint);
      if (!cp)
        throw new WeftError(
          "WEFT_NOT_FOUND",
          `run ${runId} has no checkpoint ${checkpoint} (not taken, or pruned); \`weft checkpoints ${runId}\` lists them`,
        );
      // The state at the checkpoint, folded from the events up to it.
      const completed = new Map<string, number>();
      for (const e of await store.events.list(runId, 0, cp.eventSeq)) {
        if (e.seq > cp.eventSeq) break;
        if (e.type === "workflow.step.completed" && e.data.status === "completed")
          completed.set(e.data.key, e.data.attempt);
        if (e.type === "workflow.step.reset") completed.delete(e.data.key);
      }
      const attempts = await store.steps.attempts(runId);
      const id = newRunId();
      const now = clock.now();
      const steps: StepRunRecord[] = [];
      const reused = [];
      // YAML/JSON: one record per step of the workflow. TypeScript: the journal entries completed by then
      // (with their call positions); the replay of the new run creates the rest as its code asks for them.
      const ts = source.workflow.source?.format === "ts";
      const ids = ts
        ? [...source.steps.values()].filter((r) => r.iteration === null).map((r) => r.stepId)
        : source.workflow.steps.map((s) => s.id);
      for (const stepId of ids) {
        const prior = source.step(stepId);
        const rec = newStepRecord(id, stepId, null, now, ts ? (prior?.input ?? null) : null);
        const attempt = completed.get(stepId);
        const a = attempts.find((x) => x.key === stepId && x.attempt === attempt && x.status === "completed");
        if (attempt !== undefined && (a || (prior?.status === "completed" && prior.attempt <= attempt))) {
          const output = a ? a.output : (prior?.output ?? null);
          steps.push({ ...rec, status: "completed", attempt: attempt, output, startedAt: now, endedAt: now });
          if (a) reused.push({ ...a, runId: id });
        } else if (!ts) steps.push(rec);
      }
      const res = await store.runs.create({
        id,
        projectId: source.run.projectId,
        name: source.run.name,
        definition: source.workflow,
        workflowHash: source.run.workflowHash,
        args: source.run.args,
        priority: source.run.priority,
        triggeredBy: o.triggeredBy ?? `rewind of ${runId}`,
        idempotencyKey: null,
        parentRunId: runId,
        definitionId: source.run.definitionId ?? null,
        testRun: source.run.testRun === true,
        forkedFrom: { runId, checkpoint },
        steps,
        attempts: reused,
        events: [
          {
            type: "workflow.execution.created",
            data: {
              workflow_name: source.workflow.name,
              workflow_hash: source.run.workflowHash,
              args: source.run.args,
              triggered_by: o.triggeredBy ?? `rewind of ${runId} at checkpoint ${checkpoint}`,
            },
          },
        ],
        now,
      });
      writeRunFolder(res.run);
      return res.run;
    },

    getRun: (runId) => store.runs.get(runId),
    steps: (runId) => store.steps.list(runId),
    ownedElsewhere,

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onNotice(listener) {
      noticeListeners.add(listener);
      return () => noticeListeners.delete(listener);
    },
    async flush() {
      await Promise.all([...afterwards]);
      await files.flush();
    },
    async close() {
      closed = true;
      await Promise.all([...drivers.values()].map((d) => d.stop()));
      await Promise.all([...afterwards]);
      await files.close();
    },
  };
}
