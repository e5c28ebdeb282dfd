/**
 * Spawns the real built `weft` (bin/weft.js → dist/) as a child process, without a TTY, and collects what it
 * prints. vitest's globalSetup builds dist before any test runs.
 */
import type { ChildProcess } from "node:child_process";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, expect } from "vitest";

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

let snapshot: string | undefined;

/**
 * The `weft` these tests run: a private copy of bin/, dist/ and package.json (node_modules linked), taken once
 * per test file, so that a `npm run build` started meanwhile (another test run, an editor) cannot swap modules
 * under a running test. Taken again when a copy caught a build half-written (it must answer `--version`).
 */
export function weftBin(): string {
  if (snapshot) return join(snapshot, "bin", "weft.js");
  for (let i = 0; ; i++) {
    const dir = mkdtempSync(join(tmpdir(), "weft-cli-build-"));
    cpSync(join(repoRoot, "bin"), join(dir, "bin"), { recursive: true });
    cpSync(join(repoRoot, "dist"), join(dir, "dist"), { recursive: true });
    cpSync(join(repoRoot, "package.json"), join(dir, "package.json"));
    cpSync(join(repoRoot, "templates"), join(dir, "templates"), { recursive: true });
    symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"), "dir");
    const check = spawnSync(process.execPath, [join(dir, "bin", "weft.js"), "--version"], { encoding: "utf8" });
    if (check.status === 0) {
      snapshot = dir;
      return join(dir, "bin", "weft.js");
    }
    rmSync(dir, { recursive: true, force: true });
    if (i >= 20) throw new Error(`the built weft does not start:\n${check.stderr}`);
    spawnSync("sleep", ["0.5"]);
  }
}

/** A file under test/fixtures/cli/. */
export const fixture = (name: string): string => join(repoRoot, "test", "fixtures", "cli", name);
/** A file under examples/seed-dialects/ (the seeds' workflows, verbatim). */
export const seed = (name: string): string => resolve(repoRoot, "examples/seed-dialects", name);

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const dirs: string[] = [];

/** A fresh temporary directory, removed by `cleanupDirs()`. */
export function tempDir(prefix = "weft-cli-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  if (snapshot) rmSync(snapshot, { recursive: true, force: true });
  snapshot = undefined;
}

/**
 * The hooks of a test file that starts live `weft` processes (call it at its top level): after each test every
 * process still running is killed (`killAll`); after the last one the temp dirs and the build copy are removed
 * (`cleanupDirs`).
 */
export function cleanUpAfterTests(): void {
  afterEach(() => killAll());
  afterAll(() => cleanupDirs());
}

export interface Result {
  /** The exit code; null when the process ended on a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout split into lines, without the trailing empty one. */
  lines: string[];
}

export interface WeftOptions {
  /** Extra environment variables; `undefined` removes one. */
  env?: Record<string, string | undefined>;
  /** Killed (SIGKILL) and reported as a hang after this long. Default 20 s. */
  timeoutMs?: number;
  cwd?: string;
}

function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Nothing from the developer's shell leaks into a test: its data dir, fault points, mock fixtures.
  for (const k of Object.keys(env)) if (k.startsWith("WEFT_")) delete env[k];
  delete env.FORCE_COLOR;
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

