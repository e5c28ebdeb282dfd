/**
 * The optional sandbox of script steps: bubblewrap (`bwrap`, Debian package `bubblewrap`).
 *
 * A sandboxed script sees the whole filesystem read-only, except:
 * - its working directory, writable; a private, empty `/tmp`; its own `/dev` and `/proc`;
 * - the hidden paths (the data directory: database, every run's folder; the agents' secrets file) replaced by
 *   an empty directory (a directory) or an empty file (a file) — also where they lie inside the working
 *   directory;
 * - its own process and network namespaces: it cannot see or signal the server's processes (nor read their
 *   environment through `/proc`), and has no network but its own loopback unless the step says `network: true`.
 *
 * It does NOT hide what else the server's user can read (home directory, other checkouts): list those in
 * `hide`. The process group is unchanged (no `--new-session`), so a timeout or cancel still reaches every
 * process of the script; `--die-with-parent` ends the sandbox if bwrap itself is killed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";
import { WeftError } from "../../core/errors.js";

/** Runs a command confined. */
export interface Sandbox {
  readonly kind: "bwrap";
  /** The argv that runs `command args` in the sandbox. */
  wrap(cmd: SandboxedCommand): { command: string; args: string[] };
}

export interface SandboxedCommand {
  command: string;
  args: readonly string[];
  /** The working directory: writable inside. */
  cwd: string;
  /** Whether the network stays reachable. */
  network: boolean;
  /** More paths the command reads (made visible read-only, even under `/tmp`). */
  readable?: readonly string[] | undefined;
}

export interface BwrapOptions {
  /** Paths to hide: the data directory, secret files. Missing ones are skipped. */
  hide: readonly string[];
  /** The bwrap executable. Default `bwrap` (looked up on PATH). */
  command?: string | undefined;
}

function inside(path: string, dir: string): boolean {
  return path === dir || path.startsWith(dir.endsWith(sep) ? dir : dir + sep);
}

function hideArgs(path: string): string[] {
  let dir: boolean;
  try {
    dir = statSync(path).isDirectory();
  } catch {
    return [];
  }
  return dir ? ["--tmpfs", path] : ["--ro-bind", "/dev/null", path];
}

/** The bwrap arguments (before `--`) for one command; exported for tests. */
export function bwrapArgs(hide: readonly string[], cmd: SandboxedCommand): string[] {
  const cwd = resolve(cmd.cwd);
  const hidden = hide.map((p) => resolve(p));
  const args = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"];
  // A hidden directory holding the working directory is hidden first, then the working directory bound into it.
  for (const p of hidden) if (inside(cwd, p)) args.push(...hideArgs(p));
  args.push("--bind", cwd, cwd);
  for (const p of hidden) if (!inside(cwd, p)) args.push(...hideArgs(p));
  for (const p of cmd.readable ?? []) if (existsSync(p)) args.push("--ro-bind", p, p);
  args.push("--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent");
  if (!cmd.network) args.push("--unshare-net");
  args.push("--chdir", cwd);
  return args;
}

/**
 * A bubblewrap sandbox, checked now: bwrap must be installed and able to create its namespaces here.
 * @throws WeftError `WEFT_ARGS` saying what is missing and what to do.
 */
export function createBwrapSandbox(opts: BwrapOptions): Sandbox {
  const command = opts.command ?? "bwrap";
  const probe = spawnSync(
    command,
    ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--unshare-pid", "--unshare-net", "--", "/bin/true"],
    { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8", timeout: 10_000 },
  );
  if (probe.error) {
    const code = (probe.error as NodeJS.ErrnoException).code;
    throw new WeftError(
      "WEFT_ARGS",
      code === "ENOENT"
        ? `--sandbox bwrap: bubblewrap (${command}) is not installed or not on PATH; install it (Debian/Ubuntu: apt-get install bubblewrap) or run without the sandbox`
        : `--sandbox bwrap: cannot start ${command}: ${probe.error.message}`,
    );
  }
  if (probe.status !== 0) {
    const why = (probe.stderr ?? "").trim().split("\n").slice(-3).join("; ") || `exit status ${probe.status}`;
    throw new WeftError(
      "WEFT_ARGS",
      `--sandbox bwrap: bubblewrap cannot create its sandbox on this machine (${why}); allow unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or run as a user who may, or run without the sandbox`,
    );
  }
  return {
    kind: "bwrap",
    wrap(cmd) {
      return { command, args: [...bwrapArgs(opts.hide, cmd), "--", cmd.command, ...cmd.args] };
    },
  };
}
