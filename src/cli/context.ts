/**
 * What the commands that drive runs need, read once from flags and the environment: the agents, the sandbox,
 * the engine (store.ts: the data directory and the store). `process.env` is read here, in store.ts and nowhere
 * deeper (STYLE.md: no globals).
 */
import { createClaudeCodeProvider, createCodexProvider, createGeminiCliProvider } from "../agents/cli/index.js";
import { type AgentRuntime, createAgentRuntime } from "../agents/config/index.js";
import { lazyProvider } from "../agents/lazy.js";
import { stepBaseEnv } from "../core/environment.js";
import { formatIssue, WeftError } from "../core/errors.js";
import type { Engine } from "../engine/engine.js";
import { createEngine } from "../engine/engine.js";
import { faultsFromSpec } from "../engine/faults.js";
import { createStepTypeRegistry } from "../steps/registry.js";
import { createBwrapSandbox, type Sandbox } from "../steps/script/sandbox.js";
import { dataDirOf, type GlobalOptions, openStore } from "./store.js";

/**
 * Whose steps a command drives: `terminal` (`weft run`, `resume`…: the person's own, who get their whole
 * environment but weft's variables) or `server` (`weft serve`: anyone's with a token, who get the clean
 * allow-list plus what the operator passes on with `--pass-env`). core/environment.ts.
 */
export type StepEnvPolicy = { mode: "terminal" } | { mode: "server"; pass: readonly string[] };

/** The base environment of steps under `policy`, read from this process's environment. */
export function stepEnvOf(policy: StepEnvPolicy): Record<string, string> {
  return policy.mode === "terminal"
    ? stepBaseEnv(process.env, { mode: "inherit" })
    : stepBaseEnv(process.env, { mode: "clean", pass: policy.pass });
}

/** The sandbox `--sandbox` / WEFT_SANDBOX asks for (checked now: exit 2 when bwrap is missing or broken). */
function sandboxOf(opts: GlobalOptions, hide: readonly string[]): Sandbox | undefined {
  const mode = opts.sandbox ?? process.env.WEFT_SANDBOX ?? "none";
  if (mode === "none" || mode === "") return undefined;
  if (mode !== "bwrap") throw new WeftError("WEFT_ARGS", `--sandbox must be "none" or "bwrap", not "${mode}"`);
  return createBwrapSandbox({ hide });
}

/**
 * The agents: `weft.config.yaml` (or `--config`), API keys from the environment or its secrets file, the SDK
 * providers, the CLI coding agents and the mock. Its warnings go to stderr; its errors throw (exit 2).
 */
export function agentRuntime(opts: GlobalOptions, policy: StepEnvPolicy = { mode: "terminal" }): AgentRuntime {
  const dataDir = dataDirOf(opts);
  // A plain copy: process.env is an exotic object that schema checks refuse as a record.
  const env: NodeJS.ProcessEnv = { ...process.env };
  // What CLI agents' processes get: the steps' base environment; `options.passEnv` names more from `env`.
  const cli = { env: stepEnvOf(policy), passEnvFrom: env, dataDir };
  const runtime = createAgentRuntime({
    config: opts.config ?? env.WEFT_CONFIG,
    env,
    cwd: process.cwd(),
    mockFixtures: opts.mockFixtures ?? env.WEFT_MOCK_FIXTURES,
    providers: [
      // The SDKs load on the first call (they would slow every command's start).
      (d) =>
        lazyProvider(
          "anthropic",
          async () => (await import("../agents/providers/anthropic.js")).createAnthropicProvider(d),
          { images: false },
        ),
      (d) =>
        lazyProvider("openai", async () => (await import("../agents/providers/openai.js")).createOpenAIProvider(d), {
          images: true,
        }),
      (d) =>
        lazyProvider("gemini", async () => (await import("../agents/providers/gemini.js")).createGeminiProvider(d), {
          images: true,
        }),
      createClaudeCodeProvider(cli),
      createCodexProvider(cli),
      createGeminiCliProvider(cli),
    ],
  });
  for (const w of runtime.warnings) process.stderr.write(`${formatIssue(w)}\n`);
  return runtime;
}

/**
 * The engine of a command. `policy`: whose steps it drives (default: the person's at this terminal).
 * @throws WeftError `WEFT_ARGS` when `--sandbox bwrap` is asked for and bubblewrap is missing or broken.
 */
export function openEngine(
  opts: GlobalOptions,
  store = openStore(opts),
  policy: StepEnvPolicy = { mode: "terminal" },
): Engine {
  const dataDir = dataDirOf(opts);
  const providers = agentRuntime(opts, policy);
  const hide = [dataDir, ...(providers.secretsFile === undefined ? [] : [providers.secretsFile])];
  return createEngine({
    store,
    dataDir,
    providers,
    stepEnv: stepEnvOf(policy),
    sandbox: sandboxOf(opts, hide),
    faults: faultsFromSpec(process.env.WEFT_FAULT),
  });
}

/** The step types a definition is validated against (config schemas of the built-ins): the engine's registry. */
export function stepTypeSchemas() {
  return createStepTypeRegistry();
}
