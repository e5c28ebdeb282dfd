/**
 * Files next to the database (seed 002's layout): per run `definition.json`, `args.json`, and per step run
 * `logs/<key>/{input.json, output.json, events.jsonl, summary.md}`. The database is the truth; these files
 * are written after the fact, off the commit path, and a crash may lose the last lines of them.
 */

import { join } from "node:path";
import { diskFullError, isDiskFull } from "../core/errors.js";
import type { Json } from "../core/json.js";
import type { RunRecord } from "../core/model.js";
import type { Deferred, FileWrite, FileWriter } from "./file-writer.js";

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

/**
 * Queues the run's folder with definition.json and args.json (written after everything queued before;
 * nothing waits for it). `onError` is told when it fails — a full disk as `WEFT_STORAGE`, saying how to
 * carry on once there is space (the run is recorded).
 */
export function writeRunFiles(
  files: FileWriter,
  dataDir: string,
  run: RunRecord,
  onError: (err: unknown) => void,
): void {
  const dir = runDir(dataDir, run.id);
  const definition = `${JSON.stringify({ hash: run.workflowHash, workflow: run.definition }, null, 2)}\n`;
  files.write(
    dir,
    [
      { name: "definition.json", text: definition, how: "write" },
      { name: "args.json", text: `${JSON.stringify(run.args, null, 2)}\n`, how: "write" },
    ],
    (err) =>
      onError(
        isDiskFull(err) ? diskFullError(dir, err, `resume the run, which is recorded: \`weft resume ${run.id}\``) : err,
      ),
  );
}

/** What a run's owner says once when its step logs cannot be written (they are best effort; the run goes on). */
export function logFailureNotice(dataDir: string, runId: string, err: unknown): string {
  const where = join(runDir(dataDir, runId), "logs");
  if (isDiskFull(err)) {
    return `the disk is full: step logs under ${where} are not being written (results are still recorded in the database). Free space on that disk`;
  }
  return `step logs under ${where} cannot be written (${why(err)}); results are still recorded in the database`;
}

/** What the engine says when a run's folder (definition.json, args.json) cannot be written, but for a full disk. */
export function runFolderNotice(dataDir: string, runId: string, err: unknown): string {
  return `the run folder ${runDir(dataDir, runId)} cannot be written (${why(err)}); the run is recorded in the database`;
}

function why(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : err instanceof Error ? err.message : String(err);
}

/**
 * One step run's log folder, written through the engine's file writer: input.json, output.json and
 * summary.md whole, once each, and the output lines appended to events.jsonl — all a step's files in one
 * batch, at its end (lines of a step still running within 50 ms). The folder is made with the first write.
 */
export class StepLog implements Deferred {
  private files = new Map<string, string>();
  private lines: string[] = [];
  private summaryAt: number | undefined;
  private last = 0;

  /** `onError`: told of each write that failed (logs are best effort: nothing else happens). */
  constructor(
    private readonly writer: FileWriter,
    readonly dir: string,
    private readonly onError: (err: unknown) => void = () => {},
  ) {}

  writeJson(name: "input.json" | "output.json", value: Json): void {
    this.files.set(name, `${JSON.stringify(value, null, 2)}\n`);
    this.writer.defer(this, true);
  }

  summary(markdown: string): void {
    this.files.set("summary.md", markdown.endsWith("\n") ? markdown : `${markdown}\n`);
    this.summaryAt = performance.timeOrigin + performance.now();
    this.writer.defer(this, true);
  }

  event(record: Record<string, Json>): void {
    this.lines.push(JSON.stringify(record));
    this.writer.defer(this, false);
  }

  drain(): void {
    const files: FileWrite[] = [];
    for (const [name, text] of this.files) files.push({ name, text, how: "write" });
    if (this.lines.length > 0) files.push({ name: "events.jsonl", text: `${this.lines.join("\n")}\n`, how: "append" });
    this.files.clear();
    this.lines = [];
    if (files.length === 0) return;
    const traced = this.summaryAt;
    this.summaryAt = undefined;
    this.last = this.writer.write(this.dir, files, (err) => this.onError(err), traced);
  }

  /** Resolves when everything written so far is on disk. */
  flush(): Promise<void> {
    this.writer.drainNow(this);
    return this.writer.settled(this.last);
  }
}
