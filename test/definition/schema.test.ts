import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { fixtureDir, mustParse, parseFile, repoRoot } from "./helpers.js";

const schema = JSON.parse(readFileSync(path.join(repoRoot, "schema/workflow.schema.json"), "utf8"));
const canonicalDir = path.join(fixtureDir, "canonical");
const canonicalFiles = readdirSync(canonicalDir).filter((f) => /\.(ya?ml|json)$/.test(f));

function compile() {
  const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true });
  return ajv.compile(schema);
}

describe("schema/workflow.schema.json", () => {
  it("is a valid draft 2020-12 schema that compiles in strict mode", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(() => compile()).not.toThrow();
  });

  it("describes every top-level and step key", () => {
    for (const [key, def] of Object.entries(
      schema.properties as Record<string, { description?: string; $ref?: string }>,
    )) {
      expect(def.description ?? def.$ref, key).toBeTruthy();
    }
    for (const [key, def] of Object.entries(
      schema.$defs.step.properties as Record<string, { description?: string; $ref?: string }>,
    )) {
      expect(def.description ?? def.$ref, key).toBeTruthy();
    }
  });

  it.each(canonicalFiles)("accepts the canonical fixture %s, which weft also loads without errors", (file) => {
    const full = path.join(canonicalDir, file);
    const validate = compile();
    const value = file.endsWith(".json") ? JSON.parse(readFileSync(full, "utf8")) : parse(readFileSync(full, "utf8"));
    expect(validate(value), JSON.stringify(validate.errors, null, 2)).toBe(true);
    expect(mustParse(parseFile(full)).source?.dialect).toBe("canonical");
  });

  it("rejects what weft rejects", () => {
    const validate = compile();
    expect(validate({ name: "x", steps: 5 })).toBe(false);
    expect(validate({ name: "x", timeot: "5m", steps: [{ id: "a" }] })).toBe(false);
    expect(validate({ name: "x", steps: [{ id: "a", timeout: "soon" }] })).toBe(false);
    expect(validate({ name: "x", steps: [{ id: "a", retry: "x" }] })).toBe(false);
    expect(validate({ name: "x", steps: [{ id: "has space" }] })).toBe(false);
    expect(validate({ name: "x", steps: [{ id: "a", needs: [{ step: "b", on: "sometimes" }] }] })).toBe(false);
    expect(validate({ steps: [{ id: "a" }] })).toBe(false);
  });
});
