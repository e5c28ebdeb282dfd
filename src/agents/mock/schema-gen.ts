/**
 * Generates a JSON value for a JSON Schema, deterministically from an Rng: object (properties, required,
 * min/maxProperties), array (items, prefixItems, min/maxItems, uniqueItems), string (enum, const, formats,
 * min/maxLength), number/integer (minimum, maximum, exclusive bounds, multipleOf), boolean, null; oneOf/anyOf
 * (first branch), allOf (merged), `$ref` to `#/…` inside the schema. The caller validates the result: anything
 * this does not understand (`pattern`, `not`, `if`) shows up there.
 */
import { isJsonObject, type Json, type JsonObject } from "../../core/json.js";
import type { Rng } from "./rng.js";

export class UnsatisfiableSchema extends Error {}

interface Gen {
  root: JsonObject;
  rng: Rng;
  subject: string;
  agent: string;
}

const MAX_DEPTH = 24;

export function generateFromSchema(schema: JsonObject, opts: { rng: Rng; subject: string; agent: string }): Json {
  return gen(schema, { root: schema, ...opts }, "", 0);
}

function resolveRef(ref: string, g: Gen): Json {
  if (!ref.startsWith("#")) throw new UnsatisfiableSchema(`only local $refs (#/…) are supported, not ${ref}`);
  let node: Json | undefined = g.root;
  for (const raw of ref
    .slice(1)
    .split("/")
    .filter((s) => s !== "")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else node = isJsonObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
    if (node === undefined) throw new UnsatisfiableSchema(`$ref ${ref} points nowhere`);
  }
  return node;
}

/** Folds `$ref` and `allOf` into one schema object (shallow: properties and required are combined). */
function flatten(schema: Json, g: Gen, depth: number): JsonObject | boolean {
  if (typeof schema === "boolean") return schema;
  if (!isJsonObject(schema)) return true;
  if (depth > MAX_DEPTH) throw new UnsatisfiableSchema("the schema nests or refers to itself too deeply");
  let out: JsonObject = { ...schema };
  if (typeof out.$ref === "string") {
    const { $ref, ...rest } = out;
    const target = flatten(resolveRef($ref as string, g), g, depth + 1);
    if (target === false) return false;
    out = merge(target === true ? {} : target, rest);
  }
  if (Array.isArray(out.allOf)) {
    const { allOf, ...rest } = out;
    out = rest;
    for (const part of allOf as Json[]) {
      const flat = flatten(part, g, depth + 1);
      if (flat === false) return false;
      if (flat !== true) out = merge(out, flat);
    }
  }
  return out;
}

function merge(a: JsonObject, b: JsonObject): JsonObject {
  const out: JsonObject = { ...a, ...b };
  if (isJsonObject(a.properties) && isJsonObject(b.properties)) out.properties = { ...a.properties, ...b.properties };
  if (Array.isArray(a.required) && Array.isArray(b.required))
    out.required = [...new Set([...a.required, ...b.required])];
  return out;
}

function typeOf(s: JsonObject): string {
  const t = s.type;
  if (typeof t === "string") return t;
  if (Array.isArray(t)) return (t.find((x) => x !== "null") ?? t[0] ?? "null") as string;
  if ("properties" in s || "required" in s || "additionalProperties" in s) return "object";
  if ("items" in s || "prefixItems" in s || "minItems" in s) return "array";
  if ("minimum" in s || "maximum" in s || "exclusiveMinimum" in s || "multipleOf" in s) return "number";
  return "string";
}

