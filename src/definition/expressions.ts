/**
 * Static checks of the expressions in a workflow: `{{ … }}` templates in every string of a step's config, `if`
 * conditions and `foreach` lists must parse, and every reference must start at a known root:
 * `args` (aliases `input`, `context`), `steps.<id>`, `run`, `workflow`, `item`/`index` (in foreach steps), a
 * step id (its output, seed 003), or an argument name (seed 003 context values; checked against
 * argsSchema.properties when the schema declares them).
 */
import {
  ExpressionError,
  isTemplate,
  parseCondition,
  parseExpression,
  parseTemplate,
  type Reference,
  references,
} from "../core/expressions/index.js";
import type { Json } from "../core/json.js";
import type { Workflow, WorkflowStep } from "../core/model.js";
import { didYouMean, type Issues } from "./issues.js";
import { outputFieldWarning } from "./output-fields.js";
import type { Path } from "./positions.js";
import type { StepDraft } from "./steps.js";

const ARG_ROOTS = new Set(["args", "input", "context"]);
const FIXED_ROOTS = ["args", "input", "context", "steps", "run", "workflow"];
const DOCS = "see docs/workflow-syntax.md#expressions";

interface Scope {
  step: WorkflowStep;
  draft: StepDraft;
  /** Where `item`/`index` are defined: in a foreach step, but not in its own `foreach` expression. */
  itemDefined: boolean;
}

export function checkExpressions(workflow: Workflow, drafts: readonly StepDraft[], iss: Issues): void {
  const byId = new Map(workflow.steps.map((s) => [s.id, s]));
  const properties = workflow.argsSchema?.properties;
  const argNames =
    typeof properties === "object" && properties !== null && !Array.isArray(properties)
      ? new Set(Object.keys(properties))
      : undefined;
  const upstream = upstreamOf(byId);

  const checkRef = (ref: Reference, scope: Scope, path: Path, source: string, text: string) => {
    const at = iss.map.locateInString(path, ref.offset);
    /** Fields read from a step's output that its outputSchema does not declare (output-fields.ts). */
    const checkFields = (target: string, shown: string, skip: number) => {
      const step = byId.get(target);
      const w = step && outputFieldWarning(scope.step.id, source, step, shown, ref.path.slice(skip));
      if (!w) return;
      const location = iss.map.locateInString(path, segmentOffset(text, ref, skip + w.index));
      iss.add({ code: "WEFT_UNDECLARED_FIELD", severity: "warning", message: w.message, hint: w.hint, location });
    };
    const push = (code: "WEFT_UNKNOWN_ROOT" | "WEFT_UNKNOWN_REF", message: string, hint: string, warn = false) =>
      iss.add({ code, severity: warn ? "warning" : "error", message, hint, location: at });
    const sid = scope.step.id;
    const root = ref.root;
    const first = ref.path[0];
    const stepRef = (target: string, shown: string) => {
      if (target === sid || !upstream(sid, target)) {
        push(
          "WEFT_UNKNOWN_REF",
          `step \`${sid}\` uses \`${shown}\` but does not depend on \`${target}\`, so its output may not exist yet`,
          `add \`${target}\` to the needs of \`${sid}\``,
          true,
        );
      }
    };
    if (ARG_ROOTS.has(root)) {
      if (argNames && first !== undefined && !argNames.has(first)) {
        push(
          "WEFT_UNKNOWN_ROOT",
          `step \`${sid}\` uses \`${root}.${first}\`, but argsSchema declares no argument \`${first}\``,
          didYouMean(first, argNames) ?? `declare \`${first}\` under argsSchema.properties`,
        );
      }
    } else if (root === "steps") {
      if (first === undefined) return;
      if (!byId.has(first)) {
        push(
          "WEFT_UNKNOWN_REF",
          `step \`${sid}\` uses \`steps.${first}\` in \`${source}\`, but no step has the id \`${first}\``,
          didYouMean(first, byId.keys()) ?? `steps are: ${[...byId.keys()].join(", ")}`,
        );
      } else {
        stepRef(first, `steps.${first}`);
        if (ref.path[1] === "output") checkFields(first, `steps.${first}.output`, 2);
      }
    } else if (root === "item" || root === "index") {
      if (!scope.itemDefined) {
        push(
          "WEFT_UNKNOWN_ROOT",
          `step \`${sid}\` uses \`${root}\`, which is only defined in the steps of a \`foreach\``,
          scope.step.foreach
            ? "a foreach step's `foreach` and `if` are evaluated once, before its items exist; use `item` in its other settings"
            : "add `foreach: <list>` to the step",
        );
      }
    } else if (root === "run" || root === "workflow") {
      return;
    } else if (byId.has(root)) {
      stepRef(root, root);
      checkFields(root, root, 0);
    } else if (argNames && !argNames.has(root)) {
      const candidates = [...FIXED_ROOTS, ...byId.keys(), ...argNames];
      push(
        "WEFT_UNKNOWN_ROOT",
        `step \`${sid}\` uses \`${root}\`, which is not an argument in argsSchema, a step id, or one of ${FIXED_ROOTS.join(", ")}`,
        didYouMean(root, candidates) ??
          `declare \`${root}\` under argsSchema.properties, or write \`steps.<id>.output\``,
      );
    }
  };

  const check = (text: string, path: Path, scope: Scope, source: string, kind: "template" | "condition" | "list") => {
    let refs: Reference[];
    try {
      if (kind === "condition") refs = references(parseCondition(text));
      else if (kind === "list" && !isTemplate(text)) refs = references(parseExpression(text));
      else refs = references(parseTemplate(text));
    } catch (err) {
      if (!(err instanceof ExpressionError)) return; // not a user error: leave it to run time
      // The message ends with the position inside the expression; the issue gives the file's instead.
      const parts = /^(.*?) \(line \d+, column \d+\)(?: — (.*))?$/s.exec(err.message);
      iss.add({
        code: "WEFT_EXPRESSION",
        severity: "error",
        message: `step \`${scope.step.id}\`: invalid expression in \`${source}\`: ${parts?.[1] ?? err.message}`,
        hint: parts?.[2] ? `${parts[2]}; ${DOCS}` : DOCS,
        location: iss.map.locateInString(path, err.offset),
      });
      return;
    }
    for (const ref of refs) checkRef(ref, scope, path, source, text);
  };

  workflow.steps.forEach((step, i) => {
    const draft = drafts[i] as StepDraft;
    const scope: Scope = { step, draft, itemDefined: step.foreach !== undefined };
    if (step.foreach !== undefined && draft.foreachPath) {
      check(step.foreach, draft.foreachPath, { ...scope, itemDefined: false }, "foreach", "list");
    }
    // `if` is decided once for the whole step, before a foreach fans out: no item exists yet.
    if (step.if !== undefined && draft.ifPath)
      check(step.if, draft.ifPath, { ...scope, itemDefined: false }, "if", "condition");
    for (const [key, value] of Object.entries(step.config)) {
      const base = draft.configPaths.get(key) ?? draft.path;
      walkStrings(value, base, key, (text, path, label) => check(text, path, scope, label, "template"));
    }
  });
}

