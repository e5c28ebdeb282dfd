/**
 * The builder's document model over every template and seed example: opening a document changes nothing, an
 * edit changes only what it must (the server's parser sees exactly one more step; every other line stays), and
 * positions are written without touching the workflow.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseWorkflow, workflowHash } from "../../src/definition/index.js";
import { templateFiles } from "../../src/templates/library.js";
import { addStep, connect, readGraph, setPositions } from "../../web/src/builder/doc/index.js";
import { repoRoot } from "../definition/helpers.js";

const seedDir = path.join(repoRoot, "examples/seed-dialects");
const docs = [
  ...templateFiles()
    .filter((t) => t.format !== "ts") // TypeScript templates open read-only in the builder: their source is code.
    .map((t) => ({ name: path.relative(repoRoot, t.file), file: t.file })),
  ...["simple-pipeline.yaml", "code-review-workflow.yaml", "bug-lifecycle-excerpt.yaml"].map((f) => ({
    name: `examples/seed-dialects/${f}`,
    file: path.join(seedDir, f),
  })),
  ...["hello.yaml", "approval.yaml"].map((f) => ({ name: `examples/${f}`, file: path.join(repoRoot, "examples", f) })),
];

const parse = (text: string) => parseWorkflow(text, { file: "wf.yaml" });
const errors = (text: string) =>
  parse(text)
    .issues.filter((i) => i.severity === "error")
    .map((i) => i.message);

/** Whether every line of `a` appears in `b`, in order (edits only inserted lines). */
function linesKept(a: string, b: string): string[] {
  const bl = b.split("\n");
  let j = 0;
  const missing: string[] = [];
  for (const line of a.split("\n")) {
    const k = bl.indexOf(line, j);
    if (k < 0) missing.push(line);
    else j = k + 1;
  }
  return missing;
}

describe("every template and seed example", () => {
  it("covers the 27 YAML templates and the seed examples", () => {
    expect(templateFiles().length).toBe(28);
    expect(docs.length).toBe(27 + 5);
  });

  describe.each(docs)("$name", ({ file }) => {
    const text = readFileSync(file, "utf8");
    const before = parse(text);
    const graph = (() => {
      const r = readGraph(text);
      if (!r.ok) throw new Error(r.problems[0]?.message);
      return r.graph;
    })();

    it("reads the steps and edges the server reads", () => {
      const ids = graph.steps.map((s) => s.id);
      if (before.workflow) {
        expect(ids).toEqual(before.workflow.steps.map((s) => s.id));
        const serverEdges = before.workflow.steps.flatMap((s) => s.needs.map((n) => `${n.step}->${s.id}:${n.on}`));
        expect(graph.edges.map((e) => `${e.from}->${e.to}:${e.on}`).sort()).toEqual(serverEdges.sort());
      }
      for (const s of graph.steps) {
        expect(text.slice(s.span.start, s.span.end)).toContain(s.id);
      }
    });

    it("adds a step and connects it: one more step for the server, every other line kept", () => {
      const last = graph.steps[graph.steps.length - 1]?.id as string;
      const first = graph.steps[0]?.id as string;
      let out = addStep(text, { id: "added-step", type: "noop", name: "Added" });
      out = connect(out, first, "added-step", "success");
      // Seed 001 writes the edge on its source (`on_success: [...]`): only that step's lines may change.
      const firstStep = graph.steps[0]!;
      const outside = text
        .split("\n")
        .filter((_, i) => graph.dialect !== "seed-001" || i + 1 < firstStep.span.line || i + 1 > firstStep.span.endLine)
        .join("\n");
      expect(linesKept(outside, out)).toEqual([]);
      const after = parse(out);
      if (before.workflow) {
        expect(after.issues.filter((i) => i.severity === "error")).toEqual([]);
        const wf = after.workflow!;
        const added = wf.steps.find((s) => s.id === "added-step");
        expect(added?.type).toBe("noop");
        expect(added?.needs.map((n) => n.step)).toContain(first);
        expect(workflowHash({ ...wf, steps: wf.steps.filter((s) => s.id !== "added-step") })).toBe(
          workflowHash(before.workflow),
        );
        const r = readGraph(out);
        expect(r.ok && r.graph.edges.some((e) => e.from === first && e.to === "added-step")).toBe(true);
        void last;
      } else {
        // An invalid example stays invalid in the same way, and no worse.
        expect(errors(out)).toEqual(errors(text));
      }
    });

    it("writes positions to the ui block, twice the same, without changing the workflow's hash", () => {
      const positions = Object.fromEntries(graph.steps.map((s, i) => [s.id, { x: i * 200, y: i * 40.4 }]));
      const once = setPositions(text, positions);
      expect(linesKept(text, once)).toEqual([]);
      const r = readGraph(once);
      expect(r.ok && r.graph.positions).toEqual(
        Object.fromEntries(graph.steps.map((s, i) => [s.id, { x: i * 200, y: Math.round(i * 40.4) }])),
      );
      expect(setPositions(once, positions)).toBe(once);
      // The ui block is not part of the workflow: the hash stays, and the server has no new issue.
      const after = parse(once);
      if (before.workflow) expect(workflowHash(after.workflow!)).toBe(workflowHash(before.workflow));
      expect(after.issues.map((i) => i.message)).toEqual(before.issues.map((i) => i.message));
      const moved = setPositions(once, { [graph.steps[0]!.id]: { x: -5, y: 7 } });
      const r2 = readGraph(moved);
      expect(r2.ok && r2.graph.positions[graph.steps[0]!.id]).toEqual({ x: -5, y: 7 });
    });
  });
});
