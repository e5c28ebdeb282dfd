/**
 * The layer rules of src/ as a table, and a checker that holds every import against it.
 *
 * A layer is a top-level folder of src/ (`src/index.ts` is one of its own). `LAYERS` says, for each, which other
 * layers it may import; everything else is refused. The imports read are the ones the module graph has: static
 * `import` (type-only ones too), `export … from`, `import x = require("…")`, `import("…")` calls,
 * `import("…").T` types with a literal specifier, and `declare module "…"` (an augmentation depends on its module). Only relative specifiers name our code; packages and `node:*` are
 * not layers. A relative import that names no file under src/ is an error too (the checker would otherwise skip it).
 * `BACKENDS` narrows one folder further: of the layers that may import `store`, only the CLI reaches `store/sqlite/`.
 *
 * The order, top down (src/engine/ARCHITECTURE.md, "Layers", shows the table):
 *   cli → server → engine → steps → agents → process, definition → core, with store beside definition;
 *   templates between the front ends and definition/store; index.ts and testing are the package's entry points.
 */

import { posix } from "node:path";
import { parse } from "@babel/parser";
import type { Node } from "@babel/types";
import { traverseFast } from "@babel/types";

export const LAYER_NAMES = [
  "core",
  "process",
  "store",
  "definition",
  "agents",
  "steps",
  "engine",
  "templates",
  "server",
  "cli",
  "testing",
  "index.ts",
  "client",
] as const;
export type Layer = (typeof LAYER_NAMES)[number];

export interface LayerRule {
  /** The layers this one may import (its own files always may). */
  may: readonly Layer[];
  /** What the layer is, and why it stops where it does: said in every failure. */
  why: string;
}

export const LAYERS: Record<Layer, LayerRule> = {
  core: { may: [], why: "core is pure (model, scheduler, expressions, errors): it imports nothing of ours" },
  process: {
    may: ["core"],
    why: "process/ runs child processes in their own group for script steps and CLI agents, below both",
  },
  store: { may: ["core"], why: "a store knows nothing about the engine, definitions or steps: it imports only core" },
  definition: { may: ["core"], why: "definitions (YAML/JSON dialects, TypeScript workflows) become the core model" },
  agents: {
    may: ["process", "definition", "core"],
    why: "providers and CLI agents know no step type; what they share with script steps lives in process/",
  },
  steps: {
    may: ["agents", "process", "definition", "core"],
    why: "a step handler sees the engine only through StepContext and knows nothing about storage",
  },
  engine: {
    may: ["steps", "agents", "process", "definition", "store", "core"],
    why: "the engine knows the store only as the port, and no front end",
  },
  templates: {
    may: ["definition", "store", "core"],
    why: "the built-in template library loads definitions and stores them; it runs nothing",
  },
  server: {
    may: ["engine", "templates", "steps", "agents", "process", "definition", "store", "core"],
    why: "the server is a front end over the engine; it never imports the CLI",
  },
  cli: {
    // The one import across the front ends: `weft serve` starts the server, `weft token` hashes a token the way
    // the server checks it, and the catalogue marks the definitions folder's files as the server does.
    may: ["server", "engine", "templates", "steps", "agents", "process", "definition", "store", "core"],
    why: "the CLI is the top: it may host the server (weft serve), and nothing imports it",
  },
  testing: {
    may: ["engine", "steps", "agents", "process", "definition", "store", "core"],
    why: "weftflow/testing (conformance suite, mock provider, clock) is an entry point below the front ends",
  },
  "index.ts": {
    may: ["engine", "steps", "agents", "process", "definition", "store", "core"],
    why: "the `weftflow` entry point re-exports the library, never a front end",
  },
  client: { may: [], why: "weftflow/client is a typed HTTP client for other programs: it imports nothing of ours" },
};

/** Folders inside a layer that only some of the layers allowed to import it may reach. */
export interface Backend {
  /** src/-relative folder, e.g. `store/sqlite/`. */
  folder: string;
  /** The layers outside its own that may import it. */
  only: readonly Layer[];
  why: string;
}

export const BACKENDS: readonly Backend[] = [
  {
    folder: "store/sqlite/",
    only: ["cli"],
    why: "a store backend is chosen at the edge (weftflow/sqlite, the CLI); the engine and the server know the port",
  },
];

export interface Import {
  specifier: string;
  line: number;
}

export interface Violation {
  /** src/-relative path of the importing file. */
  file: string;
  line: number;
  specifier: string;
  /** src/-relative path it resolves to. */
  target: string;
  message: string;
}

const isLiteral = (n: Node | null | undefined): string | undefined => {
  if (!n) return undefined;
  if (n.type === "StringLiteral") return n.value;
  if (n.type === "TemplateLiteral" && n.expressions.length === 0) return n.quasis[0]?.value.cooked ?? undefined;
  // Babel 8 wraps `import("x").T`'s argument in a literal type.
  if (n.type === "TSLiteralType") return isLiteral(n.literal as Node);
  return undefined;
};

