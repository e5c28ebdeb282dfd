import { execFile } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, seedDir } from "../helpers.js";
import { removeTempDirs, tempDir } from "./helpers.js";

afterAll(removeTempDirs);

const tsc = path.join(repoRoot, "node_modules/typescript/bin/tsc");

/** Runs tsc (TypeScript 7 has no JS API) and returns its exit code and output. */
async function typeCheck(project: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [tsc, "-p", project], { cwd: repoRoot });
    return { code: 0, output: stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

describe("the types of TypeScript workflows", () => {
  // types.test-d.ts (wrong configs rejected, results typed) is checked by `tsc -p tsconfig.test.json` itself.

  it("type-check the seed's implement-feature.ts as it is, importing weftflow", async () => {
    const result = await typeCheck(path.join(repoRoot, "test/fixtures/ts/tsconfig.examples.json"));
    expect(result.output).toBe("");
    expect(result.code).toBe(0);
  });

  it("reject a wrong step config in a workflow file, at its line", async () => {
    const text = readFileSync(path.join(seedDir, "implement-feature.ts"), "utf8").replace(
      'permission: "plan"',
      'permission: "yolo"',
    );
    const dir = tempDir({ "wf.ts": text });
    const config = {
      extends: path.join(repoRoot, "tsconfig.json"),
      compilerOptions: {
        noEmit: true,
        rootDir: "/",
        typeRoots: [path.join(repoRoot, "node_modules/@types")],
        paths: { weftflow: [path.join(repoRoot, "src/index.ts")], zod: [path.join(repoRoot, "node_modules/zod")] },
      },
      include: [],
      files: [path.join(dir, "wf.ts")],
    };
    writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify(config));
    const result = await typeCheck(path.join(dir, "tsconfig.json"));
    expect(result.code).not.toBe(0);
    expect(result.output).toContain("wf.ts(24,7)");
    expect(result.output).toContain(`Type '"yolo"' is not assignable to type 'AgentPermission | undefined'`);
  });
});
