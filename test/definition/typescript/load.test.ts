// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow source text written as strings
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { isTsWorkflow, StepFailedError } from "../../../src/definition/typescript/define.js";
import { parseArgsWithZod } from "../../../src/definition/typescript/model.js";
import { builtinStepTypes, stepTypeRegistry } from "../../../src/steps/index.js";
import { seedDir } from "../helpers.js";
import { cacheDir, load, loadIssues, removeTempDirs, tempDir, where } from "./helpers.js";

const wf = (lines: string[]) => `${lines.join("\n")}\n`;

describe("loadTypeScriptWorkflow", () => {
  it("loads the seed's implement-feature.ts as it is", async () => {
    const file = path.join(seedDir, "implement-feature.ts");
    const { definition, workflow, warnings } = await load(file);
    expect(isTsWorkflow(definition)).toBe(true);
    expect(typeof definition.execute).toBe("function");
    expect(warnings).toEqual([]);
    expect(workflow).toMatchObject({
      name: "Implement Feature",
      description: "Research, plan, implement, and test a new feature",
      phases: ["research", "plan", "implement", "test"],
      source: {
        file,
        format: "ts",
        dialect: "typescript",
        sourceHash: createHash("sha256").update(readFileSync(file, "utf8")).digest("hex"),
      },
    });
    expect(workflow.argsSchema).toEqual({
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "object",
      properties: { featureName: { type: "string" }, requirements: { type: "string" } },
      required: ["featureName", "requirements"],
    });
    expect(workflow.steps.map((s) => `${s.id} ${s.type} ${s.phase}`)).toEqual([
      "research-codebase agent research",
      "create-spec agent plan",
      "implement agent implement",
      "run-tests script test",
      "build script test",
    ]);
    expect(workflow.steps.map((s) => s.needs.map((d) => d.step))).toEqual([
      [],
      ["research-codebase"],
      ["create-spec"],
      ["implement"],
      ["run-tests"],
    ]);
  });

  it("resolves weftflow and zod for a file in a folder with no node_modules, to this package's own modules", async () => {
    const dir = tempDir({
      "wf.ts": wf([
        'import { defineWorkflow, StepFailedError } from "weftflow";',
        'import { z } from "zod";',
        "(globalThis as Record<string, unknown>).__weftSeen = { StepFailedError, z };",
        "export default defineWorkflow({",
        '  name: "standalone",',
        "  argsSchema: z.object({ who: z.string(), times: z.number().int().default(1) }),",
        "  async execute(ctx) {",
        '    await ctx.step("greet", { command: `echo ${ctx.args.who}` });',
        "  },",
        "});",
      ]),
    });
    const { definition, workflow } = await load(path.join(dir, "wf.ts"));
    const seen = (globalThis as Record<string, unknown>).__weftSeen as { StepFailedError: unknown; z: unknown };
    expect(seen.StepFailedError).toBe(StepFailedError);
    expect(seen.z).toBe(z);
    expect(workflow.argsSchema).toMatchObject({ required: ["who"], properties: { times: { default: 1 } } });
    expect(workflow.steps.map((s) => [s.id, s.config.command])).toEqual([["greet", "echo ${…}"]]);
    expect(parseArgsWithZod(definition, { who: "ann" })).toEqual({ args: { who: "ann", times: 1 } });
    expect(parseArgsWithZod(definition, { who: 3, times: 1.5 })).toMatchObject({
      issues: [
        { code: "WEFT_ARGS", message: expect.stringMatching(/^args\.who: /) },
        { code: "WEFT_ARGS", message: expect.stringMatching(/^args\.times: /) },
      ],
    });
  });

  it("bundles relative imports and packages next to the file; import.meta.url names each source file", async () => {
    const dir = tempDir({
      "flows/wf.mts": wf([
        'import { defineWorkflow } from "weftflow";',
        'import { prompt, here } from "../lib/prompts.ts";',
        'import pad from "padder";',
        "export default defineWorkflow({",
        '  name: pad("bundled"),',
        "  description: `${here}|${import.meta.url}`,",
        "  async execute(ctx) {",
        '    await ctx.step("ask", { agent: "claude", prompt: prompt("x") });',
        "  },",
        "});",
      ]),
      "lib/prompts.ts": wf([
        "export const prompt = (s: string): string => `say ${s}`;",
        "export const here = import.meta.url;",
      ]),
      "node_modules/padder/package.json": JSON.stringify({ name: "padder", main: "index.js" }),
      "node_modules/padder/index.js":
        'const path = require("node:path");\nmodule.exports = (s) => `${path.basename(s)}!`;\n',
    });
    const { workflow, definition } = await load(path.join(dir, "flows/wf.mts"));
    expect(workflow.name).toBe("bundled!");
    expect(definition.description).toBe(
      `file://${path.join(dir, "lib/prompts.ts")}|file://${path.join(dir, "flows/wf.mts")}`,
    );
  });

  it("loads a JavaScript workflow (.mjs)", async () => {
    const dir = tempDir({
      "wf.mjs": wf([
        'import { defineWorkflow } from "weftflow";',
        'export default defineWorkflow({ name: "js", phases: ["a"], async execute(ctx) { await ctx.step("x", { phase: "a", command: "x" }); } });',
      ]),
    });
    const { workflow } = await load(path.join(dir, "wf.mjs"));
    expect(workflow.steps.map((s) => s.id)).toEqual(["x"]);
  });

  it("reports a syntax error at the file, line and column", async () => {
    const dir = tempDir({
      "wf.ts": wf([
        'import { defineWorkflow } from "weftflow";',
        "export default defineWorkflow({",
        '  name: "x"',
        "  execute() {},",
        "});",
      ]),
    });
    const issues = await loadIssues(path.join(dir, "wf.ts"));
    expect(where(issues)).toEqual(["4:3 WEFT_PARSE"]);
    expect(issues[0]?.location.file).toBe(path.join(dir, "wf.ts"));
    expect(issues[0]?.message).toContain('Expected "}" but found "execute"');
  });

  it("reports an import that cannot be resolved, with what to do", async () => {
    const dir = tempDir({
      "wf.ts": wf([
        'import { defineWorkflow } from "weftflow";',
        'import "lodash-nowhere/fp";',
        'export default defineWorkflow({ name: "x", execute() {} });',
      ]),
      "b.ts": wf(['import "./missing.ts";']),
    });
    const issues = await loadIssues(path.join(dir, "wf.ts"));
    expect(where(issues)).toEqual(["2:8 WEFT_PARSE"]);
    expect(issues[0]).toMatchObject({
      message: 'Could not resolve "lodash-nowhere/fp"',
      hint: expect.stringContaining("npm install lodash-nowhere"),
    });
    expect((await loadIssues(path.join(dir, "b.ts")))[0]?.hint).toContain("check the path of the import");
    const sub = tempDir({ "wf.ts": wf(['import "weftflow/internals";']) });
    expect(await loadIssues(path.join(sub, "wf.ts"))).toMatchObject([
      { code: "WEFT_PARSE", message: '"weftflow/internals" is not an export of weftflow', location: { line: 1 } },
    ]);
  });

  it("reports a throw while the module is imported at the user's line", async () => {
    const dir = tempDir({
      "wf.ts": wf([
        'import { defineWorkflow } from "weftflow";',
        "const config: Record<string, string> = {};",
        "function read(key: string): string {",
        "  if (!(key in config)) throw new Error(`missing ${key}`);",
        "  return config[key] as string;",
        "}",
        'export default defineWorkflow({ name: read("name"), execute() {} });',
      ]),
      "empty.ts": wf([
        'import { defineWorkflow } from "weftflow";',
        'export default defineWorkflow({ name: "", execute() {} });',
      ]),
    });
    const issues = await loadIssues(path.join(dir, "wf.ts"));
    expect(where(issues)).toEqual(["4:31 WEFT_PARSE"]);
    expect(issues[0]?.message).toBe("the module threw while it was imported: missing name");
    const empty = await loadIssues(path.join(dir, "empty.ts"));
    expect(empty[0]?.message).toContain("defineWorkflow: `name` must be a non-empty string");
    expect(empty[0]?.location.line).toBe(2);
  });

  it("requires the default export to be defineWorkflow({ … })", async () => {
    const dir = tempDir({
      "none.ts": wf([
        'import { defineWorkflow } from "weftflow";',
        'export const flow = defineWorkflow({ name: "x", execute() {} });',
      ]),
      "plain.ts": wf(["export default {", '  name: "x",', "  async execute() {},", "};"]),
      "string.ts": wf(['export default "hello";']),
    });
    const none = await loadIssues(path.join(dir, "none.ts"));
    expect(none).toMatchObject([
      {
        code: "WEFT_SCHEMA",
        message: "the default export must be `defineWorkflow({ … })`: the module has no default export",
        hint: expect.stringContaining("export default flow"),
        location: { file: path.join(dir, "none.ts"), line: 1, column: 1 },
      },
    ]);
    const plain = await loadIssues(path.join(dir, "plain.ts"));
    expect(where(plain)).toEqual(["1:1 WEFT_SCHEMA"]);
    expect(plain[0]?.message).toContain("the default export is an object that defineWorkflow did not make");
    expect(plain[0]?.hint).toContain("wrap the object in defineWorkflow");
    expect((await loadIssues(path.join(dir, "string.ts")))[0]?.message).toContain("the default export is string");
  });

  it("checks phases, argsSchema and step phases, at their place in the source", async () => {
    const dir = tempDir({
      "phases.mjs": wf([
        'import { defineWorkflow } from "weftflow";',
        "export default defineWorkflow({",
        '  name: "x",',
        '  phases: ["plan", "build", "plan"],',
        "  async execute(ctx) {",
        '    await ctx.step("a", { phase: "biuld", command: "x" });',
        "  },",
        "});",
      ]),
      "args.ts": wf([
        'import { defineWorkflow } from "weftflow";',
        'import { z } from "zod";',
        "export default defineWorkflow({",
        '  name: "x",',
        "  argsSchema: z.string() as never,",
        "  execute() {},",
        "});",
      ]),
      "json-args.mjs": wf([
        'import { defineWorkflow } from "weftflow";',
        "export default defineWorkflow({",
        '  name: "x",',
        '  argsSchema: { type: "object", properties: { n: { type: "integr" } } },',
        "  execute() {},",
        "});",
      ]),
    });
    const phases = await loadIssues(path.join(dir, "phases.mjs"));
    expect(where(phases)).toEqual(["4:29 WEFT_SCHEMA", "6:11 WEFT_SCHEMA"]);
    expect(phases.map((i) => i.message)).toEqual([
      "phase `plan` is listed twice",
      "step `a` is in phase `biuld`, which is not listed in `phases` (plan, build)",
    ]);
    expect(phases[1]?.hint).toBe("did you mean `build`?");
    const args = await loadIssues(path.join(dir, "args.ts"));
    expect(where(args)).toEqual(["5:15 WEFT_SCHEMA"]);
    expect(args[0]?.message).toContain("argsSchema must be an object schema (z.object({ … }))");
    const json = await loadIssues(path.join(dir, "json-args.mjs"));
    expect(json[0]).toMatchObject({ code: "WEFT_SCHEMA", location: { line: 4 } });
    expect(json[0]?.message).toContain("is not a valid JSON Schema");
  });

  it("returns warnings: the determinism lint and keys defineWorkflow ignores", async () => {
    const dir = tempDir({
      "wf.mjs": wf([
        'import { defineWorkflow } from "weftflow";',
        "export default defineWorkflow({",
        '  name: "x",',
        '  phase: ["a"],',
        "  async execute(ctx) {",
        '    if (Math.random() > 0.5) await ctx.step("a", { command: "a" });',
        "  },",
        "});",
      ]),
    });
    const { warnings, workflow } = await load(path.join(dir, "wf.mjs"));
    expect(where(warnings)).toEqual(["4:3 WEFT_SCHEMA", "6:9 WEFT_NON_DETERMINISM"]);
    expect(warnings[0]?.hint).toBe("did you mean `phases`?");
    expect(workflow.phases).toEqual([]);
  });

  it("with registered step types, refuses a type written in the code that none provides", async () => {
    const dir = tempDir({
      "wf.mjs": wf([
        'import { defineWorkflow } from "weftflow";',
        'export default defineWorkflow({ name: "x", async execute(ctx) {',
        '  await ctx.step("a", { type: "scirpt", command: "x" });',
        "} });",
      ]),
    });
    const stepTypes = stepTypeRegistry(builtinStepTypes());
    const issues = await loadIssues(path.join(dir, "wf.mjs"), { stepTypes });
    expect(where(issues)).toEqual(["3:9 WEFT_UNKNOWN_STEP_TYPE"]);
    expect(issues[0]?.hint).toBe("did you mean `script`?");
    await expect(load(path.join(dir, "wf.mjs"))).resolves.toBeDefined();
  });

  it("refuses other extensions", async () => {
    const dir = tempDir({ "wf.yaml": "name: x\n" });
    const issues = await loadIssues(path.join(dir, "wf.yaml"));
    expect(issues[0]?.message).toBe(".yaml is not a workflow module");
  });

  it("writes each bundle once to the cache, keyed by its content", async () => {
    const dir = tempDir({
      "wf.mjs": wf([
        'import { defineWorkflow } from "weftflow";',
        'export default defineWorkflow({ name: "one", execute() {} });',
      ]),
    });
    const before = new Set(readdirSync(cacheDir));
    const first = await load(path.join(dir, "wf.mjs"));
    await load(path.join(dir, "wf.mjs"));
    const added = readdirSync(cacheDir).filter((f) => !before.has(f));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^[0-9a-f]{40}\.mjs$/);
    writeFileSync(
      path.join(dir, "wf.mjs"),
      wf([
        'import { defineWorkflow } from "weftflow";',
        'export default defineWorkflow({ name: "two", execute() {} });',
      ]),
    );
    const second = await load(path.join(dir, "wf.mjs"));
    expect([first.workflow.name, second.workflow.name]).toEqual(["one", "two"]);
    expect(second.workflow.source?.sourceHash).not.toBe(first.workflow.source?.sourceHash);
    expect(readdirSync(cacheDir).filter((f) => !before.has(f))).toHaveLength(2);
  });
});

