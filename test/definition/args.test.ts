import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Workflow } from "../../src/core/model.js";
import { fieldOfArgPath } from "../../src/definition/args.js";
import { validateArgs } from "../../src/definition/index.js";
import { fixtureDir, mustParse, parseFile, parseYaml, seedDir } from "./helpers.js";

const pipeline = () => mustParse(parseFile(path.join(seedDir, "simple-pipeline.yaml")));

describe("validateArgs", () => {
  it("accepts valid args and returns a copy", () => {
    const args = { environment: "dev" };
    const result = validateArgs(pipeline(), args);
    expect(result.issues).toEqual([]);
    expect(result.args).toEqual({ environment: "dev" });
    expect(result.args).not.toBe(args);
  });

  it("missing required argument", () => {
    const { issues } = validateArgs(pipeline(), {}, "cli");
    expect(issues).toEqual([
      {
        code: "WEFT_ARGS",
        severity: "error",
        message: "args.environment is required",
        hint: "pass a value for `environment`",
        location: { file: "cli", line: 1, column: 1 },
        field: "environment",
      },
    ]);
  });

  it("wrong enum value", () => {
    const { issues } = validateArgs(pipeline(), { environment: "prod" });
    expect(issues.map((i) => i.message)).toEqual([
      'args.environment must be one of dev, staging, production, got the string "prod"',
    ]);
    expect(issues[0]?.hint).toBe("use one of: dev, staging, production");
  });

  it("wrong type, nested paths, every error at once", () => {
    const wf = mustParse(parseFile(path.join(fixtureDir, "canonical/full.yaml")));
    const { issues } = validateArgs(wf, { topic: 42, channels: ["email", "fax"] });
    expect(issues.map((i) => i.message)).toEqual([
      "args.topic must be string, got the number 42",
      'args.channels[1] must be one of email, social, web, got the string "fax"',
    ]);
    // Each names its field, so that a form shows the message there.
    expect(issues.map((i) => i.field)).toEqual(["topic", "channels[1]"]);
  });

  it("names the field of nested, unknown and oddly named arguments; none for the args as a whole", () => {
    const wf = {
      ...pipeline(),
      argsSchema: {
        type: "object",
        additionalProperties: false,
        properties: {
          environment: { type: "string" },
          brand: { type: "object", required: ["voice"], properties: { voice: { type: "string" } } },
          "odd key": { type: "number" },
        },
      },
    };
    const { issues } = validateArgs(wf, { environment: "dev", brand: {}, "odd key": "x", extra: 1 });
    expect(issues.map((i) => i.field).sort()).toEqual(['["odd key"]', "brand.voice", "extra"]);
    expect(validateArgs(wf, [] as never).issues[0]?.field).toBeUndefined();
    expect(fieldOfArgPath("args")).toBeUndefined();
    expect(fieldOfArgPath("args.a[0].b")).toBe("a[0].b");
  });

  it("args must be a JSON object", () => {
    for (const bad of [null, [], "env=dev", 3]) {
      const { issues } = validateArgs(pipeline(), bad as never);
      expect(issues).toHaveLength(1);
      expect(issues[0]?.code).toBe("WEFT_ARGS");
      expect(issues[0]?.message).toMatch(/^args must be an object/);
    }
  });

  it("applies schema defaults to the copy, not to the input", () => {
    const wf = mustParse(parseFile(path.join(fixtureDir, "canonical/full.yaml")));
    const input = { topic: "launch" };
    const { args, issues } = validateArgs(wf, input);
    expect(issues).toEqual([]);
    expect(args).toEqual({ topic: "launch", channels: ["email", "social"], dryRun: false });
    expect(input).toEqual({ topic: "launch" });
  });

  it("formats, additionalProperties, 2020-12 schemas", () => {
    const wf = mustParse(
      parseYaml(
        [
          "name: f",
          "argsSchema:",
          "  $schema: https://json-schema.org/draft/2020-12/schema",
          "  type: object",
          "  properties:",
          "    email: { type: string, format: email }",
          "  additionalProperties: false",
          "steps: [{ id: a, command: x }]",
        ].join("\n"),
      ),
    );
    const { issues } = validateArgs(wf, { email: "not-an-email", extra: 1 });
    expect(issues.map((i) => i.message).sort()).toEqual([
      "args has an unknown argument `extra`",
      'args.email must match format "email"',
    ]);
  });

  it("a workflow without argsSchema accepts any object", () => {
    const wf: Workflow = { name: "n", tags: [], phases: [], steps: [] };
    expect(validateArgs(wf, { anything: [1, 2] })).toEqual({ args: { anything: [1, 2] }, issues: [] });
  });
});
