/**
 * The bubblewrap sandbox of script steps (src/steps/script/sandbox.ts), with real escape attempts: each one is
 * first run without the sandbox, where it succeeds (so the attempt is real), then inside, where it must fail.
 * Needs bwrap; without it these tests are skipped, and say so.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scriptStepType } from "../../src/steps/script/index.js";
import { createBwrapSandbox, type Sandbox } from "../../src/steps/script/sandbox.js";
import { weft } from "../cli/helpers.js";
import { until } from "../helpers/engine.js";
import { fakeContext, tempDir } from "./helpers.js";

function bwrapWorks(): boolean {
  const r = spawnSync("bwrap", ["--ro-bind", "/", "/", "--unshare-pid", "--unshare-net", "--", "/bin/true"]);
  return r.status === 0;
}
const HAVE_BWRAP = bwrapWorks();
const SKIPPED = HAVE_BWRAP ? "" : " — SKIPPED: bubblewrap (bwrap) is not installed or cannot create namespaces here";
if (!HAVE_BWRAP) console.warn(`test/steps/sandbox.test.ts${SKIPPED}`);

const signal = () => new AbortController().signal;

/** Each attempt prints `<name>:escaped` when it worked, `<name>:blocked` when it did not. */
const ATTEMPTS = `
try() { name=$1; shift; if "$@" >/dev/null 2>&1; then echo "$name:escaped"; else echo "$name:blocked"; fi; }
try read-db grep -q db-secret "$DATA/weft.db"
try read-other-run grep -q other-run-secret "$DATA/runs/other/logs/step/events.jsonl"
try list-data-dir test -n "$(ls -A "$DATA")"
try read-server-env grep -q server-env-secret /proc/$SERVER_PID/environ
try write-outside sh -c 'echo x > "$OUTSIDE/planted"'
try connect-tcp node -e "require('net').connect(+process.env.PORT,'127.0.0.1').on('connect',()=>process.exit(0)).on('error',()=>process.exit(1))"
try write-workdir sh -c 'echo x > ./made-here'
try write-tmp sh -c 'echo x > /tmp/made-here'
`;

