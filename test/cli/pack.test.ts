/**
 * The npm tarball carries the built UI: `npm pack` the package (as built by the test run's global setup),
 * install the tarball into a clean folder outside the repository, start *its* `weft serve`, and fetch the UI's
 * index.html, one of its hashed assets and `/api/health`; `weftflow/client` imports (and type-checks) from the
 * installed package.
 *
 * Kept fast and offline, without giving up a real `npm install` of the tarball:
 * - the clean folder gets a package-lock.json made from the repository's: the tarball (`file:`, its sha512)
 *   plus every non-dev package of the repository's lock, at the same versions, with their tarballs' URLs on the
 *   configured registry (the repository's lock omits them). `npm install --offline` then takes each tarball
 *   from npm's cache, where the repository's own `npm install` (CI's first step) put them, and asks the
 *   registry nothing;
 * - `--ignore-scripts`, because better-sqlite3's install script compiles its native addon (minutes); its
 *   compiled addon is copied from the repository's node_modules instead — the same version, as the lock pins
 *   it, built for this same Node. (esbuild, the other package with an install script, finds its binary in its
 *   platform package without it.)
 * `npm pack --ignore-scripts` skips `prepare` (another build): the global setup has just built dist/ and
 * dist/web.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupDirs, repoRoot, tempDir } from "./helpers.js";

const run = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  run("npm", args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_fund: "false" } });

interface LockEntry {
  name?: string;
  version?: string;
  resolved?: string;
  dev?: boolean;
  link?: boolean;
  [k: string]: unknown;
}

let dir: string;
let app: string;
let tarball: string;
let files: string[];
let server: ChildProcess | undefined;
let url: string;

beforeAll(async () => {
  dir = tempDir("weft-pack-");
  const { stdout } = await npm(["pack", "--ignore-scripts", "--json", "--pack-destination", dir], repoRoot);
  const packed = (JSON.parse(stdout) as Array<{ filename: string; size: number; files: Array<{ path: string }> }>)[0];
  if (!packed) throw new Error(`npm pack printed no package: ${stdout}`);
  tarball = join(dir, packed.filename);
  files = packed.files.map((f) => f.path);
  console.log(`npm pack: ${packed.filename}, ${(packed.size / 1024).toFixed(0)} kB, ${files.length} files`);

  // The clean folder: a project that depends on the tarball only, and a lock built from the repository's.
  app = join(dir, "app");
  mkdirSync(app);
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
    version: string;
    dependencies: Record<string, string>;
  };
  const repoLock = JSON.parse(readFileSync(join(repoRoot, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const spec = `file:../${packed.filename}`;
  const packages: Record<string, unknown> = {
    "": { name: "weft-pack-consumer", dependencies: { weftflow: spec } },
    "node_modules/weftflow": {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      dependencies: pkg.dependencies,
      bin: { weft: "bin/weft.js" },
    },
  };
  // The repository's lock records no tarball URLs; without one npm would ask the registry where each is.
  const registry = (await npm(["config", "get", "registry"], repoRoot)).stdout.trim().replace(/\/?$/, "/");
  for (const [key, entry] of Object.entries(repoLock.packages)) {
    if (!key.startsWith("node_modules/") || entry.dev || entry.link) continue;
    const name = entry.name ?? key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length);
    const resolved = entry.resolved ?? `${registry}${name}/-/${name.split("/").pop()}-${entry.version}.tgz`;
    packages[key] = { ...entry, resolved };
  }
  writeFileSync(
    join(app, "package.json"),
    JSON.stringify({ name: "weft-pack-consumer", private: true, type: "module", dependencies: { weftflow: spec } }),
  );
  writeFileSync(
    join(app, "package-lock.json"),
    JSON.stringify({ name: "weft-pack-consumer", lockfileVersion: 3, requires: true, packages }),
  );
  await npm(["install", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], app);
  cpSync(
    join(repoRoot, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"),
    join(app, "node_modules", "better-sqlite3", "build", "Release", "better_sqlite3.node"),
  );

  // Its own `weft serve`, from the installed package's bin, on a fresh data dir and a free port.
  server = spawn(
    process.execPath,
    [join(app, "node_modules", "weftflow", "bin", "weft.js"), "--data-dir", join(dir, "data"), "serve", "--port", "0"],
    { cwd: app, stdio: ["ignore", "pipe", "pipe"] },
  );
  const s = server;
  url = await new Promise<string>((resolve, reject) => {
    let out = "";
    let err = "";
    s.stdout?.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+) — web UI and API/.exec(out);
      if (m?.[1]) resolve(m[1]);
    });
    s.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
    });
    s.on("exit", (code) => reject(new Error(`weft serve exited (${code})\nstdout:\n${out}\nstderr:\n${err}`)));
  });
}, 300_000);

afterAll(() => {
  server?.kill("SIGKILL");
  cleanupDirs();
});

describe("the npm tarball", () => {
  it("carries the built UI and the compiled package, and none of the sources or test output", () => {
    expect(files).toContain("dist/web/index.html");
    expect(files.some((f) => /^dist\/web\/assets\/index-[\w-]+\.js$/.test(f))).toBe(true);
    expect(files).toContain("dist/client/index.js");
    expect(files).toContain("dist/client/index.d.ts");
    expect(files).toContain("bin/weft.js");
    const stray = files.filter(
      (f) => /^(web|src|test|test-output|scripts|bench|\.ci)\//.test(f) || f.includes(".weft/"),
    );
    expect(stray).toEqual([]);
  });

  it("installed in a clean folder, its `weft serve` serves the UI, its hashed assets and the API", async () => {
    const index = await fetch(`${url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/text\/html/);
    const html = await index.text();
    expect(html).toContain('<div id="root">');
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(`${url}${script}`, { headers: { "accept-encoding": "br" } });
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(asset.headers.get("content-encoding")).toBe("br");
    expect((await asset.text()).length).toBeGreaterThan(1000);
    const route = await fetch(`${url}/runs/anything`, { headers: { accept: "text/html" } });
    expect(await route.text()).toBe(html);
    const health = await fetch(`${url}/api/health`);
    expect(await health.json()).toEqual({ data: { status: "ok", version: expect.any(String) } });
  });

  it("`weftflow/client` imports from the installed package, talks to the server, and type-checks strict", async () => {
    const script = `
      import { createWeftClient, unwrap, WeftApiError } from "weftflow/client";
      const api = createWeftClient({ baseUrl: process.argv[1] });
      const health = unwrap(await api.GET("/api/health"));
      let code = "";
      try { unwrap(await api.GET("/api/workflow-executions/{id}", { params: { path: { id: "nope" } } })); }
      catch (e) { code = e instanceof WeftApiError ? e.code : String(e); }
      console.log(JSON.stringify({ status: health.status, code }));`;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script, url], { cwd: app });
    expect(JSON.parse(stdout)).toEqual({ status: "ok", code: "WEFT_NOT_FOUND" });

    // A consumer in TypeScript: the package's types resolve through its "exports" (NodeNext), strict.
    writeFileSync(
      join(app, "consumer.ts"),
      `import { createWeftClient, unwrap, type components } from "weftflow/client";
const api = createWeftClient({ baseUrl: "http://127.0.0.1:4280", token: () => sessionStorage.getItem("weft.token") });
export async function failed(): Promise<string[]> {
  const runs = unwrap(await api.GET("/api/workflow-executions", { params: { query: { status: "failed" } } }));
  return runs.map((r) => r.id);
}
export type ApiError = components["schemas"]["Error"];
`,
    );
    writeFileSync(
      join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          types: [],
          lib: ["ES2023", "DOM"],
        },
        files: ["consumer.ts"],
      }),
    );
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    const checked = await run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: app }).then(
      () => "",
      (e: { stdout: string }) => e.stdout,
    );
    expect(checked).toBe("");
  });
});
