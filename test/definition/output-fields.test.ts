/**
 * `weft validate` warns (WEFT_UNDECLARED_FIELD) when an expression reads a field of an agent step's output that
 * the step's outputSchema does not declare; without a schema there is nothing to check (the run checks it).
 */
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/core/json.js";
import { undeclaredField } from "../../src/definition/output-fields.js";
import { mustParse, parseYaml, warningsOf } from "./helpers.js";

const lines = (...l: string[]) => `${l.join("\n")}\n`;

/** A workflow whose `triage` step has `schema` (a flow mapping) and whose `assign` step has `condition`. */
const seed001 = (schema: string | undefined, condition: string, extra: string[] = []) =>
  lines(
    "workflow:", // 1
    '  name: "Bug Lifecycle"', // 2
    "  steps:", // 3
    '    - id: "triage"', // 4
    '      agent: "bug-triage-agent"', // 5
    "      inputs:", // 6
    '        bug_description: "{{input.bug_description}}"', // 7
    ...(schema === undefined ? ["      on_success: assign"] : [`      outputSchema: ${schema}`]), // 8
    '    - id: "assign"', // 9
    '      agent: "project-manager"', // 10
    "      inputs:", // 11
    '        bug_info: "{{steps.triage.output}}"', // 12
    `      condition: ${JSON.stringify(condition)}`, // 13
    "      needs: [triage]", // 14
    ...extra,
  );

const fieldWarnings = (text: string) =>
  warningsOf(parseYaml(text).issues)
    .filter((i) => i.code === "WEFT_UNDECLARED_FIELD")
    .map((i) => ({ at: `${i.location.line}:${i.location.column}`, message: i.message, hint: i.hint }));

describe("a condition reading a field the outputSchema does not declare", () => {
  it("warns at the field, naming both steps, the field and what is declared", () => {
    const schema = "{ type: object, properties: { priority: { type: integer }, summary: { type: string } } }";
    expect(fieldWarnings(seed001(schema, "{{steps.triage.output.severity}} > 3"))).toEqual([
      {
        at: "13:41",
        message:
          "step `assign` reads `steps.triage.output.severity` in `if`, but the outputSchema of `triage` does not declare `severity`, so the answer may not have it",
        hint: "it declares `priority` and `summary`; declare `severity` under its properties",
      },
    ]);
  });

  it("says the field is always missing under additionalProperties: false, with a did-you-mean", () => {
    const schema = "{ type: object, properties: { severity: { type: integer } }, additionalProperties: false }";
    const [w] = fieldWarnings(seed001(schema, "{{ steps.triage.output.severty }} > 3"));
    expect(w?.at).toBe("13:42");
    expect(w?.message).toMatch(/does not allow `severty` \(additionalProperties: false\), so it is always missing$/);
    expect(w?.hint).toMatch(/^did you mean `severity`\?/);
  });

  it("checks any expression, seed 003's step-id root and nested paths", () => {
    const schema =
      "{ type: object, properties: { details: { type: object, properties: { score: { type: number } }, additionalProperties: false } } }";
    const text = seed001(schema, "{{ triage.details.scor }} > 3", [
      '      prompt: "Fix {{ steps.triage.output.detail }}"',
    ]);
    expect(fieldWarnings(text).map((w) => [w.at, w.message])).toEqual([
      [
        "13:37",
        "step `assign` reads `triage.details.scor` in `if`, but the outputSchema of `triage` does not allow `scor` (additionalProperties: false), so it is always missing at `triage.details`",
      ],
      [
        "15:43",
        "step `assign` reads `steps.triage.output.detail` in `prompt`, but the outputSchema of `triage` does not declare `detail`, so the answer may not have it",
      ],
    ]);
  });

  it("is quiet when the field is declared, allowed by additionalProperties, or there is no schema", () => {
    const declared = "{ type: object, properties: { severity: { type: integer } }, required: [severity] }";
    const open = "{ type: object, properties: { a: {} }, additionalProperties: { type: integer } }";
    const quiet = [
      seed001(declared, "{{steps.triage.output.severity}} > 3"),
      seed001(open, "{{steps.triage.output.severity}} > 3"),
      seed001(undefined, "{{steps.triage.output.severity}} > 3"),
      seed001(declared, "steps.triage.status == 'completed' && steps.triage.output.severity > 1"),
    ];
    for (const text of quiet) {
      mustParse(parseYaml(text));
      expect(fieldWarnings(text)).toEqual([]);
    }
  });

  it("knows what weft adds: document_id, and { result, json } for a non-object schema", () => {
    const extra = ["      prompt: '{{ steps.triage.output.document_id }} {{ steps.triage.output.json.0 }}'"];
    const withDocument = seed001("{ type: array, items: { type: string } }", "{{steps.triage.output.result}} != ''", [
      ...extra,
    ]).replace("      outputSchema:", "      document: triage.md\n      outputSchema:");
    expect(fieldWarnings(withDocument)).toEqual([]);
    const wrong = seed001("{ type: array, items: { type: string } }", "{{steps.triage.output.severity}} > 3");
    expect(fieldWarnings(wrong)[0]?.message).toMatch(/does not allow `severity` \(additionalProperties: false\)/);
  });
});

describe("undeclaredField", () => {
  const obj = (properties: JsonObject, more: JsonObject = {}): JsonObject => ({ type: "object", properties, ...more });

  it.each<[string, JsonObject, string[], ReturnType<typeof undeclaredField>]>([
    ["declared", obj({ a: {} }), ["a"], undefined],
    ["undeclared", obj({ a: {} }), ["b"], { at: 0, declared: ["a"], why: "undeclared" }],
    ["closed", obj({ a: {} }, { additionalProperties: false }), ["b"], { at: 0, declared: ["a"], why: "closed" }],
    ["additionalProperties true", obj({ a: {} }, { additionalProperties: true }), ["b"], undefined],
    [
      "into additionalProperties",
      obj({}, { additionalProperties: obj({ x: {} }, { additionalProperties: false }) }),
      ["k", "y"],
      { at: 1, declared: ["x"], why: "closed" },
    ],
    [
      "a field of a string",
      obj({ a: { type: "string" } }),
      ["a", "b"],
      { at: 1, declared: [], why: { type: "string" } },
    ],
    [
      "an item of an array",
      obj({ a: { type: "array", items: obj({ x: {} }) } }),
      ["a", "0", "y"],
      { at: 2, declared: ["x"], why: "undeclared" },
    ],
    ["a declared item field", obj({ a: { type: "array", items: obj({ x: {} }) } }), ["a", "0", "x"], undefined],
    ["in an allOf branch", { allOf: [obj({ a: {} }), obj({ b: {} })] }, ["b"], undefined],
    [
      "in no anyOf branch",
      { anyOf: [obj({ a: {} }), obj({ b: {} })] },
      ["c"],
      { at: 0, declared: ["a", "b"], why: "undeclared" },
    ],
    ["behind a $ref", obj({ a: { $ref: "#/definitions/x" } }), ["a", "b"], undefined],
    ["patternProperties", obj({ a: {} }, { patternProperties: { "^x": {} } }), ["b"], undefined],
    ["a free-form object", { type: "object" }, ["anything"], undefined],
    ["nothing read", obj({ a: {} }), [], undefined],
  ])("%s", (_, schema, fields, expected) => {
    expect(undeclaredField(schema, fields, [])).toEqual(expected);
  });
});
