/**
 * Installing the template library into the store (src/templates/library.ts): idempotent, updates in place
 * (usage counts kept, users' clones untouched), refuses templates that do not validate; and the real library
 * through the CLI: `weft templates`, `weft run <slug>`.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { workflowHash } from "../../src/definition/index.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import {
  installTemplates,
  SYSTEM_PROJECT,
  TEMPLATES_DIR,
  templateFiles,
  templateId,
} from "../../src/templates/library.js";
import { cleanUpAfterTests, type Loose, tempDir, weft } from "../cli/helpers.js";
import { type TestEnv, testEnv } from "../helpers/engine.js";

cleanUpAfterTests();
const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

const TPL = (name: string, step = "only") =>
  `name: ${name}\ndescription: A ${name}\ncategory: demo\ntags: [x]\nsteps:\n  - id: ${step}\n    type: noop\n`;

describe("installTemplates", () => {
  it("installs once, updates in place keeping usage, never touches clones, refuses invalid templates", async () => {
    env = testEnv();
    const dir = tempDir();
    mkdirSync(join(dir, "demo"));
    writeFileSync(join(dir, "demo", "alpha.yaml"), TPL("Alpha"));
    writeFileSync(join(dir, "beta.yaml"), TPL("Beta"));
    writeFileSync(join(dir, "broken.yaml"), "name: Broken\nsteps:\n  - id: a\n    needs: nowhere\n    type: noop\n");
    const first = await installTemplates(env.store, { stepTypes, dir });
    expect(first.installed.sort()).toEqual(["alpha", "beta"]);
    expect(first.problems).toHaveLength(1);
    expect(first.problems[0]).toMatch(/broken\.yaml.*nowhere/);
    const alpha = await env.store.definitions.get(templateId("alpha"));
    expect(alpha).toMatchObject({
      system: true,
      projectId: SYSTEM_PROJECT,
      name: "Alpha",
      category: "demo",
      version: 1,
    });

    // Used once, and cloned by a user.
    const { run } = await env.engine.launch(alpha!.workflow, { definitionId: alpha!.id });
    await env.engine.execute(run.id);
    const clone = await env.store.definitions.create({
      ...alpha!,
      id: randomUUID(),
      projectId: "default",
      name: "Alpha (copy)",
      system: false,
      now: Date.now(),
    });

    const again = await installTemplates(env.store, { stepTypes, dir });
    expect(again).toMatchObject({ installed: [], updated: [], unchanged: 2 });

    writeFileSync(join(dir, "demo", "alpha.yaml"), TPL("Alpha", "renamed"));
    const updated = await installTemplates(env.store, { stepTypes, dir });
    expect(updated.updated).toEqual(["alpha"]);
    const after = await env.store.definitions.get(templateId("alpha"));
    expect(after?.version).toBe(2);
    expect(after?.workflow.steps.map((s) => s.id)).toEqual(["renamed"]);
    expect(after?.timesUsed).toBe(1);
    const untouched = await env.store.definitions.get(clone.id);
    expect(untouched?.workflow.steps.map((s) => s.id)).toEqual(["only"]);
    expect(untouched?.workflowHash).toBe(workflowHash(alpha!.workflow));
  });

  it("two templates with one slug are refused", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "a"));
    mkdirSync(join(dir, "b"));
    writeFileSync(join(dir, "a", "same.yaml"), TPL("One"));
    writeFileSync(join(dir, "b", "same.yaml"), TPL("Two"));
    expect(() => templateFiles(dir)).toThrow(/two templates are named same/);
  });
});

describe("the built-in library", () => {
  it("has at least 25 templates, all of which install without a problem", async () => {
    env = testEnv();
    const files = templateFiles(TEMPLATES_DIR);
    expect(files.length).toBeGreaterThanOrEqual(25);
    const report = await installTemplates(env.store, { stepTypes });
    expect(report.problems).toEqual([]);
    expect(report.installed).toHaveLength(files.length);
  });

  it("weft templates lists them by category and search; weft run <slug> launches one, counted as a use", async () => {
    const data = tempDir();
    const all = await weft(["--data-dir", data, "templates", "--format", "json"]);
    expect(all.code, all.stderr).toBe(0);
    const list = JSON.parse(all.stdout) as Loose[];
    expect(list.length).toBeGreaterThanOrEqual(25);
    const sdlc = JSON.parse(
      (await weft(["--data-dir", data, "templates", "--category", "sdlc", "--format", "json"])).stdout,
    ) as Loose[];
    expect(sdlc.length).toBeGreaterThanOrEqual(20);
    expect(sdlc.every((t) => t.category === "sdlc")).toBe(true);
    const found = JSON.parse(
      (await weft(["--data-dir", data, "templates", "--search", "bug", "--format", "json"])).stdout,
    ) as Loose[];
    expect(found.map((t) => t.slug)).toContain("bug-lifecycle");

    const simple = list.find((t) => t.slug === "simple-build-pipeline");
    expect(simple).toBeDefined();
    const run = await weft(["--data-dir", data, "run", "simple-build-pipeline"], { timeoutMs: 40_000 });
    expect(run.code, run.stderr).toBe(0);
    const after = JSON.parse((await weft(["--data-dir", data, "templates", "--format", "json"])).stdout) as Loose[];
    expect(after.find((t) => t.slug === "simple-build-pipeline").times_used).toBe(1);

    const missing = await weft(["--data-dir", data, "run", "no-such-template"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/weft templates/);
  });
});

describe("docs/templates.md", () => {
  it("is generated from the library (run `npm run docs:templates` after changing a template)", async () => {
    const { renderTemplatesDoc } = await import("../../src/templates/docs.js");
    const { readFileSync } = await import("node:fs");
    const { repoRoot } = await import("../cli/helpers.js");
    const expected = await renderTemplatesDoc(stepTypes);
    expect(readFileSync(join(repoRoot, "docs", "templates.md"), "utf8")).toBe(expected);
    expect(expected).toContain("```mermaid");
  });
});
