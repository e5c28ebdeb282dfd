/**
 * `type: sleep` — a durable timer: parks the step until `now + duration` or until the time `until` (ISO 8601,
 * templated; or milliseconds since the epoch). Exactly one of the two. Output: `{ until: "<ISO time>" }`.
 */
import { z } from "zod";
import { TerminalError } from "../../core/errors.js";
import { durationValue, resolveDuration } from "../config.js";
import { defineStepType } from "../step-type.js";

export const sleepConfigSchema = z
  .strictObject({
    duration: durationValue.optional().describe("How long to wait."),
    until: z.string().min(1).optional().describe("An ISO time (a template) to wait until."),
  })
  .refine((c) => (c.duration === undefined) !== (c.until === undefined), {
    message: "give exactly one of duration and until",
  })
  .meta({ oneOf: [{ required: ["duration"] }, { required: ["until"] }] });

export type SleepConfig = z.infer<typeof sleepConfigSchema>;

function parseTime(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? undefined : ms;
}

export const sleepStepType = defineStepType<SleepConfig>({
  type: "sleep",
  title: "Sleep",
  description: "Waits for a duration or until a time, durably across restarts.",
  configSchema: sleepConfigSchema,
  async run(ctx, config) {
    let until: number;
    if (config.until !== undefined) {
      const rendered = ctx.renderString(config.until);
      const at = parseTime(rendered);
      if (at === undefined) {
        throw new TerminalError(
          `until ${JSON.stringify(rendered)} is not a time; write an ISO 8601 time such as "2030-01-31T09:00:00Z"`,
          "WEFT_STEP_CONFIG",
        );
      }
      until = at;
    } else {
      until = ctx.now() + resolveDuration(ctx, config.duration as number | string, "duration");
    }
    const iso = new Date(until).toISOString();
    ctx.recordInput({ until: iso });
    return { kind: "sleep", until, output: { until: iso } };
  },
});
