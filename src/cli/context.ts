/**
 * What every command needs, read once from flags and the environment: the data directory, the store, the
 * engine. `process.env` is read here and nowhere deeper (STYLE.md: no globals).
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { createClaudeCodeProvider, createCodexProvider, createGeminiCliProvider } from "../agents/cli/index.js";
import { type AgentRuntime, createAgentRuntime } from "../agents/config/index.js";
import { lazyProvider } from "../agents/lazy.js";
import { formatIssue, WeftError } from "../core/errors.js";
import type { Engine } from "../engine/engine.js";
import { createEngine } from "../engine/engine.js";
import { faultsFromSpec } from "../engine/faults.js";
import { builtinStepTypes } from "../steps/builtin.js";
import { createSqliteStore } from "../store/sqlite/index.js";
import type { Durability, Store } from "../store/store.js";

export interface GlobalOptions {
  dataDir?: string;
  durability?: string;
  mockFixtures?: string;
  /** The agents config file (`--config`); default `weft.config.yaml` in the working directory, if any. */
  config?: string;
}

export function dataDirOf(opts: GlobalOptions): string {
  return resolve(opts.dataDir ?? process.env.WEFT_DATA_DIR ?? join(homedir(), ".weft"));
}

function durabilityOf(opts: GlobalOptions): Durability {
  const d = opts.durability ?? process.env.WEFT_DURABILITY ?? "full";
  if (d !== "full" && d !== "normal") {
    throw new WeftError("WEFT_SCHEMA", `--durability must be "full" or "normal", not "${d}"`);
  }
  return d;
}

/**
 * `check: "quick"` reads the whole file first and refuses a damaged one (about 3 ms per MB): what `weft serve`
 * does at start-up. Other commands skip it — they must start fast — and report a damaged page when they read it.
 */
export function openStore(opts: GlobalOptions, check: "none" | "quick" = "none"): Store {
  return createSqliteStore({ path: join(dataDirOf(opts), "weft.db"), durability: durabilityOf(opts), check });
}

/**
 * The agents: `weft.config.yaml` (or `--config`), API keys from the environment or its secrets file, the SDK
 * providers, the CLI coding agents and the mock. Its warnings go to stderr; its errors throw (exit 2).
 */
export function agentRuntime(opts: GlobalOptions): AgentRuntime {
  const dataDir = dataDirOf(opts);
  // A plain copy: process.env is an exotic object that schema checks refuse as a record.
  const env: NodeJS.ProcessEnv = { ...process.env };
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
      createClaudeCodeProvider({ env, dataDir }),
      createCodexProvider({ env, dataDir }),
      createGeminiCliProvider({ env, dataDir }),
    ],
  });
  for (const w of runtime.warnings) process.stderr.write(`${formatIssue(w)}\n`);
  return runtime;
}

export function openEngine(opts: GlobalOptions, store = openStore(opts)): Engine {
  return createEngine({
    store,
    dataDir: dataDirOf(opts),
    providers: agentRuntime(opts),
    faults: faultsFromSpec(process.env.WEFT_FAULT),
  });
}

/** The step types a definition is validated against (config schemas of the built-ins). */
export function stepTypeSchemas() {
  return new Map(builtinStepTypes().map((t) => [t.type, t]));
}
