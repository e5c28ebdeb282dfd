/**
 * Runs one CLI agent process: argv without a shell, the prompt on stdin, stdout split into lines as it arrives,
 * the tail of stderr kept. The process leads its own group, so cancelling reaches everything it started.
 */
import { spawn } from "node:child_process";
import { OutputStream } from "../../steps/script/output.js";
import { groupAlive, terminateGroup } from "../../steps/script/process-group.js";
import { ProcessAborted } from "../../steps/script/run-process.js";

export { ProcessAborted };

export interface SpawnCliOptions {
  command: string;
  args: string[];
  cwd: string | undefined;
  env: NodeJS.ProcessEnv;
  /** Written to stdin, which is then closed. */
  stdin: string;
  signal: AbortSignal;
  onStdoutLine(line: string): void;
  /** Between SIGTERM and SIGKILL, in ms. */
  killGraceMs: number;
}

export interface CliExit {
  code: number | null;
  /** The signal that ended the process; never one weft sent (an abort rejects instead). */
  signal: NodeJS.Signals | null;
  /** The last bytes of stderr. */
  stderr: string;
  /** Whether processes the CLI started were still running after it exited (they were terminated). */
  leftovers: boolean;
}

/** The executable could not be started (ENOENT, EACCES, …). */
export class SpawnFailed extends Error {
  readonly errno: NodeJS.ErrnoException;
  constructor(errno: NodeJS.ErrnoException) {
    super(errno.message, { cause: errno });
    this.name = "SpawnFailed";
    this.errno = errno;
  }
}

const STDERR_TAIL_BYTES = 16 * 1024;
const STDOUT_TAIL_BYTES = 4 * 1024;
/** How long to wait for the pipes after the CLI exited while processes it left behind still hold them. */
const DRAIN_MS = 500;

/**
 * Resolves when the CLI has exited and no process of its group is left. Rejects with `ProcessAborted` when
 * `signal` aborts — after the whole group is gone (SIGTERM, then SIGKILL after `killGraceMs`) — and with
 * `SpawnFailed` when the executable cannot be started.
 */
export async function spawnCli(opts: SpawnCliOptions): Promise<CliExit> {
  if (opts.signal.aborted) throw new ProcessAborted(opts.signal.reason);
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: opts.env,
    detached: true,
    stdio: ["pipe", "pipe", "pipe"],
  });
  // EPIPE when the CLI exits without reading its input; the exit status tells what happened.
  child.stdin.on("error", () => {});
  child.stdin.end(opts.stdin);
  const stdout = new OutputStream(STDOUT_TAIL_BYTES, opts.onStdoutLine);
  const stderr = new OutputStream(STDERR_TAIL_BYTES, () => {});
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
    if ("error" in exit) throw new SpawnFailed(exit.error as NodeJS.ErrnoException);
    if (opts.signal.aborted) {
      await terminate();
      throw new ProcessAborted(opts.signal.reason);
    }
    let timer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      closed.then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), DRAIN_MS);
      }),
    ]);
    clearTimeout(timer);
    const leftovers = pgid !== undefined && groupAlive(pgid);
    if (leftovers || opts.signal.aborted) await terminate();
    if (opts.signal.aborted) throw new ProcessAborted(opts.signal.reason);
    if (!drained) {
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 100))]);
      child.stdout.destroy();
      child.stderr.destroy();
    }
    stdout.end();
    stderr.end();
    return { code: exit.code, signal: exit.signal, stderr: stderr.captured().text, leftovers };
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
}
