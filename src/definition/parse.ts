/**
 * Text → a plain JS value plus a SourceMap. YAML and JSON both go through the `yaml` parser (JSON is YAML
 * 1.2) so both get positions; JSON is first checked with JSON.parse so its syntax errors read as JSON errors.
 * Never throws for bad input: problems come back as issues.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, type Node, parseAllDocuments } from "yaml";
import type { Issue } from "../core/errors.js";
import { MAX_NESTING } from "../core/json.js";
import { nestingProblem } from "./nesting.js";
import { type Path, SourceMap } from "./positions.js";

/** Largest definition weft reads: 2 MiB. */
export const MAX_DEFINITION_BYTES = 2 * 1024 * 1024;
/** Aliases a document may expand (yaml's guard against "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

export type Format = "yaml" | "json";

export interface ParsedSource {
  /** The document's value; undefined when it could not be parsed. */
  value: unknown;
  map: SourceMap;
  issues: Issue[];
}

/** UTF-8 length without allocating a buffer. */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

export function tooLargeIssue(file: string, bytes: number): Issue {
  return {
    code: "WEFT_TOO_LARGE",
    severity: "error",
    // The bytes too: one byte over the limit would otherwise read "2.0 MiB; … up to 2 MiB".
    message: `the definition is ${(bytes / 1024 / 1024).toFixed(1)} MiB (${bytes} bytes); weft reads definitions up to 2 MiB (${MAX_DEFINITION_BYTES} bytes)`,
    hint: "split the workflow, or move large data (prompts, schemas) into files the steps read",
    location: { file, line: 1, column: 1 },
  };
}

export function parseSource(text: string, file: string, format: Format): ParsedSource {
  const lines = new LineCounter();
  const map = new SourceMap(file, text, lines);
  const issues: Issue[] = [];
  // Lines for positions reported before the yaml parser (which counts them) has run.
  const countLines = () => {
    lines.addNewLine(0);
    for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) lines.addNewLine(i + 1);
  };
  const fail = (offset: number, code: Issue["code"], message: string, hint: string): ParsedSource => {
    issues.push({ code, severity: "error", message, hint, location: map.at(offset) });
    return { value: undefined, map, issues };
  };

  if (text.length > MAX_DEFINITION_BYTES || utf8Length(text) > MAX_DEFINITION_BYTES) {
    issues.push(tooLargeIssue(file, utf8Length(text)));
    return { value: undefined, map, issues };
  }
  if (format === "json") {
    const jsonError = checkJson(text);
    if (jsonError) {
      countLines();
      return fail(jsonError.offset, "WEFT_PARSE", `invalid JSON: ${jsonError.message}`, "fix the JSON syntax");
    }
  }

  // Before the yaml parser, whose recursion a deep enough document overflows.
  const deep = nestingProblem(text, MAX_NESTING);
  if (deep) {
    countLines();
    return fail(
      deep.offset,
      "WEFT_TOO_LARGE",
      `the definition is nested deeper than ${MAX_NESTING} levels here`,
      `nest mappings and lists at most ${MAX_NESTING} levels deep`,
    );
  }

  const docs = parseAllDocuments(text, {
    lineCounter: lines,
    prettyErrors: false,
    uniqueKeys: true,
    merge: false,
    strict: true,
  });
  const what = format === "json" ? "JSON" : "YAML";
  if (!Array.isArray(docs) || docs.length === 0) {
    return fail(0, "WEFT_SCHEMA", "the file is empty", "write a workflow: at least `name` and `steps`");
  }
  if (docs.length > 1) {
    const second = docs[1]?.range[0] ?? 0;
    return fail(
      second,
      "WEFT_PARSE",
      `the file holds ${docs.length} YAML documents; a workflow file holds exactly one`,
      "remove the `---` separators, or split the documents into separate files",
    );
  }
  const doc = docs[0] as (typeof docs)[number];
  for (const err of doc.errors) {
    const duplicate = err.code === "DUPLICATE_KEY";
    issues.push({
      code: duplicate ? "WEFT_SCHEMA" : "WEFT_PARSE",
      severity: "error",
      message: duplicate ? "duplicate key: a mapping key may appear only once" : `invalid ${what}: ${err.message}`,
      hint: duplicate ? "remove or rename one of the two keys" : `fix the ${what} syntax at this position`,
      location: map.at(err.pos[0]),
    });
  }
  for (const warning of doc.warnings) {
    issues.push({
      code: "WEFT_PARSE",
      severity: "warning",
      message: warning.message,
      hint: "custom YAML tags are ignored: the value is read as plain text",
      location: map.at(warning.pos[0]),
    });
  }
  if (issues.some((i) => i.severity === "error")) return { value: undefined, map, issues };

  const root = doc.contents;
  if (!isMap(root)) {
    const offset = root?.range?.[0] ?? 0;
    if (root === null) return fail(offset, "WEFT_SCHEMA", "the file is empty", "write a workflow: `name` and `steps`");
    return fail(
      offset,
      "WEFT_SCHEMA",
      "the top level of a workflow must be a mapping (`name: …`, `steps: …`)",
      "write the workflow as key: value pairs at the top level",
    );
  }
  const recursive = recordPositions(root, [], map, []);
  if (recursive) {
    return fail(
      recursive.offset,
      "WEFT_PARSE",
      `the alias *${recursive.name} refers to a node that contains it (a recursive structure)`,
      "copy the value instead of referring to its own anchor",
    );
  }
  try {
    // yaml counts an anchor's own node as its first use: + 1 lets a value be aliased MAX_ALIAS_COUNT times.
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT + 1 }), map, issues };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/alias count/i.test(message)) {
      return fail(
        0,
        "WEFT_TOO_LARGE",
        "the document expands too many aliases (a YAML alias bomb?)",
        `use at most ${MAX_ALIAS_COUNT} alias expansions; repeat the data instead of nesting aliases`,
      );
    }
    return fail(0, "WEFT_PARSE", `invalid ${what}: ${message}`, `fix the ${what} document`);
  }
}

