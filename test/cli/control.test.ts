/**
 * Control across processes with the real CLI: kill -9 and resume, pause / resume / cancel from another
 * process, approvals, retry of a failed step, Ctrl-C.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import {
  cleanUpAfterTests,
  expectCleanFailure,
  fileLines,
  fixture,
  pauseThenResume,
  repoRoot,
  startedKeys,
  startRun,
  startWeft,
  statusJson,
  tempDir,
  until,
  weftIn,
} from "./helpers.js";

cleanUpAfterTests();

const sideEffects = fixture("side-effects.yaml");

/** Starts `weft run side-effects.yaml` and resolves with the live process, its run id and its side-effect file. */
async function startSlowRun(dir: string, pause = "0.4", extra: string[] = []) {
  const out = join(dir, "side-effects");
  const { p, id } = await startRun(dir, [sideEffects, "--context", JSON.stringify({ out, pause }), ...extra]);
  return { p, id, out };
}

describe("kill -9 and resume", () => {
  it("carries on from where it was: completed steps are not run again, the interrupted one re-runs with the same idempotency key", async () => {
    const dir = tempDir();
    const { p, id, out } = await startSlowRun(dir);
    await until(() => startedKeys(out).includes("s2"), "step s2 to start");
    p.kill("SIGKILL");
    const killed = await p.done();
    expect(killed.signal).toBe("SIGKILL");
    expect(startedKeys(out)).toEqual(["s1", "s2"]);
    const mid = await statusJson(dir, id);
    expect(mid.status).toBe("running");
    expect(mid.steps.find((s: { key: string }) => s.key === "s1").status).toBe("completed");

    const resumed = await weftIn(dir, ["resume", id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain(`Resuming workflow execution: ${id}`);
    expect(resumed.stdout).toContain("State: completed");
    expect(resumed.stdout).toMatch(/taken over by pid \d+/);
    // s1 is not run again; s2 (interrupted) is, as the same attempt
    expect(resumed.stdout).not.toMatch(/s1\s+running/);
    expect(resumed.stdout).toMatch(/s2\s+running\s+attempt 1/);

    const lines = fileLines(out);
    expect(lines.map((l) => l.split(" ")[0])).toEqual(["s1", "s2", "s2", "s3", "s4"]);
    const s2 = lines.filter((l) => l.startsWith("s2 "));
    expect(s2[0]).toBe(`s2 1 ${id}:s2:0`);
    expect(s2[1]).toBe(s2[0]); // same attempt number and the same idempotency key
    expect(lines.filter((l) => l.startsWith("s1 "))).toEqual([`s1 1 ${id}:s1:0`]);
    const s = await statusJson(dir, id);
    expect(s.status).toBe("completed");
    expect(s.steps.map((st: { attempt: number }) => st.attempt)).toEqual([1, 1, 1, 1]);
  });
});

describe("pause, resume and cancel from other processes", () => {
  it("pause stops new steps after the current one; resume in a third process; the first `run` exits 0", async () => {
    const dir = tempDir();
    // Each step waits for its file in `gate`: s2 still runs when the `weft pause` process lands, however slowly
    // it starts.
    const gate = join(dir, "gate");
    mkdirSync(gate);
    const { p, id, out } = await startSlowRun(dir, "0", ["--arg", `gate=${gate}`]);
    // A while after the current step ended nothing new has started; the run goes on in the process that drives
    // it, and the third one follows it to the end.
    const resumed = await pauseThenResume(p, dir, id, out, gate, 700);
    expect(`${resumed.stdout}\n${resumed.stderr}`).toMatch(/following its progress|continues in the process/);
  });

  it("pause --format json, then resume --detach from another process", async () => {
    const dir = tempDir();
    const gate = join(dir, "gate");
    mkdirSync(gate);
    const { p, id } = await startSlowRun(dir, "0", ["--arg", `gate=${gate}`]);
    const paused = await weftIn(dir, ["pause", id, "--format", "json"]);
    expect(paused.code, paused.stderr).toBe(0);
    expect(JSON.parse(paused.stdout)).toEqual({ id, status: "paused" });
    for (const key of ["s1", "s2", "s3", "s4"]) writeFileSync(join(gate, key), "");
    expect((await weftIn(dir, ["resume", id, "--detach"])).code).toBe(0);
    expect((await p.done()).code).toBe(0);
  });

  it("cancel stops a running `weft run`, which exits non-zero soon; status is cancelled", async () => {
    const dir = tempDir();
    const { p, id, out } = await startSlowRun(dir, "300");
    await until(() => startedKeys(out).includes("s1"), "step s1 to start");
    const cancelled = await weftIn(dir, ["cancel", id]);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(cancelled.stdout).toContain(`Workflow execution cancelled: ${id}`);
    const r = await p.done(); // the step's `sleep 300` was killed: it would outlast the wait otherwise
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("State: cancelled");
    const s = await statusJson(dir, id);
    expect(s.status).toBe("cancelled");
    expect(s.steps.map((st: { status: string }) => st.status)).toEqual([
      "cancelled",
      "cancelled",
      "cancelled",
      "cancelled",
    ]);
    expect(startedKeys(out)).toEqual(["s1"]);
  });

  it("logs -f in another process follows a live run to its end", async () => {
    const dir = tempDir();
    const { p, id } = await startSlowRun(dir, "0.2");
    const logs = await weftIn(dir, ["logs", id, "-f"]);
    expect(logs.code, logs.stderr).toBe(0);
    for (const key of ["s1", "s2", "s3", "s4"]) expect(logs.stdout).toContain(`${key} completed`);
    expect(logs.stdout).toContain("run completed");
    expect((await p.done()).code).toBe(0);
  });

  it("Ctrl-C (SIGINT) leaves the run as it is (exit 130); resume finishes it", async () => {
    const dir = tempDir();
    const { p, id } = await startSlowRun(dir, "0.2");
    await p.waitForLine(/▶ s1\s+running/);
    p.kill("SIGINT");
    const r = await p.done();
    expect(r.code).toBe(130);
    expect(r.stderr).toContain(`weft resume ${id}`);
    expect(["running", "pending"]).toContain((await statusJson(dir, id)).status);
    const resumed = await weftIn(dir, ["resume", id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect((await statusJson(dir, id)).status).toBe("completed");
  });

  it("SIGTERM leaves the run as it is (exit 130), like Ctrl-C", async () => {
    const dir = tempDir();
    const { p, id } = await startSlowRun(dir, "300");
    await p.waitForLine(/▶ s1\s+running/);
    p.kill("SIGTERM");
    const r = await p.done();
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain(`weft resume ${id}`);
    expect((await statusJson(dir, id)).status).toBe("running");
  });

  it("a second Ctrl-C ends it at once, even while the first one's shutdown waits for the database", async () => {
    const dir = tempDir();
    const { p, id } = await startSlowRun(dir, "300");
    await p.waitForLine(/▶ s1\s+running/);
    // Another connection holds the write lock: the graceful shutdown blocks on giving the lease back.
    const db = new Database(join(dir, "weft.db"));
    try {
      db.exec("BEGIN IMMEDIATE");
      p.kill("SIGINT");
      await until(() => p.stderrLines.some((l) => l.includes("interrupted;")), "the first Ctrl-C to be taken");
      p.kill("SIGINT");
      // Still under the lock: the second Ctrl-C ended it (by the signal, which a shell reports as 130), the
      // graceful path did not (it would exit 130 once the lock wait gives up).
      const r = await p.done();
      expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal: "SIGINT" });
    } finally {
      if (db.inTransaction) db.exec("ROLLBACK");
      db.close();
    }
    expect((await statusJson(dir, id)).status).toBe("running");
  });

  it("pause of a completed run is a conflict (exit 4) that says why", async () => {
    const dir = tempDir();
    const { p, id } = await startSlowRun(dir, "0");
    expect((await p.done()).code).toBe(0);
    const r = await weftIn(dir, ["pause", id]);
    expectCleanFailure(r, 4, /is completed; only a pending, running or waiting run can be paused/);
    expectCleanFailure(await weftIn(dir, ["cancel", id]), 4, "already completed");
    const resumed = await weftIn(dir, ["resume", id]);
    expect(resumed.code).toBe(0); // nothing to resume: reports the run's end
    expect(resumed.stdout).toContain(`Workflow execution ${id} has already ended: completed`);
    expectCleanFailure(await weftIn(dir, ["retry", id, "s1"]), 4, "only a failed or cancelled step can be retried");
  });
});

describe("approvals and retry", () => {
  const approval = join(repoRoot, "examples", "approval.yaml");

  it("run waits for approval; `weft approve` from another process completes it", async () => {
    const dir = tempDir();
    const { p, id } = await startRun(dir, [approval, "--context", '{"version":"2.0.0"}']);
    await p.waitForLine(/⏸ sign-off\s+waiting\s+for approval: Release 2\.0\.0\?/);
    await until(async () => (await statusJson(dir, id)).status === "waiting", "the run to wait");
    const waiting = await statusJson(dir, id);
    expect(waiting.steps.find((s: { key: string }) => s.key === "sign-off")).toMatchObject({
      status: "waiting",
      waiting_for: "approval",
    });
    const r = await weftIn(dir, ["approve", id, "sign-off", "--comment", "ok", "--by", "alice"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("sign-off approved by alice");
    expect(r.stdout).toContain("the run continues in the process driving it");
    const done = await p.done();
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("sign-off approved by alice: ok");
    const s = await statusJson(dir, id);
    expect(s.status).toBe("completed");
    expect(s.steps.map((st: { key: string; status: string }) => [st.key, st.status])).toEqual([
      ["build", "completed"],
      ["sign-off", "completed"],
      ["release", "completed"],
      ["notify-rejected", "skipped"],
    ]);
    expect(s.output.release.stdout).toContain("released 2.0.0 (approved by alice)");
  });

  it("reject follows the on_failure path", async () => {
    const dir = tempDir();
    const { p, id } = await startRun(dir, [approval]);
    await p.waitForLine(/sign-off\s+waiting/);
    const r = await weftIn(dir, ["reject", id, "sign-off", "--comment", "not today"]);
    expect(r.code, r.stderr).toBe(0);
    const done = await p.done();
    expect(done.code, done.stdout).toBe(0);
    const s = await statusJson(dir, id);
    expect(s.status).toBe("completed");
    const by = Object.fromEntries(s.steps.map((st: { key: string; status: string }) => [st.key, st.status]));
    expect(by).toEqual({
      build: "completed",
      "sign-off": "failed",
      release: "skipped",
      "notify-rejected": "completed",
    });
  });

  it("approve when no process drives the run (its `run` was killed) finishes the run in the foreground", async () => {
    const dir = tempDir();
    const { p, id } = await startRun(dir, [approval]);
    await p.waitForLine(/sign-off\s+waiting/);
    p.kill("SIGKILL");
    await p.done();
    const r = await weftIn(dir, ["approve", id, "sign-off"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("sign-off approved by");
    expect(r.stdout).toMatch(/✓ release\s+completed/);
    expect(r.stdout).toContain("State: completed");
    expect((await statusJson(dir, id)).status).toBe("completed");
  });

  it("approve --format json while a detached process drives the run: only JSON on stdout", async () => {
    const dir = tempDir();
    const start = await weftIn(dir, ["run", approval, "--detach"]);
    const id = start.lines[0] ?? "";
    await until(async () => (await statusJson(dir, id)).status === "waiting", "the run to wait");
    // the detached driver is alive: approving hands the run back to it
    const r = await weftIn(dir, ["approve", id, "sign-off", "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines.map((l) => JSON.parse(l))).toEqual([{ id, status: expect.any(String) }]);
    expect(r.stderr).toContain("the run continues in the process driving it");
    await until(async () => (await statusJson(dir, id)).status === "completed", "the run to complete");
  });

  it("approve of a step that is not waiting is a clear error", async () => {
    const dir = tempDir();
    const start = await weftIn(dir, ["run", approval, "--detach"]);
    const id = start.lines[0] ?? "";
    await until(async () => (await statusJson(dir, id)).status === "waiting", "the run to wait");
    expectCleanFailure(await weftIn(dir, ["approve", id, "build"]), 4, "step `build`");
    expectCleanFailure(await weftIn(dir, ["approve", id, "release"]), 4, "not waiting for approval");
    expectCleanFailure(await weftIn(dir, ["approve", id, "no-such-step"]), 3, "no step `no-such-step`");
    expect((await weftIn(dir, ["cancel", id])).code).toBe(0);
    await until(async () => (await statusJson(dir, id)).status === "cancelled", "the run to be cancelled");
  });

  it("retry of a failed step (once its cause is fixed) completes the run", async () => {
    const dir = tempDir();
    const flag = join(dir, "flag");
    const context = JSON.stringify({ flag });
    const failed = await weftIn(dir, ["run", fixture("fail-until-flag.yaml"), "--context", context]);
    expect(failed.code).toBe(1);
    const id = failed.lines[0] ?? "";
    expect((await statusJson(dir, id)).status).toBe("failed");
    expectCleanFailure(await weftIn(dir, ["retry", id, "after"]), 4);

    writeFileSync(flag, "");
    const r = await weftIn(dir, ["retry", id, "gate"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("step gate reset");
    expect(r.stdout).toMatch(/✓ gate\s+completed\s+attempt 2/);
    expect(r.stdout).toMatch(/✓ after\s+completed/);
    const s = await statusJson(dir, id);
    expect(s.status).toBe("completed");
    expect(s.error).toBeNull();
  });
});

describe("following a run whose driver dies", () => {
  it("a follower takes the run over when the driving process is killed", async () => {
    const dir = tempDir();
    // The steps wait for their files in `gate`: the run is still driven when the follower starts, however slowly.
    const gate = join(dir, "gate");
    mkdirSync(gate);
    const { p, id } = await startSlowRun(dir, "0", ["--arg", `gate=${gate}`]);
    const follower = startWeft(["--data-dir", dir, "resume", id]);
    await until(() => follower.stderrLines.some((l) => l.includes("following its progress")), "the follower");
    p.kill("SIGKILL");
    await p.done();
    for (const key of ["s1", "s2", "s3", "s4"]) writeFileSync(join(gate, key), "");
    const r = await follower.done();
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("continuing it here");
    expect((await statusJson(dir, id)).status).toBe("completed");
  });
});
