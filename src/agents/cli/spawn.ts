/**
 * Runs one CLI agent process: argv without a shell, the prompt on stdin, stdout split into lines as it arrives,
 * the tail of stderr kept. The process leads its own group, so cancelling reaches everything it started.
 */
import { OutputStream } from "../../process/output.js";
import { ProcessAborted, runInGroup } from "../../process/run-in-group.js";

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
  const stdout = new OutputStream(STDOUT_TAIL_BYTES, opts.onStdoutLine);
  const stderr = new OutputStream(STDERR_TAIL_BYTES, () => {});
  const exit = await runInGroup({
    command: opts.command,
    args: opts.args,
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin,
    signal: opts.signal,
    stdout,
    stderr,
    killGraceMs: opts.killGraceMs,
    drainMs: DRAIN_MS,
    spawnError: (err) => new SpawnFailed(err),
  });
  return { code: exit.code, signal: exit.signal, stderr: stderr.captured().text, leftovers: exit.leftovers };
}
