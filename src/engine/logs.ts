/**
 * Files next to the database (seed 002's layout): per run `definition.json`, `args.json`, and per step run
 * `logs/<key>/{input.json, output.json, events.jsonl, summary.md}`. The database is the truth; these files
 * are written after the fact, off the commit path, and a crash may lose the last lines of them.
 */

import { mkdirSync, writeFileSync } from "node:fs";
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { diskFullError, isDiskFull } from "../core/errors.js";
import type { Json } from "../core/json.js";
import type { RunRecord } from "../core/model.js";

export function runDir(dataDir: string, runId: string): string {
  return join(dataDir, "runs", runId);
}

export function stepLogDir(dataDir: string, runId: string, key: string): string {
  return join(runDir(dataDir, runId), "logs", safeName(key));
}

/** `id[3]` → `id[3]`; anything outside [A-Za-z0-9._[\]-] becomes `_` (ids are validated, this is belt and braces). */
function safeName(key: string): string {
  return key.replace(/[^A-Za-z0-9._[\]-]/g, "_");
}

/** Throws `WEFT_STORAGE` when the disk is full (the run is recorded then; resuming it carries on). */
export function writeRunFiles(dataDir: string, run: RunRecord): void {
  const dir = runDir(dataDir, run.id);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "definition.json"),
      `${JSON.stringify({ hash: run.workflowHash, workflow: run.definition }, null, 2)}\n`,
    );
    writeFileSync(join(dir, "args.json"), `${JSON.stringify(run.args, null, 2)}\n`);
  } catch (err) {
    if (!isDiskFull(err)) throw err;
    throw diskFullError(dir, err, `resume the run, which is recorded: \`weft resume ${run.id}\``);
  }
}

/** What a run's owner says once when its step logs cannot be written (they are best effort; the run goes on). */
export function logFailureNotice(dataDir: string, runId: string, err: unknown): string {
  const where = join(runDir(dataDir, runId), "logs");
  if (isDiskFull(err)) {
    return `the disk is full: step logs under ${where} are not being written (results are still recorded in the database). Free space on that disk`;
  }
  const code = (err as { code?: unknown } | null)?.code;
  const why = typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
  return `step logs under ${where} cannot be written (${why}); results are still recorded in the database`;
}

/**
 * Bounds how many log-file operations run at once across all runs: thousands of step runs finishing
 * together must not exhaust file descriptors (EMFILE), and the engine's thread should not wait on them.
 */
class IoLimiter {
  private active = 0;
  private waiting: Array<() => void> = [];
  constructor(private readonly max: number) {}
  run<T>(fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.active++;
        fn()
          .then(resolve, reject)
          .finally(() => {
            this.active--;
            this.waiting.shift()?.();
          });
      };
      if (this.active < this.max) start();
      else this.waiting.push(start);
    });
  }
}

const io = new IoLimiter(16);

/** File work queued and not yet done (any engine of this process): what `flushFiles()` waits for. */
const pending = new Set<Promise<unknown>>();

/** Counts `work` as queued file work until it settles (it must not reject: callers catch). */
export function trackIo(work: Promise<unknown>): void {
  pending.add(work);
  void work.finally(() => pending.delete(work));
}

/** Resolves when every file write queued so far (logs, checkpoint files, run files) is done. */
export async function flushFiles(): Promise<void> {
  await Promise.all([...pending]);
}

/** Runs a file operation through the same bounded queue as the step logs (checkpoint files share it). */
export function queueIo<T>(fn: () => Promise<T>): Promise<T> {
  const p = io.run(fn);
  trackIo(p.catch(() => {}));
  return p;
}

/**
 * Benchmarks only: when on, each step's summary.md records how long after it was queued (the step's end)
 * it was on disk, in ms; `takeLogLatencies()` hands them over and clears them.
 */
let latencies: number[] | undefined;
export function traceLogLatency(on: boolean): void {
  latencies = on ? [] : undefined;
}
export function takeLogLatencies(): number[] {
  const out = latencies ?? [];
  if (latencies) latencies = [];
  return out;
}

/** Serialised async writes for one step run's log folder, off the engine's thread. */
export class StepLog {
  private chain: Promise<void>;
  private lines: string[] = [];
  private flushing = false;
  /** Resolves once the folder exists (handlers may write their own files there). */
  readonly ready: Promise<void>;

  /** `onError`: told of each write that failed (logs are best effort: nothing else happens). */
  constructor(
    readonly dir: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {
    this.ready = io
      .run(() => mkdir(dir, { recursive: true }))
      .then(
        () => {},
        (err: unknown) => this.onError(err),
      );
    this.chain = this.ready;
    trackIo(this.chain);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain
      .then(() => io.run(fn))
      .catch((err: unknown) => {
        // Logs are best effort: the database holds the outcome.
        this.onError(err);
      });
    trackIo(this.chain);
  }

  writeJson(name: "input.json" | "output.json", value: Json): void {
    const text = `${JSON.stringify(value, null, 2)}\n`;
    this.enqueue(() => writeFile(join(this.dir, name), text));
  }

  summary(markdown: string): void {
    const queued = latencies ? performance.now() : 0;
    this.enqueue(async () => {
      await writeFile(join(this.dir, "summary.md"), markdown.endsWith("\n") ? markdown : `${markdown}\n`);
      latencies?.push(performance.now() - queued);
    });
  }

  event(record: Record<string, Json>): void {
    this.lines.push(JSON.stringify(record));
    if (this.flushing) return;
    this.flushing = true;
    this.enqueue(async () => {
      this.flushing = false;
      const text = `${this.lines.join("\n")}\n`;
      this.lines = [];
      await appendFile(join(this.dir, "events.jsonl"), text);
    });
  }

  /** Resolves when everything queued so far is on disk. */
  flush(): Promise<void> {
    return this.chain;
  }
}

export async function ensureDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
}
