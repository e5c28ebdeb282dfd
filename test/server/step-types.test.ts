import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { SEED000_NODE_TYPES } from "../../src/definition/dialects/seed000-nodes.js";
import { parseWorkflow } from "../../src/definition/index.js";
import { stepTypesSchema } from "../../src/server/schemas.js";
import { builtinStepTypes, defineStepType, type StepFunction, type StepType } from "../../src/steps/index.js";
import { body, type Json, type ServerEnv, serverEnv } from "./helpers.js";

let s: ServerEnv | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const registry = (types: StepType[]) => new Map(types.map((t) => [t.type, t]));

async function stepTypes(deps: Parameters<typeof serverEnv>[0] = {}): Promise<z.infer<typeof stepTypesSchema>> {
  s = await serverEnv(deps);
  const res = await s.app.inject({ url: "/api/step-types" });
  expect(res.statusCode, res.body).toBe(200);
  return stepTypesSchema.parse(body(res).data);
}

const byType = (view: z.infer<typeof stepTypesSchema>) => new Map(view.types.map((t) => [t.type, t]));

/** A config the engine accepts for each built-in type, as a workflow would carry it. */
const SAMPLES: Record<string, Json> = {
  agent: { agent: "writer", prompt: "Write {{ args.topic }}", temperature: 0.7, permission: "plan" },
  script: { command: "echo hi", env: { A: "1" }, network: false },
  approval: { message: "Ship it?", timeout: "1h", onTimeout: "approve" },
  sleep: { duration: "5s" },
  noop: { output: { ok: true } },
  image: { agent: "designer", prompt: "A lighthouse", count: 2, size: "16:9", style: "watercolour" },
  attach: { documents: "{{ steps.a.output }}", images: ["img-1"], strategy: "one-to-many" },
  function: { function: "greet", input: { name: "Ada" } },
};

interface ObjectSchema {
  type: string;
  properties: Record<string, { type?: string | string[]; enum?: unknown[] }>;
  required?: string[];
  additionalProperties?: boolean;
}

/** What a JSON Schema says of a value's JSON type, checked without a validator: only `type` and `enum`. */
function fits(prop: { type?: string | string[]; enum?: unknown[] }, value: unknown): boolean {
  if (prop.enum && !prop.enum.includes(value)) return false;
  if (prop.type === undefined) return true;
  const kind = Array.isArray(value)
    ? "array"
    : value === null
      ? "null"
      : Number.isInteger(value)
        ? "integer"
        : typeof value;
  const types = Array.isArray(prop.type) ? prop.type : [prop.type];
  return types.some((t) => t === kind || (t === "number" && kind === "integer"));
}

