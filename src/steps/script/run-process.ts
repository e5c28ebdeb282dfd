/** Runs `shell -c script` in its own process group, streaming and capturing its output. */
import { spawn } from "node:child_process";
import { TerminalError } from "../../core/errors.js";
import { type Captured, OutputStream } from "./output.js";
import { groupAlive, terminateGroup } from "./process-group.js";

export interface RunProcessOptions {
  shell: string;
  script: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  onLine(stream: "stdout" | "stderr", line: string): void;
  onInfo(text: string): void;
  /** Bytes of each stream kept in memory (the tail). */
  maxCaptureBytes: number;
  /** Between SIGTERM and SIGKILL, in ms. */
  killGraceMs: number;
  /** How long to wait for output after the shell exited while background processes hold its pipes, in ms. */
  drainMs: number;
}

export interface ProcessResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: Captured;
  stderr: Captured;
}

/** Why the run was aborted; `signal.reason` when it is an Error. */
export class ProcessAborted extends Error {
  constructor(readonly reason: unknown) {
    super("aborted");
  }
}

/**
 * Resolves when the shell has exited and no process of its group is left (leftovers are terminated).
 * Rejects with `ProcessAborted` when `signal` aborts — after the whole group is gone — and with a
 * `TerminalError` when the shell cannot be started.
 */
export async function runProcess(opts: RunProcessOptions): Promise<ProcessResult> {
  if (opts.signal.aborted) throw new ProcessAborted(opts.signal.reason);
  const child = spawn(opts.shell, ["-c", opts.script], {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const stdout = new OutputStream(opts.maxCaptureBytes, (line) => opts.onLine("stdout", line));
  const stderr = new OutputStream(opts.maxCaptureBytes, (line) => opts.onLine("stderr", line));
  child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));

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
    if ("error" in exit) {
      throw new TerminalError(`cannot start the shell "${opts.shell}": ${exit.error.message}`, "WEFT_STEP_CONFIG", {
        cause: exit.error,
      });
    }
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
    if (!opts.signal.aborted && pgid !== undefined && groupAlive(pgid)) {
      opts.onInfo(
        "processes the script started in the background were still running after it exited; terminating them",
      );
    }
    if (opts.signal.aborted || (pgid !== undefined && groupAlive(pgid))) await terminate();
    if (opts.signal.aborted) throw new ProcessAborted(opts.signal.reason);
    if (!drained) {
      // The pipes' last writers are gone now; take what is buffered, then let go of them.
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100))]);
      child.stdout.destroy();
      child.stderr.destroy();
    }
    stdout.end();
    stderr.end();
    return { exitCode: exit.code, signal: exit.signal, stdout: stdout.captured(), stderr: stderr.captured() };
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
}
