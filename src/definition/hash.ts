/** A workflow's identity: the sha256 of its canonical JSON, so a run can prove which definition it ran. */
import { createHash } from "node:crypto";
import type { Workflow } from "../core/model.js";

/** JSON with object keys sorted at every level; undefined values are dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : canonicalJson(v))).join(",")}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(",")}}`;
}

/** The workflow without where it was read from: `source` and each step's `location`. */
export function hashableWorkflow(workflow: Workflow): Omit<Workflow, "source"> {
  const { source: _source, ...rest } = workflow;
  return { ...rest, steps: workflow.steps.map(({ location: _location, ...step }) => step) };
}

/** sha256 (hex) of the canonical JSON of the workflow without `source` and step `location`s. */
export function workflowHash(workflow: Workflow): string {
  return createHash("sha256")
    .update(canonicalJson(hashableWorkflow(workflow)))
    .digest("hex");
}

/**
 * What a repeated idempotency key must match: sha256 (hex) of the workflow hash and the run's validated args
 * (defaults applied), so two requests that differ only in key order or in an arg left at its default match.
 */
export function launchFingerprint(workflowHash: string, args: unknown): string {
  return createHash("sha256")
    .update(canonicalJson({ workflow: workflowHash, args }))
    .digest("hex");
}
