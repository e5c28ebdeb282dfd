/**
 * Checkpoints beyond the database row: seed 002's `checkpoints/step-N.json` files in the run folder, the
 * records the API and the CLI show (resolved from the events, without running a step), and pruning.
 *
 * Data path of the files: the driver feeds every committed event to a `CheckpointFiles` (an O(1) fold, see
 * core/checkpoints.ts); for the checkpoints a commit created it renders the document and queues the write on
 * the step logs' bounded I/O queue. Nothing waits on those writes but the end of the run (`finish`), and a
 * write that fails is a notice: the database row is the checkpoint, the file a copy for people and tools.
 *
 * Which checkpoints get a file: every one of the first `EVERY_FILE_UP_TO`; beyond, one in 2, then one in 4…
 * (the stride doubles with the run's length), and always the run's last. A file lists every step run ended by
 * then, so a file per checkpoint would make a run's files quadratic in its length; with the doubling stride
 * their total stays linear (about `EVERY_FILE_UP_TO` × the number of step runs entries). Every checkpoint has
 * its row, and the API resolves any of them.
 *
 * What pruning may remove: a resume reads the run's steps and events, never a checkpoint; a rewind reads the
 * checkpoint it names (its row, then the events up to it). So pruning keeps the newest `keep`, always the
 * latest, and every checkpoint a rewound run was forked from; events are never pruned.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type CheckpointCreator,
  CheckpointFold,
  type CheckpointResult,
  createdByOf,
  SEED003_STATES,
} from "../core/checkpoints.js";
import { WeftError } from "../core/errors.js";
import type { EventRecord } from "../core/events.js";
import type { Json } from "../core/json.js";
import type { CheckpointRecord, RunRecord, RunStatus, StepRunRecord } from "../core/model.js";
import type { Store } from "../store/store.js";
import { queueIo, runDir, stepLogDir, trackIo } from "./logs.js";

/** Runs of up to this many checkpoints get a file for each. */
export const EVERY_FILE_UP_TO = 128;

export function checkpointsDir(dataDir: string, runId: string): string {
  return join(runDir(dataDir, runId), "checkpoints");
}

/** `checkpoints/step-N.json`, N the checkpoint's number (what `weft rewind <run> N` takes). */
export function checkpointFile(dataDir: string, runId: string, n: number): string {
  return join(checkpointsDir(dataDir, runId), `step-${n}.json`);
}

/** Whether checkpoint `n` gets a file as it is taken (the last one of a run always does). */
export function fileWanted(n: number): boolean {
  if (n <= EVERY_FILE_UP_TO) return true;
  const stride = 2 ** Math.ceil(Math.log2(n / EVERY_FILE_UP_TO));
  return n % stride === 0;
}

/**
 * A fold of `run`'s events (`events`: the log from its start, or at least up to the checkpoints wanted). A
 * rewound run starts with the step runs it reused from its source: completed records that never started in it
 * — `started`: the keys started anywhere in its log (default: in `events`, when they are the whole log).
 */
function newFold(
  run: RunRecord,
  steps: readonly StepRunRecord[],
  events: readonly EventRecord[],
  outputOf: (key: string, attempt: number) => Json | undefined,
  onRef?: (key: string, data: Json) => void,
  started: ReadonlySet<string> = startedIn(events),
): CheckpointFold {
  const fold = new CheckpointFold(run.id, outputOf, onRef);
  if (run.forkedFrom) {
    for (const s of steps) if (s.status === "completed" && !started.has(s.key)) fold.inherit(s.key, s.output);
  }
  return fold;
}

function startedIn(events: readonly EventRecord[], into = new Set<string>()): Set<string> {
  for (const e of events) if (e.type === "workflow.step.started") into.add(e.data.key);
  return into;
}

/** Writes a run's checkpoint files while its driver runs it. */
export class CheckpointFiles {
  private fold: CheckpointFold | undefined;
  private chain: Promise<void> = Promise.resolve();
  private dirMade = false;
  private latest: CheckpointRecord | undefined;
  private lastWritten = 0;
  /** Told of the first failed write only (the next ones are likely the same: a full disk, a folder in the way). */
  private readonly onError: (err: unknown) => void;

  constructor(
    private readonly dataDir: string,
    private readonly runId: string,
    /** A step run's output as the driver holds it now. */
    private readonly outputOf: (key: string) => Json | undefined,
    /** Whether a step run has no step log of its own writing its output.json (a foreach's join). */
    private readonly noOutputFile: (key: string) => boolean,
    onError: (err: unknown) => void,
  ) {
    let told = false;
    this.onError = (err) => {
      if (told) return;
      told = true;
      onError(err);
    };
  }

