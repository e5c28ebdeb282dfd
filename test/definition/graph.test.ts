import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  dependencyLevels,
  findCycles,
  formatCycle,
  parseWorkflow,
  renderTerminalGraph,
  toMermaid,
} from "../../src/definition/index.js";
import { fixtureDir, mustParse, parseFile, seedDir } from "./helpers.js";

const steps = (spec: Record<string, string[]>) =>
  Object.entries(spec).map(([id, needs]) => ({ id, needs: needs.map((step) => ({ step })) }));

describe("findCycles", () => {
  it("finds cycles of length 1, 2 and 3, once each, from their earliest step", () => {
    expect(findCycles(steps({ a: ["a"] }))).toEqual([["a", "a"]]);
    expect(findCycles(steps({ a: ["b"], b: ["a"] }))).toEqual([["a", "b", "a"]]);
    expect(findCycles(steps({ x: [], a: ["c"], b: ["a"], c: ["b"] }))).toEqual([["a", "c", "b", "a"]]);
  });

  it("reports separate cycles separately, and nothing for a DAG", () => {
    expect(findCycles(steps({ a: ["b"], b: ["a"], c: ["d"], d: ["c"], e: ["a", "c"] }))).toEqual([
      ["a", "b", "a"],
      ["c", "d", "c"],
    ]);
    expect(findCycles(steps({ a: [], b: ["a"], c: ["a", "b"], d: ["zzz"] }))).toEqual([]);
  });

  it("handles a 10,000-step chain without deep recursion", () => {
    const spec: Record<string, string[]> = {};
    for (let i = 0; i < 10_000; i++) spec[`s${i}`] = i === 0 ? ["s9999"] : [`s${i - 1}`];
    const cycles = findCycles(steps(spec));
    expect(cycles).toHaveLength(1);
    expect(cycles[0]).toHaveLength(10_001);
  });

  it("shows a long cycle as a bounded path: its first and last steps around the count left out", () => {
    expect(formatCycle(["a", "b", "a"])).toBe("a → b → a");
    const ten = Array.from({ length: 10 }, (_, i) => `s${i}`);
    expect(formatCycle(ten)).toBe(ten.join(" → "));
    const long = [...Array.from({ length: 10_000 }, (_, i) => `s${i}`), "s0"];
    expect(formatCycle(long)).toBe("s0 → s1 → s2 → s3 → s4 → s5 → … (9992 more) … → s9998 → s9999 → s0");
  });

  it("a 10,000-step cycle is one WEFT_CYCLE issue with a short message", () => {
    const lines = ["name: ring", "steps:"];
    for (let i = 0; i < 10_000; i++)
      lines.push(`  - id: s${i}`, "    type: noop", `    needs: s${(i + 9_999) % 10_000}`);
    const { issues } = parseWorkflow(lines.join("\n"), { file: "ring.yaml", format: "yaml" });
    const cycles = issues.filter((i) => i.code === "WEFT_CYCLE");
    expect(cycles).toHaveLength(1);
    expect(cycles[0]?.message.length).toBeLessThan(200);
    expect(cycles[0]?.message).toMatch(/^dependency cycle: s0 → s9999 → .* … \(9992 more\) … .* → s0$/);
  });
});

describe("graph renderings", () => {
  const codeReview = () => mustParse(parseFile(path.join(seedDir, "code-review-workflow.yaml")));

  it("dependency levels", () => {
    expect(dependencyLevels(codeReview())).toEqual([
      ["parse-changes"],
      ["security-scan", "quality-check"],
      ["generate-report"],
    ]);
  });

  it("terminal rendering puts security-scan and quality-check on the same level", () => {
    const text = renderTerminalGraph(codeReview());
    expect(text).toBe(
      [
        "code-review-workflow — 4 steps, 3 levels",
        "",
        "level 1",
        "  parse-changes  [agent]",
        "",
        "level 2 (2 in parallel)",
        "  security-scan  [agent]  ← parse-changes",
        "  quality-check  [agent]  ← parse-changes",
        "",
        "level 3",
        "  generate-report  [agent]  ← security-scan, quality-check",
        "",
      ].join("\n"),
    );
    expect(text.includes("\u001b[")).toBe(false);
  });

  it("mermaid: edges, failure/always labels, phase subgraphs", () => {
    const wf = mustParse(parseFile(path.join(fixtureDir, "canonical/full.yaml")));
    const text = toMermaid(wf);
    expect(text.startsWith("flowchart TD\n")).toBe(true);
    const id = (step: string) => `s${wf.steps.findIndex((s) => s.id === step)}`;
    expect(text).toContain(`  subgraph phase0["research"]\n    ${id("research")}["research (agent)"]\n  end`);
    expect(text).toContain(`${id("research")} --> ${id("draft")}`);
    expect(text).toContain(`${id("review")} -.->|failure| ${id("notify")}`);
    expect(text).toContain(`${id("notify")} -->|always| ${id("report")}`);
    expect(text).toContain(`${id("publish")} --> ${id("report")}`);
    expect(text).toContain(`${id("publish")} -->|always| ${id("cool-down")}`);
  });

  it("mermaid for the seed-003 example contains its four edges", () => {
    const text = toMermaid(codeReview());
    for (const edge of ["s0 --> s1", "s0 --> s2", "s1 --> s3", "s2 --> s3"]) expect(text).toContain(edge);
  });

  it("terminal rendering shows phases, flags and edge conditions", () => {
    const text = renderTerminalGraph(mustParse(parseFile(path.join(fixtureDir, "canonical/full.yaml"))));
    expect(text).toContain("  notify  [noop, phase publish, optional]  ← review (on failure)");
    expect(text).toContain("  draft  [agent, phase draft, foreach {{ args.channels }}]  ← research");
  });
});
