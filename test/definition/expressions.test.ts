import { describe, expect, it } from "vitest";
import { errorsOf, mustParse, parseYaml, warningsOf, where } from "./helpers.js";

const lines = (...l: string[]) => `${l.join("\n")}\n`;

describe("expression syntax errors are located in the file", () => {
  const text = lines(
    "name: e", // 1
    "steps:", // 2
    "  - id: a", // 3
    "    command: echo {{ args.x + }}", // 4  plain
    "  - id: b", // 5
    "    prompt: |", // 6  literal block
    "      first line", // 7
    "        indented {{ steps.a.output ) }}", // 8
    "  - id: c", // 9
    '    prompt: "tab\\there {{ 1 + }}"', // 10 double-quoted with an escape
    "  - id: d", // 11
    "    prompt: >", // 12 folded block
    "      folded text", // 13
    "      more {{ ) }}", // 14
    "  - id: e", // 15
    "    prompt: plain start", // 16 multi-line plain
    "      continued {{ ] }}", // 17
    "  - id: f", // 18
    "    type: noop", // 19
    "    if: '{{ steps.a.output }} >'", // 20 condition, single-quoted
    "  - id: g", // 21
    "    foreach: steps.a.output +", // 22 bare foreach expression
    "    command: x", // 23
    "  - id: h", // 24
    "    agent: x", // 25
    "    inputs:", // 26 nested config
    "      list: ['ok', 'also {{ (}}']", // 27
  );

  it("at the exact character for plain, block and quoted scalars", () => {
    const { workflow, issues } = parseYaml(text);
    expect(workflow).toBeUndefined();
    expect(where(issues)).toEqual([
      "4:31 WEFT_EXPRESSION",
      "8:36 WEFT_EXPRESSION",
      "10:31 WEFT_EXPRESSION",
      "14:15 WEFT_EXPRESSION",
      "17:20 WEFT_EXPRESSION",
      "20:32 WEFT_EXPRESSION",
      "22:30 WEFT_EXPRESSION",
      "27:30 WEFT_EXPRESSION",
    ]);
    expect(issues[0]?.message).toBe(
      "step `a`: invalid expression in `command`: expected a value, found the end of the expression",
    );
    expect(issues[0]?.hint).toContain("docs/workflow-syntax.md#expressions");
    expect(issues[5]?.message).toContain("invalid expression in `if`");
    expect(issues[6]?.message).toContain("invalid expression in `foreach`");
    expect(issues[7]?.message).toContain("invalid expression in `inputs.list[1]`");
  });
});

describe("expression roots", () => {
  it("args, input, context, steps.<id>, run, workflow, step ids and bare names without argsSchema are fine", () => {
    const { issues } = parseYaml(
      lines(
        "name: ok",
        "steps:",
        "  - id: first",
        "    command: echo {{ args.a }} {{ input.b }} {{ context.c }} {{ run.id }} {{ workflow.name }} {{ anything }}",
        "  - id: second",
        "    needs: first",
        "    prompt: '{{ steps.first.output }} {{ first.stdout }} {{ length(steps.first.output) }}'",
        "    if: steps.first.status == 'completed'",
      ),
    );
    expect(issues).toEqual([]);
  });

  it("with argsSchema properties, undeclared arguments are unknown roots", () => {
    const { issues } = parseYaml(
      lines(
        "name: args",
        "argsSchema:",
        "  type: object",
        "  properties:",
        "    environment: { type: string }",
        "steps:",
        "  - id: a",
        "    command: deploy {{ args.enviroment }} {{ environment }} {{ region }}",
      ),
    );
    expect(where(issues)).toEqual(["8:24 WEFT_UNKNOWN_ROOT", "8:64 WEFT_UNKNOWN_ROOT"]);
    expect(issues[0]?.message).toBe(
      "step `a` uses `args.enviroment`, but argsSchema declares no argument `enviroment`",
    );
    expect(issues[0]?.hint).toBe("did you mean `environment`?");
    expect(issues[1]?.message).toContain("`region`, which is not an argument in argsSchema, a step id, or one of");
  });

  it("steps.<id> must name a step", () => {
    const { issues } = parseYaml(
      lines(
        "name: s",
        "steps:",
        "  - id: build",
        "    command: x",
        "  - id: b",
        "    prompt: 'use {{ steps.biuld.output }}'",
      ),
    );
    expect(where(issues)).toEqual(["6:21 WEFT_UNKNOWN_REF"]);
    expect(issues[0]?.message).toBe("step `b` uses `steps.biuld` in `prompt`, but no step has the id `biuld`");
    expect(issues[0]?.hint).toBe("did you mean `build`?");
  });

  it("item and index only inside foreach steps, and not in the foreach list itself", () => {
    const { issues } = parseYaml(
      lines(
        "name: f",
        "steps:",
        "  - id: a",
        "    foreach: '{{ [1, 2, 3] }}'",
        "    command: echo {{ item }} {{ index }}",
        "  - id: b",
        "    command: echo {{ item }}",
        "  - id: c",
        "    foreach: item",
        "    command: x",
      ),
    );
    expect(where(issues)).toEqual(["7:22 WEFT_UNKNOWN_ROOT", "9:14 WEFT_UNKNOWN_ROOT"]);
    expect(issues[0]?.message).toBe("step `b` uses `item`, which is only defined in the steps of a `foreach`");
    expect(issues[1]?.hint).toBe(
      "a foreach step's `foreach` and `if` are evaluated once, before its items exist; use `item` in its other settings",
    );
  });

  it("using a step's output without depending on it is a warning", () => {
    const { workflow, issues } = parseYaml(
      lines(
        "name: w",
        "steps:",
        "  - id: a",
        "    command: x",
        "    needs: []",
        "  - id: b",
        "    command: echo {{ steps.a.output }}",
      ),
    );
    expect(workflow).toBeDefined();
    expect(errorsOf(issues)).toEqual([]);
    expect(where(warningsOf(issues))).toEqual(["7:22 WEFT_UNKNOWN_REF"]);
    expect(issues[0]?.hint).toBe("add `a` to the needs of `b`");
  });

  it("conditions with braces (seed 001) are parsed as references", () => {
    const wf = mustParse(
      parseYaml(
        lines(
          "name: c",
          "steps:",
          "  - id: triage",
          "    agent: t",
          "    on_success: assign",
          "  - id: assign",
          "    agent: pm",
          '    condition: "{{steps.triage.output.severity}} > 3"',
        ),
      ),
    );
    expect(wf.steps[1]?.if).toBe("{{steps.triage.output.severity}} > 3");
    const bad = parseYaml(
      lines("name: c", "steps:", "  - id: a", "    agent: t", '    condition: "{{steps.nope.output}} > 3"'),
    );
    expect(where(bad.issues)).toEqual(["5:19 WEFT_UNKNOWN_REF"]);
  });
});
