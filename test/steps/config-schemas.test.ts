/**
 * A step type's config has one definition, its zod schema; everything else is derived from it. Here: the registry
 * holds every built-in with that schema and refuses a second type of one name (also in the engine); every built-in
 * appears in each derived artefact (the JSON Schema, GET /api/step-types, schema/workflow.schema.json, the readers'
 * name and setting lists; the TypeScript types: step-configs.test-d.ts); and the derived JSON Schema accepts and
 * refuses the same configs as the zod schema, but for the refinements JSON Schema cannot say (the last table).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, describe, expect, it } from "vitest";
import { WeftError } from "../../src/core/errors.js";
import type { Workflow } from "../../src/core/model.js";
import { BUILTIN_STEP_TYPES, KNOWN_CONFIG_KEYS } from "../../src/definition/dialects/keys.js";
import { configJsonSchema, parseWorkflow } from "../../src/definition/index.js";
import { stepTypesSchema } from "../../src/server/schemas.js";
import {
  BUILTIN_STEP_TYPE_NAMES,
  type BuiltinStepTypeName,
  builtinConfigSchemas,
  builtinStepTypes,
} from "../../src/steps/builtin.js";
import { noopStepType } from "../../src/steps/noop/index.js";
import { createStepTypeRegistry } from "../../src/steps/registry.js";
import { defineStepType } from "../../src/steps/step-type.js";
import { type TestEnv, testEnv } from "../helpers/engine.js";
import { body, type ServerEnv, serverEnv } from "../server/helpers.js";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const ALL = ["agent", "approval", "attach", "function", "image", "noop", "script", "sleep"];

/** A plugin's step type named `type`, with noop's config and handler. */
const plugin = (type: string) =>
  defineStepType({ type, configSchema: noopStepType.configSchema, run: noopStepType.run });

describe("the step-type registry", () => {
  it("holds every built-in, each with its schema from builtinConfigSchemas, then the plugins", () => {
    const registry = createStepTypeRegistry({ stepTypes: [plugin("slack-post")] });
    expect([...registry.keys()]).toEqual([...BUILTIN_STEP_TYPE_NAMES, "slack-post"]);
    expect([...BUILTIN_STEP_TYPE_NAMES].sort()).toEqual(ALL);
    for (const name of BUILTIN_STEP_TYPE_NAMES) {
      expect(registry.get(name)?.type).toBe(name);
      expect(registry.get(name)?.configSchema, name).toBe(builtinConfigSchemas[name]);
    }
    expect(builtinStepTypes().map((t) => t.type)).toEqual(BUILTIN_STEP_TYPE_NAMES);
  });

  it("refuses a plugin named like a built-in, or like another plugin, naming the type", () => {
    for (const stepTypes of [[plugin("image")], [plugin("slack-post"), plugin("slack-post")]]) {
      const name = stepTypes[0]?.type;
      expect(() => createStepTypeRegistry({ stepTypes })).toThrow(`two step types are named "${name}"`);
      expect(() => createStepTypeRegistry({ stepTypes })).toThrow(WeftError);
    }
  });

  describe("in the engine", () => {
    let env: TestEnv | undefined;
    afterEach(async () => {
      await env?.cleanup();
      env = undefined;
    });

    it("refuses a plugin named like a built-in", () => {
      env = testEnv();
      expect(() => env?.other({ stepTypes: [plugin("attach")] })).toThrow(/two step types are named "attach"/);
    });

    it("runs a plugin's step, from a workflow validated with a registry built the same way", async () => {
      const stepTypes = [plugin("relay")];
      const yaml = "name: p\nsteps:\n  - id: r\n    type: relay\n    output: hi\n";
      const { workflow, issues } = parseWorkflow(yaml, {
        file: "p.yaml",
        stepTypes: createStepTypeRegistry({ stepTypes }),
      });
      expect(issues).toEqual([]);
      env = testEnv({ stepTypes });
      const { run } = await env.engine.launch(workflow as Workflow);
      expect((await env.engine.execute(run.id)).status).toBe("completed");
      expect((await env.engine.steps(run.id)).map((s) => [s.stepId, s.output])).toEqual([["r", "hi"]]);
    });
  });
});

