import { describe, expect, it } from "vitest";
import { TerminalError, WeftError } from "../../src/core/errors.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import { approvalStepType } from "../../src/steps/approval/index.js";
import { builtinStepTypes } from "../../src/steps/builtin.js";
import { createFunctionStepType } from "../../src/steps/function/index.js";
import { noopStepType } from "../../src/steps/noop/index.js";
import { stepTypeRegistry } from "../../src/steps/registry.js";
import { sleepStepType } from "../../src/steps/sleep/index.js";
import { defineStepType, type StepFunction, type StepType } from "../../src/steps/step-type.js";
import { fakeContext } from "./helpers.js";

const NOW = 1_700_000_000_000;
const signal = new AbortController().signal;

async function runStep(type: StepType, config: JsonObject, args: JsonObject = {}) {
  const ctx = fakeContext({ args, now: NOW });
  const parsed = type.configSchema.parse(config);
  return { outcome: await type.run(ctx, parsed, signal), ctx };
}

function rejects(type: StepType, config: JsonObject): boolean {
  return !type.configSchema.safeParse(config).success;
}

describe("approval", () => {
  it("parks with the rendered message, the timeout and what to do then", async () => {
    const { outcome } = await runStep(
      approvalStepType,
      { message: "Deploy {{ args.version }} to prod?", timeout: "1h30m", onTimeout: "approve" },
      { version: "1.2.3" },
    );
    expect(outcome).toEqual({
      kind: "approval",
      message: "Deploy 1.2.3 to prod?",
      timeoutMs: 5_400_000,
      onTimeout: "approve",
    });
  });

  it("defaults onTimeout to reject when there is a timeout, and leaves everything out without one", async () => {
    expect((await runStep(approvalStepType, { timeout: 5000 })).outcome).toEqual({
      kind: "approval",
      message: undefined,
      timeoutMs: 5000,
      onTimeout: "reject",
    });
    expect((await runStep(approvalStepType, {})).outcome).toEqual({
      kind: "approval",
      message: undefined,
      timeoutMs: undefined,
      onTimeout: undefined,
    });
  });

  it("accepts a templated timeout and fails terminally when it renders to no duration", async () => {
    expect((await runStep(approvalStepType, { timeout: "{{ args.t }}" }, { t: "2m" })).outcome).toMatchObject({
      timeoutMs: 120_000,
    });
    await expect(runStep(approvalStepType, { timeout: "{{ args.t }}" }, { t: "soon" })).rejects.toThrow(TerminalError);
  });

  it.each([[{ timeout: "soon" }], [{ onTimeout: "maybe" }], [{ mesage: "typo" }], [{ message: 3 }]])(
    "rejects config %j",
    (config) => {
      expect(rejects(approvalStepType, config as JsonObject)).toBe(true);
    },
  );
});

describe("sleep", () => {
  it("sleeps for a duration from now", async () => {
    const { outcome } = await runStep(sleepStepType, { duration: "30s" });
    expect(outcome).toEqual({
      kind: "sleep",
      until: NOW + 30_000,
      output: { until: new Date(NOW + 30_000).toISOString() },
    });
  });

  it("sleeps until a rendered ISO time or epoch milliseconds", async () => {
    const at = "2030-01-31T09:00:00Z";
    expect((await runStep(sleepStepType, { until: "{{ args.at }}" }, { at })).outcome).toMatchObject({
      kind: "sleep",
      until: Date.parse(at),
    });
    expect((await runStep(sleepStepType, { until: "1900000000000" })).outcome).toMatchObject({
      until: 1_900_000_000_000,
    });
  });

  it("fails terminally on a time it cannot read", async () => {
    await expect(runStep(sleepStepType, { until: "{{ args.at }}" }, { at: "next tuesday" })).rejects.toThrow(
      /not a time/,
    );
  });

  it.each([[{}], [{ duration: "1s", until: "2030-01-01T00:00:00Z" }], [{ duration: "forever" }], [{ wait: "1s" }]])(
    "rejects config %j",
    (config) => {
      expect(rejects(sleepStepType, config as JsonObject)).toBe(true);
    },
  );
});

