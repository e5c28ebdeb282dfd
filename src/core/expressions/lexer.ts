/**
 * Tokens of the expression language, read from `source` between `start` and `end` (so an expression inside a
 * template is lexed in place and every offset is an offset into the whole template).
 *
 * Identifiers are `[A-Za-z_][A-Za-z0-9_]*`, and a `-` belongs to the identifier when it sits between two
 * identifier characters (`parse-changes`, `step-1`); subtraction needs spaces (`a - b`). After a `.` the next
 * segment may also start with a digit (`items.0`, `x.1st`): it is a key, not a number.
 */
import { expressionError, quote } from "./errors.js";

export type Punct =
  | "||"
  | "&&"
  | "=="
  | "!="
  | "<="
  | ">="
  | "<"
  | ">"
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "!"
  | "?"
  | ":"
  | "."
  | ","
  | "("
  | ")"
  | "["
  | "]"
  | "{{"
  | "}}";

export type Token =
  | { readonly type: "num"; readonly value: number; readonly offset: number; readonly end: number }
  | { readonly type: "str"; readonly value: string; readonly offset: number; readonly end: number }
  | { readonly type: "ident"; readonly name: string; readonly offset: number; readonly end: number }
  | { readonly type: "punct"; readonly value: Punct; readonly offset: number; readonly end: number }
  | { readonly type: "eof"; readonly offset: number; readonly end: number };

const TWO_CHAR = new Set<string>(["||", "&&", "==", "!=", "<=", ">=", "{{", "}}"]);
const ONE_CHAR = new Set<string>(["<", ">", "+", "-", "*", "/", "%", "!", "?", ":", ".", ",", "(", ")", "[", "]"]);

const isIdentStart = (c: number): boolean => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isIdentChar = (c: number): boolean => isIdentStart(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13 || c === 0xa0 || c === 0xfeff;

/** Where an identifier (or a segment after `.`) that starts at `i` ends. */
function identEnd(src: string, i: number, end: number): number {
  let j = i;
  while (j < end) {
    const c = src.charCodeAt(j);
    if (isIdentChar(c)) j++;
    else if (c === 45 /* - */ && j + 1 < end && isIdentChar(src.charCodeAt(j + 1))) j += 2;
    else break;
  }
  return j;
}

export function tokenize(src: string, start = 0, end = src.length): Token[] {
  const tokens: Token[] = [];
  let i = start;
  const fail = (at: number, what: string, hint?: string): never => {
    throw expressionError(src, at, what, hint, 1);
  };
  while (true) {
    while (i < end && isSpace(src.charCodeAt(i))) i++;
    if (i >= end) break;
    const c = src.charCodeAt(i);
    const prev = tokens[tokens.length - 1];
    const afterDot = prev?.type === "punct" && prev.value === ".";
    if (isIdentStart(c) || (afterDot && isDigit(c))) {
      const j = identEnd(src, i, end);
      tokens.push({ type: "ident", name: src.slice(i, j), offset: i, end: j });
      i = j;
    } else if (isDigit(c)) {
      i = readNumber(src, i, end, tokens, fail);
    } else if (c === 34 || c === 39) {
      i = readString(src, i, end, tokens, fail);
    } else {
      const two = src.slice(i, i + 2);
      if (i + 1 < end && TWO_CHAR.has(two)) {
        if ((two === "==" || two === "!=") && src[i + 2] === "=" && i + 2 < end) {
          fail(i, `unexpected \`${two}=\``, `weft has no \`${two}=\`; use \`${two}\``);
        }
        tokens.push({ type: "punct", value: two as Punct, offset: i, end: i + 2 });
        i += 2;
      } else if (ONE_CHAR.has(src[i]!)) {
        tokens.push({ type: "punct", value: src[i] as Punct, offset: i, end: i + 1 });
        i += 1;
      } else {
        const ch = String.fromCodePoint(src.codePointAt(i)!);
        const hints: Record<string, string> = { "=": "use `==` to compare", "&": "use `&&`", "|": "use `||`" };
        fail(i, `unexpected character ${quote(ch)}`, Object.hasOwn(hints, ch) ? hints[ch] : undefined);
      }
    }
  }
  tokens.push({ type: "eof", offset: end, end });
  return tokens;
}

function readNumber(src: string, start: number, end: number, out: Token[], fail: (at: number, what: string) => never) {
  let j = start;
  while (j < end && isDigit(src.charCodeAt(j))) j++;
  if (j + 1 < end && src[j] === "." && isDigit(src.charCodeAt(j + 1))) {
    j++;
    while (j < end && isDigit(src.charCodeAt(j))) j++;
  }
  if (j < end && (src[j] === "e" || src[j] === "E")) {
    let k = j + 1;
    if (k < end && (src[k] === "+" || src[k] === "-")) k++;
    if (k < end && isDigit(src.charCodeAt(k))) {
      while (k < end && isDigit(src.charCodeAt(k))) k++;
      j = k;
    }
  }
  if (j < end && isIdentChar(src.charCodeAt(j)))
    fail(start, `invalid number ${quote(src.slice(start, identEnd(src, j, end)))}`);
  const value = Number(src.slice(start, j));
  if (!Number.isFinite(value)) fail(start, `number ${quote(src.slice(start, j))} is too large`);
  out.push({ type: "num", value, offset: start, end: j });
  return j;
}

// The JSON escapes plus \', so any JSON string is also a valid double-quoted string literal.
const ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  "/": "/",
  n: "\n",
  t: "\t",
  r: "\r",
  b: "\b",
  f: "\f",
};

function readString(
  src: string,
  start: number,
  end: number,
  out: Token[],
  fail: (at: number, w: string, h?: string) => never,
) {
  const q = src[start]!;
  let value = "";
  let j = start + 1;
  let chunk = j;
  while (true) {
    if (j >= end) {
      fail(start, `unterminated string starting with ${q}`, `close it with a matching ${q}`);
    }
    const ch = src[j]!;
    if (ch === q) break;
    if (ch !== "\\") {
      j++;
      continue;
    }
    value += src.slice(chunk, j);
    const e = j + 1 < end ? src[j + 1]! : "";
    if (e === "u") {
      const hex = src.slice(j + 2, Math.min(j + 6, end));
      if (!/^[0-9a-fA-F]{4}$/.test(hex))
        fail(j, "invalid escape `\\u`", "write exactly four hex digits, as in `\\u00e9`");
      value += String.fromCharCode(Number.parseInt(hex, 16));
      j += 6;
    } else if (Object.hasOwn(ESCAPES, e)) {
      value += ESCAPES[e];
      j += 2;
    } else {
      fail(j, `unknown escape ${quote(`\\${e}`)}`, "use one of \\\\ \\' \\\" \\/ \\n \\t \\r \\b \\f \\uXXXX");
    }
    chunk = j;
  }
  value += src.slice(chunk, j);
  out.push({ type: "str", value, offset: start, end: j + 1 });
  return j + 1;
}

/** A token as users would recognise it in a message. */
export function describe(t: Token, src: string): string {
  return t.type === "eof" ? "the end of the expression" : quote(src.slice(t.offset, t.end));
}