afterAll(removeTempDirs);

describe("parseArgsWithZod", () => {
  it("passes args through when the argsSchema is not zod, and names unknown arguments", () => {
    expect(parseArgsWithZod({ argsSchema: { type: "object" } }, { a: 1 })).toEqual({ args: { a: 1 } });
    expect(parseArgsWithZod({ argsSchema: z.strictObject({ a: z.number() }) }, { a: 1, b: 2 })).toEqual({
      issues: [
        {
          code: "WEFT_ARGS",
          severity: "error",
          message: "args has unknown argument `b`",
          hint: "remove it, or declare it in the workflow's argsSchema",
          location: { file: "args", line: 1, column: 1 },
          field: "b",
        },
      ],
    });
    const nested = parseArgsWithZod(
      { argsSchema: z.object({ channels: z.array(z.enum(["email", "web"])), brand: z.object({ voice: z.string() }) }) },
      { channels: ["email", "fax"], brand: {} },
    );
    expect("issues" in nested && nested.issues.map((i) => i.field)).toEqual(["channels[1]", "brand.voice"]);
    expect(parseArgsWithZod({ argsSchema: z.object({ d: z.coerce.date() }) }, { d: "2030-01-01" })).toMatchObject({
      issues: [{ message: expect.stringContaining("not JSON") }],
    });
  });
});
