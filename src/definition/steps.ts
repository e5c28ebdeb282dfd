/** Reads one step of any dialect into a draft: common keys checked and typed, every other key kept as config. */

import type { JsonObject } from "../core/json.js";
import type { DependencyCondition } from "../core/model.js";
import {
  BUILTIN_STEP_TYPES,
  EXPRESSION_ROOTS,
  KNOWN_CONFIG_KEYS,
  STEP_ALIASES,
  STEP_IGNORED_KEYS,
  STEP_KEYS,
} from "./dialects/keys.js";
import {
  asJson,
  type Field,
  readBoolean,
  readDuration,
  readInteger,
  readNameList,
  readNumber,
  readString,
} from "./fields.js";
import { closest, describe, type Issues } from "./issues.js";
import type { Path } from "./positions.js";
import { type RetryPatch, readRetry, readRetryPolicy } from "./retry.js";

export interface DepDraft {
  step: string;
  on: DependencyCondition;
  /** Where the edge was declared (a `needs` item, an `on_success` value, or the step for file order). */
  path: Path;
}

export interface RefDraft {
  name: string;
  path: Path;
}

export interface StepDraft {
  index: number;
  path: Path;
  id: string | undefined;
  idPath: Path;
  name?: string | undefined;
  type?: string | undefined;
  /** Where the type is written; the step itself when it was inferred. */
  typePath: Path;
  phase?: string | undefined;
  phasePath?: Path | undefined;
  needs: DepDraft[];
  onSuccess: RefDraft[];
  onFailure: RefDraft[];
  /** The step declares needs/dependencies/on_success/on_failure (even empty): the workflow is a DAG. */
  declaresDeps: boolean;
  if?: string | undefined;
  ifPath?: Path | undefined;
  optional?: boolean | undefined;
  retry?: RetryPatch | undefined;
  timeoutMs?: number | undefined;
  foreach?: string | undefined;
  foreachPath?: Path | undefined;
  priority?: number | undefined;
  config: JsonObject;
  /** Source path of each config key. */
  configPaths: Map<string, Path>;
}

export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Ids expressions can never reach (only own data properties are): refused like the roots. */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);
export const DEPENDENCY_CONDITIONS: readonly DependencyCondition[] = ["success", "failure", "always"];
/** The keys of a dependency written as a mapping. */
export const NEED_KEYS = ["step", "on"] as const;

export function readStep(value: unknown, path: Path, index: number, iss: Issues): StepDraft | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    iss.error(
      "WEFT_SCHEMA",
      path,
      `step ${index + 1} must be a mapping, got ${describe(value)}`,
      "write the step as `- id: …` followed by its keys",
    );
    return undefined;
  }
  const obj = value as Record<string, unknown>;
  const draft: StepDraft = {
    index,
    path,
    id: undefined,
    idPath: path,
    typePath: path,
    needs: [],
    onSuccess: [],
    onFailure: [],
    declaresDeps: false,
    config: {},
    configPaths: new Map(),
  };
  const seen = new Map<string, string>();
  const common = new Map<string, Field & { written: string }>();
  for (const key of Object.keys(obj)) {
    const f = { value: obj[key], path: [...path, key], written: key };
    if (STEP_IGNORED_KEYS.includes(key)) {
      if (typeof f.value !== "boolean") readBoolean(f, iss);
      continue;
    }
    const canonical = (STEP_KEYS as readonly string[]).includes(key)
      ? key
      : Object.hasOwn(STEP_ALIASES, key)
        ? STEP_ALIASES[key]
        : undefined;
    if (canonical === undefined) {
      // defineProperty: a key named `__proto__` stays data, never the object's prototype.
      Object.defineProperty(draft.config, key, {
        value: asJson(f.value),
        enumerable: true,
        writable: true,
        configurable: true,
      });
      draft.configPaths.set(key, f.path);
      const near = KNOWN_CONFIG_KEYS.includes(key)
        ? undefined
        : closest(key, [...STEP_KEYS, ...Object.keys(STEP_ALIASES)]);
      if (near !== undefined && near !== key) {
        iss.warn(
          "WEFT_SCHEMA",
          f.path,
          `\`${key}\` is not a step key, so it is passed to the step type as configuration`,
          `did you mean \`${near}\`?`,
          "key",
        );
      }
      continue;
    }
    const earlier = seen.get(canonical);
    if (earlier !== undefined) {
      iss.error(
        "WEFT_SCHEMA",
        f.path,
        `\`${key}\` and \`${earlier}\` both set the step's ${canonical}`,
        `keep only one of \`${earlier}\` and \`${key}\``,
        "key",
      );
      continue;
    }
    seen.set(canonical, key);
    common.set(canonical, f);
  }

  const id = common.get("id");
  if (id) {
    draft.idPath = id.path;
    const text = readString(id, iss, { nonEmpty: true });
    if (text !== undefined) {
      if (!STEP_ID_PATTERN.test(text)) {
        iss.error(
          "WEFT_SCHEMA",
          id.path,
          `step id \`${text}\` may contain only letters, digits, \`_\` and \`-\`, and must start with a letter or \`_\``,
          "rename the step (expressions refer to it as `steps.<id>`)",
        );
      } else if (EXPRESSION_ROOTS.includes(text) || PROTOTYPE_KEYS.has(text)) {
        iss.error(
          "WEFT_SCHEMA",
          id.path,
          PROTOTYPE_KEYS.has(text)
            ? `step id \`${text}\` is reserved: expressions never read a property of that name`
            : `step id \`${text}\` is reserved: expressions use \`${text}\` for something else`,
          `rename the step, e.g. \`${text}-step\``,
        );
      }
      draft.id = text;
    }
  } else {
    iss.error("WEFT_SCHEMA", path, `step ${index + 1} has no \`id\``, "add `id: <a unique name>` to the step");
  }

  const name = common.get("name");
  if (name) draft.name = readString(name, iss);
  const description = common.get("description");
  if (description) readString(description, iss);
  const phase = common.get("phase");
  if (phase) {
    draft.phase = readString(phase, iss, { nonEmpty: true });
    draft.phasePath = phase.path;
  }

  const type = common.get("type");
  if (type) {
    draft.type = readString(type, iss, { nonEmpty: true });
    draft.typePath = type.path;
  } else {
    draft.type = inferType(obj);
    if (draft.type === undefined) {
      iss.error(
        "WEFT_SCHEMA",
        path,
        `step ${draft.id ? `\`${draft.id}\`` : index + 1} has no \`type\`, and none can be inferred`,
        `add \`type: ${BUILTIN_STEP_TYPES.join("|")}\` (a step with \`command\` is a script, with \`agent\` or \`prompt\` an agent)`,
      );
    }
  }

  const needs = common.get("needs");
  if (needs) {
    draft.declaresDeps = true;
    draft.needs = readNeeds(needs, iss);
  }
  for (const [key, target] of [
    ["on_success", draft.onSuccess],
    ["on_failure", draft.onFailure],
  ] as const) {
    const f = common.get(key);
    if (!f) continue;
    draft.declaresDeps = true;
    for (const ref of readNameList(f, iss)) target.push(ref);
  }

  const cond = common.get("if");
  if (cond) {
    draft.ifPath = cond.path;
    if (typeof cond.value === "boolean") draft.if = String(cond.value);
    else draft.if = readString(cond, iss, { nonEmpty: true });
  }
  const optional = common.get("optional");
  if (optional) draft.optional = readBoolean(optional, iss);
  const retry = common.get("retry");
  if (retry) draft.retry = retry.written === "retryPolicy" ? readRetryPolicy(retry, iss) : readRetry(retry, iss);
  const timeout = common.get("timeout");
  if (timeout && draft.type === "approval" && timeout.written === "timeout") {
    // On an approval, `timeout` is the deadline for a decision: a setting of the approval type (with `onTimeout`).
    if (readDuration(timeout, iss) !== undefined) {
      draft.config.timeout = asJson(timeout.value);
      draft.configPaths.set("timeout", timeout.path);
    }
  } else if (timeout) {
    draft.timeoutMs = timeout.written === "timeoutMs" ? readNumber(timeout, iss, 1) : readDuration(timeout, iss);
  }
  const foreach = common.get("foreach");
  if (foreach) {
    draft.foreach = readString(foreach, iss, { nonEmpty: true });
    draft.foreachPath = foreach.path;
  }
  const priority = common.get("priority");
  if (priority) draft.priority = readInteger(priority, iss, -1_000_000, 1_000_000);
  return draft;
}

