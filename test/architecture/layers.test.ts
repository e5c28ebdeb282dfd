import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import {
  BACKENDS,
  checkLayers,
  importsOf,
  LAYER_NAMES,
  LAYERS,
  type Layer,
  type LayerRule,
  tableCycle,
} from "./layers.js";

const SRC = join(import.meta.dirname, "..", "..", "src");

function sourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".ts")) continue;
    const path = join(entry.parentPath, entry.name);
    files.set(relative(SRC, path).split(sep).join("/"), readFileSync(path, "utf8"));
  }
  return files;
}

describe("the layers of src/", () => {
  it("every import points down the layer table", () => {
    const files = sourceFiles();
    expect(files.size).toBeGreaterThan(100);
    expect(checkLayers(files).map((v) => v.message)).toEqual([]);
  });

  it("the table is a DAG that names every layer", () => {
    expect(tableCycle()).toBeUndefined();
    expect(Object.keys(LAYERS).sort()).toEqual([...LAYER_NAMES].sort());
    // The rules issue 14 states, read off the table.
    expect(LAYERS.core.may).toEqual([]);
    expect(LAYERS.store.may).toEqual(["core"]);
    expect(LAYERS.steps.may).not.toContain("engine");
    expect(LAYERS.agents.may).not.toContain("steps");
    const importersOf = (layer: Layer) => LAYER_NAMES.filter((l) => LAYERS[l].may.includes(layer));
    expect(importersOf("cli")).toEqual([]);
    expect(importersOf("server")).toEqual(["cli"]);
  });
});

describe("checkLayers", () => {
  const files = (entries: Record<string, string>) => new Map(Object.entries(entries));

  it("names the file, the line, the import and the rule of each violation, in every import form", () => {
    const found = checkLayers(
      files({
        "core/model.ts": 'import { x } from "../engine/usage.js";\n',
        "engine/usage.ts": "export const x = 1;\nexport type T = number;\n",
        "steps/step-type.ts": [
          'import type { T } from "../engine/usage.js";',
          'export { x } from "../engine/usage.js";',
          'export * from "../engine/usage.js";',
          'const later = () => import("../engine/usage.js");',
          'let t: import("../engine/usage.js").T;',
          'import u = require("../engine/usage.js");',
          'declare module "../engine/usage.js" {\n  interface T2 {}\n}',
          'import { y } from "../agents/provider.js";',
        ].join("\n"),
        "agents/provider.ts": 'export const y = 2;\nexport { z } from "../steps/script/output.js";\n',
        "steps/script/output.ts": "export const z = 3;\n",
        "store/store.ts": 'import { x } from "../engine/usage.js";\n',
        "server/app.ts": 'import { main } from "../cli/main.js";\n',
        "cli/main.ts":
          'import { app } from "../server/app.js";\nimport { s } from "../store/sqlite/index.js";\nexport const main = 1;\n',
        "store/sqlite/index.ts": 'import type { Store } from "../store.js";\nexport const s = 1;\n',
        "engine/engine.ts": 'import { s } from "../store/sqlite/index.js";\n',
      }),
    );
    expect(found.map((v) => v.message)).toEqual([
      'src/core/model.ts:1 imports "../engine/usage.js" (src/engine/usage.ts): core may import nothing of ours, not engine — core is pure (model, scheduler, expressions, errors): it imports nothing of ours',
      ...[1, 2, 3, 4, 5, 6, 7].map(
        (line) =>
          `src/steps/step-type.ts:${line} imports "../engine/usage.js" (src/engine/usage.ts): steps may import only agents, process, definition, core, not engine — ${LAYERS.steps.why}`,
      ),
      `src/agents/provider.ts:2 imports "../steps/script/output.js" (src/steps/script/output.ts): agents may import only process, definition, core, not steps — ${LAYERS.agents.why}`,
      `src/store/store.ts:1 imports "../engine/usage.js" (src/engine/usage.ts): store may import only core, not engine — ${LAYERS.store.why}`,
      `src/server/app.ts:1 imports "../cli/main.js" (src/cli/main.ts): server may import only engine, templates, steps, agents, process, definition, store, core, not cli — ${LAYERS.server.why}`,
      `src/engine/engine.ts:1 imports "../store/sqlite/index.js" (src/store/sqlite/index.ts): only cli may import src/store/sqlite/ — ${BACKENDS[0]?.why}`,
    ]);
    expect(found[0]).toMatchObject({
      file: "core/model.ts",
      line: 1,
      specifier: "../engine/usage.js",
      target: "engine/usage.ts",
    });
  });

  it("refuses an import that names no file, and a folder the table does not know", () => {
    const found = checkLayers(
      files({
        "steps/a.ts": 'import { b } from "./b.js";\n',
        "extras/x.ts": 'import { z } from "zod";\n',
        "core/c.ts": 'import { d } from "../extras/x.js";\nexport const c = 1;\n',
      }),
    );
    expect(found.map((v) => v.message)).toEqual([
      'src/steps/a.ts:1 imports "./b.js", which names no file under src/ (looked for src/steps/b.ts)',
      "src/extras/x.ts is in no layer: add src/extras to LAYERS",
    ]);
  });

  it("passes imports within a layer, down the table, of packages, and dynamic ones by expression", () => {
    const found = checkLayers(
      files({
        "engine/driver.ts": [
          'import { readFile } from "node:fs/promises";',
          'import { z } from "zod";',
          'import { s } from "../steps/step-type.js";',
          'import { c } from "./core.js";',
          "const m = (f: string) => import(f);",
          'import pkg from "../../package.json" with { type: "json" };',
        ].join("\n"),
        "engine/core.ts": "export const c = 1;\n",
        "steps/step-type.ts": 'import { u } from "../core/usage.js";\nexport const s = u;\n',
        "core/usage.ts": "export const u = 1;\n",
      }),
    );
    expect(found).toEqual([]);
  });

  it("reads every import form with its line", () => {
    const text = [
      'import a from "./a.js";',
      'import type { B } from "./b.js";',
      'export { c } from "./c.js";',
      'export type * from "./d.js";',
      "const e = await import(`./e.js`);",
      'type F = import("./f.js").F;',
      'import g = require("./g.js");',
      'declare module "./h.js" {',
      "  interface H {}",
      "}",
      "const i = import(name);",
    ].join("\n");
    expect(importsOf(text, "x.ts")).toEqual(
      ["./a.js", "./b.js", "./c.js", "./d.js", "./e.js", "./f.js", "./g.js", "./h.js"].map((specifier, i) => ({
        specifier,
        line: i + 1,
      })),
    );
  });

  it("finds a cycle in a table", () => {
    const table = structuredClone(LAYERS) as Record<Layer, LayerRule>;
    table.core = { may: ["steps"], why: "wrong on purpose" };
    expect(tableCycle(table)).toBe("core → steps → agents → process → core");
  });
});