describe.skipIf(!HAVE_BWRAP)(`script steps in the bwrap sandbox${SKIPPED}`, () => {
  let dataDir: string;
  let outside: string;
  let listener: Server;
  let port: number;
  let server: ReturnType<typeof spawn>;
  let sandbox: Sandbox;

  beforeAll(async () => {
    dataDir = tempDir("weft-data-");
    writeFileSync(join(dataDir, "weft.db"), "SQLite format 3\0 db-secret");
    mkdirSync(join(dataDir, "runs/other/logs/step"), { recursive: true });
    writeFileSync(join(dataDir, "runs/other/logs/step/events.jsonl"), '{"text":"other-run-secret"}\n');
    outside = tempDir("weft-outside-");
    listener = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
    port = (listener.address() as { port: number }).port;
    // Stands for the server: a process of the same user whose environment holds a secret.
    server = spawn("sleep", ["300"], { env: { PATH: process.env.PATH, SECRET: "server-env-secret" } });
    sandbox = createBwrapSandbox({ hide: [dataDir] });
  });
  afterAll(() => {
    server.kill("SIGKILL");
    listener.close();
  });

  async function attempts(opts: { sandbox?: Sandbox; network?: boolean }): Promise<Record<string, string>> {
    const workdir = tempDir("weft-work-");
    const ctx = fakeContext({ projectPath: workdir, sandbox: opts.sandbox });
    const env = { DATA: dataDir, OUTSIDE: outside, PORT: String(port), SERVER_PID: String(server.pid) };
    const outcome = await scriptStepType.run(ctx, { command: ATTEMPTS, env, network: opts.network ?? false }, signal());
    if (outcome.kind !== "completed") throw new Error("the script did not complete");
    const out = outcome.output as { stdout: string };
    return Object.fromEntries(
      out.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(":") as [string, string]),
    );
  }

  it("without the sandbox every attempt works (the attempts are real)", async () => {
    expect(await attempts({})).toEqual({
      "read-db": "escaped",
      "read-other-run": "escaped",
      "list-data-dir": "escaped",
      "read-server-env": "escaped",
      "write-outside": "escaped",
      "connect-tcp": "escaped",
      "write-workdir": "escaped",
      "write-tmp": "escaped",
    });
  });

  it("inside, the data directory, other runs, the server's environment, other paths and the network are out of reach", async () => {
    const before = readdirSync(outside);
    expect(await attempts({ sandbox })).toEqual({
      "read-db": "blocked",
      "read-other-run": "blocked",
      "list-data-dir": "blocked",
      "read-server-env": "blocked",
      "write-outside": "blocked",
      "connect-tcp": "blocked",
      "write-workdir": "escaped",
      "write-tmp": "escaped",
    });
    expect(readdirSync(outside)).toEqual(before);
  });

  it("network: true keeps the network reachable, and nothing else", async () => {
    const got = await attempts({ sandbox, network: true });
    expect(got["connect-tcp"]).toBe("escaped");
    expect(got["read-db"]).toBe("blocked");
  });

  it("a data directory inside the working directory stays hidden; large values (spilled to files) still arrive", async () => {
    const workdir = tempDir("weft-work-");
    const inner = join(workdir, ".weft");
    mkdirSync(inner);
    writeFileSync(join(inner, "weft.db"), "db-secret");
    const big = "v".repeat(200 * 1024);
    const ctx = fakeContext({ projectPath: workdir, sandbox: createBwrapSandbox({ hide: [inner] }), args: { big } });
    const command = "cat .weft/weft.db 2>/dev/null || echo hidden; printf %s {{ args.big }} | wc -c; echo x > ok";
    const outcome = await scriptStepType.run(ctx, { command }, signal());
    if (outcome.kind !== "completed") throw new Error("the script did not complete");
    const out = (outcome.output as { stdout: string }).stdout.trim().split("\n");
    expect(out).toEqual(["hidden", String(big.length)]);
    expect(readFileSync(join(workdir, "ok"), "utf8")).toBe("x\n");
  });

  it("cancelling a sandboxed step ends every process it started", async () => {
    const tag = `${Math.floor(Math.random() * 1e6)}.5`;
    const live = () =>
      readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0").join(" ").startsWith(`sleep ${tag}`);
          } catch {
            return false;
          }
        });
    const controller = new AbortController();
    const ctx = fakeContext({ projectPath: tempDir("weft-work-"), sandbox });
    const running = scriptStepType.run(ctx, { command: `sleep ${tag} & sleep ${tag}; wait` }, controller.signal);
    const settled = running.then(
      () => "completed",
      (err: Error) => err.message,
    );
    await until(() => live().length === 2, 15_000, "both sleeps running");
    controller.abort(new Error("cancelled by the test"));
    expect(await settled).toBe("cancelled by the test");
    expect(live()).toEqual([]);
  });

  it("weft run --sandbox bwrap hides its own data directory from scripts", async () => {
    const dir = tempDir("weft-data-");
    const project = tempDir("weft-work-");
    writeFileSync(
      join(project, "peek.yaml"),
      `name: peek\nsteps:\n  - id: peek\n    command: test -e "$DATA/weft.db" && echo SEEN > seen || echo hidden > seen\n    env:\n      DATA: ${dir}\n`,
    );
    const r = await weft(["--data-dir", dir, "--sandbox", "bwrap", "run", "peek.yaml"], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(project, "seen"), "utf8")).toBe("hidden\n");
  });
});

describe("asking for the sandbox where it cannot work", () => {
  it("a missing bwrap is a clear error when the sandbox is created", () => {
    expect(() => createBwrapSandbox({ hide: [], command: "/nonexistent/bwrap" })).toThrow(
      /bubblewrap \(\/nonexistent\/bwrap\) is not installed or not on PATH; install it \(Debian\/Ubuntu: apt-get install bubblewrap\)/,
    );
  });

  it("weft exits 2 before running anything: bwrap missing, or an unknown sandbox", async () => {
    const empty = tempDir("weft-empty-path-");
    const file = join(empty, "never.yaml");
    writeFileSync(file, `name: never\nsteps:\n  - id: a\n    command: touch ${join(empty, "ran")}\n`);
    const missing = await weft(["--data-dir", tempDir(), "--sandbox", "bwrap", "run", file], { env: { PATH: empty } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--sandbox bwrap: bubblewrap \(bwrap\) is not installed/);
    expect(readdirSync(empty)).toEqual(["never.yaml"]);
    const unknown = await weft(["--data-dir", tempDir(), "run", file], { env: { WEFT_SANDBOX: "docker" } });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--sandbox must be "none" or "bwrap", not "docker"/);
  });
});