function gen(schema: Json, g: Gen, name: string, depth: number): Json {
  const flat = flatten(schema, g, depth);
  if (flat === false) throw new UnsatisfiableSchema(`${name || "the answer"} must match \`false\`, which nothing does`);
  if (flat === true) return text(g, name);
  if (depth > MAX_DEPTH) throw new UnsatisfiableSchema("the schema nests too deeply");
  const s = flat;
  if ("const" in s) return s.const as Json;
  if (Array.isArray(s.enum)) {
    if (s.enum.length === 0) throw new UnsatisfiableSchema(`${name || "the answer"} has an empty enum`);
    return g.rng.pick(s.enum);
  }
  for (const key of ["oneOf", "anyOf"] as const) {
    const branches = s[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const { [key]: _, ...rest } = s;
      const first = flatten(branches[0] as Json, g, depth + 1);
      if (first === false) throw new UnsatisfiableSchema(`the first ${key} branch of ${name || "the answer"} is false`);
      return gen(first === true ? rest : merge(rest, first), g, name, depth + 1);
    }
  }
  switch (typeOf(s)) {
    case "object":
      return object(s, g, depth);
    case "array":
      return array(s, g, name, depth);
    case "integer":
      return number(s, g, name, true);
    case "number":
      return number(s, g, name, false);
    case "boolean":
      return g.rng.next() < 0.5;
    case "null":
      return null;
    default:
      return string(s, g, name);
  }
}

function object(s: JsonObject, g: Gen, depth: number): JsonObject {
  const props = isJsonObject(s.properties) ? s.properties : {};
  const required = Array.isArray(s.required) ? s.required.filter((r): r is string => typeof r === "string") : [];
  const extra = s.additionalProperties;
  const out: JsonObject = {};
  for (const [key, sub] of Object.entries(props)) out[key] = gen(sub, g, key, depth + 1);
  for (const key of required) if (!(key in out)) out[key] = gen(isJsonObject(extra) ? extra : true, g, key, depth + 1);
  const min = typeof s.minProperties === "number" ? s.minProperties : 0;
  for (let i = 1; Object.keys(out).length < min && extra !== false; i++) {
    out[`extra_${i}`] = gen(isJsonObject(extra) ? extra : true, g, `extra_${i}`, depth + 1);
  }
  const max = typeof s.maxProperties === "number" ? s.maxProperties : Number.POSITIVE_INFINITY;
  for (const key of Object.keys(out)) {
    if (Object.keys(out).length <= max) break;
    if (!required.includes(key)) delete out[key];
  }
  return out;
}

function array(s: JsonObject, g: Gen, name: string, depth: number): Json[] {
  const prefix = Array.isArray(s.prefixItems) ? s.prefixItems : Array.isArray(s.items) ? s.items : [];
  const rest: Json = Array.isArray(s.items) ? (s.additionalItems ?? true) : (s.items ?? true);
  const min = typeof s.minItems === "number" ? s.minItems : Math.min(1, prefix.length || 1);
  const max = typeof s.maxItems === "number" ? s.maxItems : min + 2;
  if (min > max) throw new UnsatisfiableSchema(`${name || "the answer"}: minItems is above maxItems`);
  const count = rest === false ? Math.min(prefix.length, max) : g.rng.int(Math.max(min, 0), Math.min(max, min + 2));
  const out: Json[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const itemSchema = i < prefix.length ? (prefix[i] as Json) : rest;
    let item = gen(itemSchema, g, singular(name, i), depth + 1);
    if (s.uniqueItems === true && seen.has(JSON.stringify(item))) {
      const flat = flatten(itemSchema, g, depth + 1);
      const choices = isJsonObject(flat) && Array.isArray(flat.enum) ? flat.enum : undefined;
      const unused = choices?.find((v) => !seen.has(JSON.stringify(v)));
      if (unused !== undefined) item = unused;
      for (let tries = 0; !choices && seen.has(JSON.stringify(item)) && tries < 8; tries++) {
        item = gen(itemSchema, g, singular(name, i + tries + 1), depth + 1);
      }
      // Out of distinct values: stop once there are enough items.
      if (seen.has(JSON.stringify(item)) && out.length >= min) break;
    }
    seen.add(JSON.stringify(item));
    out.push(item);
  }
  return out;
}

function singular(name: string, i: number): string {
  const base = name.endsWith("s") && name.length > 3 ? name.slice(0, -1) : name || "item";
  return `${base} ${i + 1}`;
}

