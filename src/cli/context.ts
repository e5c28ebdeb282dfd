/**
 * What every command needs, read once from flags and the environment: the data directory, the store, the
 * engine. `process.env` is read here and nowhere deeper (STYLE.md: no globals).
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { createMockProvider } from "../agents/mock/index.js";
import { createProviderRegistry } from "../agents/registry.js";
import { WeftError } from "../core/errors.js";
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

export function openStore(opts: GlobalOptions): Store {
  return createSqliteStore({ path: join(dataDirOf(opts), "weft.db"), durability: durabilityOf(opts) });
}

export function openEngine(opts: GlobalOptions, store = openStore(opts)): Engine {
  const fixtures = opts.mockFixtures ?? process.env.WEFT_MOCK_FIXTURES;
  return createEngine({
    store,
    dataDir: dataDirOf(opts),
    providers: createProviderRegistry({ mock: createMockProvider(fixtures ? { fixtures } : {}) }),
    faults: faultsFromSpec(process.env.WEFT_FAULT),
  });
}

/** The step types a definition is validated against (config schemas of the built-ins). */
export function stepTypeSchemas() {
  return new Map(builtinStepTypes().map((t) => [t.type, t]));
}