describe("GET /api/step-types", () => {
  it("lists every built-in type a palette can use, with titles, descriptions and inference keys", async () => {
    const view = await stepTypes();
    const types = byType(view);
    // `function` is registered but no function is: nothing a step could call, so it is not offered.
    expect([...types.keys()].sort()).toEqual(["agent", "approval", "attach", "image", "noop", "script", "sleep"]);
    for (const t of view.types) {
      expect(t.builtin, t.type).toBe(true);
      expect(t.title, t.type).not.toBe(t.type);
      expect(t.description.length, t.type).toBeGreaterThan(20);
      expect(t.config_schema.type, t.type).toBe("object");
    }
    expect(types.get("agent")?.title).toBe("Agent");
    expect(types.get("agent")?.inferred_from).toEqual(["agent", "prompt"]);
    expect(types.get("script")?.inferred_from).toEqual(["command"]);
    expect(types.get("approval")?.inferred_from).toEqual([]);
    // A client taking the first type whose keys a step has must agree with the engine: a step with both
    // `command` and `prompt` is a script.
    const firstInferable = view.types.find((t) => ["command", "prompt"].some((k) => t.inferred_from.includes(k)));
    expect(firstInferable?.type).toBe("script");
  });

  it("the agent schema has `prompt`, `agent` required, and no way to add unknown keys", async () => {
    const agent = byType(await stepTypes()).get("agent")?.config_schema as unknown as ObjectSchema;
    expect(agent.properties.prompt).toEqual({ type: "string", description: "The prompt (a template)." });
    expect(agent.properties.temperature).toMatchObject({ type: "number", minimum: 0, maximum: 2 });
    expect(agent.required).toEqual(["agent"]);
    expect(agent.additionalProperties).toBe(false);
    // A z.custom check (outputSchema, inputs) has no JSON Schema: only what its `.meta()` says, not the check.
    expect(agent.properties.outputSchema).toEqual({
      type: "object",
      description: "JSON Schema the agent's answer must match; the parsed JSON becomes the step's output.",
    });
  });

  it("each schema describes what the engine accepts: a sample config fits it, a key outside it is refused", async () => {
    const functions = new Map([["greet", () => "hi"]]);
    const view = await stepTypes({ stepTypes: registry(builtinStepTypes({ functions })) });
    const engineTypes = registry(builtinStepTypes({ functions }));
    expect(view.types.map((t) => t.type).sort()).toEqual(Object.keys(SAMPLES).sort());
    for (const t of view.types) {
      const schema = t.config_schema as unknown as ObjectSchema;
      const sample = SAMPLES[t.type] as Record<string, Json>;
      // The engine accepts the sample…
      const zodSchema = engineTypes.get(t.type)?.configSchema as z.ZodType;
      expect(zodSchema.safeParse(sample).success, t.type).toBe(true);
      // …and the JSON Schema agrees key by key: every key is a property whose type and enum admit the value,
      // every required key is there.
      for (const [key, value] of Object.entries(sample)) {
        const prop = schema.properties[key];
        expect(prop, `${t.type}.${key}`).toBeDefined();
        expect(fits(prop as ObjectSchema["properties"][string], value), `${t.type}.${key}`).toBe(true);
      }
      for (const key of schema.required ?? []) expect(Object.keys(sample), t.type).toContain(key);
      // Enums: the JSON Schema's values are exactly what the engine takes.
      for (const [key, prop] of Object.entries(schema.properties)) {
        if (!prop.enum) continue;
        for (const value of prop.enum) expect(zodSchema.safeParse({ ...sample, [key]: value }).success).toBe(true);
        expect(zodSchema.safeParse({ ...sample, [key]: "not-one-of-them" }).success, `${t.type}.${key}`).toBe(false);
      }
      // No extra keys, in either.
      expect(schema.additionalProperties, t.type).toBe(false);
      expect(zodSchema.safeParse({ ...sample, surplus: 1 }).success, t.type).toBe(false);
    }
  });

  it("a registered function step type shows up, naming its functions; a plugin's type too", async () => {
    const functions = new Map<string, StepFunction>([
      ["greet", () => "hi"],
      ["add", () => 2],
    ]);
    const plugin = defineStepType({
      type: "slack",
      configSchema: z.strictObject({ channel: z.string(), payload: z.custom<unknown>(() => true) }),
      async run() {
        return { kind: "completed", output: null };
      },
    });
    const types = byType(
      await stepTypes({ stepTypes: registry([...builtinStepTypes({ functions }), plugin as StepType]) }),
    );
    expect(types.get("function")).toMatchObject({
      title: "Function",
      builtin: true,
      inferred_from: ["function"],
      description: expect.stringContaining("add, greet"),
    });
    expect(types.get("function")?.config_schema).toMatchObject({ required: ["function"] });
    const slack = types.get("slack");
    expect(slack).toMatchObject({ title: "slack", description: "", builtin: false, inferred_from: [] });
    expect(slack?.config_schema).toMatchObject({ properties: { channel: { type: "string" }, payload: {} } });
  });

  it("node_types is seed 000's table: each maps to a listed type with a config that type accepts", async () => {
    const view = await stepTypes();
    expect(view.node_types.map((n) => n.name)).toEqual([
      "generate_copy",
      "generate_image",
      "attach_to_document",
      "review",
      "conditional",
      "parallel",
      "merge",
    ]);
    expect(view.node_types.map((n) => n.name)).toEqual(SEED000_NODE_TYPES.map((n) => n.name));
    const types = byType(view);
    const engineTypes = registry(builtinStepTypes());
    for (const n of view.node_types) {
      expect(types.has(n.type), n.name).toBe(true);
      if (n.type === "attach") continue; // its documents and images come from the node's edges
      // The preset, as a step of a workflow, validates against the registered type.
      const step = JSON.stringify({ id: "s", type: n.type, ...n.config });
      const { issues } = parseWorkflow(`{"name":"w","steps":[${step}]}`, { file: "w.json", stepTypes: engineTypes });
      expect(issues, n.name).toEqual([]);
    }
    expect(view.node_types.find((n) => n.name === "review")).toMatchObject({ type: "approval", label: "Review" });
  });

  it("needs a token once tokens exist", async () => {
    s = await serverEnv({ apiTokens: ["weft_admin-secret-for-tests-0000000000"] });
    expect((await s.app.inject({ url: "/api/step-types" })).statusCode).toBe(401);
  });
});
