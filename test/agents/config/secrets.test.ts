import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadSecrets, parseSecrets } from "../../../src/agents/config/index.js";
import { ValidationError, WeftError } from "../../../src/core/errors.js";
import { tempDir } from "../../steps/helpers.js";

describe("secrets file: NAME=value lines", () => {
  it("reads names and values: comments, blank lines, export, quotes, inline comments", () => {
    const { secrets, issues } = parseSecrets(
      [
        "# keys for the team",
        "",
        "OPENAI_KEY=sk-proj-abc",
        "export ANTHROPIC_KEY = sk-ant-xyz   ",
        'QUOTED="a b\\nc"',
        "SINGLE='x#y'",
        "WITH_COMMENT=value # a note",
        "EMPTY=",
        "OPENAI_KEY=sk-proj-later",
      ].join("\n"),
      "/p/secrets.env",
    );
    expect(issues).toEqual([]);
    expect(Object.fromEntries(secrets)).toEqual({
      OPENAI_KEY: "sk-proj-later",
      ANTHROPIC_KEY: "sk-ant-xyz",
      QUOTED: "a b\nc",
      SINGLE: "x#y",
      WITH_COMMENT: "value",
      EMPTY: "",
    });
  });

  it("reports a bad line by line and column, never showing it", () => {
    const { issues } = parseSecrets('OK=1\n  sk-ant-SECRETSECRET\n1BAD=x\nOPEN="sk-unclosed\n', "/p/secrets.env");
    expect(issues.map((i) => [i.location.line, i.location.column, i.message])).toEqual([
      [2, 3, "this line is not `NAME=value` (the line is not shown: it may hold a key)"],
      [3, 1, "this line is not `NAME=value` (the line is not shown: it may hold a key)"],
      [4, 1, "the value of `OPEN` has an unclosed quote"],
    ]);
    expect(JSON.stringify(issues)).not.toMatch(/SECRETSECRET|unclosed"|sk-/);
  });
});

describe("secrets file: a YAML or JSON map", () => {
  it("reads string values", () => {
    const { secrets, issues } = parseSecrets("OPENAI_KEY: sk-1\nGEMINI: 'g-2'\n", "/p/secrets.yaml");
    expect(issues).toEqual([]);
    expect(Object.fromEntries(secrets)).toEqual({ OPENAI_KEY: "sk-1", GEMINI: "g-2" });
    expect(Object.fromEntries(parseSecrets('{"K": "v"}', "/p/secrets.json").secrets)).toEqual({ K: "v" });
  });

  it("reports non-string values, bad names and bad syntax by position, without values", () => {
    const { issues } = parseSecrets("GOOD: x\nNUM: 123456789\nbad-name: y\n", "/p/s.yml");
    expect(issues.map((i) => `${i.location.line}:${i.location.column} ${i.message}`)).toEqual([
      "2:6 the secret `NUM` must be a string",
      "3:1 a secret's name must be letters, digits and _",
    ]);
    expect(JSON.stringify(issues)).not.toContain("123456789");
    expect(parseSecrets("A: [\n", "/p/s.yaml").issues[0]?.message).toBe("the secrets file is not valid YAML or JSON");
    expect(parseSecrets("- a\n", "/p/s.yaml").issues[0]?.message).toMatch(/must be a mapping/);
  });
});

describe("loadSecrets", () => {
  it("reads a file; a missing file reads as undefined; a bad one throws with every issue", () => {
    const dir = tempDir();
    const file = join(dir, "secrets.env");
    expect(loadSecrets(file)).toBeUndefined();
    writeFileSync(file, "A=1\n");
    expect(loadSecrets(file)?.get("A")).toBe("1");
    writeFileSync(file, "nope\nalso nope\n");
    const err = (() => {
      try {
        loadSecrets(file);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toHaveLength(2);
    expect((err as Error).message).toContain(`${file}:1:1: error WEFT_SCHEMA`);
    const folder = join(dir, "folder.env");
    mkdirSync(folder);
    expect(() => loadSecrets(folder)).toThrow(WeftError);
  });
});
