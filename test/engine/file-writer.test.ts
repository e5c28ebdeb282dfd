import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { FileWriter } from "../../src/engine/file-writer.js";
import { StepLog } from "../../src/engine/logs.js";
import type { TestEnv } from "../helpers/engine.js";
import { tempDir, testEnv, wf } from "../helpers/engine.js";

const writers: FileWriter[] = [];
let env: TestEnv | undefined;
afterEach(async () => {
  for (const w of writers.splice(0)) await w.close();
  await env?.cleanup();
  env = undefined;
});
function writer(onTraced?: (ms: number) => void): FileWriter {
  const w = new FileWriter(onTraced);
  writers.push(w);
  return w;
}

describe("FileWriter: files written by a worker thread, in order", () => {
  it("makes the folder, writes whole files, appends, keeps an existing file for `exclusive`, renames `atomic` into place", async () => {
    const w = writer();
    const dir = join(tempDir(), "a", "b");
    w.write(dir, [
      { name: "one.json", text: "1\n", how: "write" },
      { name: "log.jsonl", text: "x\n", how: "append" },
      { name: "keep.json", text: "first\n", how: "exclusive" },
    ]);
    w.write(dir, [
      { name: "log.jsonl", text: "y\n", how: "append" },
      { name: "keep.json", text: "second\n", how: "exclusive" },
      { name: "step-1.json", text: "{}\n", how: "atomic" },
    ]);
    await w.flush();
    expect(readFileSync(join(dir, "one.json"), "utf8")).toBe("1\n");
    expect(readFileSync(join(dir, "log.jsonl"), "utf8")).toBe("x\ny\n");
    expect(readFileSync(join(dir, "keep.json"), "utf8")).toBe("first\n");
    expect(readdirSync(dir).sort()).toEqual(["keep.json", "log.jsonl", "one.json", "step-1.json"]);
  });

  it("a write that fails tells its onError (with the error's code); the writes after it still happen", async () => {
    const w = writer();
    const root = tempDir();
    writeFileSync(join(root, "blocked"), "a file where a folder should be");
    const errors: Array<string | undefined> = [];
    w.write(join(root, "blocked", "dir"), [{ name: "f", text: "x", how: "write" }], (err) =>
      errors.push((err as NodeJS.ErrnoException).code),
    );
    w.write(join(root, "fine"), [{ name: "f", text: "ok", how: "write" }], () => errors.push("unexpected"));
    await w.flush();
    expect(errors).toEqual(["ENOTDIR"]);
    expect(readFileSync(join(root, "fine", "f"), "utf8")).toBe("ok");
  });

  it("a folder removed after it was made is made again", async () => {
    const w = writer();
    const dir = join(tempDir(), "d");
    w.write(dir, [{ name: "f", text: "1", how: "write" }]);
    await w.flush();
    rmSync(dir, { recursive: true });
    w.write(dir, [{ name: "g", text: "2", how: "write" }]);
    await w.flush();
    expect(readFileSync(join(dir, "g"), "utf8")).toBe("2");
  });

  it("removes files; settled(id) waits for that write; traced writes report their latency", async () => {
    const latencies: number[] = [];
    const w = writer((ms) => latencies.push(ms));
    const dir = tempDir();
    const id = w.write(
      dir,
      [{ name: "f", text: "1", how: "write" }],
      undefined,
      performance.timeOrigin + performance.now(),
    );
    await w.settled(id);
    expect(existsSync(join(dir, "f"))).toBe(true);
    expect(latencies).toHaveLength(1);
    expect(latencies[0]).toBeGreaterThanOrEqual(0);
    await w.settled(w.remove(join(dir, "f")));
    expect(existsSync(join(dir, "f"))).toBe(false);
  });

  it("a step log holds its files until its end: one batch, events appended, flush() waits for them", async () => {
    const w = writer();
    const dir = join(tempDir(), "logs", "s");
    const log = new StepLog(w, dir);
    log.writeJson("input.json", { a: 1 });
    log.event({ type: "stdout", text: "hello" });
    log.writeJson("output.json", { ok: true });
    log.summary("# s");
    await log.flush();
    expect(readdirSync(dir).sort()).toEqual(["events.jsonl", "input.json", "output.json", "summary.md"]);
    expect(readFileSync(join(dir, "summary.md"), "utf8")).toBe("# s\n");
    log.event({ type: "stdout", text: "again" });
    await w.flush();
    expect(readFileSync(join(dir, "events.jsonl"), "utf8").trim().split("\n")).toHaveLength(2);
  });
});

describe("engine: the run folder, written after the launch", () => {
  it("is on disk once flushed; one that cannot be written is a notice and the run still completes", async () => {
    env = testEnv();
    const ok = (await env.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: noop }\n"))).run;
    await env.engine.flush();
    expect(JSON.parse(readFileSync(join(env.dir, "runs", ok.id, "args.json"), "utf8"))).toEqual({});

    const blocked = testEnv();
    try {
      writeFileSync(join(blocked.dir, "runs"), "a file where the runs folder should be");
      const notices: string[] = [];
      blocked.engine.onNotice((_id, m) => notices.push(m));
      const { run } = await blocked.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: noop }\n"));
      expect((await blocked.engine.execute(run.id)).status).toBe("completed");
      await blocked.engine.flush();
      expect(notices).toContainEqual(
        expect.stringMatching(
          /^the run folder \S+ cannot be written \(ENOTDIR\); the run is recorded in the database$/,
        ),
      );
    } finally {
      await blocked.cleanup();
    }
  });
});
