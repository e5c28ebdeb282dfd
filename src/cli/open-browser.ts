/**
 * `weft serve --open`: opens the user's browser at the server's URL. `$BROWSER` first (the convention of
 * `man`, `git web--browse`, Python's `webbrowser`: a command, or several separated by `:`, the first used;
 * `%s` stands for the URL, else the URL is appended), otherwise the platform's opener: `open` (macOS),
 * `cmd /c start` (Windows), `xdg-open` (everything else).
 *
 * Never blocks and never fails the server: the opener runs detached and is not waited for; when it cannot be
 * started or exits with an error (no opener installed, no display), one hint line says to open the URL by hand.
 */
import { type ChildProcess, spawn } from "node:child_process";

export interface OpenBrowserOptions {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  /** Told once when no browser could be opened: the line to print. */
  hint: (line: string) => void;
}

/** The command that opens `url`: `$BROWSER`'s first entry, or the platform's opener. */
export function browserCommand(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): { command: string; args: string[] } {
  const first = (env.BROWSER ?? "")
    .split(":")
    .map((c) => c.trim())
    .find((c) => c !== "");
  if (first) {
    const words = first.split(/\s+/);
    const args = words.slice(1).map((w) => w.replaceAll("%s", url));
    if (!first.includes("%s")) args.push(url);
    return { command: words[0] as string, args };
  }
  if (platform === "darwin") return { command: "open", args: [url] };
  // `start`'s first quoted argument is the window title.
  if (platform === "win32") return { command: "cmd", args: ["/c", "start", '""', url] };
  return { command: "xdg-open", args: [url] };
}

/** The URL a browser on this machine should open: a wildcard bind (0.0.0.0, ::) is reached on loopback. */
export function browserUrl(serverUrl: string): string {
  const u = new URL(serverUrl);
  if (u.hostname === "0.0.0.0") u.hostname = "127.0.0.1";
  else if (u.hostname === "[::]") u.hostname = "[::1]";
  return u.origin;
}

/** Starts the browser at `url` and returns at once (the child, for tests; it never keeps weft alive). */
export function openBrowser(url: string, opts: OpenBrowserOptions): ChildProcess | undefined {
  const { command, args } = browserCommand(url, opts.env, opts.platform);
  let told = false;
  const fail = (why: string) => {
    if (told) return;
    told = true;
    opts.hint(`weft serve: could not open a browser (${why}); open ${url} yourself`);
  };
  let child: ChildProcess;
  try {
    child = spawn(command, args, {
      detached: true,
      stdio: "ignore",
      env: opts.env ?? process.env,
      // `start ""` must reach cmd as written, not re-quoted.
      windowsVerbatimArguments: command === "cmd",
    });
  } catch (err) {
    fail(`${command}: ${(err as Error).message}`);
    return undefined;
  }
  child.on("error", (err: NodeJS.ErrnoException) =>
    fail(err.code === "ENOENT" ? `${command} not found` : `${command}: ${err.message}`),
  );
  child.on("exit", (code) => {
    if (code !== null && code !== 0) fail(`${command} exited with code ${code}`);
  });
  child.unref();
  return child;
}
