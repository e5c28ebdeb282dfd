/**
 * `weft` loads only what the invoked command needs (src/cli/commands.ts): `--help` none of the commands'
 * modules, `status` the store but not the engine, the server or the definition loader (zod). The modules a
 * process loads are recorded by a module resolve hook (node:module `register`) that appends each URL to a file.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { cleanUpAfterTests, tempDir, weftBin } from "./helpers.js";

cleanUpAfterTests();

/** The URLs of the modules `weft <args>` resolved, and its result. */
function loaded(args: string[]): { urls: string[]; code: number | null; stdout: string } {
  const dir = tempDir();
  const log = join(dir, "modules.log");
  const hooks = join(dir, "hooks.mjs");
  writeFileSync(
    hooks,
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + "\\n");
  return r;
}
`,
  );
  const register = join(dir, "register.mjs");
  writeFileSync(
    register,
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
  );
  writeFileSync(log, "");
  const r = spawnSync(process.execPath, ["--import", pathToFileURL(register).href, weftBin(), ...args], {
    encoding: "utf8",
    env: { ...process.env, WEFT_DATA_DIR: join(dir, "data") },
  });
  return { urls: readFileSync(log, "utf8").split("\n").filter(Boolean), code: r.status, stdout: r.stdout };
}

const HEAVY = ["/dist/engine/engine.js", "/dist/server/app.js", "/dist/definition/index.js", "/node_modules/zod/"];

describe("weft loads only what a command needs", () => {
  it("--help: no command's module, no store", () => {
    const r = loaded(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Commands:");
    expect(r.urls.some((u) => u.endsWith("/dist/cli/commands.js"))).toBe(true);
    for (const heavy of [...HEAVY, "/dist/cli/commands/", "/dist/store/sqlite/"]) {
      expect(
        r.urls.filter((u) => u.includes(heavy)),
        heavy,
      ).toEqual([]);
    }
  });

  it("status: the store, not the engine, the server or the definition loader", () => {
    const r = loaded(["status", "no-such-run"]);
    expect(r.code).toBe(3);
    expect(r.urls.some((u) => u.endsWith("/dist/cli/commands/inspect.js"))).toBe(true);
    expect(r.urls.some((u) => u.includes("/dist/store/sqlite/"))).toBe(true);
    for (const heavy of HEAVY) {
      expect(
        r.urls.filter((u) => u.includes(heavy)),
        heavy,
      ).toEqual([]);
    }
  });
});