/**
 * The type of a step written without `type:`: the first row with a key the step has. Editors show it (the
 * step-types API's `inferred_from`), so a step keeps its type when they leave `type:` out.
 */
export const TYPE_INFERENCE: readonly { readonly type: string; readonly keys: readonly string[] }[] = [
  { type: "script", keys: ["command"] },
  { type: "agent", keys: ["agent", "prompt"] },
  { type: "function", keys: ["function"] },
];

function inferType(obj: Record<string, unknown>): string | undefined {
  return TYPE_INFERENCE.find((row) => row.keys.some((key) => Object.hasOwn(obj, key)))?.type;
}

/** `needs: a`, `needs: [a, b]`, or items `{ step: a, on: success|failure|always }`. */
function readNeeds(f: Field, iss: Issues): DepDraft[] {
  if (!Array.isArray(f.value)) return readNameList(f, iss).map((r) => ({ step: r.name, on: "success", path: r.path }));
  const out: DepDraft[] = [];
  f.value.forEach((item, i) => {
    const path = [...f.path, i];
    if (typeof item === "string" && item.trim() !== "") {
      out.push({ step: item, on: "success", path });
      return;
    }
    if (typeof item === "object" && item !== null && !Array.isArray(item)) {
      const obj = item as Record<string, unknown>;
      const extra = Object.keys(obj).filter((k) => !(NEED_KEYS as readonly string[]).includes(k));
      for (const k of extra) {
        iss.error("WEFT_SCHEMA", [...path, k], `unknown key \`${k}\` in a dependency`, "use `step` and `on`", "key");
      }
      const on = obj.on ?? "success";
      if (typeof obj.step !== "string" || obj.step.trim() === "") {
        iss.error(
          "WEFT_SCHEMA",
          path,
          "a dependency mapping needs `step: <step id>`",
          "write `{ step: build, on: always }`",
        );
      } else if (typeof on !== "string" || !DEPENDENCY_CONDITIONS.includes(on as DependencyCondition)) {
        iss.error(
          "WEFT_SCHEMA",
          [...path, "on"],
          `\`on\` must be success, failure or always, got ${describe(on)}`,
          "write `on: success`, `on: failure` or `on: always`",
        );
      } else {
        out.push({ step: obj.step, on: on as DependencyCondition, path: [...path, "step"] });
      }
      return;
    }
    iss.error(
      "WEFT_SCHEMA",
      path,
      `dependency ${i + 1} must be a step id or \`{ step, on }\`, got ${describe(item)}`,
      "write a step id, e.g. `needs: [build]`",
    );
  });
  return out;
}
