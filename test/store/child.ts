/**
 * Real child processes for the SQLite store's multi-process tests. The store is bundled once (rolldown, which
 * vitest already brings) into a temp dir so a plain `node` child can import it without a build step.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "rolldown";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const betterSqlite3 = createRequire(import.meta.url).resolve("better-sqlite3");

/** Bundles `src/store/sqlite/index.ts` to `<dir>/store.mjs` and returns its path. */
export async function bundleStore(dir: string): Promise<string> {
  const file = join(dir, "store.mjs");
  await build({
    input: join(repo, "src/store/sqlite/index.ts"),
    platform: "node",
    logLevel: "silent",
    plugins: [
      {
        name: "external-better-sqlite3",
        // Import the driver by absolute path: the bundle lives outside the repo's node_modules tree.
        resolveId: (id) => (id === "better-sqlite3" ? { id: betterSqlite3, external: true } : null),
      },
    ],
    output: { file, format: "esm" },
  });
  return file;
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `script` as an ES module in a new node process. `Database` (better-sqlite3) is in scope, and
 * `createSqliteStore` too when `store` (a bundle path) is given. Lines the child prints go to `onLine` as
 * they come.
 */
export function runChild(
  script: string,
  opts: { store?: string; env?: Record<string, string>; onLine?: (line: string) => void } = {},
): Promise<ChildResult> {
  const header = [
    `import Database from ${JSON.stringify(betterSqlite3)};`,
    opts.store ? `import { createSqliteStore } from ${JSON.stringify(opts.store)};` : "",
  ].join("\n");
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", `${header}\n${script}`], {
      env: { ...process.env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      pending += chunk;
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        opts.onLine?.(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
        nl = pending.indexOf("\n");
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}