function splitLines(text: string): string[] {
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** A `weft` process that is still running: its output so far, and ways to wait for more. */
export interface LiveWeft {
  child: ChildProcess;
  readonly pid: number;
  stdoutLines: string[];
  stderrLines: string[];
  /** Resolves with the first stdout line (already printed or to come) that matches. */
  waitForLine(match: RegExp | string, timeoutMs?: number): Promise<string>;
  /** Whether the process is still running. */
  running(): boolean;
  /** Resolves when the process ends (rejects when it has not after `timeoutMs`, and kills it). */
  done(timeoutMs?: number): Promise<Result>;
  kill(signal?: NodeJS.Signals): void;
}

const live = new Set<ChildProcess>();

/** Kills (SIGKILL) every process `startWeft` started that is still running. */
export function killAll(): void {
  for (const c of live) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  live.clear();
}

export function startWeft(args: string[], opts: WeftOptions = {}): LiveWeft {
  const child = spawn(process.execPath, [weftBin(), ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: childEnv(opts.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stdout = "";
  let stderr = "";
  const stdoutLines: string[] = [];
  const stderrLines: string[] = [];
  const waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = [];
  let partial = "";
  child.stdout?.setEncoding("utf8");
  child.stderr?.setEncoding("utf8");
  child.stdout?.on("data", (chunk: string) => {
    stdout += chunk;
    partial += chunk;
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    for (const line of parts) {
      stdoutLines.push(line);
      for (const w of [...waiters]) {
        if (w.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  let errPartial = "";
  child.stderr?.on("data", (chunk: string) => {
    stderr += chunk;
    errPartial += chunk;
    const parts = errPartial.split("\n");
    errPartial = parts.pop() ?? "";
    stderrLines.push(...parts);
  });
  const exited = new Promise<Result>((res) => {
    child.on("close", (code, signal) => {
      live.delete(child);
      res({ code, signal, stdout, stderr, lines: splitLines(stdout) });
    });
  });
  const describe = `weft ${args.join(" ")}`;
  return {
    child,
    pid: child.pid ?? -1,
    stdoutLines,
    stderrLines,
    running: () => child.exitCode === null && child.signalCode === null,
    waitForLine(match, timeoutMs = 15_000) {
      const test = typeof match === "string" ? (l: string) => l.includes(match) : (l: string) => match.test(l);
      const seen = stdoutLines.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((res, rej) => {
        const timer = setTimeout(() => {
          rej(
            new Error(
              `\`${describe}\` printed no line matching ${String(match)} within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        const w = {
          test,
          resolve: (l: string) => {
            clearTimeout(timer);
            res(l);
          },
        };
        waiters.push(w);
        void exited.then(() => {
          if (!waiters.includes(w)) return;
          clearTimeout(timer);
          rej(
            new Error(`\`${describe}\` ended before printing ${String(match)}\nstdout:\n${stdout}\nstderr:\n${stderr}`),
          );
        });
      });
    },
    done(timeoutMs = 20_000) {
      return new Promise<Result>((res, rej) => {
        const timer = setTimeout(() => {
          child.kill("SIGKILL");
          rej(
            new Error(
              `\`${describe}\` hung: still running after ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`,
            ),
          );
        }, timeoutMs);
        void exited.then((r) => {
          clearTimeout(timer);
          res(r);
        });
      });
    },
    kill(signal = "SIGTERM") {
      child.kill(signal);
    },
  };
}

/** Starts `weft --data-dir <dataDir> run <args>` and resolves with the live process and the run id it printed. */
export async function startRun(dataDir: string, args: string[]): Promise<{ p: LiveWeft; id: string }> {
  const p = startWeft(["--data-dir", dataDir, "run", ...args]);
  const id = await p.waitForLine(UUID);
  return { p, id };
}

/** Runs `weft <args>` to its end. A process still running after `timeoutMs` (default 20 s) is killed and fails the test. */
export function weft(args: string[], opts: WeftOptions = {}): Promise<Result> {
  return startWeft(args, opts).done(opts.timeoutMs);
}

/** `weft --data-dir <dir> <args>`. */
export function weftIn(dataDir: string, args: string[], opts: WeftOptions = {}): Promise<Result> {
  return weft(["--data-dir", dataDir, ...args], opts);
}

// biome-ignore lint/suspicious/noExplicitAny: JSON read back from the CLI is checked field by field in the tests
export type Loose = any;

/** `weft status <id> --format json`, parsed. */
export async function statusJson(dataDir: string, id: string): Promise<Loose> {
  const r = await weftIn(dataDir, ["status", id, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** `weft list --format json`, parsed. */
export async function listJson(dataDir: string): Promise<Loose[]> {
  const r = await weftIn(dataDir, ["list", "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

/** Polls until `cond` holds (default 15 s). */
export async function until(cond: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The lines of a file, or [] when it does not exist yet. */
export function fileLines(path: string): string[] {
  if (!existsSync(path)) return [];
  return splitLines(readFileSync(path, "utf8"));
}

/** The step keys that started, in order, from a side-effects file (a line `<key> <attempt> <idempotency key>` each). */
export const startedKeys = (out: string): string[] => fileLines(out).map((l) => l.split(" ")[0] ?? "");

/**
 * Pause and resume from other processes, on a live `weft run` of a side-effects workflow (steps s1…s4, one after
 * the other, each writing its line to `out`, then waiting for its file in the directory `gate`) with run id `id`:
 * once s2 runs, `weft pause` (another process) pauses it, however long that process takes to start — s2 ends only
 * when the pause is in; a while (`settleMs`) after s2 completed nothing new has started, the run is paused and
 * `run` still waits; `weft resume` (a third process) exits 0; the first `run` then exits 0, having reported the
 * pause, with the run completed and s3, s4 run once (s1 and s2 were not run again). Returns the `weft resume` result.
 */
export async function pauseThenResume(
  p: LiveWeft,
  dataDir: string,
  id: string,
  out: string,
  gate: string,
  settleMs: number,
): Promise<Result> {
  const open = (key: string) => writeFileSync(join(gate, key), "");
  open("s1");
  await p.waitForLine(/▶ s2\s+running/);
  const paused = await weftIn(dataDir, ["pause", id]);
  expect(paused.code, paused.stderr).toBe(0);
  expect(paused.stdout).toContain(`Workflow execution paused: ${id}`);
  open("s2");
  await p.waitForLine(/✓ s2\s+completed/);
  // Absence of a start cannot be awaited: look again a while later (a slow machine only looks later).
  await sleep(settleMs);
  expect(startedKeys(out)).toEqual(["s1", "s2"]);
  expect(p.stdoutLines.some((l) => /s3\s+running/.test(l))).toBe(false);
  expect((await statusJson(dataDir, id)).status).toBe("paused");
  expect(p.running()).toBe(true);

  open("s3");
  open("s4");
  const resumed = await weftIn(dataDir, ["resume", id]);
  expect(resumed.code, resumed.stderr).toBe(0);
  const first = await p.done();
  expect(first.code, first.stderr).toBe(0);
  expect(first.stdout).toContain("run paused");
  expect(first.stdout).toContain("State: completed");
  expect(startedKeys(out)).toEqual(["s1", "s2", "s3", "s4"]);
  expect((await statusJson(dataDir, id)).status).toBe("completed");
  return resumed;
}

/** A clean failure: the expected exit code, a message on stderr, no stack trace, no "unexpected error". */
export function expectCleanFailure(r: Result, code: number, message?: RegExp | string): void {
  expect(r.signal, `ended on a signal\nstderr:\n${r.stderr}`).toBeNull();
  expect(r.code, `exit code\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`).toBe(code);
  expect(r.stderr).not.toMatch(/unexpected error/i);
  expect(r.stderr, "a stack trace on stderr").not.toMatch(/^\s+at .+(\(.+:\d+:\d+\)|:\d+:\d+)$/m);
  expect(r.stderr).not.toMatch(/node:internal|Unhandled|TypeError|ReferenceError/);
  expect(r.stderr.trim().length, "stderr says what went wrong").toBeGreaterThan(0);
  if (message !== undefined) {
    if (typeof message === "string") expect(r.stderr).toContain(message);
    else expect(r.stderr).toMatch(message);
  }
}

/** A temp bin dir with a `pnpm` that appends "<args> <cwd>" to the returned log file (the seeds' scripts call pnpm). */
export function pnpmStub(): { path: string; log: string } {
  const dir = tempDir("weft-cli-pnpm-");
  const log = join(dir, "pnpm.log");
  mkdirSync(join(dir, "bin"));
  writeFileSync(join(dir, "bin", "pnpm"), `#!/bin/sh\necho "$* $(pwd)" >> '${log}'\necho "pnpm $* ok"\n`, {
    mode: 0o755,
  });
  return { path: `${join(dir, "bin")}:${process.env.PATH ?? ""}`, log };
}
