/**
 * Seed 003 (AutomatosX CLI engine): `ax workflow list` — "List all available workflows … Shows: Name, version,
 * description, executions, success rate", `--format table|json` — as `weft list --workflows`: every workflow
 * definition (the built-in templates, the stored definitions, the definitions folders `weft run <name>` looks
 * in), not only those that ran, with description and step count, and the run stats of those that ran;
 * `--search <text>` over names and descriptions (of definitions with --workflows, of runs' workflows without).
 * The seed's own `code-review-workflow.yaml` (examples/seed-dialects/) is the folder file that runs.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { workflowHash } from "../../src/definition/index.js";
import { parseWorkflow } from "../../src/definition/parse-workflow.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import { cleanUpAfterTests, expectCleanFailure, type Loose, seed, tempDir, UUID, weftIn } from "../cli/helpers.js";

cleanUpAfterTests();

let data: string;
let project: string;
let runId: string;

const inProject = (args: string[]) => weftIn(data, args, { cwd: project, timeoutMs: 60_000 });
const json = async (args: string[]): Promise<Loose[]> => {
  const r = await inProject([...args, "--format", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
};

beforeAll(async () => {
  data = tempDir("weft-seed003-data-");
  project = tempDir("weft-seed003-");
  // The seed's workflow file in the project's definitions folder; another in the data directory's.
  const defs = join(project, ".agent", "workflows", "definitions");
  mkdirSync(defs, { recursive: true });
  copyFileSync(seed("code-review-workflow.yaml"), join(defs, "code-review-workflow.yaml"));
  mkdirSync(join(data, "definitions"));
  writeFileSync(
    join(data, "definitions", "nightly.yaml"),
    "name: nightly-audit\ndescription: Audits the dependencies every night\nsteps:\n  - id: scan\n    type: noop\n  - id: report\n    type: noop\n",
  );
  // A definition stored through the API (here straight into the store, as the server would).
  const source = "name: api-made\ndescription: Made through the REST API\nsteps:\n  - id: only\n    type: noop\n";
  const { workflow } = parseWorkflow(source, { file: "workflow.yaml" });
  if (!workflow) throw new Error("the API definition does not parse");
  const store = createSqliteStore({ path: join(data, "weft.db") });
  await store.definitions.create({
    id: "def-api-made",
    projectId: "default",
    name: "api-made",
    description: workflow.description ?? null,
    category: null,
    tags: [],
    format: "yaml",
    source,
    workflow,
    workflowHash: workflowHash(workflow),
    system: false,
    now: Date.now(),
  });
  await store.close();
  // Seed 003's run of its file (by name, from the folder), as `ax workflow run` documents it.
  const run = await inProject([
    "run",
    "code-review-workflow",
    "--context",
    '{"filePath": "src/services/WorkflowEngine.ts"}',
    "--triggered-by",
    "ci-pipeline",
    "--priority",
    "10",
  ]);
  expect(run.code, run.stderr).toBe(0);
  runId = run.lines[0] ?? "";
  expect(runId).toMatch(UUID);
});

describe("weft list --workflows (seed 003's `ax workflow list`)", () => {
  it("lists every definition with description and step count; run stats for those that ran", async () => {
    const rows = await json(["list", "--workflows"]);
    const by = (name: string, origin: string) => rows.find((r) => r.name === name && r.origin === origin);
    // The folder file that ran: its stats.
    expect(by("code-review-workflow", "file")).toMatchObject({
      description: "Multi-agent code review workflow",
      version: "1.0.0",
      step_count: 4,
      executions: 1,
      successful: 1,
      success_rate: 1,
      format: "yaml",
      path: join(project, ".agent", "workflows", "definitions", "code-review-workflow.yaml"),
    });
    expect(by("code-review-workflow", "file").average_duration_ms).toBeGreaterThanOrEqual(0);
    // Those that never ran: listed all the same, without stats.
    expect(by("nightly-audit", "file")).toMatchObject({
      description: "Audits the dependencies every night",
      step_count: 2,
      executions: 0,
      success_rate: null,
      average_duration_ms: null,
    });
    expect(by("api-made", "api")).toMatchObject({ id: "def-api-made", step_count: 1, executions: 0 });
    const templates = rows.filter((r) => r.origin === "template");
    expect(templates.length).toBeGreaterThan(20);
    expect(templates.find((t) => t.name === "Code Review")).toMatchObject({ executions: 0, id: expect.any(String) });
    // Each row has the same fields.
    for (const r of rows) {
      expect(Object.keys(r).sort()).toEqual(
        [
          "average_duration_ms",
          "description",
          "executions",
          "format",
          "id",
          "name",
          "origin",
          "path",
          "step_count",
          "success_rate",
          "successful",
          "version",
        ].sort(),
      );
    }
    // The run was counted once.
    expect(rows.reduce((n, r) => n + r.executions, 0)).toBe(1);
  });

  it("the table: name, version, executions, success rate, average duration, steps, origin, description", async () => {
    const r = await inProject(["list", "--workflows"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines[0]).toMatch(
      /^WORKFLOW\s+VERSION\s+EXECUTIONS\s+SUCCESS\s+AVG DURATION\s+STEPS\s+ORIGIN\s+DESCRIPTION$/,
    );
    expect(r.stdout).toMatch(
      /^code-review-workflow\s+1\.0\.0\s+1\s+100%\s+\S+\s+4\s+file\s+Multi-agent code review workflow$/m,
    );
    expect(r.stdout).toMatch(/^nightly-audit\s+-\s+0\s+-\s+-\s+2\s+file\s+Audits the dependencies every night$/m);
    expect(r.stdout).toMatch(/^api-made\s+-\s+0\s+-\s+-\s+1\s+api\s+Made through the REST API$/m);
  });

  it("--search matches names and descriptions, case-insensitively; --limit caps the rows", async () => {
    const byName = await json(["list", "--workflows", "--search", "NIGHTLY"]);
    expect(byName.map((r) => r.name)).toEqual(["nightly-audit"]);
    const byDescription = await json(["list", "--workflows", "--search", "multi-agent"]);
    expect(byDescription.map((r) => [r.name, r.origin])).toEqual(
      expect.arrayContaining([["code-review-workflow", "file"]]),
    );
    for (const r of byDescription) expect(`${r.name} ${r.description}`.toLowerCase()).toContain("multi-agent");
    expect(await json(["list", "--workflows", "--search", "no-such-thing-anywhere"])).toEqual([]);
    const none = await inProject(["list", "--workflows", "--search", "no-such-thing-anywhere"]);
    expect(none.stdout.trim()).toBe('no workflow matches "no-such-thing-anywhere"');
    expect(await json(["list", "--workflows", "--limit", "2"])).toHaveLength(2);
  });

  it("a folder file that does not load is named on stderr with its problem; the rest is listed", async () => {
    const broken = join(project, ".agent", "workflows", "definitions", "broken.yaml");
    writeFileSync(broken, "name: broken\nsteps: [\n");
    try {
      const r = await inProject(["list", "--workflows", "--format", "json"]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/^weft: not listed: .*broken\.yaml:\d+:\d+: error WEFT_PARSE/m);
      expect(JSON.parse(r.stdout).map((x: Loose) => x.name)).toContain("code-review-workflow");
    } finally {
      writeFileSync(broken, "name: broken-but-fixed\nsteps:\n  - id: a\n    type: noop\n");
    }
  });
});

describe("weft list --search (runs)", () => {
  it("keeps the runs whose workflow's name or description matches", async () => {
    const byName = await json(["list", "--search", "code-review"]);
    expect(byName.map((r) => r.id)).toEqual([runId]);
    const byDescription = await json(["list", "--search", "MULTI-AGENT"]);
    expect(byDescription.map((r) => r.id)).toEqual([runId]);
    expect(await json(["list", "--search", "nightly"])).toEqual([]);
    const table = await inProject(["list", "--search", "nightly"]);
    expect(table.stdout.trim()).toBe('no runs of a workflow matching "nightly"');
  });
});

describe("errors: exit 2 with what is wrong", () => {
  it.each([
    [["list", "--workflows", "--search", "  "], "--search needs some text"],
    [["list", "--search", ""], "--search needs some text"],
    [["list", "--workflows", "--format", "xml"], '--format must be "table" or "json", not "xml"'],
    [["list", "--workflows", "--status", "completed"], "--status filters runs; it does not go with --workflows"],
    [["list", "--workflows", "--limit", "0"], '--limit must be a positive integer, not "0"'],
  ])("weft %j", async (args, message) => {
    expectCleanFailure(await inProject(args), 2, message);
  });
});
