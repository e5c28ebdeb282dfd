/**
 * TypeScript (and JavaScript) workflow files through the real CLI (issue 3 §2, §4, §6): `weft run` of the seed's
 * implement-feature.ts as it is, validate and graph of it, files outside the project with no node_modules,
 * load errors, zod args, status, pause/resume, approve, retry, and the source-change guard on resume. Each
 * test uses its own --data-dir; the workflows are under test/fixtures/ts/cli/.
 */
import { copyFileSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  cleanUpAfterTests,
  expectCleanFailure,
  fileLines,
  type Loose,
  listJson,
  pauseThenResume,
  pnpmStub,
  repoRoot,
  seed,
  startRun,
  startWeft,
  statusJson,
  tempDir,
  UUID,
  until,
  weftIn,
} from "./helpers.js";

cleanUpAfterTests();

const tsFixture = (name: string): string => join(repoRoot, "test", "fixtures", "ts", "cli", name);
const implementFeature = seed("implement-feature.ts");
const FEATURE_ARGS = JSON.stringify({ featureName: "auth", requirements: "JWT" });
const SEED_STEPS = ["research-codebase", "create-spec", "implement", "run-tests", "build"];

/** The step runs of a status, without the journal's values ($now-1, $checkpoint-3…). */
const realSteps = (status: Loose): Loose[] =>
  status.steps.filter((s: { key: string }) => !/^\$(now|random|checkpoint|comment)-\d+$/.test(s.key));

