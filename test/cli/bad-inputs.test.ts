/**
 * Bad inputs to the real CLI: each is a clear error (exit 2, or 3 for an unknown run, 4 for a conflict) that
 * says what and where — never a crash (no stack trace), never a hang (20 s), never a partial run (no run is
 * created). Shell-injection attempts in args are inert literals.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Result } from "./helpers.js";
import { cleanupDirs, expectCleanFailure, fixture, listJson, seed, tempDir, weftIn } from "./helpers.js";

afterAll(() => cleanupDirs());

/** Runs `weft run <args>` in a fresh data dir and checks that no run was created. */
async function runNothing(args: string[]): Promise<Result> {
  const dir = tempDir();
  const r = await weftIn(dir, ["run", ...args]);
  expect(await listJson(dir), "a run was created").toEqual([]);
  expect(existsSync(join(dir, "runs")), "a run folder was written").toBe(false);
  return r;
}

/** A location `file:line:column` on stderr. */
const at = (file: string, line?: number) => new RegExp(`${escapeRe(file)}:${line ?? "\\d+"}:\\d+: error WEFT_`);
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

let generated: string;
beforeAll(() => {
  generated = tempDir("weft-cli-bad-");
  // 10 MB: a valid workflow padded with a comment
  writeFileSync(
    join(generated, "ten-mb.yaml"),
    `name: big\nsteps:\n  - id: a\n    command: echo a\n# ${"x".repeat(10 * 1024 * 1024)}\n`,
  );
  // binary: every byte value, NULs included
  const bytes = Buffer.alloc(4096);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919) % 256;
  writeFileSync(join(generated, "binary.yaml"), bytes);
  writeFileSync(join(generated, "binary.json"), bytes);
  mkdirSync(join(generated, "a-directory.yaml"));
});