describe("every built-in type is in each derived artefact", () => {
  let s: ServerEnv | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it("the JSON Schema of its config is an object schema with its settings", () => {
    for (const name of BUILTIN_STEP_TYPE_NAMES) {
      const schema = configJsonSchema(builtinConfigSchemas[name]);
      expect(schema.type, name).toBe("object");
      expect(Object.keys(schema.properties as object).length, name).toBeGreaterThan(0);
    }
  });

  it("GET /api/step-types lists each with that JSON Schema (function once a function is registered)", async () => {
    s = await serverEnv({ stepTypes: createStepTypeRegistry({ functions: new Map([["f", () => 1]]) }) });
    const res = await s.app.inject({ url: "/api/step-types" });
    expect(res.statusCode, res.body).toBe(200);
    const view = stepTypesSchema.parse(body(res).data);
    expect(view.types.map((t) => t.type).sort()).toEqual(ALL);
    for (const t of view.types) {
      expect(t.builtin, t.type).toBe(true);
      expect(t.config_schema, t.type).toEqual(configJsonSchema(builtinConfigSchemas[t.type as BuiltinStepTypeName]));
    }
  });

  it("schema/workflow.schema.json has each one's config and type", () => {
    const workflow = JSON.parse(readFileSync(path.join(repoRoot, "schema/workflow.schema.json"), "utf8"));
    const defs = Object.keys(workflow.$defs).filter((k) => k.startsWith("config-"));
    expect(defs.sort()).toEqual(ALL.map((t) => `config-${t}`));
    for (const name of BUILTIN_STEP_TYPE_NAMES) {
      const { $schema: _, additionalProperties: __, ...derived } = configJsonSchema(builtinConfigSchemas[name]);
      expect(workflow.$defs[`config-${name}`].properties, name).toEqual(derived.properties);
    }
  });

  it("the readers' lists: every built-in name, and every setting of every built-in", () => {
    expect([...BUILTIN_STEP_TYPES].sort()).toEqual(ALL);
    const settings = BUILTIN_STEP_TYPE_NAMES.flatMap((name) =>
      Object.keys(configJsonSchema(builtinConfigSchemas[name]).properties as object),
    );
    expect([...KNOWN_CONFIG_KEYS].sort()).toEqual([...new Set(settings)].sort());
  });
});

const agent = { agent: "writer", prompt: "Write." };
const image = { agent: "artist", prompt: "A fox" };
const attach = { documents: "d1", images: ["i1"] };