  /** The driver's reload: the whole log the first time, then what other processes committed since. */
  loaded(run: RunRecord, steps: readonly StepRunRecord[], events: readonly EventRecord[]): void {
    if (!this.fold)
      this.fold = newFold(
        run,
        steps,
        events,
        (key) => this.outputOf(key),
        (key, data) => {
          if (this.noOutputFile(key)) this.ensureOutput(key, data);
        },
      );
    for (const e of events) this.fold.apply(e);
  }

  /** A commit of the driver: its events (numbered) and the checkpoints it created. */
  committed(events: readonly EventRecord[], checkpoints: readonly CheckpointRecord[]): void {
    const fold = this.fold;
    if (!fold) return;
    for (const e of events) fold.apply(e);
    for (const cp of checkpoints) {
      this.latest = cp;
      if (fileWanted(cp.number)) this.write(fold, cp);
    }
  }

  /** The run ended: writes the latest checkpoint's file if the stride skipped it; resolves when all are written. */
  finish(): Promise<void> {
    const cp = this.latest;
    if (this.fold && cp && cp.number !== this.lastWritten) this.write(this.fold, cp);
    return this.chain;
  }

  /** Resolves when every write queued so far is done. */
  flush(): Promise<void> {
    return this.chain;
  }

  /**
   * A result written as a ref whose step has no log of its own (a foreach's join): its output.json, unless
   * something wrote it already — the same text as a step log writes.
   */
  private ensureOutput(key: string, data: Json): void {
    const dir = stepLogDir(this.dataDir, this.runId, key);
    const text = `${JSON.stringify(data, null, 2)}\n`;
    this.chain = this.chain
      .then(() =>
        queueIo(async () => {
          await mkdir(dir, { recursive: true });
          await writeFile(join(dir, "output.json"), text, { flag: "wx" });
        }),
      )
      .catch((err: unknown) => {
        if ((err as NodeJS.ErrnoException | null)?.code !== "EEXIST") this.onError(err);
      });
    trackIo(this.chain);
  }

  private write(fold: CheckpointFold, cp: CheckpointRecord): void {
    const text = fold.document(cp);
    this.lastWritten = cp.number;
    const file = checkpointFile(this.dataDir, this.runId, cp.number);
    const needDir = !this.dirMade;
    this.dirMade = true;
    this.chain = this.chain
      .then(() =>
        queueIo(async () => {
          if (needDir) await mkdir(checkpointsDir(this.dataDir, this.runId), { recursive: true });
          // Written aside then renamed: a reader sees the whole file or none.
          const tmp = join(checkpointsDir(this.dataDir, this.runId), `.step-${cp.number}.json.tmp`);
          await writeFile(tmp, text);
          await rename(tmp, file);
        }),
      )
      .catch((err: unknown) => this.onError(err));
    trackIo(this.chain);
  }
}

/** A resolved checkpoint as JSON: the API's list items and `weft checkpoints --format json` (snake_case). */
export function checkpointJson(r: ResolvedCheckpoint) {
  const c = r.record;
  return {
    number: c.number,
    step_key: c.stepKey,
    label: c.label,
    event_seq: c.eventSeq,
    created_at: new Date(c.createdAt).toISOString(),
    created_by: r.createdBy,
    status: r.status,
    state: r.state,
    current_phase: r.phase,
    current_step_index: r.ended,
    completed_step_ids: r.completed,
    pending_step_ids: r.pending,
    size_bytes: r.sizeBytes,
  };
}

/** A checkpoint as the API and the CLI show it. */
export interface ResolvedCheckpoint {
  record: CheckpointRecord;
  /** The run's status then, and its seed 003 word (`executing`…). */
  status: RunStatus;
  state: string;
  phase: string | null;
  completed: string[];
  /** The workflow's steps not ended by then. */
  pending: string[];
  /** Step runs ended by then (completed, failed or skipped): seed 002's `current_step_index`. */
  ended: number;
  /** Only when asked for (`results: true`): one per step run ended by then. */
  results?: Record<string, CheckpointResult> | undefined;
  /** Bytes of its seed 002 document (the step-N.json file's size when it has one). */
  sizeBytes: number;
  createdBy: CheckpointCreator;
}

/**
 * The state of `run` at each of `checkpoints` (any order; returned in the same order), from one pass over its
 * events up to the newest of them. No step runs.
 */
