/**
 * A full disk during a run, on a real small file system (a tmpfs mounted for the test; root only): a clear
 * error naming the file and what to do, exit 2, no stack trace; the database intact; once there is space,
 * `weft resume` completes the run.
 */
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { cleanUpAfterTests, expectCleanFailure, statusJson, tempDir, UUID, weftIn } from "./helpers.js";

cleanUpAfterTests();

/** Why a tmpfs cannot be mounted here (not root, no CAP_SYS_ADMIN, no `mount`), or undefined when it can. */
function mountRefusal(): string | undefined {
  const probe = tempDir("weft-mount-probe-");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], { encoding: "utf8" });
  if (r.error) return `no mount command (${r.error.message})`;
  if (r.status !== 0) return `mount -t tmpfs is not permitted: ${r.stderr.trim() || `exit ${r.status}`}`;
  spawnSync("umount", [probe]);
  return undefined;
}

const refusal = mountRefusal();
const mounted: string[] = [];

function mountTmpfs(sizeKiB: number): string {
  const dir = tempDir("weft-full-");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${sizeKiB}k`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`mount failed: ${r.stderr}`);
  mounted.push(dir);
  return dir;
}

function remount(dir: string, sizeKiB: number): void {
  const r = spawnSync("mount", ["-o", `remount,size=${sizeKiB}k`, dir], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`remount failed: ${r.stderr}`);
}

afterEach(() => {
  for (const dir of mounted.splice(0)) spawnSync("umount", ["-l", dir]);
});

/** Fills what is left of the file system with one file. */
function fill(path: string): void {
  const fd = openSync(path, "w");
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
  } finally {
    closeSync(fd);
  }
}

function integrity(db: string): unknown {
  const raw = new Database(db);
  try {
    return raw.pragma("integrity_check", { simple: true });
  } finally {
    raw.close();
  }
}

const DISK_FULL = /the disk is full: weft could not write \S+weft\.db\. Free space on that disk/;

describe.skipIf(refusal !== undefined)(`a full disk${refusal === undefined ? "" : ` — SKIPPED: ${refusal}`}`, () => {
  it("a run whose step fills the disk stops with a clear error; after remounting bigger, resume completes it", async () => {
    const data = mountTmpfs(2048);
    const flow = join(tempDir(), "fill.yaml");
    writeFileSync(
      flow,
      [
        "name: fill",
        "steps:",
        // Its output goes to the step's events.jsonl and (its last MiB) into the database: the disk fills.
        '  - { id: talk, type: script, command: "seq 1 300000" }',
        '  - { id: after, type: script, command: "echo after" }',
        "",
      ].join("\n"),
    );
    const first = await weftIn(data, ["run", flow], { timeoutMs: 60_000 });
    expectCleanFailure(first, 2, DISK_FULL);
    const id = first.lines[0] as string;
    expect(id).toMatch(UUID);
    expect(first.stderr).toContain(`weft resume ${id}`);

    remount(data, 64 * 1024);
    expect(integrity(join(data, "weft.db"))).toBe("ok");
    const resumed = await weftIn(data, ["resume", id], { timeoutMs: 60_000 });
    expect(resumed.code, resumed.stderr).toBe(0);
    const run = await statusJson(data, id);
    expect(run.status).toBe("completed");
    expect(integrity(join(data, "weft.db"))).toBe("ok");
  });

  it("a disk already full at launch: a clear error; after removing the filler file the run completes", async () => {
    const data = mountTmpfs(1024);
    const flow = join(tempDir(), "two.yaml");
    writeFileSync(flow, "name: two\nsteps:\n  - { id: a, type: noop }\n  - { id: b, type: noop }\n");
    // The database exists (a first run completed), then something else fills the disk.
    const ok = await weftIn(data, ["run", flow]);
    expect(ok.code, ok.stderr).toBe(0);
    mkdirSync(join(data, "other"));
    const filler = join(data, "other", "filler");
    fill(filler);

    const refused = await weftIn(data, ["run", flow]);
    expectCleanFailure(refused, 2, /the disk is full: weft could not write \S+/);
    rmSync(filler);
    expect(integrity(join(data, "weft.db"))).toBe("ok");
    // Launching may have recorded the run before its folder failed: then it resumes; otherwise run again.
    const id = refused.lines[0];
    const again =
      id !== undefined && UUID.test(id) ? await weftIn(data, ["resume", id]) : await weftIn(data, ["run", flow]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain("State: completed");
    expect(existsSync(join(data, "weft.db"))).toBe(true);
  });
});
