/**
 * Deep nesting at the server's and the CLI's entry points (the limit itself: test/definition/nesting.test.ts):
 * a JSON body, a definition sent to the API, a workflow file and `--context` at 2,000 and 100,000 levels answer
 * a 4xx in the envelope (API) or exit 2 (CLI) naming where and the limit — never a 500 or a stack overflow.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanUpAfterTests, tempDir, weftIn } from "../cli/helpers.js";
import { expectError, QUICK, type ServerEnv, serverEnv } from "./helpers.js";

cleanUpAfterTests();

const LEVELS = [2_000, 100_000];
const nestedJson = (levels: number) => `${'{"a":'.repeat(levels)}0${"}".repeat(levels)}`;
const deepYaml = (levels: number) =>
  `name: x\nsteps:\n  - id: a\n    type: noop\n    with: {v: ${"[".repeat(levels)}${"]".repeat(levels)}}\n`;

describe("deep nesting through the API", () => {
  let s: ServerEnv;
  beforeAll(async () => {
    s = await serverEnv();
  });
  afterAll(async () => {
    await s?.close();
  });

  it("a JSON body nested 2,000 or 100,000 levels is 400, naming where and the limit", async () => {
    for (const n of LEVELS) {
      const res = await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        headers: { "content-type": "application/json" },
        payload: `{"workflow":{"source":${JSON.stringify(QUICK)}},"args":{"x":${nestedJson(n)}}}`,
      });
      const e = expectError(res, 400, "WEFT_BAD_REQUEST");
      expect(e.message).toMatch(/^the JSON body is nested deeper than 64 levels \(at body\.args\.x\.a\.a….a\.a\)$/);
    }
    expect((await s.app.inject({ url: "/api/workflow-executions" })).json().data).toEqual([]);
  });

  it("a definition nested 2,000 or 100,000 levels: its issue with the position (validate), 422 (launch)", async () => {
    const issue = { code: "WEFT_TOO_LARGE", message: "the definition is nested deeper than 64 levels here", line: 5 };
    for (const n of LEVELS) {
      const checked = await s.app.inject({
        method: "POST",
        url: "/api/workflow-definitions/validate",
        payload: { source: deepYaml(n) },
      });
      expect(checked.statusCode).toBe(200);
      expect(checked.json().data).toMatchObject({ valid: false, issues: [issue] });
      const launched = await s.app.inject({
        method: "POST",
        url: "/api/workflow-executions",
        payload: { workflow: { source: deepYaml(n) } },
      });
      expect(expectError(launched, 422, "WEFT_TOO_LARGE").issues?.[0]).toMatchObject(issue);
    }
  });
});

describe("deep nesting through the CLI", () => {
  it("a workflow file (YAML or JSON) nested 2,000 or 100,000 levels exits 2 with its position", async () => {
    const dir = tempDir();
    for (const n of LEVELS) {
      const yaml = join(dir, `deep-${n}.yaml`);
      writeFileSync(yaml, deepYaml(n));
      const json = join(dir, `deep-${n}.json`);
      writeFileSync(json, `{"name":"x","steps":[{"id":"a","type":"noop","with":{"v":${nestedJson(n)}}}]}`);
      for (const [file, where] of [
        [yaml, ":5:"],
        [json, ":1:"],
      ] as const) {
        const r = await weftIn(dir, ["validate", file]);
        const out = r.stdout + r.stderr;
        expect(r.code, out).toBe(2);
        expect(out).toContain(`${file}${where}`);
        expect(out).toMatch(/WEFT_TOO_LARGE: the definition is nested deeper than 64 levels here/);
        expect(out).not.toMatch(/call stack/i);
      }
    }
  });

  it("--context nested 2,000 levels, or as deep as a command line allows, exits 2 naming where", async () => {
    const dir = tempDir();
    const file = join(dir, "w.yaml");
    writeFileSync(file, "name: x\nsteps:\n  - id: a\n    type: noop\n");
    // One argument may hold at most 128 KiB (Linux's MAX_ARG_STRLEN): 60,000 levels of `[…]`, not 100,000.
    for (const context of [`{"x":${nestedJson(2_000)}}`, `{"x":${"[".repeat(60_000)}0${"]".repeat(60_000)}}`]) {
      const r = await weftIn(dir, ["run", file, "--context", context]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(/WEFT_ARGS: args are nested deeper than 64 levels \(at args\.x(\.a|\[0\])+…/);
      expect(r.stderr).not.toMatch(/call stack/i);
    }
  });
});
