import path from "node:path";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/core/errors.js";
import { errorsOf, fixtureDir, parseFile, parseYaml, warningsOf, where } from "./helpers.js";

const lines = (...l: string[]) => `${l.join("\n")}\n`;

describe("validation: every issue with its line and column", () => {
  it("a file with five different errors yields five issues, in file order", () => {
    const result = parseFile(path.join(fixtureDir, "invalid/five-errors.yaml"));
    expect(result.workflow).toBeUndefined();
    expect(where(result.issues)).toEqual([
      "2:1 WEFT_SCHEMA",
      "6:12 WEFT_SCHEMA",
      "8:13 WEFT_UNKNOWN_REF",
      "10:9 WEFT_DUPLICATE_ID",
      "12:5 WEFT_SCHEMA",
    ]);
    const [unknownKey, retry, ref, duplicate, noId] = result.issues;
    expect(unknownKey?.message).toBe("unknown key `timeot` in the workflow");
    expect(unknownKey?.hint).toBe("did you mean `timeout`?");
    expect(retry?.message).toContain("`retry` must be a number of attempts or a mapping");
    expect(ref?.message).toBe("step `test` needs `biuld`, but no step has that id");
    expect(ref?.hint).toBe("did you mean `build`?");
    expect(duplicate?.message).toBe("duplicate step id `build`: the first step with this id is at line 4");
    expect(noId?.message).toBe("step 4 has no `id`");
    for (const issue of result.issues) {
      expect(issue.hint, issue.message).toBeTruthy();
      expect(issue.location.file).toMatch(/five-errors\.yaml$/);
    }
  });

  it("formats issues as file:line:col: severity CODE: message, then the hint", () => {
    const { issues } = parseYaml(lines("name: x", "steps:", "  - id: a", "    command: ok", "    needs: [zzz]"));
    expect(formatIssue(issues[0] as (typeof issues)[number])).toBe(
      "wf.yaml:5:13: error WEFT_UNKNOWN_REF: step `a` needs `zzz`, but no step has that id\n  → steps are: a",
    );
  });

  it("missing name and steps point at the top of the document", () => {
    const { issues } = parseYaml(lines("description: nothing else"));
    expect(where(issues)).toEqual(["1:1 WEFT_SCHEMA", "1:1 WEFT_SCHEMA"]);
    expect(issues.map((i) => i.message)).toEqual(["the workflow has no `name`", "the workflow has no `steps`"]);
  });

  it("wrong types everywhere: steps: 5", () => {
    const { workflow, issues } = parseYaml(lines("name: types", "steps: 5"));
    expect(workflow).toBeUndefined();
    expect(where(issues)).toEqual(["2:8 WEFT_SCHEMA"]);
    expect(issues[0]?.message).toBe("`steps` must be a list of steps, got 5");
  });

  it("wrong types everywhere: each field reported at its value", () => {
    const { workflow, issues } = parseYaml(
      lines(
        "name: types",
        "parallelism: many",
        "phases: {a: 1}",
        "steps:",
        "  - id: [1]",
        "    command: x",
        "  - id: b",
        "    command: y",
        '    retry: "x"',
        "    timeout: soon",
        '    optional: "yes"',
        "    priority: 1.5",
        "    needs: 7",
        "  - id: c",
        "    type: 3",
        "    if: [1]",
        "  - 42",
      ),
    );
    expect(workflow).toBeUndefined();
    expect(where(issues)).toEqual([
      "2:14 WEFT_SCHEMA",
      "3:9 WEFT_SCHEMA",
      "5:9 WEFT_SCHEMA",
      "9:12 WEFT_SCHEMA",
      "10:14 WEFT_SCHEMA",
      "11:15 WEFT_SCHEMA",
      "12:15 WEFT_SCHEMA",
      "13:12 WEFT_SCHEMA",
      "15:11 WEFT_SCHEMA",
      "16:9 WEFT_SCHEMA",
      "17:5 WEFT_SCHEMA",
    ]);
    const messages = issues.map((i) => i.message);
    expect(messages).toEqual([
      '`parallelism` must be an integer ≥ 1, got the string "many"',
      "`phases` must be a list of strings, got a mapping",
      "`id` must be a string, got a list",
      '`retry` must be a number of attempts or a mapping, got the string "x"',
      '`timeout` must be a duration, got the string "soon"',
      '`optional` must be true or false, got the string "yes"',
      "`priority` must be an integer from -1000000 to 1000000, got the number 1.5",
      "`needs` must be a step id or a list of step ids, got the number 7",
      "`type` must be a string, got the number 3",
      "`if` must be a string, got a list",
      "step 4 must be a mapping, got the number 42",
    ]);
    expect(issues[4]?.hint).toContain("30s, 5m");
  });

  it("duplicate ids point at the second and name the first's line", () => {
    const { issues } = parseYaml(
      lines(
        "name: dup",
        "steps:",
        "  - id: a",
        "    command: x",
        "  - id: b",
        "    command: y",
        "  - id: a",
        "    command: z",
      ),
    );
    expect(where(issues)).toEqual(["7:9 WEFT_DUPLICATE_ID"]);
    expect(issues[0]?.message).toContain("line 3");
  });

  it("unknown on_success / on_failure targets", () => {
    const { issues } = parseYaml(
      lines(
        "name: refs",
        "steps:",
        "  - id: a",
        "    command: x",
        "    on_success: [b, bb]",
        "    on_failure: nope",
        "  - id: b",
        "    command: y",
      ),
    );
    expect(where(issues)).toEqual(["5:21 WEFT_UNKNOWN_REF", "6:17 WEFT_UNKNOWN_REF"]);
    expect(issues[0]?.message).toBe("step `a` has on_success: `bb`, but no step has that id");
    expect(issues[0]?.hint).toBe("did you mean `b`?");
    expect(issues[1]?.message).toBe("step `a` has on_failure: `nope`, but no step has that id");
  });

  it("cycles of length 1, 2 and 3, each reported once with its path", () => {
    const { issues } = parseYaml(
      lines(
        "name: cycles",
        "steps:",
        "  - { id: self, command: x, needs: self }",
        "  - { id: a, command: x, needs: b }",
        "  - { id: b, command: x, needs: a }",
        "  - { id: p, command: x, needs: r }",
        "  - { id: q, command: x, needs: p }",
        "  - { id: r, command: x, needs: q }",
      ),
    );
    expect(errorsOf(issues).map((i) => `${i.location.line}:${i.location.column} ${i.message}`)).toEqual([
      "3:36 dependency cycle: self → self",
      "4:33 dependency cycle: a → b → a",
      "6:33 dependency cycle: p → r → q → p",
    ]);
    expect(issues.every((i) => i.code === "WEFT_CYCLE")).toBe(true);
  });

  it("a cycle through on_success is reported at the on_success value", () => {
    const { issues } = parseYaml(
      lines(
        "name: c",
        "steps:",
        "  - id: a",
        "    command: x",
        "    needs: [b]",
        "  - id: b",
        "    command: y",
        "    needs: []",
        "    on_success: c",
        "  - id: c",
        "    command: z",
        "    on_success: b",
      ),
    );
    expect(where(errorsOf(issues))).toEqual(["12:17 WEFT_CYCLE"]);
    expect(issues[0]?.message).toBe("dependency cycle: b → c → b");
  });

  it("phases: a step's phase must be listed", () => {
    const { issues } = parseYaml(
      lines("name: p", "phases: [build, test]", "steps:", "  - id: a", "    phase: tset", "    command: x"),
    );
    expect(where(issues)).toEqual(["5:12 WEFT_SCHEMA"]);
    expect(issues[0]?.message).toBe("step `a` is in phase `tset`, which is not listed in `phases` (build, test)");
    expect(issues[0]?.hint).toBe("did you mean `test`?");
  });

  it("a step whose type cannot be inferred", () => {
    const { issues } = parseYaml(lines("name: t", "steps:", "  - id: a", "    message: hello"));
    expect(where(issues)).toEqual(["3:5 WEFT_SCHEMA"]);
    expect(issues[0]?.message).toBe("step `a` has no `type`, and none can be inferred");
  });

  it("both spellings of one key, bad step ids, reserved ids", () => {
    const { issues } = parseYaml(
      lines(
        "name: k",
        "steps:",
        "  - id: a",
        "    key: a2",
        "    command: x",
        "  - id: has space",
        "    command: x",
        "  - id: steps",
        "    command: x",
      ),
    );
    expect(where(issues)).toEqual(["4:5 WEFT_SCHEMA", "6:9 WEFT_SCHEMA", "8:9 WEFT_SCHEMA"]);
    expect(issues[0]?.message).toBe("`key` and `id` both set the step's id");
    expect(issues[2]?.message).toContain("reserved");
  });

  it("unknown keys in nested mappings, mode, defaults, retry; args and argsSchema together", () => {
    const { issues } = parseYaml(
      lines(
        "name: n",
        "mode: parallel",
        "defaults:",
        "  retries: 3",
        "args: { type: object }",
        "argsSchema: { type: object }",
        "steps:",
        "  - id: a",
        "    command: x",
        "    retry: { maxAttempts: 2, dealy: 1s }",
        "    needs: [{ step: a, on: sometimes }]",
      ),
    );
    expect(where(errorsOf(issues))).toEqual([
      "2:7 WEFT_SCHEMA",
      "4:3 WEFT_SCHEMA",
      "5:1 WEFT_SCHEMA",
      "10:30 WEFT_SCHEMA",
      "11:28 WEFT_SCHEMA",
    ]);
    expect(issues[1]?.hint).toBe("did you mean `retry`?");
    expect(issues[3]?.hint).toBe("did you mean `delay`?");
  });

  it("an invalid argsSchema is reported at the offending keyword", () => {
    const { issues } = parseYaml(
      lines(
        "name: a",
        "argsSchema:",
        "  type: object",
        "  properties:",
        "    env:",
        "      type: strin",
        "steps:",
        "  - id: a",
        "    command: x",
      ),
    );
    expect(errorsOf(issues).length).toBeGreaterThan(0);
    expect(errorsOf(issues)[0]).toMatchObject({ code: "WEFT_SCHEMA", location: { line: 6, column: 13 } });
    expect(errorsOf(issues)[0]?.message).toContain("argsSchema.properties.env.type is not a valid JSON Schema");
  });

  it("seed 003 config: unknown keys and conflicts with top-level settings", () => {
    const { issues } = parseYaml(
      lines(
        "name: c",
        "timeout: 5m",
        "config:",
        "  timeout: 1000",
        "  maxRetry: 2",
        "steps:",
        "  - key: a",
        "    command: x",
      ),
    );
    expect(where(issues)).toEqual(["4:3 WEFT_SCHEMA", "5:3 WEFT_SCHEMA"]);
    expect(issues[1]?.hint).toBe("did you mean `maxRetries`?");
  });

  it("a misspelt step key becomes config with a warning; warnings alone do not fail", () => {
    const { workflow, issues } = parseYaml(
      lines("name: w", "steps:", "  - id: a", "    command: x", "    neeeds: [b]"),
    );
    expect(workflow).toBeDefined();
    expect(errorsOf(issues)).toEqual([]);
    expect(where(warningsOf(issues))).toEqual(["5:5 WEFT_SCHEMA"]);
    expect(warningsOf(issues)[0]?.hint).toBe("did you mean `needs`?");
    expect(workflow?.steps[0]?.config).toEqual({ command: "x", neeeds: ["b"] });
  });

  it("JSON definitions get positions too", () => {
    const text = '{\n  "name": "j",\n  "steps": [\n    { "id": "a", "command": "x", "needs": ["zz"] }\n  ]\n}\n';
    const { issues } = parseYaml(text, { file: "wf.json" });
    expect(where(issues)).toEqual(["4:44 WEFT_UNKNOWN_REF"]);
  });
});

