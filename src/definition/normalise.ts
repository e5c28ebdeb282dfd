/** Reads the top level of a definition (any dialect) into a draft; steps are read by steps.ts. */
import type { JsonObject } from "../core/json.js";
import type { Budget, Dialect } from "../core/model.js";
import { readBudget } from "./budget.js";
import { detectDialect } from "./dialects/detect.js";
import { DEFAULTS_KEYS, SEED001_OUTER_KEYS, TOP_KEYS, WORKFLOW_MODES } from "./dialects/keys.js";
import { argsFromDefaults, readSeed000Graph, SEED000_TOP_KEYS } from "./dialects/seed000.js";
import { readSeed003Config } from "./dialects/seed003.js";
import {
  checkKeys,
  type Field,
  field,
  readBoolean,
  readDuration,
  readInteger,
  readMapping,
  readString,
  readStringList,
  readText,
} from "./fields.js";
import type { Issues } from "./issues.js";
import type { Path } from "./positions.js";
import { type RetryPatch, readRetry } from "./retry.js";
import { readStep, type StepDraft } from "./steps.js";
import { type CanvasPositions, checkPositionIds, readUi } from "./ui.js";

export interface WorkflowDraft {
  dialect: Dialect;
  rootPath: Path;
  name?: string | undefined;
  description?: string | undefined;
  version?: string | undefined;
  author?: string | undefined;
  tags: string[];
  category?: string | undefined;
  phases?: string[] | undefined;
  phasesPath?: Path | undefined;
  argsSchema?: JsonObject | undefined;
  argsSchemaPath?: Path | undefined;
  parallelism?: number | undefined;
  budget?: Budget | undefined;
  checkpoints?: { keep: number } | undefined;
  timeoutMs?: number | undefined;
  mode?: "dag" | "sequential" | undefined;
  defaults: { retry?: RetryPatch | undefined; timeoutMs?: number | undefined; optional?: boolean | undefined };
  steps: StepDraft[];
  /** Canvas positions (`ui.positions`): checked, then left out of the Workflow (ui.ts). */
  positions: CanvasPositions;
}

export function readWorkflow(
  doc: Record<string, unknown>,
  iss: Issues,
  sourceText: (path: Path) => string | undefined,
): WorkflowDraft {
  const { dialect, root, rootPath } = detectDialect(doc);
  if (dialect === "seed-001") checkKeys(doc, [], SEED001_OUTER_KEYS, iss, "the top level");
  const topKeys = dialect === "seed-000" ? SEED000_TOP_KEYS : TOP_KEYS;
  checkKeys(root, rootPath, topKeys, iss, dialect === "seed-001" ? "`workflow`" : "the workflow");
  const draft: WorkflowDraft = { dialect, rootPath, tags: [], defaults: {}, steps: [], positions: new Map() };
  const get = (key: string): Field | undefined => field(root, key, rootPath);

  const name = get("name");
  if (name) draft.name = readString(name, iss, { nonEmpty: true });
  else iss.error("WEFT_SCHEMA", rootPath, "the workflow has no `name`", "add `name: <workflow name>`");
  const description = get("description");
  if (description) draft.description = readString(description, iss);
  const version = get("version");
  if (version) draft.version = readText(version, iss, sourceText);
  const author = get("author");
  if (author) draft.author = readString(author, iss);
  const category = get("category");
  if (category) draft.category = readString(category, iss);
  const tags = get("tags");
  if (tags) draft.tags = readStringList(tags, iss) ?? [];

  const phases = get("phases");
  if (phases) {
    draft.phasesPath = phases.path;
    draft.phases = readPhases(phases, iss);
  }

  const argsSchema = get("argsSchema");
  const args = get("args");
  if (argsSchema && args) {
    iss.error(
      "WEFT_SCHEMA",
      args.path,
      "`args` and `argsSchema` both give the args schema",
      "keep only `argsSchema`",
      "key",
    );
  }
  const schema = argsSchema ?? args;
  if (schema) {
    const obj = readMapping(schema, iss, "write a JSON Schema: `{ type: object, properties: { … } }`");
    if (obj) {
      draft.argsSchema = obj as JsonObject;
      draft.argsSchemaPath = schema.path;
    }
  }

  const defaultParams = dialect === "seed-000" ? get("default_params") : undefined;
  if (defaultParams) {
    const params = readMapping(defaultParams, iss, "write `default_params: { topic: …, quantity: 10 }`");
    if (params) {
      draft.argsSchema = argsFromDefaults(params, draft.argsSchema);
      draft.argsSchemaPath ??= defaultParams.path;
    }
  }

  const parallelism = get("parallelism");
  if (parallelism) draft.parallelism = readInteger(parallelism, iss, 1);
  const timeout = get("timeout");
  if (timeout) draft.timeoutMs = readDuration(timeout, iss);
  const budget = get("budget");
  if (budget) draft.budget = readBudget(budget, iss);
  const checkpoints = get("checkpoints");
  if (checkpoints) draft.checkpoints = readCheckpoints(checkpoints, iss);
  const mode = get("mode");
  if (mode) {
    const value = WORKFLOW_MODES.find((m) => m === mode.value);
    if (value) draft.mode = value;
    else {
      iss.error(
        "WEFT_SCHEMA",
        mode.path,
        `\`mode\` must be dag or sequential, got ${JSON.stringify(mode.value)}`,
        "write `mode: dag` (steps run when their needs are met) or `mode: sequential` (file order)",
      );
    }
  }
  const defaults = get("defaults");
  if (defaults) readDefaults(defaults, draft, iss);

  const config = get("config");
  if (config) {
    const seed = readSeed003Config(config, iss);
    if (seed.timeoutMs !== undefined) {
      if (timeout && seed.paths.timeout) twice(iss, seed.paths.timeout, "timeout", "`timeout`");
      else draft.timeoutMs = seed.timeoutMs;
    }
    if (seed.parallelism !== undefined) {
      if (parallelism && seed.paths.parallelism) twice(iss, seed.paths.parallelism, "parallelism", "`parallelism`");
      else draft.parallelism = seed.parallelism;
    }
    if (seed.retry) draft.defaults.retry = { ...seed.retry, ...draft.defaults.retry };
    if (seed.optional !== undefined) draft.defaults.optional ??= seed.optional;
  }

  // Seed 001 keeps editor state beside its `workflow:` mapping or inside it.
  const ui = get("ui");
  const outerUi = dialect === "seed-001" ? field(doc, "ui", []) : undefined;
  if (ui && outerUi) {
    iss.error("WEFT_SCHEMA", ui.path, "`ui` is given twice: inside `workflow` and beside it", "keep one", "key");
  }
  const uiBlock = ui ?? outerUi;
  if (uiBlock) draft.positions = readUi(uiBlock, iss);

  if (dialect === "seed-000") {
    const graph = readSeed000Graph(root, rootPath, iss);
    draft.steps = graph.steps;
    if (graph.nodeIds.length > 0) checkPositionIds(draft.positions, graph.nodeIds, iss);
    draft.positions = new Map([...graph.positions, ...draft.positions]);
    return draft;
  }

  const steps = get("steps");
  if (!steps) {
    iss.error("WEFT_SCHEMA", rootPath, "the workflow has no `steps`", "add `steps:` with a list of steps");
  } else if (!Array.isArray(steps.value)) {
    iss.error(
      "WEFT_SCHEMA",
      steps.path,
      `\`steps\` must be a list of steps, got ${typeof steps.value === "object" && steps.value !== null ? "a mapping" : JSON.stringify(steps.value)}`,
      "write `steps:` followed by items `- id: …`",
    );
  } else if (steps.value.length === 0) {
    iss.error("WEFT_SCHEMA", steps.path, "`steps` is empty", "add at least one step");
  } else {
    steps.value.forEach((value, i) => {
      const step = readStep(value, [...steps.path, i], i, iss);
      if (step) draft.steps.push(step);
    });
  }
  const ids = idsOf(draft.steps);
  if (ids.length > 0) checkPositionIds(draft.positions, ids, iss);
  return draft;
}