function number(s: JsonObject, g: Gen, name: string, integer: boolean): number {
  const num = (v: Json | undefined) => (typeof v === "number" ? v : undefined);
  const exMin = num(s.exclusiveMinimum);
  const exMax = num(s.exclusiveMaximum);
  let lo = num(s.minimum) ?? exMin;
  let hi = num(s.maximum) ?? exMax;
  if (lo === undefined && hi === undefined) [lo, hi] = [0, 100];
  else if (lo === undefined) lo = (hi as number) - 100;
  else if (hi === undefined) hi = lo + 100;
  let low = lo as number;
  let high = hi as number;
  const step = num(s.multipleOf) ?? (integer ? 1 : undefined);
  if (step !== undefined) {
    let k0 = Math.ceil(low / step);
    let k1 = Math.floor(high / step);
    if (exMin !== undefined && k0 * step <= exMin) k0++;
    if (exMax !== undefined && k1 * step >= exMax) k1--;
    if (k0 > k1)
      throw new UnsatisfiableSchema(`no ${integer ? "integer" : "multiple"} fits the range of ${name || "the answer"}`);
    return g.rng.int(k0, k1) * step;
  }
  if (low > high) throw new UnsatisfiableSchema(`${name || "the answer"}: minimum is above maximum`);
  if (exMin !== undefined) low = Math.max(low, exMin);
  if (exMax !== undefined) high = Math.min(high, exMax);
  const v = Math.round((low + (0.1 + 0.8 * g.rng.next()) * (high - low)) * 100) / 100;
  const ok = (x: number) => x >= low && x <= high && x !== exMin && x !== exMax;
  if (ok(v)) return v;
  const mid = (low + high) / 2;
  if (ok(mid)) return mid;
  throw new UnsatisfiableSchema(`no number fits the range of ${name || "the answer"}`);
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "agent"
  );
}

function text(g: Gen, name: string): string {
  if (!name) return `[mock ${g.agent}] ${g.subject}`;
  const label = name
    .replace(/[_-]+/g, " ")
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .toLowerCase();
  return `${label[0]?.toUpperCase()}${label.slice(1)} for ${g.subject}`;
}

function formatted(format: string, g: Gen): string | undefined {
  const day = Date.UTC(2025, 0, 1) + g.rng.int(0, 364) * 86_400_000 + g.rng.int(0, 86_399) * 1000;
  const iso = new Date(day).toISOString().replace(/\.000Z$/, "Z");
  switch (format) {
    case "date-time":
      return iso;
    case "date":
      return iso.slice(0, 10);
    case "time":
      return iso.slice(11);
    case "email":
    case "idn-email":
      return `${slug(g.agent)}@example.com`;
    case "uri":
    case "url":
    case "iri":
    case "uri-reference":
    case "iri-reference":
      return `https://example.com/${slug(g.agent)}/${g.rng.hex(8)}`;
    case "uuid": {
      const h = g.rng.hex(32);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
    }
    case "hostname":
    case "idn-hostname":
      return `${slug(g.agent)}.example.com`;
    case "ipv4":
      return `192.0.2.${g.rng.int(1, 254)}`;
    case "ipv6":
      return `2001:db8::${g.rng.hex(4)}`;
    case "duration":
      return `PT${g.rng.int(1, 59)}M`;
    case "json-pointer":
      return `/${slug(g.agent)}`;
    case "regex":
      return "^[a-z]+$";
    default:
      return undefined;
  }
}

const PATTERN_CANDIDATES = ["abc", "a", "A", "1", "42", "abc123", "ABC", "a-b", "a_b", "a.b", "x1", ""];

function string(s: JsonObject, g: Gen, name: string): string {
  const fmt = typeof s.format === "string" ? formatted(s.format, g) : undefined;
  if (fmt !== undefined) return fmt;
  let out = text(g, name);
  if (typeof s.pattern === "string") {
    const re = new RegExp(s.pattern, "u");
    if (!re.test(out)) out = PATTERN_CANDIDATES.find((c) => re.test(c)) ?? out;
  }
  const chars = Array.from(out);
  const max = typeof s.maxLength === "number" ? s.maxLength : Number.POSITIVE_INFINITY;
  const min = typeof s.minLength === "number" ? s.minLength : 0;
  if (min > max) throw new UnsatisfiableSchema(`${name || "the answer"}: minLength is above maxLength`);
  if (chars.length > max) return chars.slice(0, max).join("");
  if (chars.length < min) return out + ".".repeat(min - chars.length);
  return out;
}