describe("noop", () => {
  it("completes with null, or with its rendered output keeping types", async () => {
    expect((await runStep(noopStepType, {})).outcome).toEqual({ kind: "completed", output: null });
    const { outcome } = await runStep(
      noopStepType,
      { output: { n: "{{ args.n }}", text: "n is {{ args.n }}", list: ["{{ args.flag }}", 2] } },
      { n: 3, flag: true },
    );
    expect(outcome).toEqual({ kind: "completed", output: { n: 3, text: "n is 3", list: [true, 2] } });
  });

  it("rejects unknown keys", () => {
    expect(rejects(noopStepType, { outptu: 1 })).toBe(true);
  });
});

describe("function", () => {
  const functions = new Map<string, StepFunction>([
    ["double", (input) => ({ doubled: ((input as JsonObject).n as number) * 2 })],
    ["ctx", async (_input, ctx) => ({ key: ctx.idempotencyKey })],
    ["nothing", () => undefined as unknown as Json],
    ["date", () => ({ at: new Date(0) }) as unknown as Json],
    ["bigint", () => ({ n: 1n }) as unknown as Json],
    [
      "fails",
      () => {
        throw new TerminalError("bad input");
      },
    ],
  ]);
  const type = createFunctionStepType(functions);

  it("calls the named function with the rendered input and returns its value", async () => {
    const { outcome, ctx } = await runStep(type, { function: "double", input: { n: "{{ args.n }}" } }, { n: 21 });
    expect(outcome).toEqual({ kind: "completed", output: { doubled: 42 } });
    expect(ctx.inputs).toEqual([{ function: "double", input: { n: 21 } }]);
    expect((await runStep(type, { function: "ctx" })).outcome).toEqual({
      kind: "completed",
      output: { key: "run-1:step:0" },
    });
  });

  it("turns undefined into null and dates into strings; refuses other non-JSON values", async () => {
    expect((await runStep(type, { function: "nothing" })).outcome).toEqual({ kind: "completed", output: null });
    expect((await runStep(type, { function: "date" })).outcome).toEqual({
      kind: "completed",
      output: { at: "1970-01-01T00:00:00.000Z" },
    });
    await expect(runStep(type, { function: "bigint" })).rejects.toThrow(/not JSON/);
  });

  it("passes the function's errors through", async () => {
    await expect(runStep(type, { function: "fails" })).rejects.toThrow("bad input");
  });

  it("fails terminally, listing what is registered, when the name is unknown", async () => {
    const err = await runStep(type, { function: "tripple" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as Error).message).toMatch(/no function named "tripple" is registered/);
    expect((err as Error).message).toMatch(/createEngine\(\{ functions \}\)/);
    expect((err as Error).message).toMatch(/double/);
  });
});

describe("builtin step types", () => {
  it("registers script, agent, approval, sleep, noop, function, image and attach", () => {
    const registry = stepTypeRegistry(builtinStepTypes());
    expect([...registry.keys()].sort()).toEqual([
      "agent",
      "approval",
      "attach",
      "function",
      "image",
      "noop",
      "script",
      "sleep",
    ]);
  });

  it("passes the functions to the function step type", async () => {
    const types = builtinStepTypes({ functions: new Map([["one", () => 1]]) });
    const fn = stepTypeRegistry(types).get("function") as StepType;
    expect((await runStep(fn, { function: "one" })).outcome).toEqual({ kind: "completed", output: 1 });
  });

  it("rejects two step types with one name", () => {
    const custom = defineStepType({ type: "noop", configSchema: noopStepType.configSchema, run: noopStepType.run });
    expect(() => stepTypeRegistry([...builtinStepTypes(), custom])).toThrow(/two step types are named "noop"/);
    expect(() => stepTypeRegistry([...builtinStepTypes(), custom])).toThrow(WeftError);
  });
});