describe.concurrent("weft run: bad workflow files", () => {
  const bad = (name: string) => fixture(join("bad", name));
  const cases: Array<[string, () => string, RegExp | string, number?]> = [
    ["tab indentation", () => bad("tab-indent.yaml"), /WEFT_PARSE: invalid YAML: Tabs are not allowed/, 3],
    ["an unclosed quote", () => bad("unclosed-quote.yaml"), /WEFT_PARSE: invalid YAML: Missing closing "quote/],
    ["bad indentation", () => bad("bad-indent.yaml"), /WEFT_PARSE: invalid YAML/, 4],
    ["invalid JSON", () => bad("invalid.json"), /WEFT_PARSE: invalid JSON/],
    ["an alias bomb", () => bad("alias-bomb.yaml"), /WEFT_TOO_LARGE: .*alias/],
    ["a 10 MB file", () => join(generated, "ten-mb.yaml"), /WEFT_TOO_LARGE: the definition is 10\.0 MiB/],
    ["an empty file", () => bad("empty.yaml"), /the file is empty/],
    ["a binary file (YAML)", () => join(generated, "binary.yaml"), /WEFT_(PARSE|SCHEMA)/],
    ["a binary file (JSON)", () => join(generated, "binary.json"), /WEFT_PARSE: invalid JSON/],
    ["a directory", () => join(generated, "a-directory.yaml"), /is a directory, not a workflow file/],
    ["a missing file", () => join(generated, "missing.yaml"), /cannot read .*missing\.yaml: no such file/],
    ["a cycle", () => bad("cycle.yaml"), "WEFT_CYCLE: dependency cycle: a → b → a", 4],
    ["an unknown dependency", () => bad("unknown-ref.yaml"), /WEFT_UNKNOWN_REF: step `b` needs `nowhere`/, 6],
    [
      "an expression naming an unknown step",
      () => bad("unknown-expression-ref.yaml"),
      /WEFT_UNKNOWN_REF: .*`ghost`/,
      4,
    ],
    ["steps: 5", () => bad("steps-number.yaml"), /`steps` must be a list of steps, got 5/, 2],
    ['retry: "x"', () => bad("retry-string.yaml"), /`retry` must be a number of attempts or a mapping/, 5],
    ["timeout: soon", () => bad("timeout-word.yaml"), /`timeout` must be a duration, got the string "soon"/, 5],
    ["the seed 001 excerpt", () => seed("bug-lifecycle-excerpt.yaml"), /`notify_team`/, 15],
  ];

  for (const [what, file, message, line] of cases) {
    it(`${what}: exit 2 with file:line:column, no run`, async () => {
      const r = await runNothing([file()]);
      expectCleanFailure(r, 2, message);
      expect(r.stderr).toMatch(at(file(), line));
      expect(r.stderr).toMatch(/^✗ \d+ problems?$/m);
      expect(r.stdout).toBe("");
    });
  }

  it("validate reports every file's problems in one go; graph refuses the file", async () => {
    const v = await weftIn(tempDir(), ["validate", ...cases.map(([, file]) => file())]);
    expect(v.code, v.stderr).toBe(2);
    expect(v.stderr).toBe("");
    for (const [, file, message, line] of cases) {
      expect(v.stdout).toMatch(at(file(), line));
      expect(v.stdout).toMatch(message);
    }
    const g = await weftIn(tempDir(), ["graph", bad("cycle.yaml")]);
    expectCleanFailure(g, 2, "a → b → a");
  });
});

describe.concurrent("weft run: bad arguments", () => {
  const quick = fixture("quick.yaml");
  const pipeline = seed("simple-pipeline.yaml");
  const cases: Array<[string, string[], RegExp | string]> = [
    ["--context that is not JSON", [quick, "--context", "{filePath: src}"], /--context is not valid JSON/],
    ["--context that is an array", [quick, "--context", "[1,2]"], /--context must be a JSON object .* not an array/],
    ["--context that is a string", [quick, "--context", '"src/app.ts"'], /not a string \("src\/app\.ts"\)/],
    ["--context null", [quick, "--context", "null"], /not null/],
    ["--context 42", [quick, "--context", "42"], /not a number \(42\)/],
    ["--arg without =", [quick, "--arg", "novalue"], /--arg must look like key=value/],
    ["args missing a required value", [pipeline], /args\.environment is required/],
    [
      "args with a value not in the enum",
      [pipeline, "--context", '{"environment":"moon"}'],
      /args\.environment must be one of dev, staging, production, got the string "moon"/,
    ],
    ["args of the wrong type", [pipeline, "--context", '{"environment":5}'], /args\.environment must be string/],
    ["--priority high", [quick, "--priority", "high"], /--priority must be an integer, got "high"/],
    ["--priority 1.5", [quick, "--priority", "1.5"], /--priority must be an integer/],
    ["--format xml", [quick, "--format", "xml"], /--format must be "table" or "json", not "xml"/],
    ["no file", [], /missing required argument 'file'/],
    ["an unknown option", [quick, "--colour"], /unknown option '--colour'/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 2, no run`, async () => {
      const r = await runNothing(args);
      expectCleanFailure(r, 2, message);
    });
  }

  it("argsSchema errors name the workflow file", async () => {
    const r = await runNothing([pipeline, "--context", '{"environment":5}']);
    expect(r.stderr).toMatch(at(pipeline));
    expect(r.stderr).toContain("→ pass a string");
  });

  it("other commands' bad options: exit 2", async () => {
    const dir = tempDir();
    const cases: Array<[string[], RegExp | string]> = [
      [["list", "--format", "yaml"], /--format must be "table" or "json", not "yaml"/],
      [["list", "--limit", "0"], /--limit must be a positive integer, not "0"/],
      [["list", "--limit", "ten"], /--limit must be a positive integer/],
      [["list", "--status", "done"], /--status: unknown status "done"/],
      [["graph", quick, "--format", "png"], /--format must be "text" or "mermaid", not "png"/],
      [["validate", quick, "--format", "xml"], /--format must be "table" or "json"/],
      [["--durability", "fast", "list"], /--durability must be "full" or "normal", not "fast"/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["status"], /missing required argument 'run-id'/],
      [["approve", "some-id"], /missing required argument 'step'/],
    ];
    for (const [args, message] of cases) expectCleanFailure(await weftIn(dir, args), 2, message);
    expect(await listJson(dir)).toEqual([]);
  });
});

describe.concurrent("unknown run ids: exit 3", () => {
  const id = "00000000-0000-4000-8000-000000000000";
  const commands: string[][] = [
    ["status", id],
    ["status", id, "--format", "json"],
    ["pause", id],
    ["resume", id],
    ["cancel", id],
    ["approve", id, "sign-off"],
    ["reject", id, "sign-off"],
    ["retry", id, "build"],
    ["checkpoints", id],
    ["logs", id],
    ["logs", id, "-f"],
    ["rewind", id, "1"],
    ["status", "not-a-uuid"],
  ];
  for (const args of commands) {
    it(`weft ${args.join(" ")}`, async () => {
      const r = await weftIn(tempDir(), args);
      expectCleanFailure(r, 3, /^weft: no run has id .*; `weft list` shows the runs$/m);
      expect(r.stdout).toBe("");
    });
  }
});

describe.concurrent("shell injection in args: inert literals", () => {
  const values = (marker: string) => [
    `$(touch ${marker})`,
    `\`touch ${marker}\``,
    `; touch ${marker}`,
    `x\ntouch ${marker}`,
    `"; touch ${marker}; "`,
    `'; touch ${marker}; '`,
    `$(touch\t${marker})&&touch ${marker}|touch ${marker}`,
  ];
  for (const [i, label] of ["$( )", "backticks", "; ", "a newline", '"; … ; "', "'; … ; '", "&& and |"].entries()) {
    it(`${label}: the run completes, the value is printed as it is, the marker never exists`, async () => {
      const dir = tempDir();
      const marker = join(dir, "pwned");
      const value = values(marker)[i] ?? "";
      const r = await weftIn(dir, ["run", fixture("echo-value.yaml"), "--context", JSON.stringify({ value }), "-v"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain("State: completed");
      const id = r.lines[0] ?? "";
      for (const step of ["quoted", "bare", "single"]) {
        const output = JSON.parse(readFileSync(join(dir, "runs", id, "logs", step, "output.json"), "utf8"));
        expect(output.stdout, step).toBe(value);
      }
      if (!value.includes("\n")) expect(r.stdout).toContain(`  │ quoted: ${value}`);
      expect(existsSync(marker)).toBe(false);
    });
  }
});
