/**
 * The fixed function set. Functions are looked up in a null-prototype map by own key, so no name reaches
 * anything but these definitions. Names and argument counts are checked when parsing.
 */
import type { Json } from "../json.js";
import { BLOCKED_KEYS, isPlainObject, isTruthy, looseEquals, numericString, typeName } from "./values.js";

/** What a function may use: the string limit and a way to fail at the call's position. */
export interface CallContext {
  readonly maxStringLength: number;
  fail(what: string, hint?: string): never;
}

interface FunctionDef {
  readonly min: number;
  readonly max: number;
  readonly run: (args: Json[], cx: CallContext, name: string) => Json;
}

/** Render a value as template text: null → "", strings as they are, anything else as JSON. Bounded. */
export function renderText(v: Json | undefined, cx: CallContext): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  let text: string | undefined;
  try {
    text = JSON.stringify(v);
  } catch (err) {
    cx.fail(`cannot render the value as text (${err instanceof Error ? err.message : String(err)})`);
  }
  return bounded(text ?? "", cx);
}

export function bounded(s: string, cx: CallContext): string {
  if (s.length > cx.maxStringLength) {
    cx.fail(`the result is ${s.length} characters long; the limit is ${cx.maxStringLength}`, "work on smaller values");
  }
  return s;
}

/** A string argument; numbers and booleans are written as text, null is "". */
function text(v: Json | undefined, cx: CallContext, name: string, i: number): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return cx.fail(`\`${name}\` expects a string as argument ${i + 1}, got ${typeName(v)}`);
}

function num(v: Json | undefined, cx: CallContext, name: string, i: number): number {
  if (typeof v === "number") return v;
  const n = typeof v === "string" ? numericString(v) : undefined;
  if (n === undefined) cx.fail(`\`${name}\` expects a number as argument ${i + 1}, got ${typeName(v)}`);
  return n;
}

function ownKeys(v: Json | undefined, cx: CallContext, name: string): string[] {
  if (v === null || v === undefined) return [];
  if (!isPlainObject(v)) return cx.fail(`\`${name}\` expects an object, got ${typeName(v)}`);
  return Object.keys(v).filter((k) => !BLOCKED_KEYS.has(k));
}

function minMax(args: Json[], cx: CallContext, name: string, pick: (a: number, b: number) => number): Json {
  const first = args[0];
  const list = args.length === 1 && Array.isArray(first) ? first : args;
  let best: number | null = null;
  for (let i = 0; i < list.length; i++) {
    const n = num(list[i], cx, name, i);
    best = best === null ? n : pick(best, n);
  }
  return best;
}

/** Rounds 2.345 to 2.35 (shifting by exponent in text avoids 2.345 * 100 = 234.49999…). */
function roundHalfAwayFromZero(value: number, digits: number): number {
  const abs = Math.abs(value);
  const text = String(abs);
  const r = text.includes("e")
    ? Math.round(abs * 10 ** digits) / 10 ** digits
    : Number(`${Math.round(Number(`${text}e${digits}`))}e-${digits}`);
  return Number.isFinite(r) ? Math.sign(value) * r : value;
}

function format(args: Json[], cx: CallContext): string {
  const fmt = text(args[0], cx, "format", 0);
  let out = "";
  for (let i = 0; i < fmt.length; ) {
    const c = fmt[i];
    if ((c === "{" || c === "}") && fmt[i + 1] === c) {
      out += c;
      i += 2;
    } else if (c === "{") {
      const m = /^\{(\d{1,3})\}/.exec(fmt.slice(i, i + 5));
      if (!m)
        cx.fail(
          `\`format\`: invalid placeholder at character ${i + 1} of the format string`,
          "write {0}, {1}…, or {{ for a literal {",
        );
      const n = Number(m[1]);
      if (n + 1 >= args.length)
        cx.fail(`\`format\`: placeholder {${n}} has no argument`, `pass ${n + 1} value(s) after the format string`);
      out += renderText(args[n + 1], cx);
      i += m[0].length;
    } else if (c === "}") {
      cx.fail(`\`format\`: unmatched \`}\` at character ${i + 1} of the format string`, "write }} for a literal }");
    } else {
      const next = fmt.indexOf("{", i);
      const close = fmt.indexOf("}", i);
      const stop = Math.min(next === -1 ? fmt.length : next, close === -1 ? fmt.length : close);
      out += fmt.slice(i, stop);
      i = stop;
    }
    if (out.length > cx.maxStringLength) bounded(out, cx);
  }
  return out;
}

