/**
 * docs/operations.md, "Leases and takeover": a run whose owner was a process on this machine that no longer
 * exists is taken over at once, "also a zombie, or a pid now used by another program". Real processes: a
 * zombie is a child killed while its parent (here `sleep`, which never waits) does not reap it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterEach, describe, expect, it } from "vitest";
import type { Owner } from "../../src/core/model.js";
import { isOwnerDead, processStartTime } from "../../src/engine/owner.js";
import type { TestEnv } from "../helpers/engine.js";
import { testEnv, until, wf } from "../helpers/engine.js";

const children: ChildProcess[] = [];
let env: TestEnv | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) c.kill("SIGKILL");
  await env?.cleanup();
  env = undefined;
});

const state = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
};

/** A live process of ours, and its start time as an owner records it. */
async function liveProcess(): Promise<{ pid: number; pidStart: string }> {
  const child = spawn("sleep", ["300"], { stdio: "ignore" });
  children.push(child);
  const pid = child.pid as number;
  await until(() => processStartTime(pid) !== undefined, 10_000, "the process in /proc");
  return { pid, pidStart: processStartTime(pid) as string };
}

/** A zombie: `sh` starts a background `sleep`, then becomes a `sleep` itself (which never reaps); the child is killed. */
async function zombie(): Promise<{ pid: number; pidStart: string }> {
  const parent = spawn("sh", ["-c", "sleep 300 & echo $!; exec sleep 300"], { stdio: ["ignore", "pipe", "ignore"] });
  children.push(parent);
  const pid = await new Promise<number>((resolve) => parent.stdout?.once("data", (d) => resolve(Number(String(d)))));
  // Kill the child only once the shell has become `sleep`: the shell itself might still reap it.
  const comm = () => readFileSync(`/proc/${parent.pid}/comm`, "utf8").trim();
  await until(() => comm() === "sleep", 10_000, "the shell to exec sleep");
  const pidStart = processStartTime(pid) as string;
  expect(pidStart).toBeDefined();
  process.kill(pid, "SIGKILL");
  await until(() => state(pid) === "Z", 10_000, "the child to become a zombie");
  // kill(pid, 0) still succeeds on a zombie: only its state tells it is dead.
  expect(() => process.kill(pid, 0)).not.toThrow();
  return { pid, pidStart };
}

const owner = (p: { pid: number; pidStart?: string }): Owner => ({ id: `owner-${p.pid}`, host: hostname(), ...p });

describe.skipIf(process.platform !== "linux")("isOwnerDead (Linux /proc)", () => {
  it("a live process with the recorded start time is alive; this process never counts as dead", async () => {
    const live = await liveProcess();
    expect(isOwnerDead(owner(live))).toBe(false);
    expect(isOwnerDead(owner({ pid: live.pid }))).toBe(false);
    expect(isOwnerDead(owner({ pid: process.pid, pidStart: "1" }))).toBe(false);
  });

  it("a zombie is dead", async () => {
    const z = await zombie();
    expect(isOwnerDead(owner(z))).toBe(true);
    expect(isOwnerDead(owner({ pid: z.pid }))).toBe(true);
  });

  it("a pid now used by another program (another start time) is dead", async () => {
    const live = await liveProcess();
    expect(isOwnerDead(owner({ pid: live.pid, pidStart: `${Number(live.pidStart) - 1}` }))).toBe(true);
  });

  it("an owner on another host is judged by its lease only", async () => {
    const z = await zombie();
    expect(isOwnerDead({ ...owner(z), host: `${hostname()}-elsewhere` })).toBe(false);
  });
});

describe.skipIf(process.platform !== "linux")("takeover at once (lease still valid)", () => {
  const takeover = async (held: Owner) => {
    env = testEnv();
    const { run } = await env.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: noop }\n"));
    const now = Date.now();
    expect(await env.store.leases.acquire(run.id, { owner: held, leaseMs: 3_600_000, now })).toBeDefined();
    return { run, done: env.engine.execute(run.id) };
  };

  it("from a zombie owner", async () => {
    const { run, done } = await takeover(owner(await zombie()));
    expect((await done).status).toBe("completed");
    const acquired = (await env!.store.events.list(run.id)).filter(
      (e) => e.type === "workflow.execution.lease_acquired",
    );
    expect(acquired.at(-1)?.data).toMatchObject({ takeover: true, pid: process.pid });
  });

  it("from an owner whose pid now belongs to another program", async () => {
    const live = await liveProcess();
    const { done } = await takeover(owner({ pid: live.pid, pidStart: `${Number(live.pidStart) - 1}` }));
    expect((await done).status).toBe("completed");
  });

  it("but not from a live owner on this machine: the run is followed, not driven", async () => {
    const { done } = await takeover(owner(await liveProcess()));
    await expect(done).rejects.toThrow(/another process/);
  });
});
