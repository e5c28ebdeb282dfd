/** Checks each step's config against its step type's `configSchema` (zod), at the location of the offending key. */
import { z } from "zod";
import type { Workflow } from "../core/model.js";
import { BUILTIN_STEP_TYPES } from "./dialects/keys.js";
import { closest, didYouMean, type Issues } from "./issues.js";
import type { StepDraft } from "./steps.js";

/** What parseWorkflow needs of each registered step type (and what editors show of it: steps/step-type.ts). */
export type StepTypeSchemas = ReadonlyMap<
  string,
  {
    readonly configSchema: z.ZodType<unknown>;
    readonly title?: string | undefined;
    readonly description?: string | undefined;
    readonly offered?: boolean | undefined;
  }
>;

/**
 * The JSON Schema of a config schema as written (`io: "input"`), for editors: the step-types API and the workflow
 * schema (schema/). What JSON Schema cannot say (a `z.custom` check, a refinement) is left open (`{}`) unless the
 * zod schema gives it with `.meta()`; a schema zod cannot convert at all is `{}`.
 */
export function configJsonSchema(schema: z.ZodType<unknown>): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export function checkStepConfigs(
  workflow: Workflow,
  drafts: readonly StepDraft[],
  stepTypes: StepTypeSchemas | undefined,
  iss: Issues,
): void {
  workflow.steps.forEach((step, i) => {
    const draft = drafts[i] as StepDraft;
    if (step.type === "") return; // no type: already reported
    if (!stepTypes) {
      const near = BUILTIN_STEP_TYPES.includes(step.type) ? undefined : closest(step.type, BUILTIN_STEP_TYPES);
      if (near) {
        iss.warn(
          "WEFT_UNKNOWN_STEP_TYPE",
          draft.typePath,
          `\`${step.type}\` is not a built-in step type (a plugin must provide it)`,
          `did you mean \`${near}\`?`,
        );
      }
      return;
    }
    const type = stepTypes.get(step.type);
    if (!type) {
      const known = [...stepTypes.keys()];
      iss.error(
        "WEFT_UNKNOWN_STEP_TYPE",
        draft.typePath,
        `step \`${step.id}\` has type \`${step.type}\`, which no registered step type provides`,
        didYouMean(step.type, known) ?? `registered types: ${known.join(", ")}`,
      );
      return;
    }
    const result = type.configSchema.safeParse(step.config);
    if (result.success) return;
    for (const issue of result.error.issues) {
      const [key, ...rest] = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
      const base = typeof key === "string" ? (draft.configPaths.get(key) ?? draft.path) : draft.path;
      const at = [...base, ...(draft.configPaths.has(String(key)) ? rest : [])];
      const hint = `check the settings of \`${step.type}\` steps`;
      if (issue.code === "unrecognized_keys") {
        for (const extra of issue.keys) {
          iss.error(
            "WEFT_STEP_CONFIG",
            issue.path.length === 0 ? (draft.configPaths.get(extra) ?? draft.path) : [...at, extra],
            `step \`${step.id}\`: \`${extra}\` is not a setting of \`${step.type}\` steps`,
            hint,
            "key",
          );
        }
        continue;
      }
      const shown = issue.path.length > 0 ? `\`${issue.path.map(String).join(".")}\`: ` : "";
      iss.error("WEFT_STEP_CONFIG", at, `step \`${step.id}\` (${step.type}): ${shown}${issue.message}`, hint);
    }
  });
}
