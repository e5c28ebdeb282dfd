import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupDirs, expectCleanFailure, repoRoot, tempDir, UUID, weftIn } from "./helpers.js";

afterAll(() => cleanupDirs());

describe("weft run <name>: the definitions folders", () => {
  it("finds <data-dir>/definitions/<name>.yaml", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "definitions"));
    copyFileSync(join(repoRoot, "examples", "hello.yaml"), join(dir, "definitions", "hello.yaml"));
    const r = await weftIn(dir, ["run", "hello"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines[0]).toMatch(UUID);
  });

  it("finds .agent/workflows/definitions/<name>.ts under the working directory (seed 002's layout)", async () => {
    const dir = tempDir();
    const project = tempDir("weft-project-");
    mkdirSync(join(project, ".agent", "workflows", "definitions"), { recursive: true });
    copyFileSync(
      join(repoRoot, "test", "fixtures", "cli", "quick.yaml"),
      join(project, ".agent", "workflows", "definitions", "quick.yaml"),
    );
    const r = await weftIn(dir, ["run", "quick"], { cwd: project });
    expect(r.code, r.stderr).toBe(0);
  });

  it("an unknown name says where it looked", async () => {
    const dir = tempDir();
    const r = await weftIn(dir, ["run", "no-such-workflow"]);
    expectCleanFailure(r, 2, "definitions");
  });
});
