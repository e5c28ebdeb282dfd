import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { workflowHash } from "../../src/definition/index.js";
import { errorsOf, mustParse, parseYaml, repoRoot, warningsOf, where } from "./helpers.js";

const CANONICAL = `name: ui
steps:
  - id: plan
    command: echo plan
  - id: build
    needs: [plan]
    command: echo build
`;

const withUi = (text: string, ui: string) => `${text}${ui}`;

describe("the `ui:` block", () => {
  it("is accepted and left out of the workflow: moving a node does not change the hash", () => {
    const plain = mustParse(parseYaml(CANONICAL));
    const here = parseYaml(
      withUi(CANONICAL, "ui:\n  positions:\n    plan: { x: 0, y: 0 }\n    build: { x: 240, y: 0 }\n"),
    );
    const there = parseYaml(
      withUi(CANONICAL, "ui:\n  positions:\n    plan: { x: -80.5, y: 12 }\n    build: { x: 9, y: 300 }\n"),
    );
    expect(here.issues).toEqual([]);
    expect(there.issues).toEqual([]);
    expect(workflowHash(mustParse(here))).toBe(workflowHash(plain));
    expect(workflowHash(mustParse(there))).toBe(workflowHash(plain));
    expect(mustParse(here)).not.toHaveProperty("ui");
    // An empty block, and one with no positions, are fine too.
    expect(parseYaml(withUi(CANONICAL, "ui: {}\n")).issues).toEqual([]);
    expect(parseYaml(withUi(CANONICAL, "ui: { positions: {} }\n")).issues).toEqual([]);
  });

  it("does not change a file's dialect, and seed 001 may keep it beside `workflow:` or inside it", () => {
    const seed002 = "name: s\nsteps:\n  - id: a\n    command: echo a\n";
    const positioned = mustParse(parseYaml(`${seed002}ui: { positions: { a: { x: 1, y: 2 } } }\n`));
    expect(positioned.source?.dialect).toBe("seed-002");
    expect(workflowHash(positioned)).toBe(workflowHash(mustParse(parseYaml(seed002))));

    const seed001 = 'workflow:\n  name: s\n  steps:\n    - id: a\n      agent: dev\n      prompt: "hi"\n';
    const beside = parseYaml(`${seed001}ui: { positions: { a: { x: 1, y: 2 } } }\n`);
    const inside = parseYaml(`${seed001}  ui: { positions: { a: { x: 5, y: 5 } } }\n`);
    expect(beside.issues).toEqual([]);
    expect(inside.issues).toEqual([]);
    expect(mustParse(beside).source?.dialect).toBe("seed-001");
    expect(workflowHash(mustParse(beside))).toBe(workflowHash(mustParse(inside)));
    const both = parseYaml(`${seed001}  ui: {}\nui: {}\n`);
    expect(where(errorsOf(both.issues))).toEqual(["7:3 WEFT_SCHEMA"]);

    const seed003 = "name: s\nconfig: { maxRetries: 1 }\nsteps:\n  - key: a\n    agent: dev\n    prompt: hi\n";
    const s3 = mustParse(parseYaml(`${seed003}ui: { positions: { a: { x: 1, y: 2 } } }\n`));
    expect(s3.source?.dialect).toBe("seed-003");
    expect(workflowHash(s3)).toBe(workflowHash(mustParse(parseYaml(seed003))));
  });

  it("in JSON too", () => {
    const json = JSON.stringify({
      name: "j",
      steps: [{ id: "a", command: "echo a" }],
      ui: { positions: { a: { x: 10, y: 20 } } },
    });
    const r = parseYaml(json, { file: "wf.json" });
    expect(r.issues).toEqual([]);
    expect(workflowHash(mustParse(r))).toBe(
      workflowHash(mustParse(parseYaml(JSON.stringify({ name: "j", steps: [{ id: "a", command: "echo a" }] })))),
    );
  });

  it("bad values are errors at their line and column", () => {
    const r = parseYaml(
      withUi(
        CANONICAL,
        [
          "ui:",
          "  zoom: 2", // 9
          "  positions:",
          '    plan: { x: "left", y: 0 }', // 11
          "    build: { x: 1 }", // 12
          "    other: [1, 2]", // 13
          "    more: { x: 1, y: 2, z: 3 }", // 14
          "",
        ].join("\n"),
      ),
    );
    expect(r.workflow).toBeUndefined();
    expect(where(errorsOf(r.issues))).toEqual([
      "9:3 WEFT_SCHEMA",
      "11:16 WEFT_SCHEMA",
      "12:12 WEFT_SCHEMA",
      "13:12 WEFT_SCHEMA",
      "14:25 WEFT_SCHEMA",
    ]);
    const messages = errorsOf(r.issues).map((i) => i.message);
    expect(messages[0]).toContain("unknown key `zoom` in `ui`");
    expect(messages[1]).toBe('`x` must be a number, got the string "left"');
    expect(messages[2]).toBe("the position has no `y`");
    expect(messages[3]).toContain("must be a mapping");
    expect(messages[4]).toContain("unknown key `z` in a position");
    // `positions` itself must be a mapping; so must `ui`.
    expect(where(errorsOf(parseYaml(withUi(CANONICAL, "ui:\n  positions: [plan]\n")).issues))).toEqual([
      "9:14 WEFT_SCHEMA",
    ]);
    expect(where(errorsOf(parseYaml(withUi(CANONICAL, "ui: true\n")).issues))).toEqual(["8:5 WEFT_SCHEMA"]);
  });

  it("a position of no step is a warning at its key, with a did-you-mean", () => {
    const r = parseYaml(withUi(CANONICAL, "ui:\n  positions:\n    plan: { x: 0, y: 0 }\n    biuld: { x: 1, y: 1 }\n"));
    expect(errorsOf(r.issues)).toEqual([]);
    expect(r.workflow).toBeDefined();
    const [warning] = warningsOf(r.issues);
    expect(where(warningsOf(r.issues))).toEqual(["11:5 WEFT_UNKNOWN_REF"]);
    expect(warning?.message).toBe("`ui.positions` has a position for `biuld`, but no step has that id");
    expect(warning?.hint).toBe("did you mean `build`?");
  });

  it("is described by schema/workflow.schema.json for editors", () => {
    const schema = JSON.parse(readFileSync(path.join(repoRoot, "schema/workflow.schema.json"), "utf8"));
    const validate = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true }).compile(schema);
    const wf = (ui: unknown) => ({ name: "x", steps: [{ id: "a", command: "echo" }], ui });
    expect(validate(wf({ positions: { a: { x: 1, y: -2.5 } } }))).toBe(true);
    expect(validate(wf({ positions: { a: { x: "1", y: 2 } } }))).toBe(false);
    expect(validate(wf({ positions: { a: { x: 1 } } }))).toBe(false);
    expect(validate(wf({ zoom: 2 }))).toBe(false);
  });
});
