/** The YAML pane's pure helpers: minimal changes, problem ranges, reference completion. */
import { describe, expect, it } from "vitest";
import { minimalChange, problemRange, referenceCompletions } from "../../web/src/builder/yaml/text-sync.js";

describe("minimalChange", () => {
  it("replaces only what differs", () => {
    expect(minimalChange("abc", "abc")).toBeUndefined();
    expect(minimalChange("name: a\nsteps: []\n", "name: b\nsteps: []\n")).toEqual({ from: 6, to: 7, insert: "b" });
    expect(minimalChange("a\nc\n", "a\nb\nc\n")).toEqual({ from: 2, to: 2, insert: "b\n" });
    expect(minimalChange("a\nb\nc\n", "a\nc\n")).toEqual({ from: 2, to: 4, insert: "" });
    expect(minimalChange("", "x")).toEqual({ from: 0, to: 0, insert: "x" });
    // Applying the change gives the new text, also when prefix and suffix overlap ("aa" → "aaa").
    for (const [a, b] of [
      ["aa", "aaa"],
      ["aaa", "aa"],
      ["abab", "ab"],
      ["x\ny\n", "y\nx\ny\n"],
    ] as const) {
      const c = minimalChange(a, b)!;
      expect(a.slice(0, c.from) + c.insert + a.slice(c.to)).toBe(b);
    }
  });
});

describe("problemRange", () => {
  const text = "name: x\nsteps:\n  - id: a\n    needs: nope\n";
  it("marks the word at line:column", () => {
    const r = problemRange(text, 4, 12);
    expect(text.slice(r.from, r.to)).toBe("nope");
    const k = problemRange(text, 4, 5);
    expect(text.slice(k.from, k.to)).toBe("needs");
  });
  it("clamps positions beyond the text (problems older than the text)", () => {
    expect(problemRange(text, 99, 1)).toEqual({ from: text.length, to: text.length });
    const r = problemRange(text, 1, 80);
    expect(r).toEqual({ from: 7, to: 7 });
  });
});

describe("referenceCompletions", () => {
  const graph = {
    args: ["topic", "tone"],
    steps: [
      { id: "plan", name: "Plan", type: "agent" },
      { id: "write-ads", type: "agent" },
    ] as never,
  };
  it("completes args and step ids inside {{ }}", () => {
    expect(referenceCompletions('    prompt: "About {{ args.to', graph, undefined)).toEqual({
      from: 27,
      options: [
        { label: "topic", detail: "argument" },
        { label: "tone", detail: "argument" },
      ],
    });
    const steps = referenceCompletions("    prompt: {{ steps.", graph, "plan");
    expect(steps?.options.map((o) => o.label)).toEqual(["write-ads"]);
    expect(referenceCompletions("    x: {{ steps.write-ads.ou", graph, "plan")?.options.map((o) => o.label)).toContain(
      "output",
    );
    expect(referenceCompletions("    x: {{ ", graph, "plan")?.options.map((o) => o.label)).toEqual([
      "args.topic",
      "args.tone",
      "steps.write-ads.output",
    ]);
  });
  it("completes in if/foreach values, not in plain text or after }}", () => {
    expect(referenceCompletions("    if: steps.", graph, undefined)?.options).toHaveLength(2);
    expect(referenceCompletions("    prompt: args.", graph, undefined)).toBeUndefined();
    expect(referenceCompletions("    prompt: {{ args.topic }} and args.", graph, undefined)).toBeUndefined();
  });
});
