import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, seedDir } from "./helpers.js";

const shared = path.resolve(repoRoot, "../shared/examples/seed-dialects");

describe("the seed examples kept in the repository", () => {
  it("are the four seed dialect files", () => {
    expect(readdirSync(seedDir).sort()).toEqual([
      "bug-lifecycle-excerpt.yaml",
      "code-review-workflow.yaml",
      "implement-feature.ts",
      "simple-pipeline.yaml",
    ]);
  });

  // Where the shared specs sit next to the checkout, the copies must be byte for byte the same.
  it.skipIf(!existsSync(shared))("are verbatim copies of ../shared/examples/seed-dialects", () => {
    for (const name of readdirSync(shared)) {
      expect(readFileSync(path.join(seedDir, name), "utf8"), name).toBe(readFileSync(path.join(shared, name), "utf8"));
    }
  });
});
