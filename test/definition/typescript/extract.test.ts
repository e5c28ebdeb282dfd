// biome-ignore-all lint/suspicious/noTemplateCurlyInString: workflow source text written as strings
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { seedDir } from "../helpers.js";
import { bodyLine, extract, shape, workflowSource } from "./helpers.js";

describe("static extraction of ctx.step calls", () => {
  it("reads the seed's implement-feature: 5 steps in order, with phases, types and a sequential chain", async () => {
    const file = path.join(seedDir, "implement-feature.ts");
    const steps = await extract(readFileSync(file, "utf8"), file);
    expect(steps.map((s) => [s.id, s.type, s.phase, s.config.agent ?? s.config.command])).toEqual([
      ["research-codebase", "agent", "research", "claude"],
      ["create-spec", "agent", "plan", "claude"],
      ["implement", "agent", "implement", "claude"],
      ["run-tests", "script", "test", "pnpm test"],
      ["build", "script", "test", "pnpm build"],
    ]);
    expect(shape(steps)).toEqual([
      "research-codebase",
      "create-spec <- research-codebase",
      "implement <- create-spec",
      "run-tests <- implement",
      "build <- run-tests",
    ]);
    expect(steps[0]?.location).toEqual({ file, line: 19, column: 34 });
  });

  it("draws a Promise.all group as parallel steps the next step waits for", async () => {
    const steps = await extract(
      workflowSource([
        'await ctx.step("plan", { agent: "claude", prompt: "p" });',
        "await Promise.all([",
        '  ctx.step("lint", { command: "pnpm lint" }),',
        '  ctx.step("test", { command: "pnpm test" }),',
        "]);",
        'await ctx.step("ship", { command: "pnpm publish" });',
      ]),
    );
    expect(shape(steps)).toEqual(["plan", "lint <- plan", "test <- plan", "ship <- lint,test"]);
  });

  it("treats promises kept and awaited later as started together", async () => {
    const steps = await extract(
      workflowSource([
        'await ctx.step("a", { command: "a" });',
        'const b = ctx.step("b", { command: "b" });',
        'await ctx.step("c", { command: "c" });',
        "await b;",
        'await ctx.step("d", { command: "d" });',
        'const [e, f] = await Promise.all([ctx.step("e", { command: "e" }), (async () => {',
        '  await ctx.step("f1", { command: "f" });',
        '  return ctx.step("f2", { command: "f" });',
        "})()]);",
        "await ctx.checkpoint();",
        'await ctx.step("g", { command: "g" });',
      ]),
    );
    expect(shape(steps)).toEqual(["a", "b <- a", "c <- a", "d <- c,b", "e <- d", "f1 <- d", "f2 <- f1", "g <- e,f2"]);
  });

  it("marks steps in if/else, switch, ?: and catch as conditional; the next step waits for every branch", async () => {
    const body = [
      'const r = await ctx.step("check", { command: "c" });',
      "if (r.data?.exitCode === 0) {",
      '  await ctx.step("deploy", { command: "d" });',
      "} else {",
      '  await ctx.step("rollback", { command: "r" });',
      "}",
      'ctx.args.fast ? await ctx.step("quick", { command: "q" }) : undefined;',
      "try {",
      '  await ctx.step("risky", { command: "x" });',
      "} catch {",
      '  await ctx.step("recover", { command: "y" });',
      "}",
      'await ctx.step("report", { command: "r" });',
    ];
    const steps = await extract(workflowSource(body));
    expect(shape(steps)).toEqual([
      "check",
      "deploy <- check (conditional)",
      "rollback <- check (conditional)",
      "quick <- deploy,rollback (conditional)",
      "risky <- quick,deploy,rollback",
      "recover <- quick,deploy,rollback (conditional)",
      "report <- risky,recover",
    ]);
    expect(steps[1]?.config.$static).toEqual({ call: "step", line: bodyLine(2), column: 13, dynamic: "conditional" });
  });

  it("marks steps in loops and map callbacks as loop steps, with their computed ids", async () => {
    const body = [
      "for (const file of ctx.args.files as string[]) {",
      '  await ctx.step(`review-${file}`, { agent: "claude", prompt: file, phase: "review" });',
      "}",
      "await Promise.all(",
      '  (ctx.args.langs as string[]).map((lang) => ctx.step(`translate-${lang}`, { agent: "t", prompt: lang })),',
      ");",
      'await ctx.step("merge", { type: "noop" });',
    ];
    const steps = await extract(workflowSource(body));
    expect(shape(steps)).toEqual([
      `review-*@${bodyLine(1)} (loop)`,
      `translate-*@${bodyLine(4)} <- review-*@${bodyLine(1)} (loop)`,
      `merge <- translate-*@${bodyLine(4)}`,
    ]);
    expect(steps[0]).toMatchObject({ name: "review-${…}", type: "agent", phase: "review" });
  });

  it("draws ctx.sleep, ctx.waitForApproval and ctx.exec as steps, with placeholder ids unless one is given", async () => {
    const body = [
      'await ctx.sleep("5m");',
      'await ctx.waitForApproval({ message: "ship it?" });',
      'await ctx.exec("git push");',
      'await ctx.sleep(1000, "cool-down");',
      'await ctx.waitForApproval({ id: "sign-off", timeout: "1h" });',
    ];
    const steps = await extract(workflowSource(body));
    expect(shape(steps)).toEqual([
      `$sleep@${bodyLine(0)} (id)`,
      `$approval@${bodyLine(1)} <- $sleep@${bodyLine(0)} (id)`,
      `$exec@${bodyLine(2)} <- $approval@${bodyLine(1)} (id)`,
      `cool-down <- $exec@${bodyLine(2)}`,
      "sign-off <- cool-down",
    ]);
    expect(steps.map((s) => s.type)).toEqual(["sleep", "approval", "script", "sleep", "approval"]);
    expect(steps[1]?.config.message).toBe("ship it?");
    expect(steps[2]?.config.command).toBe("git push");
    expect(steps[3]?.config.duration).toBe(1000);
  });

  it("reads arrow executes, any context name, destructured methods and helpers given the context", async () => {
    const text = [
      'import { defineWorkflow as dw } from "weftflow";',
      'const BUILD = "build";',
      "async function prepare(c: any, label: string) {",
      '  await c.step("install", { command: `npm ci ${label}`, name: "Install" });',
      "}",
      "const wf = dw({",
      '  name: "arrow",',
      "  execute: async ({ step, sleep: nap }) => {",
      '    await step(BUILD, { command: "make" });',
      '    await nap("1s");',
      "  },",
      "});",
      "export const other = dw({",
      '  name: "other",',
      "  async execute(c) {",
      "    await prepare(c, 'Install');",
      '    await c.step("x", { command: "x" });',
      "  },",
      "});",
      "export default wf;",
    ].join("\n");
    expect(shape(await extract(text))).toEqual(["build", "$sleep@10 <- build (id)"]);
    const other = text.replace("export default wf;", "export default other;");
    const steps = await extract(other);
    expect(shape(steps)).toEqual(["install", "x <- install"]);
    expect(steps[0]).toMatchObject({ name: "Install", config: { command: "npm ci ${…}" } });
  });

  it("draws a computed id as dynamic, repeats of an id separately, and infers types from the settings", async () => {
    const body = [
      "const id = String(ctx.args.id);",
      'await ctx.step(id, { command: "x" });',
      'if (ctx.args.a) await ctx.step("deploy", { command: "a" });',
      'else await ctx.step("deploy", { command: "b" });',
      'const config = { command: "c" };',
      'await ctx.step("by-name", { function: "count" });',
      'await ctx.step("inline", { fn: async () => { await ctx.step("never-drawn", { command: "n" }); return 1; } });',
      'await ctx.step("prompt-only", { prompt: "p", agent: ctx.args.agent as string });',
      'await ctx.step("opaque", makeConfig());',
      'await ctx.step("plugin", { type: "slack", channel: "#dev", optional: true });',
    ];
    const steps = await extract(workflowSource(body, ["const makeConfig = () => ({ command: 'x' });"]));
    expect(steps.map((s) => `${s.id}:${s.type}`)).toEqual([
      `<dynamic@${bodyLine(1, ["x"])}>:script`,
      "deploy:script",
      "deploy#2:script",
      "by-name:function",
      "inline:function",
      "prompt-only:agent",
      "opaque:?",
      "plugin:slack",
    ]);
    expect(steps[2]?.config.$static).toMatchObject({ repeatOf: "deploy", dynamic: "conditional" });
    expect(steps[7]?.optional).toBe(true);
    expect(steps[5]?.config.agent).toBeUndefined();
  });

  it("finds nothing when the default export is not defineWorkflow({ … })", async () => {
    expect(await extract('export default { name: "x", async execute(ctx) { await ctx.step("a", {}); } };')).toEqual([]);
    expect(
      await extract(
        'import { defineWorkflow } from "weftflow";\nexport const wf = defineWorkflow({ name: "x", execute() {} });',
      ),
    ).toEqual([]);
  });
});