/** Every module specifier `text` imports (see the header for which forms count), with its line. */
export function importsOf(text: string, file: string): Import[] {
  const ast = parse(text, { sourceType: "module", sourceFilename: file, plugins: ["typescript"] });
  const found: Import[] = [];
  const add = (n: Node | null | undefined, at: Node) => {
    const specifier = isLiteral(n);
    if (specifier !== undefined) found.push({ specifier, line: at.loc?.start.line ?? 0 });
  };
  traverseFast(ast.program, (node) => {
    switch (node.type) {
      case "ImportDeclaration":
      case "ExportAllDeclaration":
      case "ExportNamedDeclaration":
        add(node.source, node);
        break;
      case "TSImportEqualsDeclaration":
        if (node.moduleReference.type === "TSExternalModuleReference") add(node.moduleReference.expression, node);
        break;
      case "TSModuleDeclaration":
        // `declare module "../x.js" { … }` augments that module: a dependency on it like an import.
        if (node.id.type === "StringLiteral") add(node.id, node);
        break;
      case "TSImportType":
        add(node.argument as Node, node);
        break;
      case "CallExpression":
        if (node.callee.type === "Import" || (node.callee.type === "Identifier" && node.callee.name === "require")) {
          add(node.arguments[0] as Node | undefined, node);
        }
        break;
      case "ImportExpression":
        add(node.source, node);
        break;
    }
  });
  return found;
}

/** The layer of a src/-relative path, or undefined for a folder the table does not know. */
export function layerOf(file: string): Layer | undefined {
  const first = file.split("/")[0] as string;
  const name = file.includes("/") ? first : file;
  return (LAYER_NAMES as readonly string[]).includes(name) ? (name as Layer) : undefined;
}

/** Where a relative specifier of `from` points, src/-relative: `.js` is the `.ts` file tsc compiles to it. */
export function resolveSpecifier(from: string, specifier: string): string {
  const target = posix.normalize(posix.join(posix.dirname(from), specifier));
  return target.endsWith(".js") ? `${target.slice(0, -3)}.ts` : target;
}

const list = (layers: readonly Layer[]) => (layers.length === 0 ? "nothing of ours" : `only ${layers.join(", ")}`);

/**
 * Checks `files` (src/-relative path → text) against `table` and `backends`. Returns one violation per import that
 * breaks a rule or names no file of `files`, and one per file in a folder the table does not know.
 */
export function checkLayers(
  files: ReadonlyMap<string, string>,
  table: Record<Layer, LayerRule> = LAYERS,
  backends: readonly Backend[] = BACKENDS,
): Violation[] {
  const violations: Violation[] = [];
  for (const [file, text] of files) {
    const from = layerOf(file);
    if (from === undefined) {
      const message = `src/${file} is in no layer: add src/${file.split("/")[0]} to LAYERS`;
      violations.push({ file, line: 0, specifier: "", target: "", message });
      continue;
    }
    for (const { specifier, line } of importsOf(text, file)) {
      if (!specifier.startsWith(".")) continue;
      const target = resolveSpecifier(file, specifier);
      const at = `src/${file}:${line} imports "${specifier}"`;
      const report = (message: string) => violations.push({ file, line, specifier, target, message });
      if (target.startsWith("../")) continue; // outside src/ (package.json): not a layer
      if (!files.has(target)) {
        report(`${at}, which names no file under src/ (looked for src/${target})`);
        continue;
      }
      const to = layerOf(target);
      if (to === undefined) continue; // its own file reports it
      if (from !== to && !table[from].may.includes(to)) {
        report(`${at} (src/${target}): ${from} may import ${list(table[from].may)}, not ${to} — ${table[from].why}`);
        continue;
      }
      const backend = backends.find((b) => target.startsWith(b.folder));
      if (backend && from !== to && !backend.only.includes(from)) {
        report(
          `${at} (src/${target}): only ${backend.only.join(", ")} may import src/${backend.folder} — ${backend.why}`,
        );
      }
    }
  }
  return violations;
}

/** A layer cycle in `table` as `a → b → a`, or undefined when the table is a DAG. */
export function tableCycle(table: Record<Layer, LayerRule> = LAYERS): string | undefined {
  const state = new Map<Layer, "open" | "done">();
  const path: Layer[] = [];
  const visit = (layer: Layer): string | undefined => {
    if (state.get(layer) === "done") return undefined;
    if (state.get(layer) === "open") return [...path.slice(path.indexOf(layer)), layer].join(" → ");
    state.set(layer, "open");
    path.push(layer);
    for (const next of table[layer].may) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    path.pop();
    state.set(layer, "done");
    return undefined;
  };
  for (const layer of LAYER_NAMES) {
    const cycle = visit(layer);
    if (cycle) return cycle;
  }
  return undefined;
}
