/**
 * The files an engine writes beside the database (run folders, step logs, checkpoint files), written by a
 * worker thread, in the order they were asked for: the engine's thread only hands over the texts, once per
 * turn of the event loop, and never waits on the disk. The worker writes each file whole with plain
 * synchronous calls (one folder made once, no queue of promises); a step's files go in one batch.
 */
import { Worker } from "node:worker_threads";

/** `write` replaces the file; `append` adds to it; `exclusive` writes it unless it exists; `atomic` writes it aside, then renames. */
export type WriteMode = "write" | "append" | "exclusive" | "atomic";

export interface FileWrite {
  name: string;
  text: string;
  how: WriteMode;
}

/** Something holding writes back to coalesce them (a step's log): asked to hand them over with `drain()`. */
export interface Deferred {
  drain(): void;
}

type Op = { id: number; dir: string; files: FileWrite[]; trace: boolean } | { id: number; rm: string };
type Reply = { last: number; errors: Array<[number, string | null, string]>; times: Array<[number, number]> };

/** The worker: plain JavaScript (run with `eval`, so it needs no file of its own in src/ or dist/). */
const WORKER = `
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const { join } = require("node:path");
const made = new Set();
function ensure(dir) {
  if (made.has(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  if (made.size > 100000) made.clear();
  made.add(dir);
}
function put(dir, f) {
  const file = join(dir, f.name);
  if (f.how === "write") fs.writeFileSync(file, f.text);
  else if (f.how === "append") fs.appendFileSync(file, f.text);
  else if (f.how === "exclusive") {
    try {
      fs.writeFileSync(file, f.text, { flag: "wx" });
    } catch (err) {
      if (err.code !== "EEXIST") throw err;
    }
  } else {
    const tmp = join(dir, "." + f.name + ".tmp");
    fs.writeFileSync(tmp, f.text);
    fs.renameSync(tmp, file);
  }
}
function run(op) {
  if (op.rm !== undefined) return fs.rmSync(op.rm, { force: true });
  ensure(op.dir);
  for (const f of op.files) {
    try {
      put(op.dir, f);
    } catch (err) {
      // The folder went away since it was made (a run deleted, then written again): make it again, once.
      if (err.code !== "ENOENT") throw err;
      made.delete(op.dir);
      ensure(op.dir);
      put(op.dir, f);
    }
  }
}
parentPort.on("message", (ops) => {
  const errors = [];
  const times = [];
  for (const op of ops) {
    try {
      run(op);
    } catch (err) {
      errors.push([op.id, typeof err.code === "string" ? err.code : null, String(err.message)]);
    }
    if (op.trace) times.push([op.id, performance.timeOrigin + performance.now()]);
  }
  parentPort.postMessage({ last: ops[ops.length - 1].id, errors, times });
});
`;

/** How long a deferred write (a running step's output lines) may wait to be coalesced with the next ones. */
const DEFER_MS = 50;

export class FileWriter {
  private worker: Worker | undefined;
  private nextId = 1;
  /** The id of the last op the worker has done (it does them in order). */
  private done = 0;
  private batch: Op[] = [];
  private posted = false;
  private readonly failures = new Map<number, (err: Error) => void>();
  private readonly traced = new Map<number, number>();
  private waiters: Array<{ id: number; resolve: () => void }> = [];
  /** Sources with writes to hand over at the next turn, and those that may wait up to DEFER_MS. */
  private readonly soon = new Set<Deferred>();
  private readonly later = new Set<Deferred>();
  private timer: NodeJS.Timeout | undefined;

  /** `onTraced` (benchmarks): told, for each write given a `tracedFrom`, the ms from then until it was on disk. */
  constructor(private readonly onTraced?: (ms: number) => void) {}

  /**
   * Writes `files` into `dir` (made if missing) after everything asked for before. `onError` is told if it
   * fails. `tracedFrom` (epoch ms): when latencies are traced, counts the time from then until written.
   * Returns the op's id (`settled(id)` waits for it).
   */
  write(dir: string, files: FileWrite[], onError?: (err: Error) => void, tracedFrom?: number): number {
    const id = this.nextId++;
    const trace = this.onTraced !== undefined && tracedFrom !== undefined;
    if (trace) this.traced.set(id, tracedFrom);
    this.push({ id, dir, files, trace }, onError);
    return id;
  }

