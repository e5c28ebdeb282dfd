/**
 * schema/workflow.schema.json, the editor schema: it is what `npm run gen:schema` generates from the definition
 * readers and the step types (a drift fails), it compiles, it describes every key, and it accepts every workflow
 * file of the repository that weft loads — templates, examples, fixtures, every seed's example files and the
 * YAML snippets of the seed texts (copied to test/fixtures/compat/seed-snippets) — and refuses, with weft, the
 * ones weft refuses for a reason a JSON Schema can state. schema-agreement.test.ts holds it to the parser key by
 * key.
 */
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseWorkflow } from "../../src/definition/index.js";
import { propertiesOf } from "../../src/definition/schema/values.js";
import { workflowJsonSchema } from "../../src/definition/schema/workflow-schema.js";
import { createStepTypeRegistry } from "../../src/steps/registry.js";
import { templateFiles } from "../../src/templates/library.js";
import { errorsOf, fixtureDir, parseFile, repoRoot, seedDir } from "./helpers.js";
import { compileSchema, schema } from "./schema-helpers.js";

const run = promisify(execFile);
const GEN = path.join(repoRoot, "scripts", "gen-schema.js");
const stepTypes = createStepTypeRegistry();
const snippetDir = path.join(repoRoot, "test/fixtures/compat/seed-snippets");

const workflowFiles = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .map((f) => path.join(dir, f));

/** Every workflow file in the repository; the readable ones are checked against both the parser and the schema. */
const FILES = [
  ...templateFiles()
    .filter((t) => t.format !== "ts")
    .map((t) => t.file),
  ...workflowFiles(path.join(repoRoot, "examples")),
  ...workflowFiles(seedDir),
  ...workflowFiles(path.join(fixtureDir, "canonical")),
  ...workflowFiles(path.join(fixtureDir, "seed-003")),
  ...workflowFiles(path.join(fixtureDir, "invalid")),
  ...workflowFiles(path.join(repoRoot, "test/fixtures/seed-000")),
  ...workflowFiles(path.join(repoRoot, "test/fixtures/cli")),
  ...workflowFiles(path.join(repoRoot, "test/fixtures/cli/bad")),
  ...workflowFiles(snippetDir),
  ...workflowFiles(path.join(repoRoot, "test/fixtures/compat/seed-001")),
].map((f) => path.relative(repoRoot, f));

/**
 * The files weft refuses, and what the schema says of each: `rejects` (for the reason weft gives, or one of
 * them), `accepts` (weft's reason is beyond a JSON Schema: a reference, a cycle, an expression), or `unreadable`
 * (no YAML/JSON document to check).
 */
const REFUSED: Record<string, "rejects" | "accepts" | "unreadable"> = {
  // The seed cuts its example short: `fix` has no prompt (both say so) and `notify_team` is never defined.
  "examples/seed-dialects/bug-lifecycle-excerpt.yaml": "rejects",
  "test/fixtures/compat/seed-snippets/seed-001-workflow-definition-schema.yaml": "rejects",
  "test/fixtures/compat/seed-001/bug-lifecycle-excerpt.yaml": "rejects",
  // Seed 003's example of a cycle: no name, and steps with nothing to run.
  "test/fixtures/compat/seed-snippets/seed-003-cycle.yaml": "rejects",
  "test/fixtures/cli/several-errors.yaml": "rejects",
  "test/fixtures/workflows/invalid/five-errors.yaml": "rejects",
  "test/fixtures/cli/bad/retry-string.yaml": "rejects",
  "test/fixtures/cli/bad/steps-number.yaml": "rejects",
  "test/fixtures/cli/bad/timeout-word.yaml": "rejects",
  "test/fixtures/cli/bad/cycle.yaml": "accepts",
  "test/fixtures/cli/bad/unknown-ref.yaml": "accepts",
  "test/fixtures/cli/bad/unknown-expression-ref.yaml": "accepts",
  "test/fixtures/cli/bad/alias-bomb.yaml": "unreadable",
  "test/fixtures/cli/bad/bad-indent.yaml": "unreadable",
  "test/fixtures/cli/bad/empty.yaml": "unreadable",
  "test/fixtures/cli/bad/invalid.json": "unreadable",
  "test/fixtures/cli/bad/tab-indent.yaml": "unreadable",
  "test/fixtures/cli/bad/unclosed-quote.yaml": "unreadable",
};

const read = (file: string): unknown => {
  const text = readFileSync(path.join(repoRoot, file), "utf8");
  return file.endsWith(".json") ? JSON.parse(text) : parse(text);
};

