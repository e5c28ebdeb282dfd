/** The StepContext a handler gets, and the per-step helpers around it. */
import { TerminalError } from "../core/errors.js";
import { evaluate, parseExpression, renderString, renderValue } from "../core/expressions/index.js";
import type { Json, JsonObject } from "../core/json.js";
import { isJsonObject } from "../core/json.js";
import type { WorkflowStep } from "../core/model.js";
import { idempotencyKey } from "../core/model.js";
import type { StepContext, StepType } from "../steps/step-type.js";
import type { EngineCore } from "./core.js";
import type { StepLog } from "./logs.js";
import { runScope } from "./scope.js";
import type { RunState } from "./state.js";
import { createStepArtifacts } from "./step-artifacts.js";
import type { UsageMeter } from "./usage.js";

export interface StepContextArgs {
  core: EngineCore;
  state: RunState;
  step: WorkflowStep;
  key: string;
  iteration: number | null;
  attempt: number;
  log: StepLog;
  item: { item: Json; index: number } | undefined;
  /** A line of output: the driver publishes it as `workflow.step.progress`. */
  onLog: (stream: "stdout" | "stderr" | "info", text: string) => void;
  /** The run's usage ledger as this step run sees it. */
  usage: UsageMeter;
}

export function createStepContext(a: StepContextArgs): StepContext {
  const { core, step, log, item } = a;
  const scope = runScope(a.state, item);
  const runId = a.state.run.id;
  return {
    runId,
    stepId: step.id,
    key: a.key,
    iteration: a.iteration,
    attempt: a.attempt,
    idempotencyKey: idempotencyKey(runId, step.id, a.iteration),
    projectPath: core.projectPath,
    env: core.stepEnv,
    sandbox: core.sandbox,
    logDir: log.dir,
    item: item?.item,
    index: item?.index,
    timeoutMs: step.timeoutMs,
    providers: a.state.run.testRun === true ? core.testProviders : core.providers,
    usage: a.usage,
    artifacts: createStepArtifacts({
      store: core.store,
      dataDir: core.dataDir,
      runId,
      projectId: a.state.run.projectId,
      stepKey: a.key,
      idempotencyKey: idempotencyKey(runId, step.id, a.iteration),
      now: () => core.clock.now(),
      publish: (events) => core.publish(events),
    }),
    render: (value) => renderDeep(value, (s) => renderValue(s, scope)),
    renderString: (t) => renderString(t, scope),
    evaluate: (expr) => evaluate(parseExpression(expr), scope),
    recordInput: (input) => log.writeJson("input.json", input),
    log: (stream, text) => {
      log.event({ type: stream, at: core.clock.now(), text });
      a.onLog(stream, text);
    },
    notice: (message) => core.notice(runId, message),
    now: () => core.clock.now(),
  };
}

/** Step configs are validated when the workflow loads; parsed once more (typed) on first use. */
const parsedConfigs = new WeakMap<WorkflowStep, unknown>();
export function parseConfig(type: StepType<unknown>, step: WorkflowStep): unknown {
  if (parsedConfigs.has(step)) return parsedConfigs.get(step);
  const res = type.configSchema.safeParse(step.config);
  if (!res.success) {
    const first = res.error.issues[0];
    throw new TerminalError(
      `step \`${step.id}\`: invalid ${step.type} config${first ? ` at ${first.path.join(".") || "(root)"}: ${first.message}` : ""}`,
      "WEFT_STEP_CONFIG",
    );
  }
  parsedConfigs.set(step, res.data);
  return res.data;
}

function renderDeep(value: Json, render: (s: string) => Json): Json {
  if (typeof value === "string") return value.includes("{{") ? render(value) : value;
  if (Array.isArray(value)) return value.map((v) => renderDeep(v, render));
  if (isJsonObject(value)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) out[k] = renderDeep(v, render);
    return out;
  }
  return value;
}

export function defaultSummary(
  step: WorkflowStep,
  key: string,
  attempt: number,
  started: number,
  ended: number,
): string {
  return `# ${step.name}\n\n- step: \`${key}\` (${step.type})\n- attempt: ${attempt}\n- duration: ${ended - started} ms\n- status: completed\n`;
}

/**
 * A function's return value as JSON: undefined → null, Dates → ISO strings, and anything JSON cannot hold
 * (a BigInt, a cycle) is a terminal error rather than a corrupt record.
 */
export function toJson(value: unknown): Json {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as Json);
  } catch (err) {
    throw new TerminalError(`the step's result cannot be stored as JSON: ${(err as Error).message}`);
  }
}