  /** Removes a file (nothing when it is missing). */
  remove(path: string, onError?: (err: Error) => void): number {
    const id = this.nextId++;
    this.push({ id, rm: path }, onError);
    return id;
  }

  /** `source.drain()` is called at the next turn (`soon`) or within DEFER_MS, and by `flush()`. */
  defer(source: Deferred, soon: boolean): void {
    if (soon) {
      this.later.delete(source);
      this.soon.add(source);
      this.schedule();
    } else if (!this.soon.has(source) && !this.later.has(source)) {
      this.later.add(source);
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.drainAll(this.later);
      }, DEFER_MS).unref();
    }
  }

  /** Hands over `source`'s writes now (when it had some waiting). */
  drainNow(source: Deferred): void {
    if (this.soon.delete(source) || this.later.delete(source)) source.drain();
  }

  /** Resolves when op `id` and all before it are done (written or failed). */
  settled(id: number): Promise<void> {
    if (id <= this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ id, resolve }));
  }

  /** Resolves when everything asked for so far (deferred writes included) is on disk. */
  flush(): Promise<void> {
    this.drainAll(this.soon);
    this.drainAll(this.later);
    return this.settled(this.nextId - 1);
  }

  /** Stops the worker once everything asked for is done (a write asked for later starts another). */
  async close(): Promise<void> {
    await this.flush();
    const w = this.worker;
    this.worker = undefined;
    if (w) void w.terminate();
  }

  private push(op: Op, onError: ((err: Error) => void) | undefined): void {
    if (onError) this.failures.set(op.id, onError);
    this.batch.push(op);
    this.schedule();
  }

  private schedule(): void {
    if (this.posted) return;
    this.posted = true;
    setImmediate(() => {
      this.posted = false;
      this.drainAll(this.soon);
      this.post();
    });
  }

  private drainAll(sources: Set<Deferred>): void {
    if (sources.size === 0) return;
    const list = [...sources];
    sources.clear();
    for (const s of list) s.drain();
    this.post();
  }

  private post(): void {
    if (this.batch.length === 0) return;
    const ops = this.batch;
    this.batch = [];
    const w = this.start();
    w.ref(); // work outstanding: the process waits for it (unref'd again once it is done)
    w.postMessage(ops);
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER, { eval: true });
    w.on("message", (reply: Reply) => this.settle(reply));
    // The worker itself broke (it catches every file error): fail what it had, start afresh next time.
    const broken = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      const posted = this.nextId - 1 - this.batch.length; // the batch holds the newest ops, not yet posted
      const code = (err as { code?: unknown }).code;
      const lost: Reply["errors"] = [];
      for (const id of this.failures.keys())
        if (id <= posted) lost.push([id, typeof code === "string" ? code : null, err.message]);
      this.settle({ last: posted, errors: lost, times: [] });
    };
    w.on("error", broken);
    w.on("exit", (code) => broken(new Error(`the file writer stopped (exit code ${code})`)));
    w.unref();
    this.worker = w;
    return w;
  }

  private settle(reply: Reply): void {
    for (const [id, code, message] of reply.errors) {
      const onError = this.failures.get(id);
      if (!onError) continue;
      const err = Object.assign(new Error(message), code === null ? {} : { code });
      onError(err);
    }
    for (const [id, at] of reply.times) {
      const from = this.traced.get(id);
      this.traced.delete(id);
      if (from !== undefined) this.onTraced?.(at - from);
    }
    for (let id = this.done + 1; id <= reply.last; id++) this.failures.delete(id);
    this.done = Math.max(this.done, reply.last);
    if (this.waiters.length > 0) {
      const ready = this.waiters.filter((w) => w.id <= this.done);
      this.waiters = this.waiters.filter((w) => w.id > this.done);
      for (const w of ready) w.resolve();
    }
    if (this.done >= this.nextId - 1 && this.batch.length === 0) this.worker?.unref();
  }
}