describe("schema/workflow.schema.json", () => {
  it("is what `npm run gen:schema` generates (`node scripts/gen-schema.js --check`)", async () => {
    const { stdout } = await run(process.execPath, [GEN, "--check"], { cwd: repoRoot });
    expect(stdout).toBe("schema/workflow.schema.json matches the definition readers\n");
    // …and the generator gives the same from the sources as from dist/.
    expect(schema).toEqual(workflowJsonSchema(stepTypes));
  }, 60_000);

  it("--check fails on a copy that drifted", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "weft-gen-schema-"));
    try {
      const copy = path.join(dir, "workflow.schema.json");
      copyFileSync(path.join(repoRoot, "schema/workflow.schema.json"), copy);
      writeFileSync(copy, readFileSync(copy, "utf8").replace('"minItems": 1', '"minItems": 0'));
      const err = await run(process.execPath, [GEN, "--check", "--file", copy], { cwd: repoRoot }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      expect(err?.code).toBe(1);
      expect(err?.stderr).toContain("is out of date with weft's definition readers and step types");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("is generated from the readers' key tables: a key without a schema, or a schema of no key, stops it", () => {
    expect(propertiesOf(["a"], { a: { type: "string" } }, "x")).toEqual({ a: { type: "string" } });
    expect(() => propertiesOf(["a", "b"], { a: {} }, "`defaults`")).toThrow(
      "the schema of `defaults` does not match its reader's keys: `b` has no schema",
    );
    expect(() => propertiesOf(["a"], { a: {}, c: {} }, "`defaults`")).toThrow("`c` is not a key");
  });

  it("is a draft 2020-12 schema that compiles in strict mode", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(() => compileSchema()).not.toThrow();
  });

  it("tells the dialects apart by a required key, each branch described for editors", () => {
    const branches = schema.oneOf as { title: string; description: string; required?: string[]; $ref?: string }[];
    expect(branches.map((b) => b.title)).toEqual([
      "weft workflow (steps:)",
      "seed 001 (workflow:)",
      "seed 000 (nodes:, edges:)",
    ]);
    expect(schema.$defs.workflow.required).toEqual(["name", "steps"]);
    expect(branches[1]?.required).toEqual(["workflow"]);
    expect(branches[2]?.required).toEqual(["name", "nodes"]);
    for (const b of branches) expect(b.description.length, b.title).toBeGreaterThan(40);
  });

  it("describes every key of every dialect and every step type's settings", () => {
    const described = (where: string, props: Record<string, { description?: string; $ref?: string }>) => {
      for (const [key, def] of Object.entries(props))
        expect(def.description ?? def.$ref, `${where}.${key}`).toBeTruthy();
    };
    described("workflow", schema.$defs.workflow.properties);
    described("step", schema.$defs.step.properties);
    described("seed 000", schema.oneOf[2].properties);
    described("seed 000 node", schema.$defs.seed000Node.properties);
    described("seed 000 edge", schema.$defs.seed000Edge.properties);
    described("seed 003 config", schema.$defs.seed003Config.properties);
    for (const type of stepTypes.keys()) {
      const def = schema.$defs[`config-${type}`];
      expect(def?.description, type).toContain(`\`${type}\` steps`);
      described(type, def.properties);
    }
  });

  it("lists every file REFUSED names", () => {
    expect(Object.keys(REFUSED).filter((f) => !FILES.includes(f))).toEqual([]);
  });

  const loading = FILES.filter((f) => !Object.hasOwn(REFUSED, f));
  it.each(loading)("accepts %s, which weft loads without errors", (file) => {
    const validate = compileSchema();
    expect(validate(read(file)), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(errorsOf(parseFile(path.join(repoRoot, file), { stepTypes }).issues)).toEqual([]);
  });

  const refused = Object.entries(REFUSED).filter(([, verdict]) => verdict !== "unreadable");
  it.each(refused)("%s: weft refuses it, and the schema %s it", (file, verdict) => {
    expect(errorsOf(parseFile(path.join(repoRoot, file), { stepTypes }).issues).length).toBeGreaterThan(0);
    const validate = compileSchema();
    expect(validate(read(file))).toBe(verdict === "accepts");
  });

  it("refuses the seed 001 excerpt only for its cut-short `fix` step, and accepts it completed", () => {
    const validate = compileSchema();
    const excerpt = read("test/fixtures/compat/seed-snippets/seed-001-workflow-definition-schema.yaml") as {
      workflow: { steps: Record<string, unknown>[] };
    };
    expect(validate(excerpt)).toBe(false);
    const paths = new Set(validate.errors?.map((e) => e.instancePath).filter((p) => p.startsWith("/workflow")));
    expect([...paths]).toEqual(["/workflow/steps/2"]);
    const [triage, assign, fix] = excerpt.workflow.steps;
    const completed = {
      workflow: {
        ...excerpt.workflow,
        steps: [
          triage,
          assign,
          { ...fix, prompt: "Fix it: {{ steps.assign.output }}" },
          { id: "notify_team", agent: "project-manager", prompt: "Tell the team: triage failed." },
        ],
      },
    };
    expect(validate(completed), JSON.stringify(validate.errors)).toBe(true);
    const { issues } = parseWorkflow(JSON.stringify(completed), { file: "wf.json", stepTypes });
    expect(errorsOf(issues)).toEqual([]);
  });

  it("ships in the package, and docs/workflow-syntax.md tells editors to use it", () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8"));
    expect(pkg.files).toContain("schema");
    expect(pkg.exports["./schema.json"]).toBe("./schema/workflow.schema.json");
    expect(pkg.scripts["gen:schema"]).toContain("scripts/gen-schema.js");
    const docs = readFileSync(path.join(repoRoot, "docs/workflow-syntax.md"), "utf8");
    expect(docs).toContain("# yaml-language-server: $schema=");
    expect(docs).toContain("npm run gen:schema");
  });
});

// Where the seed texts sit next to the checkout, the snippets must be their YAML blocks, byte for byte.
const seeds = path.resolve(repoRoot, "../shared/seeds");
describe.skipIf(!existsSync(seeds))("test/fixtures/compat/seed-snippets", () => {
  it("are the YAML blocks of the seed texts, verbatim", () => {
    const blocks = readdirSync(seeds)
      .sort()
      .flatMap((name) => {
        const text = readFileSync(path.join(seeds, name), "utf8");
        return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
      });
    const copies = readdirSync(snippetDir)
      .sort()
      .map((f) => readFileSync(path.join(snippetDir, f), "utf8"));
    expect(copies.sort()).toEqual(blocks.sort());
  });
});
