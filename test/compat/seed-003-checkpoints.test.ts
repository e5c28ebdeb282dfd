/**
 * Seed 003's `ax workflow checkpoints <execution-id>` as `weft checkpoints <run-id>`: per checkpoint its state,
 * age, creator, label, size — plus the completed and pending steps — in the seed's layout, `--format json`
 * with the same fields, `--limit`; and checkpoint pruning (`weft checkpoints prune <run> --keep N`, the
 * workflow's `checkpoints: { keep: N }`) that leaves what a later rewind or retry needs. The real built CLI,
 * on the seed's own code-review-workflow.yaml (its agents answered by the offline mock).
 */
import { existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { Loose } from "../cli/helpers.js";
import { cleanUpAfterTests, seed, statusJson, tempDir, UUID, weftIn } from "../cli/helpers.js";

cleanUpAfterTests();

const cpFiles = (dir: string, id: string): string[] =>
  readdirSync(join(dir, "runs", id, "checkpoints"))
    .filter((f) => /^step-\d+\.json$/.test(f))
    .sort();

async function checkpointsJson(dir: string, id: string, extra: string[] = []): Promise<Loose[]> {
  const r = await weftIn(dir, ["checkpoints", id, "--format", "json", ...extra]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("seed 003: weft checkpoints on the seed's code review", () => {
  let dir: string;
  let id: string;

  beforeAll(async () => {
    dir = tempDir();
    const run = await weftIn(dir, [
      "run",
      seed("code-review-workflow.yaml"),
      "--context",
      JSON.stringify({ filePath: "src/app.ts" }),
    ]);
    expect(run.code, run.stderr).toBe(0);
    id = run.lines[0] ?? "";
    expect(id).toMatch(UUID);
  });

  it("shows each checkpoint in the seed's layout: state, age, creator, label, steps, size", async () => {
    const r = await weftIn(dir, ["checkpoints", id]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines[0]).toBe(`Checkpoints for execution: ${id}`);
    const at = r.lines.indexOf("1. Checkpoint 4 (after generate-report)");
    expect(at).toBeGreaterThan(0);
    expect(r.lines[at + 1]).toMatch(/^ {3}State: completed \| Created: \d+s ago \| By: automatic$/);
    expect(r.lines[at + 2]).toBe("   Label: after generate-report");
    // in the order they completed: the two parallel steps either way round
    expect(r.lines[at + 3]).toMatch(
      /^ {3}Completed: 4 \(parse-changes, (security-scan, quality-check|quality-check, security-scan), generate-report\) \| Pending: 0$/,
    );
    expect(r.lines[at + 4]).toMatch(/^ {3}Size: \d+(\.\d\d KB| B)$/);
    const first = r.lines.indexOf("4. Checkpoint 1 (after parse-changes)");
    expect(r.lines[first + 1]).toMatch(/^ {3}State: executing \| /);
    expect(r.lines[first + 3]).toBe(
      "   Completed: 1 (parse-changes) | Pending: 3 (security-scan, quality-check, generate-report)",
    );
    expect(r.lines.at(-1)).toContain(`Use "weft resume ${id}" to resume from the latest checkpoint`);
  });

  it("--limit N shows the N newest; --format json gives the same fields, the size that of its step-N.json", async () => {
    const r = await weftIn(dir, ["checkpoints", id, "--limit", "2"]);
    const shown = r.lines.filter((l) => /^\d+\. Checkpoint \d+/.test(l));
    expect(shown).toHaveLength(2);
    expect(shown[0]).toBe("1. Checkpoint 4 (after generate-report)");
    expect(shown[1]).toMatch(/^2\. Checkpoint 3 \(after (security-scan|quality-check)\)$/);
    const cps = await checkpointsJson(dir, id);
    expect(cps.map((c) => c.number)).toEqual([4, 3, 2, 1]);
    expect(cps[3]).toMatchObject({
      number: 1,
      step_key: "parse-changes",
      label: "after parse-changes",
      created_by: "automatic",
      state: "executing",
      status: "running",
      completed_step_ids: ["parse-changes"],
      pending_step_ids: ["security-scan", "quality-check", "generate-report"],
      current_step_index: 1,
    });
    for (const c of cps) {
      expect(c.size_bytes).toBe(statSync(join(dir, "runs", id, "checkpoints", `step-${c.number}.json`)).size);
    }
    expect(await checkpointsJson(dir, id, ["--limit", "1"])).toEqual([cps[0]]);
  });

  it("prune --dry-run says what it would remove and removes nothing", async () => {
    const r = await weftIn(dir, ["checkpoints", "prune", id, "--keep", "2", "--dry-run"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toEqual([`Would remove 2 checkpoints of run ${id}: 1, 2`, "Kept 2: 4 (the latest), 3 (newest)"]);
    expect((await checkpointsJson(dir, id)).map((c) => c.number)).toEqual([4, 3, 2, 1]);
    expect(cpFiles(dir, id)).toHaveLength(4);
  });

  it("prune --keep keeps the latest and what a rewound run was forked from; rewind still works after it", async () => {
    const fork = await weftIn(dir, ["rewind", id, "2"]);
    expect(fork.code, fork.stderr).toBe(0);
    const r = await weftIn(dir, ["checkpoints", "prune", id, "--keep", "1"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines).toEqual([
      `Removed 2 checkpoints of run ${id}: 1, 3`,
      "Kept 2: 4 (the latest), 2 (a rewound run was forked from it)",
    ]);
    expect((await checkpointsJson(dir, id)).map((c) => c.number)).toEqual([4, 2]);
    expect(cpFiles(dir, id)).toEqual(["step-2.json", "step-4.json"]);

    const again = await weftIn(dir, ["rewind", id, "2", "--format", "json"]);
    expect(again.code, again.stderr).toBe(0);
    const newId = JSON.parse(again.lines[0] ?? "{}").id;
    expect((await statusJson(dir, newId)).status).toBe("completed");
    const gone = await weftIn(dir, ["rewind", id, "1"]);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toContain(`run ${id} has no checkpoint 1`);

    const json = await weftIn(dir, ["checkpoints", "prune", id, "--keep", "1", "--format", "json"]);
    expect(JSON.parse(json.stdout)).toEqual({
      run_id: id,
      dry_run: false,
      removed: [],
      kept: [
        { number: 4, why: "latest" },
        { number: 2, why: "forked" },
      ],
    });
  });

  it("refuses bad input with exit 2 and an unknown run with exit 3, naming what is wrong", async () => {
    const cases: Array<[string[], number, string]> = [
      [["checkpoints", "prune", id], 2, "--keep <n> is required"],
      [
        ["checkpoints", "prune", id, "--keep", "0"],
        2,
        '--keep must be a positive integer (the latest checkpoint is always kept), not "0"',
      ],
      [["checkpoints", "prune", id, "--keep", "abc"], 2, 'not "abc"'],
      [["checkpoints", "prune", id, "--keep", "1.5"], 2, 'not "1.5"'],
      [["checkpoints", "prune", "no-such-run", "--keep", "1"], 3, "no run has id no-such-run"],
      [["checkpoints", "prune", id, "--keep", "1", "--format", "xml"], 2, '--format must be "table" or "json"'],
      [["checkpoints", "no-such-run"], 3, "no run has id no-such-run"],
      [["checkpoints", id, "--limit", "0"], 2, "--limit must be a positive integer"],
    ];
    for (const [args, code, message] of cases) {
      const r = await weftIn(dir, args);
      expect(r.code, args.join(" ")).toBe(code);
      expect(r.stderr, args.join(" ")).toContain(message);
      expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
    }
    expect((await checkpointsJson(dir, id)).map((c) => c.number)).toEqual([4, 2]);
  });
});

describe("seed 003: more steps, retention, and retry after a prune", () => {
  it("truncates long step lists: the count, five names, and how many more", async () => {
    const dir = tempDir();
    const file = join(dir, "eight.yaml");
    const ids = ["a", "b", "c", "d", "e", "f", "g", "h"];
    writeFileSync(file, `name: eight\nsteps:\n${ids.map((s) => `  - id: ${s}\n    type: noop\n`).join("")}`);
    const run = await weftIn(dir, ["run", file]);
    expect(run.code, run.stderr).toBe(0);
    const r = await weftIn(dir, ["checkpoints", run.lines[0] ?? "", "--limit", "8"]);
    expect(r.lines).toContain("   Completed: 1 (a) | Pending: 7 (b, c, d, e, f, … 2 more)");
    expect(r.lines).toContain("   Completed: 8 (a, b, c, d, e, … 3 more) | Pending: 0");
  });

  it("checkpoints: { keep: N } in the workflow prunes when the run ends; weft validate checks it", async () => {
    const dir = tempDir();
    const file = join(dir, "kept.yaml");
    const steps = ["a", "b", "c", "d"].map((s) => `  - id: ${s}\n    type: noop\n`).join("");
    writeFileSync(file, `name: kept\ncheckpoints:\n  keep: 2\nsteps:\n${steps}`);
    const run = await weftIn(dir, ["run", file]);
    expect(run.code, run.stderr).toBe(0);
    const id = run.lines[0] ?? "";
    expect((await checkpointsJson(dir, id)).map((c) => c.number)).toEqual([4, 3]);
    expect(cpFiles(dir, id)).toEqual(["step-3.json", "step-4.json"]);

    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, `name: bad\ncheckpoints:\n  keep: 0\nsteps:\n${steps}`);
    const v = await weftIn(dir, ["validate", bad]);
    expect(v.code).toBe(2);
    expect(v.stdout + v.stderr).toMatch(
      /bad\.yaml:3:\d+: error WEFT_SCHEMA: `keep` must be an integer ≥ 1, got the number 0/,
    );
    writeFileSync(bad, `name: bad\ncheckpoints:\n  kep: 2\nsteps:\n${steps}`);
    const typo = await weftIn(dir, ["validate", bad]);
    expect(typo.code).toBe(2);
    expect(typo.stdout + typo.stderr).toContain("unknown key `kep` in `checkpoints`");
    expect(typo.stdout + typo.stderr).toContain("`checkpoints` sets no `keep`");
  });

  it("a failed run whose checkpoints were pruned is retried to completion (a resume reads events, not checkpoints)", async () => {
    const dir = tempDir();
    const flag = join(dir, "flag");
    const file = join(dir, "flaky.yaml");
    writeFileSync(
      file,
      `name: flaky\nsteps:\n  - id: a\n    type: noop\n  - id: b\n    type: noop\n  - id: c\n    command: test -f ${flag}\n  - id: d\n    type: noop\n`,
    );
    const run = await weftIn(dir, ["run", file]);
    expect(run.code).toBe(1);
    const id = run.lines[0] ?? "";
    const pruned = await weftIn(dir, ["checkpoints", "prune", id, "--keep", "1"]);
    expect(pruned.lines[0]).toBe(`Removed 2 checkpoints of run ${id}: 1, 2`);
    writeFileSync(flag, "");
    const retry = await weftIn(dir, ["retry", id, "c"]);
    expect(retry.code, retry.stderr).toBe(0);
    expect((await statusJson(dir, id)).status).toBe("completed");
    const cps = await checkpointsJson(dir, id);
    expect(cps[0]).toMatchObject({ state: "completed", completed_step_ids: ["a", "b", "c", "d"] });
    expect(existsSync(join(dir, "runs", id, "checkpoints", `step-${cps[0].number}.json`))).toBe(true);
  });
});
