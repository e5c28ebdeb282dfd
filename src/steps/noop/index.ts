/** `type: noop` — completes at once with its rendered `output` (null when absent). For joins and tests. */
import { z } from "zod";
import { jsonValue } from "../config.js";
import { defineStepType } from "../step-type.js";

export const noopConfigSchema = z.strictObject({
  output: jsonValue.optional().describe("The step's output (a JSON value; templates rendered)."),
});

export type NoopConfig = z.infer<typeof noopConfigSchema>;

export const noopStepType = defineStepType<NoopConfig>({
  type: "noop",
  title: "No-op",
  description: "Does nothing but pass on a fixed (templated) output: joins, fan-outs, hand-offs.",
  configSchema: noopConfigSchema,
  async run(ctx, config) {
    return { kind: "completed", output: config.output === undefined ? null : (ctx.render(config.output) ?? null) };
  },
});
