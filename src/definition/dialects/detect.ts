/**
 * Which dialect a document is written in. The answer only labels the workflow (`source.dialect`) and picks the
 * document root: every dialect is read by the same reader (see keys.ts).
 * - seed 000: top-level `nodes:` (and `edges:`) instead of `steps:` — seed 000's builder's templates (seed000.ts).
 * - seed 001: the workflow is wrapped in a top-level `workflow:` mapping.
 * - seed 003: a top-level `config` block, or steps with `key`, `dependencies`, `retryPolicy`, `timeoutMs`, …
 * - seed 002: only the keys seed 002 defines (name, description, argsSchema, phases; steps with id, name, phase,
 *   type, command, agent, prompt, permission, cwd).
 * - canonical: anything else.
 */
import type { Dialect } from "../../core/model.js";
import type { Path } from "../positions.js";
import { SEED002_STEP_KEYS, SEED002_TOP_KEYS, SEED003_STEP_MARKERS } from "./keys.js";

export interface DialectRoot {
  dialect: Dialect;
  /** The mapping holding name/steps/… */
  root: Record<string, unknown>;
  rootPath: Path;
}

const isMapping = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

export function detectDialect(doc: Record<string, unknown>): DialectRoot {
  if (isMapping(doc.workflow) && !Object.hasOwn(doc, "steps")) {
    return { dialect: "seed-001", root: doc.workflow, rootPath: ["workflow"] };
  }
  if (Object.hasOwn(doc, "nodes") && !Object.hasOwn(doc, "steps")) {
    return { dialect: "seed-000", root: doc, rootPath: [] };
  }
  const steps = Array.isArray(doc.steps) ? doc.steps.filter(isMapping) : [];
  if (Object.hasOwn(doc, "config") || steps.some((s) => SEED003_STEP_MARKERS.some((k) => Object.hasOwn(s, k)))) {
    return { dialect: "seed-003", root: doc, rootPath: [] };
  }
  const only = (obj: Record<string, unknown>, keys: string[]) => Object.keys(obj).every((k) => keys.includes(k));
  // `ui` (editor state, ui.ts) may be added to a file of any dialect without changing its dialect.
  if (only(doc, [...SEED002_TOP_KEYS, "ui"]) && steps.every((s) => only(s, SEED002_STEP_KEYS))) {
    return { dialect: "seed-002", root: doc, rootPath: [] };
  }
  return { dialect: "canonical", root: doc, rootPath: [] };
}
