/**
 * `worktree: true`: each step run gets its own git worktree (detached at the repository's HEAD when first
 * created), so agents that edit files do not trample the project or each other. The worktree is kept after the
 * step — it holds the agent's work — and a retry of the same step run reuses it.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFile, mkdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { TerminalError } from "../../core/errors.js";

export interface Worktree {
  /** The worktree's top directory. */
  path: string;
  /** Where the agent runs: the worktree's counterpart of the step's directory. */
  cwd: string;
  /** The top level of the repository it was made from. */
  repo: string;
  /** False when an earlier attempt of this step run created it. */
  created: boolean;
}

export interface WorktreeOptions {
  /** The step's directory, inside the repository. */
  cwd: string;
  /** The step run's idempotency key: names the worktree. */
  key: string;
  /** Put worktrees under `<dataDir>/.weft-worktrees/`; default: the repository's top level. */
  dataDir?: string | undefined;
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  /** For error messages: `agent "x"`. */
  who: string;
}

export const WORKTREES_DIR = ".weft-worktrees";

/** A directory name for `key`: readable, safe, and unique (a hash suffix tells similar keys apart). */
export function worktreeName(key: string): string {
  const readable = key
    .replace(/[^A-Za-z0-9._-]+/g, "-")
    .replace(/^[-.]+|-+$/g, "")
    .slice(0, 80);
  const hash = createHash("sha256").update(key).digest("hex").slice(0, 10);
  return readable === "" ? hash : `${readable}-${hash}`;
}

function git(args: string[], cwd: string, opts: WorktreeOptions): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile("git", args, { cwd, env: opts.env, signal: opts.signal, encoding: "utf8" }, (error, stdout, stderr) => {
      if (!error) return resolvePromise(stdout);
      if (opts.signal.aborted) return reject(opts.signal.reason);
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return reject(
          new TerminalError(
            `${opts.who} uses options.worktree, but git is not installed or not on PATH`,
            "WEFT_PROVIDER",
          ),
        );
      }
      reject(Object.assign(new Error(stderr.trim() || error.message), { gitArgs: args }));
    });
  });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Keeps `.weft-worktrees/` out of `git status` of the repository it lives in. */
async function excludeFromStatus(commonDir: string): Promise<void> {
  const file = join(commonDir, "info", "exclude");
  const line = `/${WORKTREES_DIR}/`;
  const current = await readFile(file, "utf8").catch(() => "");
  if (current.split("\n").some((l) => l.trim() === line)) return;
  await mkdir(join(commonDir, "info"), { recursive: true });
  const sep = current === "" || current.endsWith("\n") ? "" : "\n";
  await appendFile(file, `${sep}# weft: agents' worktrees\n${line}\n`);
}

/** Creates (or finds, on a retry) the step run's worktree. Throws a `TerminalError` when `cwd` is not in a git repository. */
export async function ensureWorktree(opts: WorktreeOptions): Promise<Worktree> {
  let top: string;
  let prefix: string;
  let commonDir: string;
  try {
    const out = await git(["rev-parse", "--show-toplevel", "--git-common-dir", "--show-prefix"], opts.cwd, opts);
    const lines = out.split("\n");
    top = lines[0] ?? "";
    commonDir = resolve(opts.cwd, lines[1] ?? ".git");
    prefix = lines[2] ?? "";
    if (top === "") throw new Error("no top-level directory (a bare repository?)");
  } catch (err) {
    if (err instanceof TerminalError || opts.signal.aborted) throw err;
    throw new TerminalError(
      `${opts.who} uses options.worktree, but its working directory ${opts.cwd} is not inside a git repository ` +
        `(git: ${(err as Error).message}); run the workflow in a repository or drop options.worktree`,
      "WEFT_PROVIDER",
    );
  }
  const root = opts.dataDir === undefined ? top : resolve(opts.dataDir);
  const path = join(root, WORKTREES_DIR, worktreeName(opts.key));
  const cwd = resolve(path, prefix);
  if (await exists(join(path, ".git"))) return { path, cwd, repo: top, created: false };

  try {
    await git(["worktree", "prune"], top, opts);
    await git(["worktree", "add", "--detach", path, "HEAD"], top, opts);
  } catch (err) {
    if (err instanceof TerminalError || opts.signal.aborted) throw err;
    const hint = /invalid reference|not a valid object name|needed a single revision/i.test((err as Error).message)
      ? "; the repository needs at least one commit"
      : "";
    throw new TerminalError(
      `${opts.who}: cannot create a git worktree at ${path} from ${top}: ${(err as Error).message}${hint}`,
      "WEFT_PROVIDER",
    );
  }
  if (opts.dataDir === undefined) await excludeFromStatus(commonDir);
  await mkdir(cwd, { recursive: true });
  return { path, cwd, repo: top, created: true };
}
