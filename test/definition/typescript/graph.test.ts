// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow source text written as strings
import { describe, expect, it } from "vitest";
import { renderTerminalGraph, toMermaid } from "../../../src/definition/index.js";
import { bodyLine, extract, workflowSource } from "./helpers.js";

describe("graphs of TypeScript workflows", () => {
  const steps = () =>
    extract(
      workflowSource([
        'await ctx.step("plan", { agent: "claude", prompt: "p", phase: "plan" });',
        "await Promise.all([",
        '  ctx.step("lint", { command: "pnpm lint" }),',
        '  ctx.step("test", { command: "pnpm test" }),',
        "]);",
        "for (const f of ctx.args.files as string[]) {",
        '  await ctx.step(`review-${f}`, { agent: "claude", prompt: f });',
        "}",
        'await ctx.waitForApproval({ message: "ship?" });',
      ]),
    );

  it("draws run-time-only steps with a dashed border in Mermaid", async () => {
    const text = toMermaid({ phases: ["plan"], steps: await steps() });
    expect(text).toBe(
      [
        "flowchart TD",
        '  subgraph phase0["plan"]',
        '    s0["plan (agent)"]',
        "  end",
        '  s1["lint (script)"]',
        '  s2["test (script)"]',
        `  s3["review-*@${bodyLine(6)} (agent)"]`,
        `  s4["$approval@${bodyLine(8)} (approval)"]`,
        "  s0 --> s1",
        "  s0 --> s2",
        "  s1 --> s3",
        "  s2 --> s3",
        "  s3 --> s4",
        "  classDef dynamic stroke-dasharray: 5 5",
        "  class s3,s4 dynamic",
        "",
      ].join("\n"),
    );
  });

  it("tags them in the terminal rendering", async () => {
    const text = renderTerminalGraph({ name: "t", steps: await steps() });
    expect(text).toBe(
      [
        "t — 5 steps, 4 levels",
        "",
        "level 1",
        "  plan  [agent, phase plan]",
        "",
        "level 2 (2 in parallel)",
        "  lint  [script]  ← plan",
        "  test  [script]  ← plan",
        "",
        "level 3",
        `  review-*@${bodyLine(6)}  [agent, dynamic: loop]  ← lint, test`,
        "",
        "level 4",
        `  $approval@${bodyLine(8)}  [approval, dynamic: id]  ← review-*@${bodyLine(6)}`,
        "",
      ].join("\n"),
    );
  });
});