describe("dependency rules", () => {
  it("mode: sequential adds file-order edges, stepping over on_failure handlers", () => {
    const { workflow } = parseYaml(
      lines(
        "name: s",
        "mode: sequential",
        "steps:",
        "  - { id: a, command: x, on_failure: recover }",
        "  - { id: recover, command: y }",
        "  - { id: b, command: z }",
        "  - { id: c, command: w, needs: [{ step: a, on: always }] }",
      ),
    );
    expect(workflow?.steps.map((s) => [s.id, s.needs])).toEqual([
      ["a", []],
      ["recover", [{ step: "a", on: "failure" }]],
      ["b", [{ step: "a", on: "success" }]],
      [
        "c",
        [
          { step: "a", on: "always" },
          { step: "b", on: "success" },
        ],
      ],
    ]);
  });

  it("any declared dependency makes the workflow a DAG; success + failure edges from one step merge into always", () => {
    const { workflow } = parseYaml(
      lines(
        "name: d",
        "steps:",
        "  - { id: a, command: x, on_success: c, on_failure: c }",
        "  - { id: b, command: y }",
        "  - { id: c, command: z }",
      ),
    );
    expect(workflow?.steps.map((s) => s.needs)).toEqual([[], [], [{ step: "a", on: "always" }]]);
  });

  it("phases default to the steps' phases in order of first appearance", () => {
    const { workflow } = parseYaml(
      lines(
        "name: p",
        "steps:",
        "  - { id: a, phase: two, command: x }",
        "  - { id: b, command: x }",
        "  - { id: c, phase: one, command: x }",
        "  - { id: d, phase: two, command: x }",
      ),
    );
    expect(workflow?.phases).toEqual(["two", "one"]);
  });

  it("a key named __proto__ stays data", () => {
    const { workflow } = parseYaml(
      lines("name: p", "steps:", "  - id: a", "    command: x", "    __proto__: { polluted: true }"),
    );
    const config = workflow?.steps[0]?.config as Record<string, unknown>;
    expect(Object.getPrototypeOf(config)).toBe(Object.prototype);
    expect(Object.hasOwn(config, "__proto__")).toBe(true);
    expect(config.polluted).toBeUndefined();
  });
});
