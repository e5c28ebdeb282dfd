import { describe, expect, it } from "vitest";
import { bodyLine, lint, where, workflowSource } from "./helpers.js";

describe("determinism lint", () => {
  it("warns about clocks, randomness and network calls in execute, with their positions and a hint", async () => {
    const body = [
      "const started = Date.now();",
      "const when = new Date();",
      "if (Math.random() > 0.5) ctx.args.x = 1;",
      'const res = await fetch("https://example.com");',
      "const id = crypto.randomUUID();",
      "const t = performance.now();",
      "const u = globalThis.crypto.randomUUID();",
    ];
    const issues = await lint(workflowSource(body));
    expect(where(issues)).toEqual([
      `${bodyLine(0)}:21 WEFT_NON_DETERMINISM`,
      `${bodyLine(1)}:18 WEFT_NON_DETERMINISM`,
      `${bodyLine(2)}:9 WEFT_NON_DETERMINISM`,
      `${bodyLine(3)}:23 WEFT_NON_DETERMINISM`,
      `${bodyLine(4)}:16 WEFT_NON_DETERMINISM`,
      `${bodyLine(5)}:15 WEFT_NON_DETERMINISM`,
      `${bodyLine(6)}:15 WEFT_NON_DETERMINISM`,
    ]);
    expect(issues.every((i) => i.severity === "warning" && i.location.file === "/w/wf.ts")).toBe(true);
    expect(issues.map((i) => i.hint)).toEqual([
      "use ctx.now(), which is recorded and replayed",
      "use new Date(ctx.now()), which is recorded and replayed",
      "use ctx.random(), which is recorded and replayed",
      expect.stringContaining("do it inside a step"),
      expect.stringContaining("do it inside a step"),
      "use ctx.now(), which is recorded and replayed",
      expect.stringContaining("do it inside a step"),
    ]);
    expect(issues[0]?.message).toBe(
      "`Date.now()` in `execute` outside a step: it runs again on every replay and may return something else then",
    );
  });

  it("says nothing about code inside a step's fn, dates from values, or the module's top level", async () => {
    const body = [
      'await ctx.step("fetch", { fn: async () => (await fetch("https://example.com")).status });',
      'await ctx.step("stamp", { type: "function", fn() { return Date.now() + Math.random(); } });',
      "const d = new Date(ctx.now());",
      "const r = ctx.random();",
    ];
    const issues = await lint(workflowSource(body, ["const loadedAt = Date.now();"]));
    expect(issues).toEqual([]);
  });

  it("checks the module's helpers that execute hands the context to, and callbacks inside execute", async () => {
    const text = [
      'import { defineWorkflow } from "weftflow";',
      "async function pick(ctx: any) {",
      "  return Math.random() > 0.5 ? ctx.step('a', { command: 'a' }) : ctx.step('b', { command: 'b' });",
      "}",
      "export default defineWorkflow({",
      '  name: "t",',
      "  async execute(ctx) {",
      "    await pick(ctx);",
      "    [1, 2].map(() => Date.now());",
      "  },",
      "});",
    ].join("\n");
    expect(where(await lint(text))).toEqual(["3:10 WEFT_NON_DETERMINISM", "9:22 WEFT_NON_DETERMINISM"]);
  });
});