/** [type, config, both the zod schema and its JSON Schema accept it]. */
const AGREE: [BuiltinStepTypeName, Record<string, unknown>, boolean][] = [
  ["agent", agent, true],
  ["agent", { agent: "writer", inputs: { topic: "x" } }, true],
  ["agent", { agent: "writer" }, false],
  ["agent", { prompt: "Write." }, false],
  ["agent", { ...agent, agent: "" }, false],
  ["agent", { ...agent, temperature: 2 }, true],
  ["agent", { ...agent, temperature: 2.5 }, false],
  ["agent", { ...agent, maxTokens: 1.5 }, false],
  ["agent", { ...agent, permission: "plan" }, true],
  ["agent", { ...agent, permission: "yolo" }, false],
  ["agent", { ...agent, documents: ["d1", "d2"] }, true],
  ["agent", { ...agent, repairs: 6 }, false],
  ["agent", { ...agent, fallback: [] }, false],
  ["agent", { ...agent, budget: { costUsd: 1, onExceed: "pause" } }, true],
  ["agent", { ...agent, budget: { on_exceed: "pause" } }, false],
  ["agent", { ...agent, budget: { tokens: 0 } }, false],
  ["agent", { ...agent, outputSchema: { type: "object" } }, true],
  ["agent", { ...agent, promt: "x" }, false],
  ["script", { command: "echo hi" }, true],
  ["script", { command: "" }, false],
  ["script", { cwd: "/tmp" }, false],
  ["script", { command: "x", env: { A: "1" }, shell: "/bin/bash", network: true }, true],
  ["script", { command: "x", env: { A: 1 } }, false],
  ["script", { command: "x", network: "yes" }, false],
  ["script", { command: "x", shell: "" }, false],
  ["approval", {}, true],
  ["approval", { message: "Ship?", timeout: "1h", onTimeout: "approve" }, true],
  ["approval", { timeout: "{{ args.wait }}" }, true],
  ["approval", { timeout: "soon" }, false],
  ["approval", { timeout: -1 }, false],
  ["approval", { onTimeout: "maybe" }, false],
  ["sleep", { duration: "5s" }, true],
  ["sleep", { duration: 500 }, true],
  ["sleep", { until: "2030-01-01T00:00:00Z" }, true],
  ["sleep", {}, false],
  ["sleep", { duration: "5s", until: "2030-01-01T00:00:00Z" }, false],
  ["sleep", { duration: "soon" }, false],
  ["sleep", { until: "" }, false],
  ["noop", {}, true],
  ["noop", { output: { ok: [1, null] } }, true],
  ["noop", { output: "x", extra: 1 }, false],
  ["function", { function: "greet", input: { name: "Ada" } }, true],
  ["function", { function: "" }, false],
  ["function", { input: 1 }, false],
  ["image", image, true],
  ["image", { ...image, count: 10, size: "16:9", style: "ink", quality: "high", filename: "fox", model: "m" }, true],
  ["image", { ...image, count: "{{ args.n }}" }, true],
  ["image", { ...image, count: 11 }, false],
  ["image", { ...image, count: 1.5 }, false],
  ["image", { ...image, count: "3" }, false],
  ["image", { ...image, filename: "a/b" }, false],
  ["image", { agent: "artist" }, false],
  ["image", { ...image, prompt: "" }, false],
  ["attach", attach, true],
  ["attach", { ...attach, strategy: "one-to-many", primary: "first" }, true],
  ["attach", { ...attach, documents: [] }, false],
  ["attach", { ...attach, strategy: "all" }, false],
  ["attach", { ...attach, primary: "" }, false],
  ["attach", { documents: "d1" }, false],
];

/** What only the zod schema refuses: refinements its JSON Schema cannot say (`weft validate` checks them). */
const ZOD_ONLY: [BuiltinStepTypeName, Record<string, unknown>][] = [
  ["agent", { ...agent, outputSchema: { type: "nope" } }],
  ["script", { command: "unset {{ args.name }}" }],
  ["script", { command: "x", env: { "1A": "x" } }],
  ["image", { ...image, prompt: "  " }],
  ["image", { ...image, size: "huge" }],
  ["attach", { ...attach, documents: " " }],
];

const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true, allowUnionTypes: true });
const validators = new Map(
  BUILTIN_STEP_TYPE_NAMES.map((name) => [name, ajv.compile(configJsonSchema(builtinConfigSchemas[name]))]),
);
const zodAccepts = (type: BuiltinStepTypeName, config: unknown) => builtinConfigSchemas[type].safeParse(config).success;
const jsonSchemaAccepts = (type: BuiltinStepTypeName, config: unknown) => validators.get(type)?.(config) === true;

describe("the derived JSON Schema and the zod schema agree", () => {
  it("every built-in type has cases accepted and refused", () => {
    for (const name of BUILTIN_STEP_TYPE_NAMES) {
      expect(
        AGREE.some(([t, , ok]) => t === name && ok),
        name,
      ).toBe(true);
      expect(
        AGREE.some(([t, , ok]) => t === name && !ok),
        name,
      ).toBe(true);
    }
  });

  it.each(AGREE)("%s %j: accepted %s by both", (type, config, ok) => {
    expect(zodAccepts(type, config)).toBe(ok);
    expect(jsonSchemaAccepts(type, config)).toBe(ok);
  });

  it.each(ZOD_ONLY)("%s %j: refused by zod only", (type, config) => {
    expect(zodAccepts(type, config)).toBe(false);
    expect(jsonSchemaAccepts(type, config)).toBe(true);
  });
});
