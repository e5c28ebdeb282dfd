/** Zod pieces shared by the built-in step types' config schemas. */
import { z } from "zod";
import { DURATION_PATTERN, parseDuration } from "../core/duration.js";
import { TerminalError } from "../core/errors.js";
import { isJsonObject, type Json, type JsonObject } from "../core/json.js";
import type { StepContext } from "./step-type.js";

export function isJson(value: unknown, depth = 0): value is Json {
  if (depth > 200) return false;
  if (value === null || typeof value === "string" || typeof value === "boolean") return true;
  if (typeof value === "number") return Number.isFinite(value);
  if (Array.isArray(value)) return value.every((v) => isJson(v, depth + 1));
  if (typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.values(value).every((v) => isJson(v, depth + 1));
  }
  return false;
}

/** A string holding a `{{ … }}` template, as a JSON Schema `pattern`. */
export const TEMPLATE_PATTERN = "\\{\\{";

export const jsonValue = z.custom<Json>((v) => isJson(v), "must be a JSON value");
export const jsonObject = z.custom<JsonObject>((v) => isJsonObject(v) && isJson(v), "must be an object");

/** A duration as written: milliseconds, `"30s"`, `"1h30m"`, or a `{{ … }}` template rendered at run time. */
export const durationValue = z
  .union([z.number(), z.string()])
  .refine(
    (v) => (typeof v === "string" && v.includes("{{")) || parseDuration(v) !== undefined,
    'must be a duration: milliseconds or a string like "500ms", "30s", "5m", "1h30m", "2d"',
  )
  // The refinement, for editors (the workflow schema): JSON Schema cannot run it.
  .meta({
    anyOf: [
      { type: "number", minimum: 0 },
      { type: "string", pattern: DURATION_PATTERN },
      { type: "string", pattern: TEMPLATE_PATTERN },
    ],
  });

/** Renders (when templated) and parses a duration; a bad value fails the step terminally. */
export function resolveDuration(ctx: StepContext, value: number | string, field: string): number {
  const rendered = typeof value === "string" && value.includes("{{") ? ctx.renderString(value) : value;
  const ms = parseDuration(rendered);
  if (ms === undefined) {
    throw new TerminalError(
      `${field} ${JSON.stringify(rendered)} is not a duration; write milliseconds or a string like "30s", "5m", "1h30m"`,
      "WEFT_STEP_CONFIG",
    );
  }
  return ms;
}
