/** Shared by the CLI agent tests: the stub executables on PATH (for the child only), requests, records. */
import { existsSync, mkdtempSync, readFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { AgentConfig, ProviderRequest } from "../../../src/agents/provider.js";
import type { JsonObject } from "../../../src/core/json.js";

export const STUBS = fileURLToPath(new URL("../../fixtures/cli-agents", import.meta.url));

export function tempDir(prefix = "weft-cli-"): string {
  return realpathSync(mkdtempSync(join(tmpdir(), prefix)));
}

export interface Stub {
  /** The environment to give the provider: the stubs first on PATH, plus the scenario's variables. */
  env: NodeJS.ProcessEnv;
  /** Where the stub records each run. */
  recordFile: string;
  dir: string;
  records(): StubRecord[];
}

export interface StubRecord {
  cli: string;
  argv: string[];
  cwd: string;
  stdin: string;
  pid: number;
  env: { WEFT_TEST_ENV: string | null };
}

export function stub(vars: Record<string, string> = {}): Stub {
  const dir = tempDir("weft-stub-");
  const recordFile = join(dir, "record.jsonl");
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${STUBS}:${process.env.PATH ?? ""}`,
    STUB_RECORD: recordFile,
    STUB_SESSIONS: join(dir, "sessions"),
    STUB_PID_FILE: join(dir, "pids.json"),
    ...vars,
  };
  return {
    env,
    recordFile,
    dir,
    records: () =>
      existsSync(recordFile)
        ? readFileSync(recordFile, "utf8")
            .split("\n")
            .filter((l) => l !== "")
            .map((l) => JSON.parse(l) as StubRecord)
        : [],
  };
}

export function request(
  overrides: Omit<Partial<ProviderRequest>, "agent"> & { agent?: Partial<AgentConfig> } = {},
): ProviderRequest & { progress: string[] } {
  const progress: string[] = [];
  const { agent, ...rest } = overrides;
  return {
    prompt: "Fix the failing test",
    idempotencyKey: "run-1:step-fix:0",
    attempt: 1,
    signal: new AbortController().signal,
    onProgress: (line) => progress.push(line),
    ...rest,
    agent: { name: "coder", provider: "test", ...agent },
    progress,
  };
}

export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail");
}

export function entries(transcript: JsonObject[], type: string): JsonObject[] {
  return transcript.filter((e) => e.type === type);
}

export const waitFor = async (check: () => boolean, ms = 10_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
};
