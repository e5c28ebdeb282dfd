import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../src/core/errors.js";
import { loadWorkflowFile } from "../../src/definition/index.js";
import { fixtureDir, seedDir } from "./helpers.js";

const dir = mkdtempSync(path.join(tmpdir(), "weft-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("loadWorkflowFile", () => {
  it("loads YAML and JSON by extension", async () => {
    const yaml = await loadWorkflowFile(path.join(seedDir, "simple-pipeline.yaml"));
    expect(yaml.workflow.source).toMatchObject({ format: "yaml", dialect: "seed-002" });
    expect(yaml.warnings).toEqual([]);
    const json = await loadWorkflowFile(path.join(fixtureDir, "canonical/release.json"));
    expect(json.workflow.source).toMatchObject({ format: "json", dialect: "canonical" });
    expect(json.workflow.steps.map((s) => s.needs.map((d) => d.step))).toEqual([[], ["build"], ["test"]]);
  });

  it("throws a ValidationError carrying every issue", async () => {
    const err = await loadWorkflowFile(path.join(fixtureDir, "invalid/five-errors.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    const issues = (err as ValidationError).issues;
    expect(issues).toHaveLength(5);
    expect((err as ValidationError).message.split("\n")[0]).toMatch(/five-errors\.yaml:2:1: error WEFT_SCHEMA: /);
  });

  it("rejects the seed-001 excerpt with the notify_team issue", async () => {
    const err = await loadWorkflowFile(path.join(seedDir, "bug-lifecycle-excerpt.yaml")).catch((e: unknown) => e);
    expect((err as ValidationError).issues[0]).toMatchObject({ location: { line: 15 } });
    expect((err as ValidationError).message).toContain("notify_team");
  });

  it("checks the size before reading: a 10 MB file is refused", async () => {
    const big = path.join(dir, "big.yaml");
    writeFileSync(big, "name: big\n");
    truncateSync(big, 10 * 1024 * 1024);
    const err = await loadWorkflowFile(big).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues[0]?.code).toBe("WEFT_TOO_LARGE");
  });

  it("returns warnings with the workflow", async () => {
    const file = path.join(dir, "warn.yml");
    writeFileSync(file, "name: w\nsteps:\n  - id: a\n    command: x\n    neeeds: [b]\n");
    const { workflow, warnings } = await loadWorkflowFile(file);
    expect(workflow.name).toBe("w");
    expect(warnings).toHaveLength(1);
  });

  it("a missing file is the fs error", async () => {
    await expect(loadWorkflowFile(path.join(dir, "nope.yaml"))).rejects.toMatchObject({ code: "ENOENT" });
  });
});