const idsOf = (steps: readonly StepDraft[]): string[] => steps.flatMap((s) => (s.id === undefined ? [] : [s.id]));

function twice(iss: Issues, f: Field, key: string, top: string): void {
  iss.error(
    "WEFT_SCHEMA",
    f.path,
    `\`config.${key}\` and the top-level ${top} are both set`,
    `keep only ${top}`,
    "key",
  );
}

function readPhases(f: Field, iss: Issues): string[] | undefined {
  const list = readStringList(f, iss);
  if (!list) return undefined;
  const seen = new Set<string>();
  list.forEach((phase, i) => {
    if (seen.has(phase)) {
      iss.error("WEFT_SCHEMA", [...f.path, i], `phase \`${phase}\` is listed twice`, "list each phase once");
    }
    seen.add(phase);
  });
  return [...seen];
}

function readDefaults(f: Field, draft: WorkflowDraft, iss: Issues): void {
  const obj = readMapping(f, iss, "write `defaults: { retry: 3, timeout: 10m }`");
  if (!obj) return;
  checkKeys(obj, f.path, DEFAULTS_KEYS, iss, "`defaults`");
  const retry = field(obj, "retry", f.path);
  if (retry) draft.defaults.retry = readRetry(retry, iss);
  const timeout = field(obj, "timeout", f.path);
  if (timeout) draft.defaults.timeoutMs = readDuration(timeout, iss);
  const optional = field(obj, "optional", f.path);
  if (optional) draft.defaults.optional = readBoolean(optional, iss);
}

/** `checkpoints: { keep: 20 }`: the retention applied when a run ends. */
function readCheckpoints(f: Field, iss: Issues): { keep: number } | undefined {
  const hint = "write `checkpoints: { keep: 20 }` (keep the newest 20 once a run ends)";
  const obj = readMapping(f, iss, hint);
  if (!obj) return undefined;
  checkKeys(obj, f.path, ["keep"], iss, "`checkpoints`");
  const keep = field(obj, "keep", f.path);
  if (!keep) {
    iss.error("WEFT_SCHEMA", f.path, "`checkpoints` sets no `keep`", hint);
    return undefined;
  }
  const n = readInteger(keep, iss, 1);
  return n === undefined ? undefined : { keep: n };
}
