/** `weft validate` on the seed dialects and on files with many problems. */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Loose } from "./helpers.js";
import { cleanupDirs, fixture, repoRoot, seed, tempDir, weft } from "./helpers.js";

afterAll(() => cleanupDirs());

describe("weft validate", () => {
  it("the seed 002 and 003 files are valid (exit 0)", async () => {
    for (const name of ["code-review-workflow.yaml", "simple-pipeline.yaml"]) {
      const r = await weft(["validate", seed(name)]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stdout.trim()).toBe(`✓ ${seed(name)} is valid`);
      expect(r.stderr).toBe("");
    }
  });

  it("the seed 001 excerpt fails (exit 2), naming notify_team at line 15", async () => {
    const file = seed("bug-lifecycle-excerpt.yaml");
    const r = await weft(["validate", file]);
    expect(r.code).toBe(2);
    const line = r.lines.find((l) => l.includes("notify_team"));
    expect(line).toBeDefined();
    expect(line).toContain(`${file}:15:`);
    expect(line).toMatch(/:15:\d+: error WEFT_UNKNOWN_REF: .*`notify_team`/);
    expect(r.stdout).toMatch(/✗ \d+ errors?$/m);
    expect(r.stdout).not.toContain("is valid");
  });

  it("prints every problem of a file with file:line:column, not just the first", async () => {
    const file = fixture("several-errors.yaml");
    const r = await weft(["validate", file]);
    expect(r.code).toBe(2);
    const problems = r.lines.filter((l) => l.startsWith(`${file}:`));
    expect(problems.map((l) => l.slice(file.length + 1).replace(/: error (WEFT_\w+):.*/, " $1"))).toEqual([
      "5:12 WEFT_SCHEMA",
      "7:13 WEFT_UNKNOWN_REF",
      "9:9 WEFT_DUPLICATE_ID",
      "13:14 WEFT_SCHEMA",
    ]);
    // each with what to do
    expect(r.lines.filter((l) => l.startsWith("  → "))).toHaveLength(4);
    expect(r.stdout).toContain("did you mean `build`?");
    expect(r.stdout).toMatch(/^✗ 4 errors$/m);
  });

  it("checks several files at once: exit 2 when any is invalid", async () => {
    const valid = join(repoRoot, "examples", "hello.yaml");
    const r = await weft(["validate", valid, fixture("bad/cycle.yaml"), fixture("quick.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`✓ ${valid} is valid`);
    expect(r.stdout).toContain(`✓ ${fixture("quick.yaml")} is valid`);
    expect(r.stdout).toContain("a → b → a");
    const ok = await weft(["validate", valid, fixture("quick.yaml")]);
    expect(ok.code).toBe(0);
  });

  it("--format json: one entry per file with its issues", async () => {
    const file = fixture("several-errors.yaml");
    const valid = fixture("quick.yaml");
    const r = await weft(["validate", valid, file, "--format", "json"]);
    expect(r.code).toBe(2);
    const results = JSON.parse(r.stdout);
    expect(results).toHaveLength(2);
    expect(results[0]).toEqual({ file: valid, valid: true, issues: [] });
    expect(results[1]).toMatchObject({ file, valid: false });
    expect(results[1].issues).toHaveLength(4);
    for (const issue of results[1].issues) {
      expect(issue).toMatchObject({
        code: expect.stringMatching(/^WEFT_/),
        message: expect.any(String),
        severity: "error",
        location: { file, line: expect.any(Number), column: expect.any(Number) },
      });
      expect(typeof issue.hint).toBe("string");
    }
    expect(results[1].issues.map((i: Loose) => i.location.line)).toEqual([5, 7, 9, 13]);
  });

  it("prints warnings but passes when there are only warnings", async () => {
    const dir = tempDir();
    const file = join(dir, "warn.yaml");
    writeFileSync(file, "name: warn\ndescription: !custom hello\nsteps:\n  - id: a\n    command: echo a\n");
    const r = await weft(["validate", file]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${file}:2:14: warning WEFT_PARSE: Unresolved tag: !custom`);
    expect(r.stdout).toContain(`✓ ${file} is valid`);
  });
});
