/**
 * `type: function` — calls a TypeScript function registered with `createEngine({ functions })`, with the
 * rendered `input`; its return value (JSON) is the output. A thrown error fails the attempt like any step's
 * (a `TerminalError` is not retried). It runs again after a crash: make it idempotent (`ctx.idempotencyKey`).
 */
import { z } from "zod";
import { TerminalError } from "../../core/errors.js";
import type { Json } from "../../core/json.js";
import { isJson, jsonValue } from "../config.js";
import { defineStepType, type StepFunction, type StepType } from "../step-type.js";

export const functionConfigSchema = z.strictObject({
  function: z.string().min(1).describe("The name of a registered function."),
  input: jsonValue.optional().describe("The value passed to the function (templates rendered)."),
});

export type FunctionConfig = z.infer<typeof functionConfigSchema>;

/** Dates become ISO strings and `undefined` becomes null, as JSON.stringify does; anything else non-JSON fails. */
function toJson(value: unknown, name: string): Json {
  if (value === undefined) return null;
  if (isJson(value)) return value;
  let copy: unknown;
  try {
    copy = JSON.parse(JSON.stringify(value) ?? "null");
  } catch (err) {
    throw new TerminalError(
      `function "${name}" returned a value that is not JSON (${(err as Error).message}); return plain data`,
      "WEFT_STEP_FAILED",
    );
  }
  return copy as Json;
}

export function createFunctionStepType(functions: ReadonlyMap<string, StepFunction>): StepType {
  return defineStepType<FunctionConfig>({
    type: "function",
    title: "Function",
    description:
      functions.size > 0
        ? `Calls a TypeScript function registered with the engine: ${[...functions.keys()].sort().join(", ")}.`
        : "Calls a TypeScript function registered with the engine.",
    offered: functions.size > 0,
    configSchema: functionConfigSchema,
    async run(ctx, config, signal) {
      const fn = functions.get(config.function);
      if (!fn) {
        const known = [...functions.keys()].sort();
        const hint = known.length > 0 ? ` (registered: ${known.join(", ")})` : "";
        throw new TerminalError(
          `no function named "${config.function}" is registered${hint}; pass it to createEngine({ functions })`,
          "WEFT_STEP_CONFIG",
        );
      }
      const input = config.input === undefined ? null : ctx.render(config.input);
      ctx.recordInput({ function: config.function, input });
      const output = toJson(await fn(input, ctx, signal), config.function);
      return { kind: "completed", output };
    },
  });
}