describe("the seed's implement-feature.ts, as it is", () => {
  it("runs to the end: phases in order, pnpm test/build in the project dir, claude answered by the mock", async () => {
    const data = tempDir();
    const project = tempDir("weft-cli-project-");
    const pnpm = pnpmStub();
    const p = startWeft(["--data-dir", data, "run", implementFeature, "--context", FEATURE_ARGS], {
      cwd: project,
      env: { PATH: pnpm.path },
    });
    const r = await p.done(30_000);
    expect(r.code, r.stderr).toBe(0);
    const id = r.lines[0] ?? "";
    expect(id).toMatch(UUID);

    const phases = r.lines.filter((l) => l.startsWith("── phase:")).map((l) => l.replace("── phase: ", ""));
    expect(phases).toEqual(["research", "plan", "implement", "test"]);
    const at = (re: RegExp) => r.lines.findIndex((l) => re.test(l));
    const order = SEED_STEPS.map((s) => at(new RegExp(`✓ ${s}\\s+completed`)));
    expect(order.every((i) => i > 0)).toBe(true);
    expect([...order].sort((x, y) => x - y)).toEqual(order);
    expect(at(/phase: test/)).toBeGreaterThan(at(/✓ implement\s+completed/));
    expect(at(/phase: test/)).toBeLessThan(at(/▶ run-tests\s+running/));
    expect(r.stdout).toContain("State: completed");
    expect(r.stdout).toContain("Steps: 5 (5 completed, 0 failed, 0 skipped)");
    expect(r.stderr).toMatch(/agent "claude".*answered by the offline mock provider/);

    // The stub got `test`, then `build`, both run in the project directory (ctx.projectPath).
    const dir = realpathSync(project);
    expect(fileLines(pnpm.log)).toEqual([`test ${dir}`, `build ${dir}`]);

    const s = await statusJson(data, id);
    expect(s.status).toBe("completed");
    expect(s.workflow_name).toBe("Implement Feature");
    expect(s.current_phase).toBe("test");
    expect(s.args).toEqual({ featureName: "auth", requirements: "JWT" });
    expect(realSteps(s).map((st: Loose) => [st.key, st.status, st.attempt])).toEqual(
      SEED_STEPS.map((k) => [k, "completed", 1]),
    );
    // ctx.checkpoint() ×3 and ctx.comment() are journaled too (their completions are in the log; the run view,
    // like the API's, leaves journal values out of its steps).
    expect(s.steps.filter((st: Loose) => st.key.startsWith("$"))).toEqual([]);
    const events = await weftIn(data, ["logs", id, "--format", "json"]);
    const values = events.lines
      .map((l) => JSON.parse(l))
      .filter((e: Loose) => e.type === "workflow.step.completed" && e.data.key.startsWith("$"))
      .map((e: Loose) => e.data.key);
    expect(values).toEqual(["$checkpoint-1", "$checkpoint-3", "$checkpoint-5", "$comment-8"]);
    const logs = await weftIn(data, ["logs", id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain("Feature implementation complete!");
    expect(logs.stdout).toContain("[mock claude]");
  });

  it("validate says it is valid; graph draws its 5 steps in order, as text and as Mermaid", async () => {
    const data = tempDir();
    const v = await weftIn(data, ["validate", implementFeature]);
    expect(v.code, v.stderr).toBe(0);
    expect(v.stdout).toMatch(/implement-feature\.ts is valid/);
    const vj = await weftIn(data, ["validate", implementFeature, "--format", "json"]);
    expect(JSON.parse(vj.stdout)).toEqual([
      { file: expect.stringContaining("implement-feature.ts"), valid: true, issues: [] },
    ]);

    const text = await weftIn(data, ["graph", implementFeature]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.lines[0]).toBe("Implement Feature — 5 steps, 5 levels");
    const drawn = text.lines.filter((l) => /^\s{2}\S+\s+\[/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
    expect(drawn).toEqual(SEED_STEPS);
    expect(text.stdout).toContain("run-tests  [script, phase test]  ← implement");
    expect(text.stdout).toContain("research-codebase  [agent, phase research]");

    const mermaid = await weftIn(data, ["graph", implementFeature, "--format", "mermaid"]);
    expect(mermaid.code, mermaid.stderr).toBe(0);
    expect(mermaid.lines[0]).toBe("flowchart TD");
    const nodes = [...mermaid.stdout.matchAll(/s(\d)\["([^ ]+) \((\w+)\)"\]/g)].map((m) => [m[1], m[2], m[3]]);
    expect(nodes).toEqual([
      ["0", "research-codebase", "agent"],
      ["1", "create-spec", "agent"],
      ["2", "implement", "agent"],
      ["3", "run-tests", "script"],
      ["4", "build", "script"],
    ]);
    const edges = mermaid.lines.filter((l) => l.includes("-->")).map((l) => l.trim());
    expect(edges).toEqual(["s0 --> s1", "s1 --> s2", "s2 --> s3", "s3 --> s4"]);
    const phases = [...mermaid.stdout.matchAll(/subgraph \w+\["(\w+)"\]/g)].map((m) => m[1]);
    expect(phases).toEqual(["research", "plan", "implement", "test"]);
  });
});

describe("workflow files anywhere, TypeScript or JavaScript", () => {
  it("a .ts file in a folder with no node_modules imports weftflow and zod and runs", async () => {
    const data = tempDir();
    const folder = tempDir("weft-cli-standalone-");
    const file = join(folder, "standalone.ts");
    copyFileSync(tsFixture("standalone.ts"), file);
    // Nothing to resolve from: no node_modules in the folder or above it.
    for (let d = folder; d !== dirname(d); d = dirname(d)) {
      expect(() => readFileSync(join(d, "node_modules", ".package-lock.json"))).toThrow();
    }
    const r = await weftIn(data, ["run", file, "--context", JSON.stringify({ who: "ann" })], { cwd: folder });
    expect(r.code, r.stderr).toBe(0);
    const s = await statusJson(data, r.lines[0] ?? "");
    expect(s.status).toBe("completed");
    expect(s.args).toEqual({ who: "ann", times: 2 }); // the zod default applied
    expect(s.output).toEqual({ text: "hello ann / hello ann" });
  });

  it("a .js workflow file runs", async () => {
    const data = tempDir();
    const r = await weftIn(data, ["run", tsFixture("plain.js")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("── phase: only");
    expect(r.stdout).toMatch(/✓ shout\s+completed/);
    const s = await statusJson(data, r.lines[0] ?? "");
    expect(s.workflow_name).toBe("plain-js");
    expect(s.output).toEqual({ shout: "HELLO FROM JS" });
  });

  it("a syntax error: exit 2, naming the file, line and column; no run", async () => {
    const data = tempDir();
    const folder = tempDir("weft-cli-bad-ts-");
    const file = join(folder, "broken.ts");
    writeFileSync(
      file,
      [
        'import { defineWorkflow } from "weftflow";',
        "export default defineWorkflow({",
        '  name: "broken",',
        "  async execute(ctx) {",
        "    const a = ;",
        "  },",
        "});",
        "",
      ].join("\n"),
    );
    const r = await weftIn(data, ["run", file]);
    expectCleanFailure(r, 2, `${file}:5:15`);
    expect(r.stderr).toContain("WEFT_PARSE");
    expect(await listJson(data)).toEqual([]);
    const v = await weftIn(data, ["validate", file]);
    expect(v.code).toBe(2);
    expect(v.stdout).toContain(`${file}:5:15: error WEFT_PARSE`);
  });

  it("a default export that is not defineWorkflow(…): exit 2, naming the file and what to write", async () => {
    const data = tempDir();
    const folder = tempDir("weft-cli-bad-ts-");
    const file = join(folder, "plain-object.ts");
    writeFileSync(file, 'export default { name: "x", async execute() {} };\n');
    const r = await weftIn(data, ["run", file]);
    expectCleanFailure(r, 2, `${file}:1:1`);
    expect(r.stderr).toContain("the default export must be `defineWorkflow({ … })`");
    expect(r.stderr).toContain("wrap the object in defineWorkflow");
    const fn = join(folder, "function.ts");
    writeFileSync(fn, "export default function () {}\n");
    expectCleanFailure(await weftIn(data, ["run", fn]), 2, "the default export is a function");
    expect(await listJson(data)).toEqual([]);
  });

  it("args that the zod argsSchema rejects: exit 2 naming the arg; no run is created", async () => {
    const data = tempDir();
    const file = tsFixture("side-effects.ts");
    const wrongType = await weftIn(data, ["run", file, "--context", JSON.stringify({ out: 5 })]);
    expectCleanFailure(wrongType, 2, "args.out");
    expect(wrongType.stderr).toMatch(/expected string, received number/);
    expect(wrongType.stdout).not.toMatch(UUID);
    expectCleanFailure(await weftIn(data, ["run", file]), 2, "args.out");
    expectCleanFailure(await weftIn(data, ["run", file, "--arg", "pause=1"]), 2, "args.out");
    expect(await listJson(data)).toEqual([]);
  });
});

describe("controlling a TypeScript run from other processes", () => {
  it("status --format json of a TS run: steps, phase, args with defaults, output", async () => {
    const data = tempDir();
    const out = join(data, "side-effects");
    const r = await weftIn(data, [
      "run",
      tsFixture("side-effects.ts"),
      "--context",
      JSON.stringify({ out, pause: "0" }),
    ]);
    expect(r.code, r.stderr).toBe(0);
    const id = r.lines[0] ?? "";
    const s = await statusJson(data, id);
    expect(s).toMatchObject({
      id,
      name: "ts-side-effects",
      workflow_name: "ts-side-effects",
      status: "completed",
      current_phase: "second",
      args: { out, pause: "0" },
      error: null,
      output: { last: 0 },
    });
    expect(s.steps.map((st: Loose) => [st.key, st.step_id, st.status, st.attempt])).toEqual(
      ["s1", "s2", "s3", "s4"].map((k) => [k, k, "completed", 1]),
    );
    expect(fileLines(out)).toEqual(["s1", "s2", "s3", "s4"].map((k) => `${k} 1 ${id}:${k}:0`));
  });

  it("pause from another process stops new steps; resume from a third one; the first `run` exits 0", async () => {
    const data = tempDir();
    const out = join(data, "side-effects");
    // Each step waits for its file in `gate`: s2 still runs when the pause (another process) lands.
    const gate = join(data, "gate");
    mkdirSync(gate);
    const context = JSON.stringify({ out, pause: "0", gate });
    const { p, id } = await startRun(data, [tsFixture("side-effects.ts"), "--context", context]);
    // Replay after the pause does not run s1 or s2 again.
    await pauseThenResume(p, data, id, out, gate, 500);
  });

  it("ctx.waitForApproval parks the run; `weft approve` from another process lets it finish", async () => {
    const data = tempDir();
    const { p, id } = await startRun(data, [tsFixture("approval.ts"), "--context", '{"version":"2.0.0"}']);
    await p.waitForLine(/⏸ sign-off\s+waiting\s+for approval: Release 2\.0\.0\?/);
    await until(async () => (await statusJson(data, id)).status === "waiting", "the run to wait");
    expect((await statusJson(data, id)).steps.find((s: Loose) => s.key === "sign-off")).toMatchObject({
      status: "waiting",
      waiting_for: "approval",
    });
    const r = await weftIn(data, ["approve", id, "sign-off", "--by", "alice", "--comment", "ok"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("sign-off approved by alice");
    const done = await p.done();
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/✓ release\s+completed/);
    const s = await statusJson(data, id);
    expect(s.status).toBe("completed");
    expect(s.output).toEqual({ by: "alice", release: "released 2.0.0 (approved by alice)\n" });
  });

  it("`weft retry` of a failed TS step re-runs it through replay; the steps before it do not run again", async () => {
    const data = tempDir();
    const flag = join(data, "flag");
    const out = join(data, "ran");
    const context = JSON.stringify({ flag, out, more: false });
    const failed = await weftIn(data, ["run", tsFixture("fail-until-flag.ts"), "--context", context]);
    expect(failed.code).toBe(1);
    const id = failed.lines[0] ?? "";
    const s0 = await statusJson(data, id);
    expect(s0.status).toBe("failed");
    expect(s0.error.message).toContain("step `gate` failed");
    expect(s0.steps.find((st: Loose) => st.key === "gate")).toMatchObject({ status: "failed", attempt: 1 });
    expect(fileLines(out)).toEqual(["first 1", "gate 1"]);
    expectCleanFailure(await weftIn(data, ["retry", id, "first"]), 4, "only a failed or cancelled step can be retried");

    writeFileSync(flag, "");
    const r = await weftIn(data, ["retry", id, "gate"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("step gate reset");
    expect(r.stdout).toMatch(/✓ gate\s+completed\s+attempt 2/);
    expect(r.stdout).not.toMatch(/first\s+running/);
    expect(fileLines(out)).toEqual(["first 1", "gate 1", "gate 2"]);
    const s = await statusJson(data, id);
    expect(s.status).toBe("completed");
    expect(s.error).toBeNull();
    expect(s.output).toBe("open\n");
    expect(s.steps.find((st: Loose) => st.key === "first")).toMatchObject({ status: "completed", attempt: 1 });
  });
});

describe("the workflow's source changed since the run started", () => {
  it("resume refuses (WEFT_SOURCE_CHANGED, naming the file and --allow-changed-source); with the flag it goes on", async () => {
    const data = tempDir();
    const folder = tempDir("weft-cli-changing-");
    const file = join(folder, "approval.ts");
    copyFileSync(tsFixture("approval.ts"), file);
    const { p, id } = await startRun(data, [file]);
    await p.waitForLine(/⏸ sign-off\s+waiting/);
    p.kill("SIGKILL");
    expect((await p.done()).signal).toBe("SIGKILL");

    // A comment is enough: the run keeps the hash of the file's text.
    writeFileSync(file, readFileSync(file, "utf8").replace("build → waitForApproval", "build, then waitForApproval"));
    const refused = await weftIn(data, ["resume", id]);
    expectCleanFailure(refused, 2, `${file} changed since the run started`);
    expect(refused.stderr).toContain("--allow-changed-source");
    expect(refused.stderr).toContain(id);
    expect((await statusJson(data, id)).status).toBe("waiting");

    const resumed = startWeft(["--data-dir", data, "resume", id, "--allow-changed-source"]);
    await resumed.waitForLine(/taken over by pid/);
    const approve = await weftIn(data, ["approve", id, "sign-off", "--by", "bob"]);
    expect(approve.code, approve.stderr).toBe(0);
    const done = await resumed.done();
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toContain("State: completed");
    expect(done.stdout).not.toMatch(/build\s+running/); // recorded before the change: not run again
    const s = await statusJson(data, id);
    expect(s.status).toBe("completed");
    expect(s.output).toEqual({ by: "bob", release: "released 1.0.0 (approved by bob)\n" });
  });
});

describe("regressions: file-loaded workflows journal only what execute calls", () => {
  // Was a bug (fixed: launch creates no records for a TS workflow's static steps): `launch` created a pending step record for
  // every statically drawn step of a file-loaded TS workflow, with `input: null`; ReplayPlanner.plan writes
  // `{ pos }` only into records it creates itself, so those steps' positions are never journaled and `claim`
  // cannot see that a replay asks for a different step at their position. Here the replay runs `beta` where
  // the journal has `alpha`, and the run completes with both, instead of failing with WEFT_NON_DETERMINISM.
  it("a replay of a file-loaded workflow that takes another branch fails with WEFT_NON_DETERMINISM", async () => {
    const data = tempDir();
    const flip = join(data, "flip");
    const { p, id } = await startRun(data, [tsFixture("branch.ts"), "--context", JSON.stringify({ flip })]);
    await p.waitForLine(/⏸ gate\s+waiting/);
    p.kill("SIGKILL");
    await p.done();
    writeFileSync(flip, ""); // the replay now asks for `beta` at position 0, where `alpha` is recorded
    await weftIn(data, ["approve", id, "gate"]);
    const s = await statusJson(data, id);
    expect(s.steps.find((st: Loose) => st.key === "beta")?.status).not.toBe("completed");
    expect(s.status).toBe("failed");
    expect(s.error?.code).toBe("WEFT_NON_DETERMINISM");
  });

  // Was a bug (fixed, as above): `launch` created a record for every
  // statically drawn step (here `after`); when `gate` fails the run skips it ("the run failed"); retryStep resets
  // only the retried step of a TS run ("the replay re-creates whatever follows the step"), so the replay finds
  // `after` recorded as skipped, ctx.step rejects ("step `after` failed: step skipped") and the run fails again.
  it("after `weft retry` of a failed step, the steps after it run (file-loaded workflow)", async () => {
    const data = tempDir();
    const flag = join(data, "flag");
    const out = join(data, "ran");
    const failed = await weftIn(data, [
      "run",
      tsFixture("fail-until-flag.ts"),
      "--context",
      JSON.stringify({ flag, out }),
    ]);
    expect(failed.code).toBe(1);
    const id = failed.lines[0] ?? "";
    writeFileSync(flag, "");
    const r = await weftIn(data, ["retry", id, "gate"]);
    expect(fileLines(out)).toEqual(["first 1", "gate 1", "gate 2", "after 1"]);
    expect(r.code, r.stderr).toBe(0);
    const s = await statusJson(data, id);
    expect(s.status).toBe("completed");
    expect(s.output).toBe("passed\n");
  });

  // Was a bug (fixed, as above): the static graph's placeholders for dynamic parts (`item-*@4` for a loop
  // with computed ids, `$sleep@5`, `$exec@6`) become step records at launch; the run never calls them, so at
  // its end they are skipped "because execute returned without waiting for it": `weft status` lists steps that
  // do not exist and the summary counts them ("Steps: 7 (4 completed, 0 failed, 3 skipped)").
  it("a run records only the steps execute called: no placeholders of the static graph", async () => {
    const data = tempDir();
    const r = await weftIn(data, ["run", tsFixture("dynamic.ts")]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Steps: 4 (4 completed, 0 failed, 0 skipped)");
    const s = await statusJson(data, r.lines[0] ?? "");
    expect(s.steps.map((st: Loose) => st.key).sort()).toEqual(["$exec-3", "$sleep-2", "item-0", "item-1"]);
  });
});
