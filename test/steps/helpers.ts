/**
 * A fake StepContext for step-type tests. Its `render`/`renderString`/`evaluate` understand only paths under
 * `args`, `item` and `index` (`{{ args.x }}`, `{{ args.a.b }}`), so these tests do not depend on the expression
 * language's full implementation.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import type { ProviderRegistry } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { stepBaseEnv } from "../../src/core/environment.js";
import { isJsonObject, type Json, type JsonObject } from "../../src/core/json.js";
import type { Budget } from "../../src/core/model.js";
import { UsageLedger, type UsageReport } from "../../src/engine/usage.js";
import type { Sandbox } from "../../src/steps/script/sandbox.js";
import type { StepArtifacts, StepContext } from "../../src/steps/step-type.js";

export interface FakeContext extends StepContext {
  logs: Array<{ stream: "stdout" | "stderr" | "info"; text: string }>;
  notices: string[];
  inputs: Json[];
  /** Usage the step reported, in order. */
  reported: UsageReport[];
}

export interface FakeContextOptions {
  args?: JsonObject;
  item?: Json;
  index?: number;
  projectPath?: string;
  logDir?: string;
  providers?: ProviderRegistry;
  now?: number;
  attempt?: number;
  stepId?: string;
  /** The run's budget; with `spent`, what was spent before this step run. */
  budget?: Budget;
  spent?: number;
  /** The run's artifacts (e.g. `createStepArtifacts` over a real store); default: every call fails. */
  artifacts?: StepArtifacts;
  /** The base environment of processes (`ctx.env`). Default: the clean allow-list of this process's. */
  env?: Record<string, string>;
  sandbox?: Sandbox;
}

const noArtifacts = () => Promise.reject(new Error("fake context: no artifacts; pass `artifacts`"));
/** `ctx.artifacts` of a fake context that was given none. */
const NO_ARTIFACTS: StepArtifacts = {
  create: noArtifacts,
  find: noArtifacts,
  get: noArtifacts,
  attach: noArtifacts,
  attachments: noArtifacts,
  readDocument: noArtifacts,
};

const EXPR = /\{\{\s*(.*?)\s*\}\}/g;
const EXACT = /^\{\{\s*(.*?)\s*\}\}$/;

/** Temporary folders of this test file, removed when its tests are done (a fake context makes two per test). */
const made: string[] = [];
afterAll(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix = "weft-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

export function fakeContext(opts: FakeContextOptions = {}): FakeContext {
  const stepId = opts.stepId ?? "step";
  const roots: JsonObject = { args: opts.args ?? {} };
  if (opts.item !== undefined) roots.item = opts.item;
  if (opts.index !== undefined) roots.index = opts.index;

  const evaluate = (source: string): Json => {
    let value: Json | undefined = roots;
    for (const name of source.trim().split(".")) {
      value = isJsonObject(value) && Object.hasOwn(value, name) ? value[name] : undefined;
      if (value === undefined) throw new Error(`fake context: ${source} is not defined`);
    }
    return value;
  };
  const toText = (v: Json) => (v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
  const renderString = (template: string) => template.replace(EXPR, (_, src: string) => toText(evaluate(src)));
  const render = (value: Json): Json => {
    if (typeof value === "string") {
      const exact = EXACT.exec(value);
      return exact && !exact[1]?.includes("}}") ? evaluate(exact[1] as string) : renderString(value);
    }
    if (Array.isArray(value)) return value.map(render);
    if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, render(v)]));
    return value;
  };

  const ledger = new UsageLedger(opts.budget);
  if (opts.spent) ledger.record("earlier", { provider: "mock", model: "m", inputTokens: opts.spent, outputTokens: 0 });
  const ctx: FakeContext = {
    runId: "run-1",
    stepId,
    key: stepId,
    iteration: null,
    attempt: opts.attempt ?? 1,
    idempotencyKey: `run-1:${stepId}:0`,
    projectPath: opts.projectPath ?? tempDir("weft-project-"),
    env: opts.env ?? stepBaseEnv(process.env, { mode: "clean" }),
    sandbox: opts.sandbox,
    logDir: opts.logDir ?? tempDir("weft-logs-"),
    item: opts.item,
    index: opts.index,
    timeoutMs: undefined,
    providers: opts.providers ?? createProviderRegistry({}),
    usage: {
      report: (u) => {
        ctx.reported.push(u);
        ledger.record(stepId, u);
      },
      spent: () => ({ run: { ...ledger.run }, step: { ...ledger.step(stepId) } }),
      runBudget: () => ledger.budget(),
      stepBudget: (declared) => ledger.stepBudget(stepId, declared),
    },
    artifacts: opts.artifacts ?? NO_ARTIFACTS,
    render,
    renderString,
    evaluate,
    recordInput: (input) => {
      ctx.inputs.push(input);
    },
    log: (stream, text) => {
      ctx.logs.push({ stream, text });
    },
    notice: (message) => {
      ctx.notices.push(message);
    },
    now: () => opts.now ?? 1_700_000_000_000,
    logs: [],
    notices: [],
    inputs: [],
    reported: [],
  };
  return ctx;
}

/** Lines logged to one stream, in order. */
export function lines(ctx: FakeContext, stream: "stdout" | "stderr" | "info"): string[] {
  return ctx.logs.filter((l) => l.stream === stream).map((l) => l.text);
}