/** The longest list `range` makes (a foreach over it starts one step run per item). */
const MAX_RANGE = 1000;

const DEFS: Record<string, FunctionDef> = {
  length: {
    min: 1,
    max: 1,
    run: ([v], cx) => {
      if (v === null || v === undefined) return 0;
      if (typeof v === "string" || Array.isArray(v)) return v.length;
      if (isPlainObject(v)) return ownKeys(v, cx, "length").length;
      return cx.fail(`\`length\` expects a string, array or object, got ${typeName(v)}`);
    },
  },
  contains: {
    min: 2,
    max: 2,
    run: ([hay, needle], cx) => {
      if (hay === null || hay === undefined) return false;
      if (typeof hay === "string") return hay.includes(text(needle, cx, "contains", 1));
      if (Array.isArray(hay)) {
        try {
          return hay.some((x) => looseEquals(x, needle));
        } catch (err) {
          return cx.fail(`\`contains\`: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      return cx.fail(`\`contains\` expects a string or an array as argument 1, got ${typeName(hay)}`);
    },
  },
  startsWith: { min: 2, max: 2, run: ([s, p], cx, n) => text(s, cx, n, 0).startsWith(text(p, cx, n, 1)) },
  endsWith: { min: 2, max: 2, run: ([s, p], cx, n) => text(s, cx, n, 0).endsWith(text(p, cx, n, 1)) },
  join: {
    min: 1,
    max: 2,
    run: ([list, sep], cx) => {
      const separator = sep === undefined ? "," : text(sep, cx, "join", 1);
      if (!Array.isArray(list)) return text(list, cx, "join", 0);
      let out = "";
      for (let i = 0; i < list.length; i++) {
        out += (i === 0 ? "" : separator) + renderText(list[i], cx);
        if (out.length > cx.maxStringLength) bounded(out, cx);
      }
      return out;
    },
  },
  split: {
    min: 2,
    max: 2,
    run: ([s, sep], cx) => {
      const str = text(s, cx, "split", 0);
      if (str === "") return [];
      const separator = text(sep, cx, "split", 1);
      return separator === "" ? Array.from(str) : str.split(separator);
    },
  },
  toJSON: {
    min: 1,
    max: 2,
    run: ([v, indent], cx) => {
      const spaces = indent === undefined || indent === null ? 0 : num(indent, cx, "toJSON", 1);
      if (!Number.isInteger(spaces) || spaces < 0 || spaces > 10)
        cx.fail("`toJSON`: indent must be a whole number from 0 to 10");
      let out: string | undefined;
      try {
        out = JSON.stringify(v ?? null, null, spaces);
      } catch (err) {
        cx.fail(`\`toJSON\` failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      return bounded(out ?? "null", cx);
    },
  },
  fromJSON: {
    min: 1,
    max: 1,
    run: ([v], cx) => {
      // Values that are already parsed pass through, so fromJSON works whether a step returned text or JSON.
      if (typeof v !== "string") return v ?? null;
      if (v.length > cx.maxStringLength)
        cx.fail(`\`fromJSON\`: the text is ${v.length} characters long; the limit is ${cx.maxStringLength}`);
      try {
        return JSON.parse(v) as Json;
      } catch (err) {
        return cx.fail(`\`fromJSON\`: not valid JSON (${err instanceof Error ? err.message : String(err)})`);
      }
    },
  },
  default: {
    min: 2,
    max: 2,
    run: ([v, fallback]) => (v === null || v === undefined || v === "" ? (fallback ?? null) : v),
  },
  lower: { min: 1, max: 1, run: ([s], cx, n) => bounded(text(s, cx, n, 0).toLowerCase(), cx) },
  upper: { min: 1, max: 1, run: ([s], cx, n) => bounded(text(s, cx, n, 0).toUpperCase(), cx) },
  trim: { min: 1, max: 1, run: ([s], cx, n) => text(s, cx, n, 0).trim() },
  keys: { min: 1, max: 1, run: ([v], cx) => ownKeys(v, cx, "keys") },
  values: {
    min: 1,
    max: 1,
    run: ([v], cx) => {
      const keys = ownKeys(v, cx, "values");
      return isPlainObject(v) ? keys.map((k) => v[k] ?? null) : [];
    },
  },
  format: { min: 1, max: 101, run: (args, cx) => format(args, cx) },
  min: { min: 1, max: 1000, run: (args, cx, n) => minMax(args, cx, n, Math.min) },
  max: { min: 1, max: 1000, run: (args, cx, n) => minMax(args, cx, n, Math.max) },
  round: {
    min: 1,
    max: 2,
    run: ([x, d], cx) => {
      const value = num(x, cx, "round", 0);
      const digits = d === undefined ? 0 : num(d, cx, "round", 1);
      if (!Number.isInteger(digits) || digits < 0 || digits > 15)
        cx.fail("`round`: digits must be a whole number from 0 to 15");
      return roundHalfAwayFromZero(value, digits);
    },
  },
  not: { min: 1, max: 1, run: ([v]) => !isTruthy(v) },
  range: {
    min: 1,
    max: 1,
    run: ([n], cx, name) => {
      const count = num(n, cx, name, 0);
      if (!Number.isInteger(count) || count < 0 || count > MAX_RANGE) {
        cx.fail(`\`range\` takes a whole number from 0 to ${MAX_RANGE}, got ${count}`);
      }
      return Array.from({ length: count }, (_, i) => i);
    },
  },
};

const FUNCTIONS: Record<string, FunctionDef> = Object.assign(Object.create(null) as Record<string, FunctionDef>, DEFS);

/** The names of the built-in functions, sorted. */
export const FUNCTION_NAMES: readonly string[] = Object.freeze(Object.keys(DEFS).sort());

function lookup(name: string): FunctionDef | undefined {
  return Object.hasOwn(FUNCTIONS, name) ? FUNCTIONS[name] : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** Why `name(…argc args)` cannot be called, or undefined when it can (argc omitted: check the name only). */
export function functionProblem(name: string, argc?: number): { what: string; hint: string } | undefined {
  const def = lookup(name);
  if (!def) {
    const near =
      name.length > 40
        ? undefined
        : FUNCTION_NAMES.find((f) => f.toLowerCase() === name.toLowerCase() || editDistance(f, name) <= 2);
    const available = `available: ${FUNCTION_NAMES.join(", ")}`;
    return { what: `unknown function \`${name}\``, hint: near ? `did you mean \`${near}\`? ${available}` : available };
  }
  if (argc === undefined || (argc >= def.min && argc <= def.max)) return undefined;
  const range =
    def.min === def.max ? `${def.min}` : def.max >= 100 ? `at least ${def.min}` : `${def.min} to ${def.max}`;
  return {
    what: `\`${name}\` takes ${range} argument${range.endsWith(" 1") || range === "1" ? "" : "s"}, got ${argc}`,
    hint: "see the list of functions in the expressions documentation",
  };
}

/** Call a built-in whose name and arity the parser already checked. */
export function callFunction(name: string, args: Json[], cx: CallContext): Json {
  const def = lookup(name);
  if (!def) return cx.fail(functionProblem(name)?.what ?? `unknown function \`${name}\``);
  return def.run(args, cx, name);
}
