/**
 * Bundling a workflow module with esbuild and importing it. No build step for the user: `.ts`, `.mts`, `.js`
 * and `.mjs` files are bundled on load (ESM, node20, inline source map so stack traces name the user's lines)
 * and the bundle is imported from a cache folder, keyed by its content hash.
 *
 * `weftflow` (and `weftflow/*`, and seed 002's `@repo/workflow-engine`: specifiers.ts) resolve to this very
 * package — the same module instance the engine uses — and `zod` to the zod this package depends on, wherever
 * the workflow file lives (also in a folder without node_modules). Other packages resolve from the file's own folder and are bundled; Node built-ins stay external.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, extname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Message, Plugin } from "esbuild";
import type { Issue } from "../../core/errors.js";
import { WEFTFLOW_ALIASES, weftflowSpecifier } from "./specifiers.js";

/** The package root (the folder of weftflow's package.json), from this module's place in src/ or dist/. */
const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Running from the TypeScript sources (tests, tsx): `weftflow` then means src/, not dist/. */
const FROM_SOURCE = import.meta.url.endsWith(".ts");

let packageExports: unknown;

/** The file an `exports` map gives for `sub` (".", "./testing"…) under the `import` or `default` condition. */
function exportTarget(exports: unknown, sub: string): string | undefined {
  if (typeof exports !== "object" || exports === null || !Object.hasOwn(exports, sub)) return undefined;
  const target = (exports as Record<string, unknown>)[sub];
  if (typeof target === "string") return target;
  if (typeof target !== "object" || target === null) return undefined;
  const conditions = target as Record<string, unknown>;
  const file = conditions.import ?? conditions.default;
  return typeof file === "string" ? file : undefined;
}

const subpath = (specifier: string, name: string): string =>
  specifier === name ? "." : `.${specifier.slice(name.length)}`;

/** The file `weftflow` or `weftflow/<sub>` means, or undefined when the package does not export it. */
export async function weftflowEntry(specifier: string): Promise<string | undefined> {
  packageExports ??= (JSON.parse(await readFile(join(PACKAGE_ROOT, "package.json"), "utf8")) as { exports?: unknown })
    .exports;
  const rel = exportTarget(packageExports, subpath(specifier, "weftflow"));
  if (rel === undefined || !/\.[cm]?js$/.test(rel)) return undefined;
  const file = join(PACKAGE_ROOT, rel);
  if (!FROM_SOURCE) return file;
  return join(PACKAGE_ROOT, "src", relative(join(PACKAGE_ROOT, "dist"), file)).replace(/\.js$/, ".ts");
}

const requireHere = createRequire(import.meta.url);

/** The ESM entry of `zod` or `zod/<sub>`, as this package resolves zod. */
async function zodEntry(specifier: string): Promise<string | undefined> {
  let root: string;
  try {
    root = dirname(requireHere.resolve("zod/package.json"));
  } catch {
    return undefined;
  }
  const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as { exports?: unknown };
  const rel = exportTarget(pkg.exports, subpath(specifier, "zod"));
  return rel === undefined ? undefined : join(root, rel);
}

/** How an external absolute file is written in the bundle: a file URL works for Node and for module runners. */
const externalPath = (file: string): string => (process.platform === "win32" ? pathToFileURL(file).href : file);

const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const LOADERS: Record<string, "ts" | "tsx" | "js" | "jsx"> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".tsx": "tsx",
  ".jsx": "jsx",
};

/** `weftflow`, its compatibility aliases (specifiers.ts) and `zod`, with their subpaths. */
const IMPORTS_OF_WEFT = new RegExp(
  `^(?:${["weftflow", "zod", ...WEFTFLOW_ALIASES].map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|")})(?:/.*)?$`,
);

function weftPlugin(): Plugin {
  return {
    name: "weftflow",
    setup(build) {
      build.onResolve({ filter: IMPORTS_OF_WEFT }, async (args) => {
        const weft = weftflowSpecifier(args.path);
        const isWeft = weft !== undefined;
        const file = isWeft ? await weftflowEntry(weft) : await zodEntry(args.path);
        if (!file) {
          const what = isWeft ? "weftflow" : "zod";
          return {
            errors: [
              { text: `"${args.path}" is not an export of ${what}`, notes: [{ text: `import from "${what}"` }] },
            ],
          };
        }
        return { path: externalPath(file), external: true };
      });
      // The user's own files: `import.meta.url` (and dirname/filename) name the file itself, not the bundle.
      build.onLoad({ filter: SOURCE_FILE }, async (args) => {
        if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
        const text = await readFile(args.path, "utf8");
        if (!text.includes("import.meta")) return undefined;
        const values: Record<string, string> = {
          url: pathToFileURL(args.path).href,
          dirname: dirname(args.path),
          filename: args.path,
        };
        const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key: string) =>
          JSON.stringify(values[key]),
        );
        return { contents, loader: LOADERS[extname(args.path)] ?? "js", resolveDir: dirname(args.path) };
      });
    },
  };
}

