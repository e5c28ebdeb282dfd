import path from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalJson, workflowHash } from "../../src/definition/index.js";
import { fixtureDir, mustParse, parseFile, parseYaml, seedDir } from "./helpers.js";

describe("workflowHash", () => {
  it("is a sha256 hex, equal for the same workflow in different dialects and files", () => {
    const seed = mustParse(parseFile(path.join(seedDir, "code-review-workflow.yaml")));
    const canonical = mustParse(parseFile(path.join(fixtureDir, "canonical/code-review.yaml")));
    expect(workflowHash(seed)).toMatch(/^[0-9a-f]{64}$/);
    expect(workflowHash(canonical)).toBe(workflowHash(seed));
  });

  it("ignores key order and formatting, not content", () => {
    const a = mustParse(parseYaml("name: n\nsteps:\n  - id: a\n    command: x\n    env: { A: '1', B: '2' }\n"));
    const b = mustParse(parseYaml("steps: [{ env: { B: '2', A: '1' }, command: x, id: a }]\nname: n\n"));
    const c = mustParse(parseYaml("name: n\nsteps: [{ id: a, command: y }]\n"));
    expect(workflowHash(a)).toBe(workflowHash(b));
    expect(workflowHash(a)).not.toBe(workflowHash(c));
  });

  it("canonicalJson sorts keys at every level and drops undefined", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: undefined }], c: null } })).toBe(
      '{"a":{"c":null,"d":[1,{"z":1}]},"b":1}',
    );
  });
});
