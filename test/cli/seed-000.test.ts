/** `weft validate` and `weft run` on seed 000's templates as seed 000 stores them (test/fixtures/seed-000). */
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanUpAfterTests, repoRoot, tempDir, UUID, weft, weftIn } from "./helpers.js";

cleanUpAfterTests();

const dir = join(repoRoot, "test", "fixtures", "seed-000");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => join(dir, f));

describe("seed 000 files on the command line", () => {
  it("weft validate: the five templates are valid (one warning: an output_status weft ignores)", async () => {
    const r = await weft(["validate", ...files]);
    expect(r.code, r.stdout).toBe(0);
    for (const file of files) expect(r.stdout).toContain(`✓ ${file} is valid`);
    const warnings = r.lines.filter((l) => / warning WEFT_/.test(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("facebook-ads-campaign.yaml:20:7: warning WEFT_SCHEMA: `output_status`");
  });

  it("weft validate: a broken seed 000 file fails with line:column", async () => {
    const data = tempDir();
    const file = join(data, "broken.yaml");
    writeFileSync(file, "name: b\nnodes:\n  - { id: a, node_type: revew }\nedges:\n  - { source: a, target: z }\n");
    const r = await weft(["validate", file]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(`${file}:3:25: error WEFT_SCHEMA: unknown node type \`revew\``);
    expect(r.stdout).toContain("did you mean `review`?");
    // `a` is still a node (of an unknown type): only the edge's other end is unknown.
    expect(r.stdout).not.toContain("has source `a`");
    expect(r.stdout).toMatch(/✗ 2 errors$/m);
    expect(r.stdout).toContain(
      `${file}:5:26: error WEFT_UNKNOWN_REF: edge 1 has target \`z\`, but no node has that id`,
    );
  });

  it("weft run: the Instagram carousel runs to the end on the mock provider", async () => {
    const data = tempDir();
    const r = await weftIn(data, ["run", join(dir, "instagram-carousel.yaml"), "--args", '{"slide_count": 3}']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines[0]).toMatch(UUID);
    for (const key of ["caption", "slides", "attach-slides"]) {
      expect(r.lines.some((l) => l.includes(`✓ ${key}`) && l.includes("completed"))).toBe(true);
    }
  });
});