/** CommonJS packages bundled into ESM may still `require` Node built-ins. */
const BANNER =
  'import { createRequire as __weftCreateRequire } from "node:module";\nconst require = __weftCreateRequire(import.meta.url);';

export type BundleOutcome = { code: string } | { issues: Issue[] };

/** Bundles `file` (absolute). Syntax and resolve errors become WEFT_PARSE issues at the file, line and column. */
export async function bundleWorkflow(file: string, cacheDir: string): Promise<BundleOutcome> {
  const esbuild = await import("esbuild");
  try {
    const result = await esbuild.build({
      entryPoints: [file],
      absWorkingDir: dirname(file),
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      sourcemap: "inline",
      sourcesContent: false,
      write: false,
      // Only the folder matters: the source map's paths are relative to it.
      outfile: join(cacheDir, "bundle.mjs"),
      logLevel: "silent",
      banner: { js: BANNER },
      plugins: [weftPlugin()],
    });
    const out = result.outputFiles.find((f) => f.path.endsWith(".mjs"));
    return { code: out?.text ?? "" };
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!Array.isArray(errors)) throw err;
    return { issues: errors.map((m) => messageIssue(m, file)) };
  }
}

function messageIssue(m: Message, file: string): Issue {
  const loc = m.location;
  const at = loc ? resolve(dirname(file), loc.file) : file;
  const notes = m.notes.map((n) => n.text).filter((t) => t !== "");
  const unresolved = /^Could not resolve "([^"]+)"/.exec(m.text);
  const hint = unresolved
    ? unresolved[1]?.startsWith(".")
      ? "check the path of the import (relative to the file that imports it)"
      : `install it next to the workflow (npm install ${packageName(unresolved[1] ?? "")}); weftflow and zod are provided by weft`
    : (notes[0] ?? "fix the syntax error");
  return {
    code: "WEFT_PARSE",
    severity: "error",
    message: m.text,
    hint,
    location: { file: at, line: loc?.line ?? 1, column: (loc?.column ?? 0) + 1 },
  };
}

const packageName = (spec: string): string =>
  spec
    .split("/")
    .slice(0, spec.startsWith("@") ? 2 : 1)
    .join("/");

/** The default cache folder: `<tmpdir>/weft-ts-cache`, or a per-user one when that belongs to someone else. */
export function defaultCacheDir(): string {
  return join(tmpdir(), "weft-ts-cache");
}

/**
 * Creates the cache folder (owner-only). A shared temporary folder must be ours and not writable by others:
 * whoever can write a bundle there could run code in this process. Otherwise a per-user folder is used.
 */
async function usableCacheDir(dir: string, checkOwner: boolean): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!checkOwner || typeof process.getuid !== "function") return dir;
  const info = await stat(dir);
  if (info.uid === process.getuid() && (info.mode & 0o022) === 0) return dir;
  const own = `${dir}-${process.getuid()}`;
  await mkdir(own, { recursive: true, mode: 0o700 });
  const mine = await stat(own);
  if (mine.uid !== process.getuid() || (mine.mode & 0o022) !== 0) {
    throw new Error(`the cache folder ${own} belongs to another user or is writable by others; pass cacheDir`);
  }
  return own;
}

/** The cache folder to use: `cacheDir` as given, else the default (checked, see usableCacheDir). */
export function prepareCacheDir(cacheDir: string | undefined): Promise<string> {
  return usableCacheDir(cacheDir === undefined ? defaultCacheDir() : resolve(cacheDir), cacheDir === undefined);
}

/** Writes the bundle to the cache folder (once per content) and returns the module file. */
export async function cacheBundle(code: string, dir: string): Promise<string> {
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 40);
  const target = join(dir, `${hash}.mjs`);
  const existing = await readFile(target, "utf8").catch(() => undefined);
  if (existing !== code) {
    const temp = `${target}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, code, { mode: 0o600 });
    await rename(temp, target);
  }
  return target;
}
