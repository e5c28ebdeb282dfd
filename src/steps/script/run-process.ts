/**
 * Runs `shell -c script` in its own process group (`process/run-in-group.ts`), streaming and capturing its output.
 */
import { TerminalError } from "../../core/errors.js";
import { type Captured, OutputStream } from "../../process/output.js";
import { runInGroup } from "../../process/run-in-group.js";

export interface RunProcessOptions {
  /** The shell, for messages. */
  shell: string;
  /** What is started: `shell -c script`, or that wrapped by a sandbox. */
  command: { command: string; args: string[] };
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

/**
 * Resolves when the shell has exited and no process of its group is left (leftovers are terminated).
 * Rejects with `ProcessAborted` when `signal` aborts — after the whole group is gone — and with a
 * `TerminalError` when the shell cannot be started.
 */
export async function runProcess(opts: RunProcessOptions): Promise<ProcessResult> {
  const stdout = new OutputStream(opts.maxCaptureBytes, (line) => opts.onLine("stdout", line));
  const stderr = new OutputStream(opts.maxCaptureBytes, (line) => opts.onLine("stderr", line));
  const exit = await runInGroup({
    command: opts.command.command,
    args: opts.command.args,
    cwd: opts.cwd,
    env: opts.env,
    signal: opts.signal,
    stdout,
    stderr,
    killGraceMs: opts.killGraceMs,
    drainMs: opts.drainMs,
    spawnError: (err) =>
      new TerminalError(
        `cannot start the shell "${opts.shell}"${opts.command.command === opts.shell ? "" : ` (in ${opts.command.command})`}: ${err.message}`,
        "WEFT_STEP_CONFIG",
        { cause: err },
      ),
    onLeftovers: () =>
      opts.onInfo(
        "processes the script started in the background were still running after it exited; terminating them",
      ),
  });
  return { exitCode: exit.code, signal: exit.signal, stdout: stdout.captured(), stderr: stderr.captured() };
}
