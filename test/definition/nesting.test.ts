/**
 * Nesting is bounded wherever input is walked recursively (core/json.ts `MAX_NESTING`, definition/nesting.ts):
 * 2,000 and 100,000 levels of args, YAML, JSON and expressions answer a clear error naming where and the
 * limit — never "Maximum call stack size exceeded". The server's and the CLI's entry points: test/server/nesting.test.ts.
 */
import { describe, expect, it } from "vitest";
import { MAX_NESTING, tooDeep } from "../../src/core/json.js";
import { parseWorkflow, validateArgs } from "../../src/definition/index.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { wf } from "../helpers/engine.js";

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
const LEVELS = [2_000, 100_000];

/** `{"a":{"a":…0…}}`, `levels` objects deep. */
function nestedObject(levels: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function errorsOf(text: string, file: string) {
  const { workflow, issues } = parseWorkflow(text, { file, stepTypes });
  expect(workflow).toBeUndefined();
  const errors = issues.filter((i) => i.severity === "error");
  for (const e of errors) expect(e.message).not.toMatch(/call stack/i);
  return errors;
}

describe("nesting limit", () => {
  it("tooDeep: the limit itself passes, one more level is refused with its path; any depth is safe", () => {
    expect(tooDeep(nestedObject(MAX_NESTING), "args")).toBeUndefined();
    expect(tooDeep(nestedObject(MAX_NESTING + 1), "args")).toMatch(/^args\.a\.a\.a\.a….a\.a$/);
    expect(tooDeep([[["x"]]], "v", 3)).toBeUndefined();
    expect(tooDeep([[[["x"]]]], "v", 3)).toBe("v[0][0][0]");
    expect(tooDeep({ "a b": { c: [{}] } }, "v", 3)).toBe('v["a b"].c[0]');
    for (const n of LEVELS) expect(tooDeep(nestedObject(n), "args")).toBeDefined();
  });

  it("args: a clear WEFT_ARGS error at 2,000 and 100,000 levels", () => {
    const w = wf("name: x\nsteps:\n  - id: a\n    type: noop\n");
    for (const n of LEVELS) {
      const { issues } = validateArgs(w, { x: nestedObject(n) });
      expect(issues).toHaveLength(1);
      expect(issues[0]).toMatchObject({ code: "WEFT_ARGS" });
      expect(issues[0]?.message).toMatch(/args are nested deeper than 64 levels \(at args\.x\.a\.a\.a….a\.a\)/);
    }
    expect(validateArgs(w, { x: nestedObject(MAX_NESTING - 1) }).issues).toEqual([]);
    expect(validateArgs(w, { x: nestedObject(MAX_NESTING) }).issues).toHaveLength(1);
  });

  it("YAML definitions: flow, block and `- - -` nesting refused with the position, before the parser recurses", () => {
    for (const n of LEVELS) {
      const flow = `name: x\nsteps:\n  - id: a\n    type: noop\n    with: {v: ${"[".repeat(n)}${"]".repeat(n)}}\n`;
      const [e] = errorsOf(flow, "w.yaml");
      expect(e).toMatchObject({ code: "WEFT_TOO_LARGE", location: { file: "w.yaml", line: 5 } });
      expect(e?.message).toBe("the definition is nested deeper than 64 levels here");
      const dashes = `name: x\nmeta:\n  ${"- ".repeat(n)}x\nsteps:\n  - id: a\n    type: noop\n`;
      expect(errorsOf(dashes, "w.yaml")[0]).toMatchObject({ code: "WEFT_TOO_LARGE", location: { line: 3 } });
    }
    let block = "meta:";
    for (let i = 1; i <= 1_000; i++) block += `\n${" ".repeat(i)}a:`;
    const [e] = errorsOf(`name: x\n${block} 1\nsteps:\n  - id: a\n    type: noop\n`, "w.yaml");
    expect(e).toMatchObject({ code: "WEFT_TOO_LARGE", location: { line: 2 + MAX_NESTING } });
  });

  it("JSON definitions: refused with the position", () => {
    for (const n of LEVELS) {
      const text = `{"name":"x","steps":[{"id":"a","type":"noop","with":{"v":${"[".repeat(n)}${"]".repeat(n)}}}]}`;
      const [e] = errorsOf(text, "w.json");
      expect(e).toMatchObject({ code: "WEFT_TOO_LARGE", location: { file: "w.json", line: 1 } });
    }
  });

  it("the limit leaves real definitions alone: deep but legal nesting, brackets and quotes in scalars", () => {
    const ok = `name: x
steps:
  - id: a
    command: echo "[[[[ {{ args.v }}" '{{{{' && [ -f x ] # [[[[[[
    with:
      v: ${"[".repeat(40)}${"]".repeat(40)}
      text: |
        ${"[".repeat(100)}
${Array.from({ length: 20 }, (_, i) => `${" ".repeat(8 + i)}- ${"{".repeat(5)}`).join("\n")}
argsSchema:
  type: object
  properties:
    v: { type: string }
`;
    const { issues } = parseWorkflow(ok, { file: "ok.yaml", stepTypes });
    expect(issues.filter((i) => /nested deeper/.test(i.message))).toEqual([]);
  });

  it("expressions: 2,000 and 100,000 levels answer their own limits (64 levels, 16 KiB)", () => {
    const cases = (n: number) => [
      `    command: echo "{{ ${"(".repeat(n)}1${")".repeat(n)} }}"\n`,
      `    if: "${"!".repeat(n)}true"\n    type: noop\n`,
      `    if: "${"[".repeat(n)}${"]".repeat(n)}"\n    type: noop\n`,
    ];
    for (const n of LEVELS) {
      for (const step of cases(n)) {
        const errors = errorsOf(`name: x\nsteps:\n  - id: a\n${step}`, "w.yaml");
        expect(errors.length).toBeGreaterThan(0);
        expect(errors[0]?.message).toMatch(n === 2_000 ? /more than 64 levels/ : /the limit is 16384/);
      }
    }
  });
});
