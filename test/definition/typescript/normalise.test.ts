import { describe, expect, it } from "vitest";
import { z } from "zod";
import { DEFAULT_RETRY, type WorkflowStep } from "../../../src/core/model.js";
import type { TsStepConfig } from "../../../src/definition/typescript/define.js";
import { tsStepToWorkflowStep } from "../../../src/definition/typescript/normalise.js";
import { builtinStepTypes, stepTypeRegistry } from "../../../src/steps/index.js";

const stepTypes = stepTypeRegistry(builtinStepTypes());
const ok = (id: string, config: TsStepConfig, opts: Parameters<typeof tsStepToWorkflowStep>[2] = { stepTypes }) => {
  const res = tsStepToWorkflowStep(id, config, opts);
  if ("error" in res) throw new Error(res.error);
  return res.step;
};
const error = (id: string, config: TsStepConfig, opts: Parameters<typeof tsStepToWorkflowStep>[2] = { stepTypes }) => {
  const res = tsStepToWorkflowStep(id, config, opts);
  if (!("error" in res)) throw new Error(`expected an error, got ${JSON.stringify(res.step)}`);
  return res.error;
};

describe("tsStepToWorkflowStep", () => {
  it("normalises each built-in type, keeping the type's settings in config", () => {
    const cases: [TsStepConfig, string, WorkflowStep["config"]][] = [
      [
        { type: "agent", agent: "claude", prompt: "hi", permission: "plan" },
        "agent",
        { agent: "claude", prompt: "hi", permission: "plan" },
      ],
      [
        { type: "script", command: "pnpm test", cwd: "/repo", env: { CI: "1" } },
        "script",
        { command: "pnpm test", cwd: "/repo", env: { CI: "1" } },
      ],
      [
        { type: "approval", message: "ok?", timeout: "1h", onTimeout: "approve" },
        "approval",
        { message: "ok?", timeout: "1h", onTimeout: "approve" },
      ],
      [{ type: "sleep", duration: "5m" }, "sleep", { duration: "5m" }],
      [{ type: "noop", output: { a: [1, null] } }, "noop", { output: { a: [1, null] } }],
      [{ type: "function", function: "count", input: { n: 2 } }, "function", { function: "count", input: { n: 2 } }],
    ];
    for (const [config, type, settings] of cases) {
      const step = ok("s", config);
      expect(step, type).toEqual({
        id: "s",
        name: "s",
        type,
        needs: [],
        optional: false,
        retry: DEFAULT_RETRY,
        priority: 0,
        config: settings,
      });
    }
  });

  it("infers the type like YAML: command → script, agent/prompt → agent, fn/function → function", () => {
    expect(ok("a", { command: "ls" }).type).toBe("script");
    expect(ok("b", { agent: "claude", prompt: "x" }).type).toBe("agent");
    expect(ok("c", { function: "f" }).type).toBe("function");
    const inline = ok("d", { fn: () => 1, name: "Compute", phase: "build" });
    expect(inline).toMatchObject({ type: "function", name: "Compute", phase: "build", config: {} });
    expect(error("e", { phase: "x" })).toBe(
      "step `e` has no `type`, and none can be inferred (add `type: agent|script|approval|sleep|noop|function|image|attach` (a step with `command` is a script, with `agent` or `prompt` an agent))",
    );
  });

  it("reads retry (attempts or a policy), timeout (ms or a duration), optional, priority and location", () => {
    const step = ok(
      "s",
      {
        command: "x",
        retry: { maxAttempts: 3, delay: "2s", backoff: 3 },
        timeout: "1m30s",
        optional: true,
        priority: 5,
      },
      { stepTypes, location: { file: "/w.ts", line: 3, column: 5 } },
    );
    expect(step).toMatchObject({
      retry: { ...DEFAULT_RETRY, maxAttempts: 3, initialDelayMs: 2000, backoffMultiplier: 3 },
      timeoutMs: 90_000,
      optional: true,
      priority: 5,
      location: { file: "/w.ts", line: 3, column: 5 },
      config: { command: "x" },
    });
    expect(ok("n", { command: "x", retry: 4, timeout: 500 })).toMatchObject({
      retry: { maxAttempts: 4 },
      timeoutMs: 500,
    });
    expect(error("r", { command: "x", retry: "3" as never })).toContain(
      "step `r`: `retry` must be a number of attempts or a mapping",
    );
    expect(error("r", { command: "x", retry: { maxAttemps: 3 } as never })).toContain(
      "unknown key `maxAttemps` in `retry`",
    );
    expect(error("t", { command: "x", timeout: "soon" })).toContain("step `t`: `timeout` must be a duration");
  });

  it("refuses bad ids, and ids starting with $ (the engine's own journal entries)", () => {
    expect(error("has space", { command: "x" })).toContain("step id `has space` may contain only letters, digits");
    expect(error("$sleep-3", { command: "x" })).toContain("step id `$sleep-3` is reserved: ids starting with `$`");
    expect(error("", { command: "x" })).toContain("ctx.step needs a step id");
    expect(error("steps", { command: "x" })).toContain("step id `steps` is reserved");
  });

  it("checks the config with the step type's schema, naming the step and the key", () => {
    expect(error("s", { type: "script", command: "x", cwdd: "/" })).toBe(
      "step `s`: `cwdd` is not a setting of `script` steps (check the settings of `script` steps)",
    );
    expect(error("a", { agent: "claude", prompt: "x", permission: "yolo" })).toContain(
      "step `a` (agent): `permission`:",
    );
    expect(error("p", { type: "pluginx", x: 1 })).toContain(
      "step `p` has type `pluginx`, which no registered step type provides",
    );
    // Without registered types, any type passes (a plugin may provide it).
    expect(ok("p", { type: "pluginx", x: 1 }, {}).config).toEqual({ x: 1 });
    const typo = tsStepToWorkflowStep("p", { type: "agnt", agent: "x", prompt: "y" }, {});
    expect(typo).toMatchObject({ warnings: [expect.stringContaining("did you mean `agent`?")] });
  });

  it("keeps an inline fn out of the config and skips the schema; refuses fn with other settings or types", () => {
    const step = ok("f", { fn: async () => ({ ok: true }), optional: true });
    expect(step.config).toEqual({});
    expect(error("f", { fn: () => 1, input: { a: 1 } })).toContain(
      "step `f`: `input` is not a setting of inline function steps",
    );
    expect(error("f", { type: "script", command: "x", fn: () => 1 })).toContain(
      "`fn` runs inline in function steps, but the step's type is `script`",
    );
    expect(error("f", { fn: "not a function" as never })).toContain("`fn` must be a function");
  });

  it("keeps only JSON: undefined settings are dropped, other values are refused", () => {
    expect(ok("s", { command: "x", cwd: undefined, env: { A: "1", B: undefined } }).config).toEqual({
      command: "x",
      env: { A: "1" },
    });
    expect(error("s", { type: "noop", output: new Date(0) })).toBe(
      "step `s`: `output` must be JSON data, got a Date (pass date.toISOString())",
    );
    expect(error("s", { type: "noop", output: { f: () => 1 } })).toContain("`output.f` is a function");
    expect(error("s", { type: "noop", output: Number.NaN })).toContain("`output` must be a finite number");
  });

  it("turns a zod outputSchema into JSON Schema", () => {
    const step = ok("a", { agent: "claude", prompt: "x", outputSchema: z.object({ severity: z.number() }) });
    expect(step.config.outputSchema).toMatchObject({
      type: "object",
      properties: { severity: { type: "number" } },
      required: ["severity"],
    });
  });

  it("refuses keys that the code decides in TypeScript, and phases the workflow does not list", () => {
    expect(error("s", { command: "x", needs: ["a"] })).toContain("`needs` is not a setting of TypeScript steps");
    expect(error("s", { command: "x", if: "true" })).toContain("write an `if` around the ctx.step call");
    expect(error("s", { command: "x", phase: "tset" }, { stepTypes, phases: ["build", "test"] })).toBe(
      "step `s`: phase `tset` is not one of the workflow's phases; did you mean `test`?",
    );
    expect(ok("s", { command: "x", phase: "any" }, { stepTypes, phases: [] }).phase).toBe("any");
  });
});