export async function resolveCheckpoints(
  store: Store,
  run: RunRecord,
  checkpoints: readonly CheckpointRecord[],
  opts: { results?: boolean } = {},
): Promise<ResolvedCheckpoint[]> {
  if (checkpoints.length === 0) return [];
  const { fold, events } = await foldUpTo(
    store,
    run,
    checkpoints.reduce((m, c) => Math.max(m, c.eventSeq), 0),
  );
  const stepIds = run.definition.steps.map((s) => s.id);
  const order = checkpoints.map((c, i) => ({ c, i })).sort((a, b) => a.c.eventSeq - b.c.eventSeq);
  const out: ResolvedCheckpoint[] = new Array(checkpoints.length);
  let next = 0;
  const take = (limit: number) => {
    for (; next < order.length && order[next]!.c.eventSeq <= limit; next++) {
      const { c, i } = order[next]!;
      const snap = fold.snapshot();
      out[i] = {
        record: c,
        status: snap.status,
        state: SEED003_STATES[snap.status],
        phase: snap.phase,
        completed: snap.completed,
        pending: stepIds.filter((id) => !fold.ended(id)),
        ended: snap.ended,
        results: opts.results ? snap.results : undefined,
        sizeBytes: fold.sizeBytes(c),
        createdBy: createdByOf(c),
      };
    }
  };
  for (const e of events) {
    take(e.seq - 1);
    fold.apply(e);
  }
  take(Number.POSITIVE_INFINITY);
  return out;
}

/** The seed 002 document of one checkpoint (what its step-N.json holds, or would). */
export async function checkpointDocument(store: Store, run: RunRecord, cp: CheckpointRecord): Promise<string> {
  const { fold, events } = await foldUpTo(store, run, cp.eventSeq);
  for (const e of events) fold.apply(e);
  return fold.document(cp);
}

/**
 * A fold of `run` ready to apply its events up to `maxSeq` (read here). Outputs come from the
 * attempt records (the output of that attempt), else from the step run.
 */
async function foldUpTo(
  store: Store,
  run: RunRecord,
  maxSeq: number,
): Promise<{ fold: CheckpointFold; events: EventRecord[] }> {
  // Seqs start at 1 and never repeat: the first `maxSeq` events hold every one up to it.
  const events = maxSeq > 0 ? (await store.events.list(run.id, 0, maxSeq)).filter((e) => e.seq <= maxSeq) : [];
  const [steps, attempts] = await Promise.all([store.steps.list(run.id), store.steps.attempts(run.id)]);
  // A rewound run: a step that completed after `maxSeq` started after it too, so it is not one it reused. Read
  // after the steps, so that every step they show completed has its start in what is read.
  const started = run.forkedFrom
    ? startedIn(await store.events.list(run.id, events.at(-1)?.seq ?? 0), startedIn(events))
    : undefined;
  const outputs = new Map<string, Json>();
  for (const a of attempts) if (a.status === "completed") outputs.set(`${a.key}#${a.attempt}`, a.output);
  const records = new Map(steps.map((s) => [s.key, s]));
  const fold = newFold(
    run,
    steps,
    events,
    (key, attempt) => {
      const out = outputs.get(`${key}#${attempt}`);
      if (out !== undefined) return out;
      const rec = records.get(key);
      return rec?.status === "completed" && rec.attempt <= attempt ? rec.output : undefined;
    },
    undefined,
    started,
  );
  return { fold, events };
}

export interface PruneResult {
  /** Numbers removed (or, in a dry run, that would be), oldest first. */
  removed: number[];
  /** Numbers kept, newest first, each with why. */
  kept: Array<{ number: number; why: "latest" | "newest" | "forked" }>;
}

/**
 * Removes a run's checkpoints but the newest `keep`, the latest, and those a rewound run was forked from —
 * rows and step-N.json files. `dryRun`: says what it would remove, removes nothing. `WEFT_NOT_FOUND` for an
 * unknown run, `WEFT_ARGS` for a `keep` that is not a positive integer.
 */
export async function pruneCheckpoints(
  store: Store,
  dataDir: string,
  runId: string,
  keep: number,
  opts: { dryRun?: boolean } = {},
): Promise<PruneResult> {
  if (!Number.isInteger(keep) || keep < 1)
    throw new WeftError("WEFT_ARGS", `keep must be a positive integer (1, 2, …), not ${keep}`);
  if (!(await store.runs.get(runId)))
    throw new WeftError("WEFT_NOT_FOUND", `no run has id ${runId}; \`weft list\` shows the runs`);
  const all = await store.checkpoints.list(runId);
  const forked = new Set<number>();
  for (const r of await store.runs.list({ forkedFrom: runId })) {
    if (r.forkedFrom?.runId === runId) forked.add(r.forkedFrom.checkpoint);
  }
  const removed: number[] = [];
  const kept: PruneResult["kept"] = [];
  all.forEach((c, i) => {
    if (i === 0) kept.push({ number: c.number, why: "latest" });
    else if (i < keep) kept.push({ number: c.number, why: "newest" });
    else if (forked.has(c.number)) kept.push({ number: c.number, why: "forked" });
    else removed.push(c.number);
  });
  removed.reverse();
  if (opts.dryRun || removed.length === 0) return { removed, kept };
  await store.checkpoints.remove(runId, removed);
  await Promise.all(removed.map((n) => queueIo(() => rm(checkpointFile(dataDir, runId, n), { force: true }))));
  return { removed, kept };
}
