/**
 * From drafts to the model: step ids, dependencies (explicit needs, on_success/on_failure edges, file order),
 * cycles, phases, and each step's effective retry/timeout/optional after the workflow's defaults.
 */
import type { Dependency, DependencyCondition, Workflow, WorkflowStep } from "../core/model.js";
import { DEFAULT_RETRY } from "../core/model.js";
import { findCycles, formatCycle } from "./graph.js";
import { didYouMean, type Issues } from "./issues.js";
import type { WorkflowDraft } from "./normalise.js";
import type { Path } from "./positions.js";
import type { DepDraft, StepDraft } from "./steps.js";

export interface Resolved {
  workflow: Workflow;
  /** Drafts of the steps in `workflow.steps`, same order. */
  drafts: StepDraft[];
}

export function resolveWorkflow(draft: WorkflowDraft, iss: Issues, source: Workflow["source"]): Resolved {
  const byId = new Map<string, StepDraft>();
  const drafts: StepDraft[] = [];
  for (const step of draft.steps) {
    if (step.id === undefined) continue;
    const first = byId.get(step.id);
    if (first) {
      iss.error(
        "WEFT_DUPLICATE_ID",
        step.idPath,
        `duplicate step id \`${step.id}\`: the first step with this id is at line ${iss.map.locate(first.idPath).line}`,
        "give every step a unique id",
      );
      continue;
    }
    byId.set(step.id, step);
    drafts.push(step);
  }
  const ids = [...byId.keys()];
  const unknown = (ref: string, path: Path, message: string) =>
    iss.error("WEFT_UNKNOWN_REF", path, message, didYouMean(ref, ids) ?? `steps are: ${ids.join(", ")}`);

  const deps = new Map<string, DepDraft[]>(drafts.map((s) => [s.id as string, []]));
  for (const step of drafts) {
    for (const dep of step.needs) {
      if (byId.has(dep.step)) deps.get(step.id as string)?.push(dep);
      else unknown(dep.step, dep.path, `step \`${step.id}\` needs \`${dep.step}\`, but no step has that id`);
    }
    for (const [key, refs, on] of [
      ["on_success", step.onSuccess, "success"],
      ["on_failure", step.onFailure, "failure"],
    ] as const) {
      for (const ref of refs) {
        const target = deps.get(ref.name);
        if (target) target.push({ step: step.id as string, on, path: ref.path });
        else unknown(ref.name, ref.path, `step \`${step.id}\` has ${key}: \`${ref.name}\`, but no step has that id`);
      }
    }
  }
  const sequential =
    draft.mode === "sequential" || (draft.mode === undefined && !draft.steps.some((s) => s.declaresDeps));
  if (sequential) {
    // Each step follows the step above it. on_failure handlers are left out of the line: they keep only
    // their own edges, and the step below a handler follows the step above it (a handler is skipped when
    // nothing fails, and must not take the main line down with it).
    const handlers = new Set(drafts.flatMap((s) => s.onFailure.map((r) => r.name)));
    let previous: string | undefined;
    for (const step of drafts) {
      const id = step.id as string;
      const list = deps.get(id) as DepDraft[];
      if (previous !== undefined && !handlers.has(id) && !list.some((d) => d.step === previous)) {
        list.push({ step: previous, on: "success", path: step.path });
      }
      if (!handlers.has(id)) previous = id;
    }
  }

  const steps = drafts.map((d) => toStep(d, merge(deps.get(d.id as string) ?? []), draft));
  for (const cycle of findCycles(steps)) {
    const [from, to] = cycle as [string, string];
    const edge = deps.get(from)?.find((d) => d.step === to);
    iss.error(
      "WEFT_CYCLE",
      edge?.path ?? (byId.get(from) as StepDraft).path,
      `dependency cycle: ${formatCycle(cycle)}`,
      cycle.length === 2
        ? `step \`${from}\` cannot depend on itself: remove \`${from}\` from its needs`
        : "remove one of these dependencies (a → b means a waits for b)",
    );
  }

  const phases = draft.phases ?? [];
  if (draft.phases) {
    for (const step of drafts) {
      if (step.phase === undefined || phases.includes(step.phase)) continue;
      const suggestion = didYouMean(step.phase, phases);
      iss.error(
        "WEFT_SCHEMA",
        step.phasePath ?? step.path,
        `step \`${step.id}\` is in phase \`${step.phase}\`, which is not listed in \`phases\` (${phases.join(", ")})`,
        suggestion ?? `add \`${step.phase}\` to \`phases\`, or put the step in one of the listed phases`,
      );
    }
  } else {
    for (const step of drafts) if (step.phase !== undefined && !phases.includes(step.phase)) phases.push(step.phase);
  }

  const workflow: Workflow = {
    name: draft.name ?? "",
    description: draft.description,
    version: draft.version,
    author: draft.author,
    tags: draft.tags,
    category: draft.category,
    phases,
    argsSchema: draft.argsSchema,
    parallelism: draft.parallelism,
    timeoutMs: draft.timeoutMs,
    budget: draft.budget,
    checkpoints: draft.checkpoints,
    steps,
    source,
  };
  return { workflow: stripUndefined(workflow), drafts };
}

/** One edge per source: both success and failure (or anything with always) become `always`. */
function merge(list: readonly DepDraft[]): Dependency[] {
  const on = new Map<string, DependencyCondition>();
  for (const dep of list) {
    const had = on.get(dep.step);
    on.set(dep.step, had === undefined || had === dep.on ? dep.on : "always");
  }
  return [...on].map(([step, condition]) => ({ step, on: condition }));
}

function toStep(d: StepDraft, needs: Dependency[], draft: WorkflowDraft): WorkflowStep {
  const retry = { ...DEFAULT_RETRY, ...draft.defaults.retry, ...d.retry };
  return stripUndefined({
    id: d.id as string,
    name: d.name ?? (d.id as string),
    type: d.type ?? "",
    phase: d.phase,
    needs,
    if: d.if,
    optional: d.optional ?? draft.defaults.optional ?? false,
    retry: stripUndefined(retry),
    // A default step timeout is no deadline for a person: approvals keep only their own `timeout`.
    timeoutMs: d.timeoutMs ?? (d.type === "approval" ? undefined : draft.defaults.timeoutMs),
    foreach: d.foreach,
    priority: d.priority ?? 0,
    config: d.config,
  });
}

/** Drops keys whose value is undefined, so equal workflows compare and hash equal. */
function stripUndefined<T extends object>(obj: T): T {
  for (const key of Object.keys(obj) as (keyof T)[]) if (obj[key] === undefined) delete obj[key];
  return obj;
}
