/**
 * Runs a child process as the leader of its own process group, so one signal reaches every process it started,
 * feeding its output to two `OutputStream`s. Shared by script steps (`steps/script/run-process.ts`: `shell -c
 * script`) and CLI agents (`agents/cli/spawn.ts`: `claude`, `codex`, `gemini`), so it lives in `process/`, the
 * layer below both (it needs `node:child_process`, which `core` may not use).
 */
import { spawn } from "node:child_process";
import { groupAlive, terminateGroup } from "./group.js";
import type { OutputStream } from "./output.js";

/** Why the run was aborted; `signal.reason` when it is an Error. */
export class ProcessAborted extends Error {
  constructor(readonly reason: unknown) {
    super("aborted");
  }
}

/** How a child started in its own group ended (`runInGroup`). */
export interface GroupExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Whether processes it started were still running after it exited (they were terminated). */
  leftovers: boolean;
}

export interface RunInGroupOptions {
  command: string;
  args: string[];
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed; absent: no stdin. */
  stdin?: string | undefined;
  signal: AbortSignal;
  stdout: OutputStream;
  stderr: OutputStream;
  /** Between SIGTERM and SIGKILL, in ms. */
  killGraceMs: number;
  /** How long to wait for output after the child exited while processes it left hold its pipes, in ms. */
  drainMs: number;
  /** The error to throw when the executable cannot be started. */
  spawnError(err: NodeJS.ErrnoException): Error;
  /** Called (before they are terminated) when processes the child started outlive it. */
  onLeftovers?: (() => void) | undefined;
}

/**
 * Runs `command args` (no shell) as the leader of its own process group, feeding both output streams.
 * Resolves when it has exited and no process of its group is left (leftovers are terminated). Rejects with
 * `ProcessAborted` when `signal` aborts — after the whole group is gone (SIGTERM, then SIGKILL after
 * `killGraceMs`) — and with `spawnError(…)` when it cannot be started.
 */
export async function runInGroup(opts: RunInGroupOptions): Promise<GroupExit> {
  if (opts.signal.aborted) throw new ProcessAborted(opts.signal.reason);
  const withStdin = opts.stdin !== undefined;
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: [withStdin ? "pipe" : "ignore", "pipe", "pipe"],
  });
  if (withStdin && child.stdin) {
    // EPIPE when the child exits without reading its input; the exit status tells what happened.
    child.stdin.on("error", () => {});
    child.stdin.end(opts.stdin);
  }
  const { stdout: out, stderr: err } = child;
  if (!out || !err) throw new Error("spawn gave no output pipes"); // cannot happen with stdio "pipe"
  out.on("data", (chunk: Buffer) => opts.stdout.push(chunk));
  err.on("data", (chunk: Buffer) => opts.stderr.push(chunk));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null } | { error: Error }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", (error) => resolve({ error }));
  });
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));

  const pgid = child.pid;
  let termination: Promise<boolean> | undefined;
  const terminate = () => {
    if (pgid !== undefined) termination ??= terminateGroup(pgid, opts.killGraceMs);
    return termination ?? Promise.resolve(false);
  };
  const onAbort = () => void terminate();
  opts.signal.addEventListener("abort", onAbort, { once: true });

  try {
    const exit = await exited;
    if ("error" in exit) throw opts.spawnError(exit.error as NodeJS.ErrnoException);
    if (opts.signal.aborted) {
      await terminate();
      throw new ProcessAborted(opts.signal.reason);
    }
    // Background processes may still hold the pipes: give them a moment to finish, then stop waiting.
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), opts.drainMs);
      }),
    ]);
    clearTimeout(timer);
    const leftovers = pgid !== undefined && groupAlive(pgid);
    if (leftovers && !opts.signal.aborted) opts.onLeftovers?.();
    if (opts.signal.aborted || leftovers) await terminate();
    if (opts.signal.aborted) throw new ProcessAborted(opts.signal.reason);
    if (!drained) {
      // The pipes' last writers are gone now; take what is buffered, then let go of them.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100))]);
      out.destroy();
      err.destroy();
    }
    opts.stdout.end();
    opts.stderr.end();
    return { code: exit.code, signal: exit.signal, leftovers };
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
}
