/** `weft run` and the read-only commands, on the real built CLI: the seed 003 code review end to end. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Loose, Result } from "./helpers.js";
import {
  cleanUpAfterTests,
  fileLines,
  fixture,
  listJson,
  repoRoot,
  seed,
  statusJson,
  tempDir,
  UUID,
  until,
  weft,
  weftBin,
  weftIn,
} from "./helpers.js";

const codeReview = seed("code-review-workflow.yaml");
const context = JSON.stringify({ filePath: "src/app.ts" });
const STEPS = ["parse-changes", "security-scan", "quality-check", "generate-report"];

cleanUpAfterTests();

describe("weft run: the seed 003 code review", () => {
  let dir: string;
  let run: Result;
  let id: string;

  beforeAll(async () => {
    dir = tempDir();
    run = await weftIn(dir, ["run", codeReview, "--context", context]);
    id = run.lines[0] ?? "";
  });

  it("prints the run id first, a line per step state, and exits 0 with a summary", () => {
    expect(run.code, run.stderr).toBe(0);
    expect(id).toMatch(UUID);
    for (const key of STEPS) {
      expect(run.lines.filter((l) => l.includes(key) && /\brunning\b/.test(l) && /attempt 1\b/.test(l))).toHaveLength(
        1,
      );
      const done = run.lines.filter((l) => l.includes(key) && /\bcompleted\b/.test(l));
      expect(done).toHaveLength(1);
      // state, attempt and duration on the completed line
      expect(done[0]).toMatch(new RegExp(`✓ ${key}\\s+completed\\s+attempt 1\\s+\\d+(\\.\\d+)?(ms|s)$`));
    }
    const summary = run.lines.slice(run.lines.indexOf(""));
    expect(summary.join("\n")).toContain("Workflow completed");
    expect(summary).toContain(`Execution ID: ${id}`);
    expect(summary).toContain("State: completed");
    expect(summary).toContain("Steps: 4 (4 completed, 0 failed, 0 skipped)");
    // no colours without a TTY
    expect(run.stdout).not.toContain("\x1b[");
  });

  it("runs security-scan and quality-check at the same time: both start before either completes", () => {
    const at = (state: string, key: string) =>
      run.lines.findIndex((l) => new RegExp(`^\\S+ ${key}\\s+${state}\\b`).test(l));
    const starts = [at("running", "security-scan"), at("running", "quality-check")];
    const ends = [at("completed", "security-scan"), at("completed", "quality-check")];
    for (const i of [...starts, ...ends]) expect(i).toBeGreaterThan(0);
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
    expect(at("completed", "parse-changes")).toBeLessThan(Math.min(...starts));
    expect(at("running", "generate-report")).toBeGreaterThan(Math.max(...ends));
  });

  it("says once per unconfigured agent, on stderr, that the mock provider answers it", () => {
    for (const agent of ["backend", "security", "quality", "writer"]) {
      const notices = run.stderr.split("\n").filter((l) => l.includes(`agent "${agent}"`));
      expect(notices, agent).toHaveLength(1);
      expect(notices[0]).toMatch(/notice: .*mock/);
    }
    expect(run.stdout).not.toContain("notice:");
  });

  it("status --format json has a top-level status and the steps", async () => {
    const s = await statusJson(dir, id);
    expect(s).toMatchObject({
      id,
      status: "completed",
      workflow_name: "code-review-workflow",
      args: { filePath: "src/app.ts" },
      error: null,
      priority: 0,
    });
    expect(typeof s.workflow_hash).toBe("string");
    expect(s.duration_ms).toBeGreaterThanOrEqual(0);
    expect(Date.parse(s.started_at)).not.toBeNaN();
    expect(s.steps.map((st: Loose) => [st.key, st.status, st.attempt])).toEqual(STEPS.map((k) => [k, "completed", 1]));
    for (const st of s.steps) {
      expect(Object.keys(st).sort()).toEqual(
        [
          "attempt",
          "completed_at",
          "duration_ms",
          "error",
          "error_message",
          "id",
          "iteration",
          "key",
          "message",
          "name",
          "phase",
          "started_at",
          "status",
          "step_id",
          "type",
          "updated_at",
          "waiting_for",
          "workflow_run_id",
        ].sort(),
      );
    }
  });

  it("status (table) shows the run and a row per step", async () => {
    const r = await weftIn(dir, ["status", id]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Execution ID: ${id}`);
    expect(r.stdout).toContain("State: completed");
    expect(r.stdout).toContain("Steps: 4/4 completed");
    for (const key of STEPS) expect(r.stdout).toMatch(new RegExp(`^${key}\\s+✓ completed\\s+1\\s+`, "m"));
  });

  it("list, list --format json and list --workflows", async () => {
    const table = await weftIn(dir, ["list"]);
    expect(table.code).toBe(0);
    expect(table.lines[0]).toMatch(/^RUN ID\s+WORKFLOW\s+STATUS/);
    expect(table.stdout).toMatch(new RegExp(`^${id}\\s+code-review-workflow\\s+completed`, "m"));

    const runs = await listJson(dir);
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ id, status: "completed", workflow: "code-review-workflow" });
    expect(runs[0]).not.toHaveProperty("steps");

    const wfs = await weftIn(dir, ["list", "--workflows"]);
    expect(wfs.code).toBe(0);
    expect(wfs.stdout).toMatch(/^code-review-workflow\s+1\.0\.0\s+1\s+100%/m);
    // Every workflow definition is listed (the built-in templates too), with the stats of those that ran.
    const wfsJson = await weftIn(dir, ["list", "--workflows", "--format", "json"]);
    const rows = JSON.parse(wfsJson.stdout);
    expect(rows.filter((r: Loose) => r.executions > 0)).toEqual([
      expect.objectContaining({ name: "code-review-workflow", version: "1.0.0", executions: 1, success_rate: 1 }),
    ]);
    expect(rows.length).toBeGreaterThan(1);
  });

  it("checkpoints --limit 2 shows the two newest", async () => {
    const json = await weftIn(dir, ["checkpoints", id, "--limit", "2", "--format", "json"]);
    expect(json.code).toBe(0);
    const cps = JSON.parse(json.stdout);
    expect(cps).toHaveLength(2);
    expect(cps.map((c: Loose) => c.number)).toEqual([4, 3]);
    expect(cps[0]).toMatchObject({ number: 4, step_key: "generate-report" });
    expect(Object.keys(cps[0]).sort()).toEqual([
      "completed_step_ids",
      "created_at",
      "created_by",
      "current_phase",
      "current_step_index",
      "event_seq",
      "label",
      "number",
      "pending_step_ids",
      "size_bytes",
      "state",
      "status",
      "step_key",
    ]);

    const table = await weftIn(dir, ["checkpoints", id, "--limit", "2"]);
    expect(table.code).toBe(0);
    expect(table.lines.filter((l) => /^\d+\. Checkpoint/.test(l))).toHaveLength(2);
    const all = await weftIn(dir, ["checkpoints", id, "--format", "json"]);
    expect(JSON.parse(all.stdout)).toHaveLength(4);
  });

  it("logs prints the run's events; --step only that step's", async () => {
    const all = await weftIn(dir, ["logs", id]);
    expect(all.code).toBe(0);
    for (const key of STEPS) expect(all.stdout).toContain(`${key} started (attempt 1)`);
    expect(all.stdout).toContain("run completed");

    const one = await weftIn(dir, ["logs", id, "--step", "parse-changes"]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("parse-changes started (attempt 1)");
    expect(one.stdout).toContain("parse-changes completed");
    expect(one.stdout).toContain("src/app.ts");
    for (const key of STEPS.slice(1)) expect(one.stdout).not.toContain(key);

    const json = await weftIn(dir, ["logs", id, "--step", "parse-changes", "--format", "json"]);
    const events = json.lines.map((l) => JSON.parse(l));
    expect(events.length).toBeGreaterThan(2);
    for (const e of events) expect(e).toMatchObject({ runId: id, data: { key: "parse-changes" } });

    const followed = await weftIn(dir, ["logs", id, "-f"]);
    expect(followed.code).toBe(0);
    expect(followed.stdout).toContain("run completed");
  });

  it("graph draws the levels; --format mermaid a flowchart", async () => {
    const text = await weft(["graph", codeReview]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/level 1\n\s+parse-changes/);
    expect(text.stdout).toMatch(/level 2 \(2 in parallel\)\n\s+security-scan.*\n\s+quality-check/);
    expect(text.stdout).toMatch(/level 3\n\s+generate-report\s+\[agent\]\s+← security-scan, quality-check/);

    const mermaid = await weft(["graph", codeReview, "--format", "mermaid"]);
    expect(mermaid.code).toBe(0);
    expect(mermaid.lines[0]).toBe("flowchart TD");
    expect(mermaid.stdout.match(/-->/g)).toHaveLength(4);
    for (const key of STEPS) expect(mermaid.stdout).toContain(key);
  });

  it("rewind forks a new run from a checkpoint", async () => {
    const r = await weftIn(dir, ["rewind", id, "1"]);
    expect(r.code, r.stderr).toBe(0);
    const forked = r.lines[0] ?? "";
    expect(forked).toMatch(UUID);
    expect(forked).not.toBe(id);
    const s = await statusJson(dir, forked);
    expect(s.status).toBe("completed");
    expect(s.forked_from).toEqual({ run_id: id, checkpoint: 1 });
    const json = await weftIn(dir, ["rewind", id, "2", "--format", "json"]);
    expect(json.code, json.stderr).toBe(0);
    const objs = json.lines.map((l) => JSON.parse(l));
    expect(objs[0]).toEqual({
      type: "run",
      id: expect.stringMatching(UUID),
      forked_from: { run_id: id, checkpoint: 2 },
    });
    expect(objs[objs.length - 1]).toMatchObject({ type: "summary", status: "completed" });
  });
});

describe("weft run --format json", () => {
  it("prints one JSON object per line: the run first, the events, the summary last", async () => {
    const dir = tempDir();
    const r = await weftIn(dir, ["run", codeReview, "--context", context, "--format", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const objs = r.lines.map((l) => JSON.parse(l));
    const first = objs[0];
    expect(first).toEqual({
      type: "run",
      id: expect.stringMatching(UUID),
      created: true,
      workflow: "code-review-workflow",
    });
    const last = objs[objs.length - 1];
    expect(last).toMatchObject({
      type: "summary",
      id: first.id,
      status: "completed",
      workflow: "code-review-workflow",
    });
    expect(last.steps.map((s: Loose) => s.status)).toEqual(["completed", "completed", "completed", "completed"]);
    const events = objs.slice(1, -1);
    for (const e of events) {
      expect(e.runId).toBe(first.id);
      expect(typeof e.seq).toBe("number");
      expect(typeof e.at).toBe("number");
      expect(e.type).toMatch(/^workflow\./);
    }
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(events.filter((e) => e.type === "workflow.step.completed")).toHaveLength(4);
    expect(events.some((e) => e.type === "workflow.step.progress")).toBe(false);
    // the notices stay on stderr
    expect(r.stderr).toContain("notice:");
  });

  it("with -v also prints the steps' output events", async () => {
    const dir = tempDir();
    const r = await weftIn(dir, ["run", fixture("quick.yaml"), "--format", "json", "-v"]);
    expect(r.code, r.stderr).toBe(0);
    const progress = r.lines.map((l) => JSON.parse(l)).filter((e) => e.type === "workflow.step.progress");
    expect(progress.some((e) => e.data.key === "hello" && e.data.output.includes("hello"))).toBe(true);
  });
});

describe("weft run options", () => {
  it("--detach prints the id and returns at once; the run completes in the background", async () => {
    const dir = tempDir();
    const out = join(dir, "side-effects");
    // Each step waits for its file in `gate`, none of which exists yet: the run cannot end before the test lets it.
    const gate = join(dir, "gate");
    mkdirSync(gate);
    const r = await weftIn(dir, [
      "run",
      fixture("side-effects.yaml"),
      "--context",
      JSON.stringify({ out, pause: "0", gate }),
      "--detach",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toHaveLength(1);
    const id = r.lines[0] ?? "";
    expect(id).toMatch(UUID);
    expect(r.stderr).toContain("in the background");
    expect((await statusJson(dir, id)).status).not.toBe("completed");
    for (const key of ["s1", "s2", "s3", "s4"]) writeFileSync(join(gate, key), "");
    await until(async () => (await statusJson(dir, id)).status === "completed", "the detached run to complete");
    expect(fileLines(out).map((l) => l.split(" ")[0])).toEqual(["s1", "s2", "s3", "s4"]);
  });

  it("--idempotency-key twice: the same run, not executed again", async () => {
    const dir = tempDir();
    const out = join(dir, "side-effects");
    const args = ["run", fixture("side-effects.yaml"), "--context", JSON.stringify({ out, pause: "0" })];
    const first = await weftIn(dir, [...args, "--idempotency-key", "k"]);
    expect(first.code, first.stderr).toBe(0);
    const second = await weftIn(dir, [...args, "--idempotency-key", "k"]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.lines[0]).toBe(first.lines[0]);
    expect(second.stderr).toContain(`a run with idempotency key "k" exists already: ${first.lines[0]}`);
    expect(second.stdout).toContain("State: completed");
    expect(second.stdout).not.toMatch(/running\s+attempt/);
    expect(fileLines(out)).toHaveLength(4);
    expect(await listJson(dir)).toHaveLength(1);
    const json = await weftIn(dir, [...args, "--idempotency-key", "k", "--format", "json"]);
    expect(JSON.parse(json.lines[0] ?? "")).toMatchObject({ type: "run", id: first.lines[0], created: false });
  });

  it("--idempotency-key reused with other arguments or another workflow: exit 4, a clear message, nothing runs", async () => {
    const dir = tempDir();
    const out = join(dir, "side-effects");
    const args = (pause: string) => ["run", fixture("side-effects.yaml"), "--context", JSON.stringify({ out, pause })];
    const first = await weftIn(dir, [...args("0"), "--idempotency-key", "k"]);
    expect(first.code, first.stderr).toBe(0);
    const other = await weftIn(dir, [...args("1"), "--idempotency-key", "k"]);
    expect(other.code).toBe(4);
    expect(other.stderr).toContain(
      `weft: idempotency key "k" of project default already names run ${first.lines[0]}, launched with other arguments`,
    );
    const workflow = await weftIn(dir, ["run", fixture("quick.yaml"), "--idempotency-key", "k"]);
    expect(workflow.code).toBe(4);
    expect(workflow.stderr).toMatch(/launched with another workflow/);
    expect(fileLines(out)).toHaveLength(4);
    expect(await listJson(dir)).toHaveLength(1);
  });

  it("records --triggered-by, --priority and --name", async () => {
    const dir = tempDir();
    const r = await weftIn(dir, [
      "run",
      fixture("quick.yaml"),
      "--triggered-by",
      "ci-pipeline",
      "--priority",
      "10",
      "--name",
      "nightly quick",
    ]);
    expect(r.code, r.stderr).toBe(0);
    const s = await statusJson(dir, r.lines[0] ?? "");
    expect(s).toMatchObject({
      triggered_by: "ci-pipeline",
      priority: 10,
      name: "nightly quick",
      workflow_name: "quick",
    });
  });

  it("takes args from --arg key=value and --args", async () => {
    const dir = tempDir();
    const r = await weftIn(dir, ["run", fixture("echo-value.yaml"), "-a", "value=a=b", "-v"]);
    expect(r.code, r.stderr).toBe(0);
    expect((await statusJson(dir, r.lines[0] ?? "")).args).toEqual({ value: "a=b" });
    const r2 = await weftIn(dir, ["run", fixture("echo-value.yaml"), "--args", '{"value":"x"}']);
    expect(r2.code, r2.stderr).toBe(0);
  });

  it("exits 1 with the failure in the summary when the run fails", async () => {
    const dir = tempDir();
    const r = await weftIn(dir, ["run", fixture("fail-until-flag.yaml"), "--context", '{"flag":"/nonexistent/flag"}']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ gate\s+failed/);
    expect(r.stdout).toContain("State: failed");
    expect(r.stdout).toMatch(/^Error: /m);
  });
});

const hasScript = spawnSync("script", ["--version"]).status === 0;

describe("colours", () => {
  /** Runs weft under `script` (util-linux), which gives it a pseudo-terminal. */
  const onTty = (args: string[], extra: Record<string, string> = {}) => {
    const { NO_COLOR: _no, FORCE_COLOR: _force, ...env } = process.env;
    const command = [process.execPath, weftBin(), ...args].map((a) => `'${a}'`).join(" ");
    return spawnSync("script", ["-qec", command, "/dev/null"], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...env, TERM: "xterm", ...extra },
      timeout: 20_000,
    });
  };

  it("not when stdout is not a terminal", async () => {
    const plain = await weft(["validate", fixture("quick.yaml")]);
    expect(plain.stdout).not.toContain("\x1b[");
  });

  it.skipIf(!hasScript)("on a terminal, unless NO_COLOR (skipped: no `script` from util-linux to make one)", () => {
    expect(onTty(["validate", fixture("quick.yaml")]).stdout).toContain("\x1b[32m✓\x1b[0m");
    const noColor = onTty(["validate", fixture("quick.yaml")], { NO_COLOR: "1" });
    expect(noColor.stdout).toContain("✓");
    expect(noColor.stdout).not.toContain("\x1b[");
  });
});

