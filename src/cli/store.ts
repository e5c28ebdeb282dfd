/**
 * The data directory and the store of a command, from flags and the environment: all that `list`, `status`,
 * `logs` and the other reading commands need (context.ts adds the engine, the agents and the step types).
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { WeftError } from "../core/errors.js";
import { createSqliteStore } from "../store/sqlite/index.js";
import type { Durability, Store } from "../store/store.js";

export interface GlobalOptions {
  dataDir?: string;
  durability?: string;
  mockFixtures?: string;
  /** The agents config file (`--config`); default `weft.config.yaml` in the working directory, if any. */
  config?: string;
  /** `--sandbox none | bwrap` (env WEFT_SANDBOX): confine script steps. */
  sandbox?: string;
}

/** The options of the commands that read runs (`list`, `status`, `logs`, …). */
export interface InspectOptions extends GlobalOptions {
  format?: string;
  limit?: string;
  status?: string;
  workflows?: boolean;
  search?: string;
  step?: string;
  follow?: boolean;
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