/** Offset in `text` of the `index`-th name of `ref.path` (found after the ones before it), else of the root. */
function segmentOffset(text: string, ref: Reference, index: number): number {
  const span = text.slice(ref.offset, ref.offset + ref.length);
  let at = ref.root.length;
  for (let i = 0; i <= index; i++) {
    const name = ref.path[i] ?? "";
    const found = name === "" ? -1 : span.indexOf(name, at);
    if (found < 0) return ref.offset;
    if (i === index) return ref.offset + found;
    at = found + name.length;
  }
  return ref.offset;
}

function walkStrings(value: Json, path: Path, label: string, visit: (text: string, path: Path, label: string) => void) {
  if (typeof value === "string") {
    if (isTemplate(value)) visit(value, path, label);
  } else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) walkStrings(v, [...path, i], `${label}[${i}]`, visit);
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) walkStrings(v, [...path, k], `${label}.${k}`, visit);
  }
}

/** `upstream(a, b)`: does step a (transitively) depend on b? A search that stops at the first hit. */
function upstreamOf(byId: ReadonlyMap<string, WorkflowStep>): (from: string, target: string) => boolean {
  return (from, target) => {
    const seen = new Set<string>();
    const queue = [from];
    for (let i = 0; i < queue.length; i++) {
      for (const dep of byId.get(queue[i] as string)?.needs ?? []) {
        if (dep.step === target) return true;
        if (!seen.has(dep.step)) {
          seen.add(dep.step);
          queue.push(dep.step);
        }
      }
    }
    return false;
  };
}
