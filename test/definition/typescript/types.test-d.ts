/**
 * Type tests, checked by `tsc -p tsconfig.test.json` (never run): each `@ts-expect-error` line must stay an
 * error, so a change that lets a wrong config through, or loses a result's type, fails the type check.
 */
import { z } from "zod";
import type { ApprovalResult, Json, JsonObject, ScriptStepOutput, TsWorkflowDefinition } from "../../../src/index.js";
import { defineWorkflow } from "../../../src/index.js";

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T>(_value: T): void => {};
const assertEqual = <A, B>(_proof: Equal<A, B>): void => {};

export const zodWorkflow = defineWorkflow({
  name: "typed",
  phases: ["plan", "build"],
  argsSchema: z.object({ feature: z.string(), count: z.number().default(1) }),
  async execute(ctx) {
    // ctx.args from the zod schema
    assertEqual<typeof ctx.args, { feature: string; count: number }>(true);
    // @ts-expect-error: not an argument of the schema
    ctx.args.nope;

    // script: result typed
    const script = await ctx.step("test", { phase: "build", command: "pnpm test", cwd: ctx.projectPath });
    assertEqual<typeof script.data, ScriptStepOutput | undefined>(true);
    expectType<number | undefined>(script.data?.exitCode);

    // agent without outputSchema: { result: string }
    const plan = await ctx.step("plan", { phase: "plan", agent: "claude", prompt: "plan", permission: "plan" });
    expectType<string | undefined>(plan.data?.result);

    // agent with a zod outputSchema: the schema's type
    const triage = await ctx.step("triage", {
      agent: "claude",
      prompt: "triage",
      outputSchema: z.object({ severity: z.number(), labels: z.array(z.string()) }),
    });
    assertEqual<typeof triage.data, { severity: number; labels: string[] } | undefined>(true);

    // agent with a JSON Schema outputSchema: a JSON object
    const json = await ctx.step("json", { agent: "claude", prompt: "x", outputSchema: { type: "object" } });
    assertEqual<typeof json.data, JsonObject | undefined>(true);

    // inline function: the awaited return type of fn
    const fn = await ctx.step("compute", { fn: async () => ({ total: 3, names: ["a"] }) });
    assertEqual<typeof fn.data, { total: number; names: string[] } | undefined>(true);
    const sync = await ctx.step("sync", { type: "function", fn: (c) => c.idempotencyKey.length });
    assertEqual<typeof sync.data, number | undefined>(true);

    // approval, sleep, noop, named function, plugin
    const approval = await ctx.step("sign-off", {
      type: "approval",
      message: "ok?",
      timeout: "1h",
      onTimeout: "approve",
    });
    assertEqual<typeof approval.data, ApprovalResult | undefined>(true);
    const slept = await ctx.step("nap", { type: "sleep", duration: "5m" });
    expectType<string | undefined>(slept.data?.until);
    await ctx.step("until", { type: "sleep", until: "2030-01-01T00:00:00Z" });
    const noop = await ctx.step("join", { type: "noop", output: { ok: true } });
    assertEqual<typeof noop.data, Json | undefined>(true);
    const named = await ctx.step<{ n: number }>("named", { function: "count", input: [1, 2] });
    assertEqual<typeof named.data, { n: number } | undefined>(true);
    const plugin = await ctx.step("slack", { type: "slack-post", channel: "#dev", retry: 3 });
    assertEqual<typeof plugin.data, Json | undefined>(true);

    // explicit result types, as before
    const explicit = await ctx.step<{ stdout: string }>("explicit", { type: "script", command: "echo" });
    assertEqual<typeof explicit.data, { stdout: string } | undefined>(true);
    const explicitAgent = await ctx.step<{ result: string }>("explicit-agent", { agent: "claude", prompt: "hi" });
    expectType<string | undefined>(explicitAgent.data?.result);

    // common keys
    await ctx.step("common", {
      command: "make",
      name: "Make",
      retry: { maxAttempts: 3, delay: "1s", backoff: 2 },
      timeout: "10m",
      optional: true,
    });

    // @ts-expect-error: permission is one of default, plan, acceptEdits, bypassPermissions
    await ctx.step("bad-permission", { type: "agent", agent: "claude", prompt: "x", permission: "yolo" });
    // @ts-expect-error: a misspelt key of a built-in type
    await ctx.step("typo", { type: "agent", agent: "claude", promt: "x" });
    // @ts-expect-error: an agent step needs `agent`
    await ctx.step("no-agent", { type: "agent", prompt: "x" });
    // @ts-expect-error: a script needs `command`
    await ctx.step("no-command", { type: "script", cwd: "/tmp" });
    // @ts-expect-error: `command` is a string
    await ctx.step("bad-command", { command: 42 });
    // @ts-expect-error: not one of the workflow's phases
    await ctx.step("bad-phase", { phase: "deploy", command: "x" });
    // @ts-expect-error: sleep takes a duration or until
    await ctx.step("bad-sleep", { type: "sleep", duration: "5m", until: "2030-01-01" });
    // @ts-expect-error: onTimeout is approve or reject
    await ctx.step("bad-approval", { type: "approval", onTimeout: "maybe" });
    // @ts-expect-error: retry is a number or a policy
    await ctx.step("bad-retry", { command: "x", retry: "3" });
    // @ts-expect-error: no type can be inferred from these settings
    await ctx.step("untyped", { phase: "plan" });
    // @ts-expect-error: fn belongs to function steps
    await ctx.step("fn-on-script", { type: "script", command: "x", fn: () => 1 });

    // ctx methods
    const e = await ctx.exec("git status");
    expectType<string>(e.stdout);
    const a = await ctx.waitForApproval({ message: "deploy?", timeout: "1h" });
    expectType<boolean>(a.approved);
    await ctx.sleep("1s");
    expectType<number>(ctx.now() + ctx.random());
    await ctx.checkpoint("after build");
    await ctx.comment("done");
    // @ts-expect-error: sleep takes a duration
    await ctx.sleep({ minutes: 1 });
    return script.data?.stdout;
  },
});

// A JSON Schema argsSchema: args are a JSON object.
export const jsonWorkflow = defineWorkflow({
  name: "json args",
  argsSchema: { type: "object", properties: { env: { type: "string" } }, required: ["env"] },
  async execute(ctx) {
    assertEqual<typeof ctx.args, JsonObject>(true);
    // Without phases any phase name is accepted.
    await ctx.step("x", { phase: "anything", command: "echo" });
  },
});

// Definitions with typed args fit where the engine takes any definition.
export const all: TsWorkflowDefinition[] = [zodWorkflow, jsonWorkflow];

// @ts-expect-error: argsSchema must describe an object
defineWorkflow({ name: "bad args", argsSchema: z.string(), execute() {} });
// @ts-expect-error: execute is required
defineWorkflow({ name: "no execute" });
