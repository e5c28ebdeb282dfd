/**
 * `type: approval` — parks the step (and, when nothing else runs, the run) until a person approves or rejects
 * it. With a `timeout`, the engine decides `onTimeout` (default "reject") when it passes.
 */
import { z } from "zod";
import { durationValue, resolveDuration } from "../config.js";
import { defineStepType } from "../step-type.js";

export const approvalConfigSchema = z.strictObject({
  message: z.string().optional().describe("What the approver is asked (a template)."),
  timeout: durationValue.optional().describe("The deadline for a decision (see `onTimeout`)."),
  onTimeout: z
    .enum(["approve", "reject"])
    .optional()
    .describe("The decision taken when `timeout` passes with no answer. Default reject."),
});

export type ApprovalConfig = z.infer<typeof approvalConfigSchema>;

export const approvalStepType = defineStepType<ApprovalConfig>({
  type: "approval",
  title: "Approval",
  description: "Pauses the run until a person approves or rejects; with a timeout, decides by itself when it passes.",
  configSchema: approvalConfigSchema,
  async run(ctx, config) {
    const message = config.message === undefined ? undefined : ctx.renderString(config.message);
    const timeoutMs = config.timeout === undefined ? undefined : resolveDuration(ctx, config.timeout, "timeout");
    const onTimeout = timeoutMs === undefined ? config.onTimeout : (config.onTimeout ?? "reject");
    ctx.recordInput({ message: message ?? null, timeoutMs: timeoutMs ?? null, onTimeout: onTimeout ?? null });
    return { kind: "approval", message, timeoutMs, onTimeout };
  },
});
