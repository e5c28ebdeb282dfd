/**
 * Upload temp files: an upload streams to `runs/<run>/artifacts/.upload-<pid>-<uuid>.tmp` and is renamed into
 * place once complete (routes/artifacts.ts). A process killed mid-upload (`kill -9`, a power cut) leaves its
 * temp file behind; `weft serve` sweeps them when it starts (`sweepOrphanUploads`).
 *
 * Several processes may serve one data directory, so a temp file is removed only when nobody can be writing it:
 * - its owner (the pid in its name) is not a live process on this machine (the data directory is local:
 *   docs/operations.md), or is this process, which has not started serving yet; or
 * - it has not been written to for `staleMs` (an hour): a live owner's upload writes continuously and Node ends
 *   a request after 5 minutes (`requestTimeout`), so such a file belongs to a dead owner whose pid was reused.
 * A temp file named before pids were recorded (`.upload-<uuid>.tmp`) is removed once stale.
 */
import { randomUUID } from "node:crypto";
import type { Dirent } from "node:fs";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";

const PREFIX = ".upload-";
const SUFFIX = ".tmp";
const OWNED = /^\.upload-(\d+)-[0-9a-f-]{36}\.tmp$/;

/** A new temp file name for an upload by this process. */
export function uploadTempName(): string {
  return `${PREFIX}${process.pid}-${randomUUID()}${SUFFIX}`;
}

/** Whether a pid is a live process (one we may not signal, EPERM, is alive too). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export interface SweepOptions {
  /** A file not written to for this long is an orphan whoever owns it, ms. Default one hour. */
  staleMs?: number;
  now?: () => number;
  alive?: (pid: number) => boolean;
}

/**
 * Removes the upload temp files no live process is writing, in every run's `artifacts/` folder. Call before the
 * server takes requests (this process's own files are then orphans too). Resolves with the paths removed; a
 * file that cannot be read or removed is left alone.
 */
export async function sweepOrphanUploads(dataDir: string, o: SweepOptions = {}): Promise<string[]> {
  const staleMs = o.staleMs ?? 60 * 60 * 1000;
  const now = o.now ?? Date.now;
  const alive = o.alive ?? processAlive;
  const removed: string[] = [];
  let runs: Dirent[];
  try {
    runs = await readdir(join(dataDir, "runs"), { withFileTypes: true });
  } catch {
    return removed; // no runs yet
  }
  for (const run of runs) {
    if (!run.isDirectory()) continue;
    const dir = join(dataDir, "runs", run.name, "artifacts");
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue; // no artifacts
    }
    for (const name of names) {
      if (!name.startsWith(PREFIX) || !name.endsWith(SUFFIX)) continue;
      const path = join(dir, name);
      const owner = OWNED.exec(name)?.[1];
      const pid = owner === undefined ? undefined : Number(owner);
      let orphan = pid !== undefined && (pid === process.pid || !alive(pid));
      if (!orphan) {
        try {
          orphan = now() - (await stat(path)).mtimeMs > staleMs;
        } catch {
          continue; // gone already: its owner finished
        }
      }
      if (!orphan) continue;
      try {
        await rm(path, { force: true });
        removed.push(path);
      } catch {
        // left for the next start
      }
    }
  }
  return removed;
}
