import { readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createStepTypeRegistry } from "../../src/steps/registry.js";
import { errorsOf, fixtureDir, parseFile, repoRoot, seedDir, where } from "./helpers.js";

const stepTypes = createStepTypeRegistry();
const canonical = readdirSync(path.join(fixtureDir, "canonical")).map((f) => path.join(fixtureDir, "canonical", f));
const examples = readdirSync(path.join(repoRoot, "examples"))
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .map((f) => path.join(repoRoot, "examples", f));

describe("with the built-in step types registered", () => {
  it.each([
    path.join(seedDir, "code-review-workflow.yaml"),
    path.join(seedDir, "simple-pipeline.yaml"),
    path.join(fixtureDir, "seed-003/nightly.yaml"),
    ...canonical,
    ...examples,
  ])("%s loads without issues", (file) => {
    const { workflow, issues } = parseFile(file, { stepTypes });
    expect(issues).toEqual([]);
    expect(workflow).toBeDefined();
  });

  it("the seed-001 excerpt still fails on notify_team (and on its cut-short `fix` step)", () => {
    const { issues } = parseFile(path.join(seedDir, "bug-lifecycle-excerpt.yaml"), { stepTypes });
    expect(where(errorsOf(issues))).toEqual(["15:19 WEFT_UNKNOWN_REF", "24:7 WEFT_STEP_CONFIG"]);
  });
});
