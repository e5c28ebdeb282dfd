/**
 * Value semantics shared by the operators and the functions: truthiness, equality, ordering, member access
 * and rendering to text. Member access reads only own properties of plain JSON objects and arrays, and the
 * keys `__proto__`, `constructor` and `prototype` are never read.
 */
import type { Json, JsonObject } from "../json.js";

/** Keys that are never read or traversed, whatever the data holds. */
export const BLOCKED_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** null, false, 0, NaN and "" are false; everything else (including `[]` and `{}`) is true. */
export function isTruthy(v: Json | undefined): boolean {
  if (v === null || v === undefined || v === false || v === "") return false;
  if (typeof v === "number") return v !== 0 && !Number.isNaN(v);
  return true;
}

/** A plain JSON object: not an array, not a class instance (Date, Map…), prototype Object.prototype or null. */
export function isPlainObject(v: unknown): v is JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const NUMERIC = /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/;

/** The number a numeric string such as "4", " 4.5 " or "1e3" stands for, else undefined (no hex, no Infinity). */
export function numericString(v: string): number | undefined {
  if (v.length > 400 || !NUMERIC.test(v)) return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * `==`: deep equality of JSON values, except that a number and a numeric string compare as numbers (at every
 * level), because models answer "4" for 4. Throws RangeError past `depth` nesting; callers turn it into an
 * ExpressionError.
 */
export function looseEquals(a: Json | undefined, b: Json | undefined, depth = 0): boolean {
  if (depth > 256) throw new RangeError("values nested too deeply to compare");
  const x = a ?? null;
  const y = b ?? null;
  if (x === y) return true;
  if (typeof x === "number" && typeof y === "string") return numericString(y) === x;
  if (typeof x === "string" && typeof y === "number") return numericString(x) === y;
  if (typeof x !== "object" || typeof y !== "object" || x === null || y === null) return false;
  if (Array.isArray(x) || Array.isArray(y)) {
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!looseEquals(x[i], y[i], depth + 1)) return false;
    return true;
  }
  if (!isPlainObject(x) || !isPlainObject(y)) return false;
  const kx = Object.keys(x);
  if (kx.length !== Object.keys(y).length) return false;
  for (const k of kx) {
    if (!Object.hasOwn(y, k) || !looseEquals(x[k], y[k], depth + 1)) return false;
  }
  return true;
}

/** `.name` / `[key]`: own data of plain objects and arrays only; everything else is null. */
export function getMember(target: Json | undefined, key: Json): Json {
  if (target === null || typeof target !== "object") return null;
  if (Array.isArray(target)) {
    const i =
      typeof key === "number" ? key : typeof key === "string" && /^(0|[1-9]\d{0,9})$/.test(key) ? Number(key) : -1;
    if (!Number.isInteger(i) || i < 0 || i >= target.length) return null;
    return target[i] ?? null;
  }
  if (!isPlainObject(target)) return null;
  const name = typeof key === "string" ? key : typeof key === "number" ? String(key) : undefined;
  if (name === undefined || BLOCKED_KEYS.has(name) || !Object.hasOwn(target, name)) return null;
  return target[name] ?? null;
}

/** Type names for messages. */
export function typeName(v: Json | undefined): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `a ${typeof v}`;
}

/** A value for messages: `null`, `a number (3)`, `a string ("abc")`, `an object ({"a":1})`. */
export function describeValue(v: Json | undefined): string {
  return v === null || v === undefined ? "null" : `${typeName(v)} (${preview(v)})`;
}

/** A short rendering of a value for messages. */
export function preview(v: Json | undefined): string {
  let text: string;
  try {
    text =
      typeof v === "string"
        ? JSON.stringify(v.length > 40 ? `${v.slice(0, 39)}…` : v)
        : String(JSON.stringify(v ?? null));
  } catch {
    text = typeName(v);
  }
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
