import { describe, expect, it } from "vitest";
import { parseWorkflow } from "../../src/definition/index.js";
import { errorsOf, mustParse, parseYaml, where } from "./helpers.js";

const lines = (...l: string[]) => `${l.join("\n")}\n`;

describe("parsing bad input never throws and says where", () => {
  it("malformed YAML", () => {
    const { workflow, issues } = parseYaml(
      lines("name: x", "steps:", "  - id: a", "    command: [unclosed", "  - id: b"),
    );
    expect(workflow).toBeUndefined();
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]).toMatchObject({ code: "WEFT_PARSE", severity: "error" });
    expect(issues[0]?.message).toMatch(/^invalid YAML: /);
    expect(issues[0]?.location.line).toBeGreaterThanOrEqual(4);
  });

  it("bad indentation is located", () => {
    const { issues } = parseYaml(lines("name: x", "steps:", "  - id: a", "     command: x", "    needs: []"));
    expect(errorsOf(issues)[0]).toMatchObject({ code: "WEFT_PARSE", location: { line: 3, column: 9 } });
    expect(errorsOf(issues)[0]?.message).toContain("invalid YAML: ");
  });

  it("invalid JSON is reported as a JSON error with its line", () => {
    const text = '{\n  "name": "x",\n  "steps": [\n    { "id": "a", }\n  ]\n}\n';
    const { workflow, issues } = parseWorkflow(text, { file: "wf.json" });
    expect(workflow).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "WEFT_PARSE", location: { file: "wf.json", line: 4 } });
    expect(issues[0]?.message).toMatch(/^invalid JSON: /);
  });

  it("JSON is detected from the extension, or from a leading brace", () => {
    const text = '{"name": "j", "steps": [{"id": "a", "command": "x"}]}';
    expect(mustParse(parseWorkflow(text, { file: "w.json" })).source?.format).toBe("json");
    expect(mustParse(parseWorkflow(text, { file: "stdin" })).source?.format).toBe("json");
    expect(mustParse(parseWorkflow(text, { file: "w.yaml" })).source?.format).toBe("yaml");
  });

  it("duplicate keys in YAML and JSON", () => {
    const yaml = parseYaml(lines("name: a", "steps:", "  - id: a", "    command: x", "    command: y"));
    expect(where(yaml.issues)).toEqual(["5:5 WEFT_SCHEMA"]);
    expect(yaml.issues[0]?.message).toContain("duplicate key");
    const json = parseWorkflow('{"name": "a", "name": "b", "steps": []}', { file: "w.json" });
    expect(where(json.issues)).toEqual(["1:15 WEFT_SCHEMA"]);
  });

  it("multi-document YAML is rejected at the second document", () => {
    const { issues } = parseYaml(lines("name: a", "steps: []", "---", "name: b"));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "WEFT_PARSE", location: { line: 3 } });
    expect(issues[0]?.message).toContain("2 YAML documents");
  });

  it("the top level must be a mapping; empty files are reported", () => {
    expect(parseYaml(lines("- a", "- b")).issues[0]?.message).toContain("must be a mapping");
    expect(parseYaml("just text").issues[0]?.message).toContain("must be a mapping");
    expect(parseYaml("").issues[0]?.message).toBe("the file is empty");
    expect(parseYaml("# only a comment\n").issues[0]?.message).toBe("the file is empty");
    expect(parseWorkflow("[1, 2]", { file: "w.json" }).issues[0]?.message).toContain("must be a mapping");
  });

  it("an alias bomb (billion laughs) returns quickly with a clear issue", () => {
    let text = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
    let previous = "a";
    for (const name of "bcdefghi") {
      text += `${name}: &${name} [${Array(9).fill(`*${previous}`).join(",")}]\n`;
      previous = name;
    }
    text += "name: bomb\nsteps: [{ id: s, command: x }]\n";
    // How fast it is refused is measured by `npm run bench` (parse-alias-bomb).
    const { workflow, issues } = parseYaml(text);
    expect(workflow).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]?.code).toBe("WEFT_TOO_LARGE");
    expect(issues[0]?.message).toContain("alias");
  });

  it("a few aliases are fine; a recursive alias is rejected", () => {
    const ok = parseYaml(
      lines(
        "name: a",
        "x-env: &env { A: '1' }",
        "steps:",
        "  - { id: a, command: x, env: *env }",
        "  - { id: b, command: y, env: *env }",
      ),
    );
    // `x-env` is not a workflow key: the anchor trick needs a known key, so this reports it.
    expect(where(ok.issues)).toEqual(["2:1 WEFT_SCHEMA"]);
    const shared = parseYaml(
      lines(
        "name: a",
        "steps:",
        "  - { id: a, command: x, env: &env { A: '1' } }",
        "  - { id: b, command: y, env: *env }",
      ),
    );
    expect(mustParse(shared).steps[1]?.config.env).toEqual({ A: "1" });
    const recursive = parseYaml(lines("name: a", "steps: &s", "  - { id: a, command: x, more: *s }"));
    expect(recursive.issues[0]).toMatchObject({ code: "WEFT_PARSE", location: { line: 3, column: 32 } });
    expect(recursive.issues[0]?.message).toContain("recursive");
  });

  it("an undefined alias is a parse error", () => {
    const { issues } = parseYaml(lines("name: a", "steps:", "  - { id: a, command: *nothing }"));
    expect(errorsOf(issues)[0]?.code).toBe("WEFT_PARSE");
  });

  it("exactly 2 MiB is read; one byte more is refused with the size and the limit", () => {
    const MiB2 = 2 * 1024 * 1024;
    const head = "name: edge\nsteps:\n  - { id: a, command: x }\n# ";
    // A multi-byte character near the end: the limit counts UTF-8 bytes, not UTF-16 units.
    const pad = (bytes: number) => `${head}${"a".repeat(bytes - head.length - 3)}é\n`;
    const atLimit = pad(MiB2);
    expect(Buffer.byteLength(atLimit)).toBe(MiB2);
    expect(mustParse(parseYaml(atLimit)).steps).toHaveLength(1);
    const over = pad(MiB2 + 1);
    expect(Buffer.byteLength(over)).toBe(MiB2 + 1);
    const { workflow, issues } = parseYaml(over);
    expect(workflow).toBeUndefined();
    expect(issues).toEqual([
      expect.objectContaining({
        code: "WEFT_TOO_LARGE",
        message: "the definition is 2.0 MiB (2097153 bytes); weft reads definitions up to 2 MiB (2097152 bytes)",
        location: { file: "wf.yaml", line: 1, column: 1 },
      }),
    ]);
  });

  it("100 alias expansions are read; the 101st is refused as an alias bomb", () => {
    const withAliases = (n: number) =>
      lines(
        "name: aliases",
        "steps:",
        "  - { id: s0, command: &c echo }",
        ...Array.from({ length: n }, (_, i) => `  - { id: s${i + 1}, command: *c }`),
      );
    const ok = mustParse(parseYaml(withAliases(100)));
    expect(ok.steps).toHaveLength(101);
    expect(ok.steps[100]?.config.command).toBe("echo");
    const { workflow, issues } = parseYaml(withAliases(101));
    expect(workflow).toBeUndefined();
    expect(issues).toEqual([
      expect.objectContaining({
        code: "WEFT_TOO_LARGE",
        message: "the document expands too many aliases (a YAML alias bomb?)",
        hint: "use at most 100 alias expansions; repeat the data instead of nesting aliases",
      }),
    ]);
  });

  it("a 10 MB definition is rejected without parsing", () => {
    const text = `name: big\nsteps:\n${"  - { id: a, command: x }\n".repeat(400_000)}`;
    expect(text.length).toBeGreaterThan(10_000_000);
    // How fast it is refused is measured by `npm run bench` (parse-reject-10mb).
    const { workflow, issues } = parseYaml(text);
    expect(workflow).toBeUndefined();
    expect(issues).toEqual([
      expect.objectContaining({ code: "WEFT_TOO_LARGE", location: { file: "wf.yaml", line: 1, column: 1 } }),
    ]);
  });

  it("a 1,000-step linear workflow loads", () => {
    const steps = Array.from(
      { length: 1000 },
      (_, i) =>
        `  - id: s${i}\n    command: echo ${i} {{ steps.s${Math.max(0, i - 1)}.output }}\n${i > 0 ? `    needs: [s${i - 1}]\n` : ""}`,
    );
    const text = `name: long\nsteps:\n${steps.join("")}`;
    // How long it takes is measured by `npm run bench` (parse-1000-steps).
    const wf = mustParse(parseYaml(text));
    expect(wf.steps).toHaveLength(1000);
    expect(wf.steps[999]?.needs).toEqual([{ step: "s998", on: "success" }]);
  });

  it("custom tags are read as text with a warning", () => {
    const { workflow, issues } = parseYaml(lines("name: t", "steps:", "  - id: a", "    command: !shell echo hi"));
    expect(workflow?.steps[0]?.config.command).toBe("echo hi");
    expect(issues).toEqual([expect.objectContaining({ severity: "warning", code: "WEFT_PARSE" })]);
  });

  it("a version written as a number keeps its text", () => {
    const wf = mustParse(parseYaml(lines("name: v", "version: 1.10", "steps: [{ id: a, command: x }]")));
    expect(wf.version).toBe("1.10");
  });
});