describe("data directory, help", () => {
  it("--data-dir (before or after the command) and WEFT_DATA_DIR name the same store", async () => {
    const dir = tempDir();
    const viaEnv = await weft(["run", fixture("quick.yaml")], { env: { WEFT_DATA_DIR: dir } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(existsSync(join(dir, "weft.db"))).toBe(true);
    expect(existsSync(join(dir, "runs", viaEnv.lines[0] ?? "", "definition.json"))).toBe(true);
    const after = await weft(["list", "--format", "json", "--data-dir", dir]);
    expect(JSON.parse(after.stdout).map((r: Loose) => r.id)).toEqual([viaEnv.lines[0]]);
    // --data-dir wins over WEFT_DATA_DIR
    const other = tempDir();
    const both = await weft(["--data-dir", other, "list", "--format", "json"], { env: { WEFT_DATA_DIR: dir } });
    expect(JSON.parse(both.stdout)).toEqual([]);
    const status = await weft(["status", viaEnv.lines[0] ?? ""], { env: { WEFT_DATA_DIR: dir } });
    expect(status.stdout).toContain("State: completed");
  });

  const commands = [
    "run",
    "pause",
    "cancel",
    "resume",
    "approve",
    "reject",
    "retry",
    "rewind",
    "list",
    "status",
    "checkpoints",
    "logs",
    "validate",
    "graph",
  ];

  it("--help exits 0 for weft and every command", async () => {
    const main = await weft(["--help"]);
    expect(main.code, main.stderr).toBe(0);
    for (const c of commands) expect(main.stdout).toMatch(new RegExp(`^  ${c} `, "m"));
    const results = await Promise.all(commands.map((c) => weft([c, "--help"])));
    results.forEach((r, i) => {
      expect(r.code, `${commands[i]}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain(`Usage: weft ${commands[i]} `);
      expect(r.stderr).toBe("");
    });
    const help = await weft(["help", "run"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("--context <json>");
    const version = await weft(["--version"]);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