/** Records every key, value and item; returns the first alias that points at one of its own ancestors. */
function recordPositions(
  node: Node,
  path: Path,
  map: SourceMap,
  anchors: string[],
): { name: string; offset: number } | undefined {
  const own = node.anchor;
  if (own) anchors.push(own);
  try {
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = pair.key as Node | null;
        const keyName = isScalar(key) ? String(key.value) : String(key);
        const value = pair.value as Node | null;
        const keyStart = key?.range?.[0];
        const childPath = [...path, keyName];
        map.set(childPath, {
          keyStart,
          valueStart: value?.range?.[0] ?? keyStart ?? 0,
          scalar: isScalar(value) ? value : undefined,
        });
        if (value) {
          const bad = recordPositions(value, childPath, map, anchors);
          if (bad) return bad;
        }
      }
    } else if (isSeq(node)) {
      for (const [index, item] of node.items.entries()) {
        const child = item as Node | null;
        const childPath = [...path, index];
        map.set(childPath, { valueStart: child?.range?.[0] ?? 0, scalar: isScalar(child) ? child : undefined });
        if (!child) continue;
        const bad = recordPositions(child, childPath, map, anchors);
        if (bad) return bad;
      }
    } else if (isAlias(node) && anchors.includes(node.source)) {
      return { name: node.source, offset: node.range?.[0] ?? 0 };
    }
    if (path.length === 0) map.set(path, { valueStart: node.range?.[0] ?? 0 });
    return undefined;
  } finally {
    if (own) anchors.pop();
  }
}

/** JSON.parse's verdict, with the offset of the error when the engine reports one. */
function checkJson(text: string): { message: string; offset: number } | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (err) {
    const raw = err instanceof Error ? err.message : String(err);
    const position = /position (\d+)/.exec(raw);
    const lineCol = /line (\d+) column (\d+)/.exec(raw);
    let offset = position ? Number(position[1]) : text.length;
    if (!position && lineCol) {
      let line = 1;
      let i = 0;
      while (line < Number(lineCol[1]) && i >= 0) {
        i = text.indexOf("\n", i) + 1;
        line++;
        if (i === 0) break;
      }
      offset = i + Number(lineCol[2]) - 1;
    }
    const message = raw.replace(/\s*\(line \d+ column \d+\)/, "").replace(/ in JSON at position \d+.*$/, "");
    return { message, offset };
  }
}
