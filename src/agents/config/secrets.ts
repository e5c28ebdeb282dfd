/**
 * The secrets file the config names (`secrets: ./secrets.env`): API keys by name, referenced from the config
 * as `apiKey: { secret: NAME }`. Either `NAME=value` lines (dotenv style: `#` comments, blank lines, an
 * optional `export `, values optionally in single or double quotes) or, for a `.yaml`/`.yml`/`.json` file, a
 * mapping of names to strings. Problems are reported by line and column and never quote a value.
 */
import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { type Issue, ValidationError, WeftError } from "../../core/errors.js";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Secret values by name. The map lives in memory only; nothing weft writes contains a value. */
export type Secrets = ReadonlyMap<string, string>;

function issue(file: string, line: number, column: number, message: string, hint: string): Issue {
  return { code: "WEFT_SCHEMA", severity: "error", message, hint, location: { file, line, column } };
}

/** `"a\nb"` → a, newline, b; `'a'` → a; `a # note` → a. */
function unquote(raw: string): string | undefined {
  const v = raw.trim();
  if (v.startsWith('"')) {
    if (v.length < 2 || !v.endsWith('"')) return undefined;
    return v.slice(1, -1).replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: "\n", r: "\r", t: "\t" })[c] ?? c);
  }
  if (v.startsWith("'")) return v.length >= 2 && v.endsWith("'") ? v.slice(1, -1) : undefined;
  return v.replace(/\s+#.*$/, "");
}

function parseDotenv(text: string, file: string, issues: Issue[]): Map<string, string> {
  const values = new Map<string, string>();
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === "" || trimmed.startsWith("#")) return;
    const column = line.length - line.trimStart().length + 1;
    const body = trimmed.replace(/^export\s+/, "");
    const eq = body.indexOf("=");
    const name = eq < 0 ? "" : body.slice(0, eq).trim();
    if (eq < 0 || !NAME.test(name)) {
      issues.push(
        issue(
          file,
          i + 1,
          column,
          "this line is not `NAME=value` (the line is not shown: it may hold a key)",
          "write one `NAME=value` per line; NAME is letters, digits and _",
        ),
      );
      return;
    }
    const value = unquote(body.slice(eq + 1));
    if (value === undefined) {
      issues.push(issue(file, i + 1, column, `the value of \`${name}\` has an unclosed quote`, "close the quote"));
      return;
    }
    values.set(name, value);
  });
  return values;
}

function parseYamlMap(text: string, file: string, issues: Issue[]): Map<string, string> {
  const values = new Map<string, string>();
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => lines.linePos(offset);
  const first = doc.errors[0];
  if (first) {
    const { line, col } = at(first.pos[0]);
    issues.push(
      issue(file, line, col, "the secrets file is not valid YAML or JSON", "fix the syntax at this position"),
    );
    return values;
  }
  if (doc.contents === null) return values;
  if (!isMap(doc.contents)) {
    issues.push(issue(file, 1, 1, "the secrets file must be a mapping of NAME: value", "write `NAME: value` lines"));
    return values;
  }
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? pair.key : undefined;
    const keyPos = at(key?.range?.[0] ?? 0);
    const name = key ? String(key.value) : "";
    if (!NAME.test(name)) {
      issues.push(
        issue(file, keyPos.line, keyPos.col, "a secret's name must be letters, digits and _", "rename the entry"),
      );
      continue;
    }
    const value = isScalar(pair.value) ? pair.value.value : undefined;
    if (typeof value !== "string") {
      const pos = at((pair.value as { range?: [number, number] } | null)?.range?.[0] ?? key?.range?.[0] ?? 0);
      issues.push(issue(file, pos.line, pos.col, `the secret \`${name}\` must be a string`, 'quote the value: "…"'));
      continue;
    }
    values.set(name, value);
  }
  return values;
}

/** Parses a secrets file's text; issues never contain a value. */
export function parseSecrets(text: string, file: string): { secrets: Secrets; issues: Issue[] } {
  const issues: Issue[] = [];
  const yaml = /\.(ya?ml|json)$/i.test(file);
  const secrets = yaml ? parseYamlMap(text, file, issues) : parseDotenv(text, file, issues);
  return { secrets, issues };
}

/**
 * Reads the secrets file. A missing file is not an error (a teammate without the file gets the mock, with a
 * notice saying why): it reads as `undefined`.
 * @throws ValidationError when the file is malformed; WeftError when it exists but cannot be read.
 */
export function loadSecrets(file: string): Secrets | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new WeftError("WEFT_NOT_FOUND", `cannot read the secrets file ${file}: ${(err as Error).message}`);
  }
  const { secrets, issues } = parseSecrets(text, file);
  if (issues.length > 0) throw new ValidationError(issues);
  return secrets;
}
