/**
 * The linter refuses import cycles, type-only ones included: the repository's `noImportCycles` setting, run by
 * the repository's biome over a small project with a deliberate `import type` cycle.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const REPO = join(import.meta.dirname, "..", "..");
const BIOME = join(REPO, "node_modules", ".bin", "biome");
const dirs: string[] = [];

/** The repository's own setting of the rule. */
function repoRule(): unknown {
  const config = JSON.parse(readFileSync(join(REPO, "biome.json"), "utf8")) as {
    linter: { rules: { suspicious: { noImportCycles: unknown } } };
  };
  return config.linter.rules.suspicious.noImportCycles;
}

/** Lints `files` with only `noImportCycles` on, set as `rule`. */
function lint(rule: unknown, files: Record<string, string>): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), "weft-cycles-"));
  dirs.push(dir);
  const config = {
    linter: { enabled: true, rules: { preset: "none", suspicious: { noImportCycles: rule } } },
  };
  writeFileSync(join(dir, "biome.json"), JSON.stringify(config));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const r = spawnSync(BIOME, ["lint", "--colors=off", "."], { cwd: dir, encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

const typeCycle = {
  "a.ts": 'import type { B } from "./b.js";\nexport interface A { b?: B }\n',
  "b.ts": 'import type { A } from "./a.js";\nexport interface B { a?: A }\n',
};
const noCycle = {
  "a.ts": 'import type { B } from "./b.js";\nexport interface A { b?: B }\n',
  "b.ts": "export interface B { n: number }\n",
};

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe("import cycles", () => {
  it("the repository's setting reports a cycle of `import type` imports", () => {
    const r = lint(repoRule(), typeCycle);
    expect(r.output).toMatch(/lint\/suspicious\/noImportCycles/);
    expect(r.status).not.toBe(0);
  });

  it("the same files without the cycle pass", () => {
    const r = lint(repoRule(), noCycle);
    expect(r.output).not.toMatch(/lint\/suspicious\/noImportCycles/);
    expect(r.status).toBe(0);
  });

  it("biome's default would let the type-only cycle through (what the setting changes)", () => {
    const r = lint("error", typeCycle);
    expect(r.output).not.toMatch(/lint\/suspicious\/noImportCycles/);
    expect(r.status).toBe(0);
  });
});
