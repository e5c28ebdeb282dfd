/** Typed readers for definition fields: each returns the value, or reports an issue and returns undefined. */
import { parseDuration } from "../core/duration.js";
import type { Json, JsonObject } from "../core/json.js";
import { isJsonObject } from "../core/json.js";
import { describe, didYouMean, type Issues } from "./issues.js";
import type { Path } from "./positions.js";

/** A value read from the document with the path it was read from. */
export interface Field {
  value: unknown;
  path: Path;
}

export function field(obj: Record<string, unknown>, key: string, path: Path): Field | undefined {
  return Object.hasOwn(obj, key) ? { value: obj[key], path: [...path, key] } : undefined;
}

const label = (path: Path): string => {
  const last = path[path.length - 1];
  return typeof last === "number" ? `item ${last + 1}` : `\`${String(last)}\``;
};

export function readString(f: Field, iss: Issues, opts: { nonEmpty?: boolean } = {}): string | undefined {
  if (typeof f.value === "string" && (!opts.nonEmpty || f.value.trim() !== "")) return f.value;
  if (typeof f.value === "string") {
    iss.error("WEFT_SCHEMA", f.path, `${label(f.path)} must not be empty`, "write a value or remove the key");
  } else {
    iss.error("WEFT_SCHEMA", f.path, `${label(f.path)} must be a string, got ${describe(f.value)}`, quoteHint(f));
  }
  return undefined;
}

/** A string, or a number/boolean written unquoted (`version: 1.10`): read as its source text. */
export function readText(f: Field, iss: Issues, sourceText: (path: Path) => string | undefined): string | undefined {
  if (typeof f.value === "number" || typeof f.value === "boolean") return sourceText(f.path) ?? String(f.value);
  return readString(f, iss);
}

const quoteHint = (f: Field): string =>
  typeof f.value === "object" && f.value !== null ? "write a single string value" : 'quote the value: "…"';

export function readBoolean(f: Field, iss: Issues): boolean | undefined {
  if (typeof f.value === "boolean") return f.value;
  iss.error(
    "WEFT_SCHEMA",
    f.path,
    `${label(f.path)} must be true or false, got ${describe(f.value)}`,
    "write true or false",
  );
  return undefined;
}

export function readInteger(f: Field, iss: Issues, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (typeof f.value === "number" && Number.isInteger(f.value) && f.value >= min && f.value <= max) return f.value;
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  iss.error("WEFT_SCHEMA", f.path, `${label(f.path)} must be ${range}, got ${describe(f.value)}`, `write ${range}`);
  return undefined;
}

export function readNumber(f: Field, iss: Issues, min: number, max = Number.POSITIVE_INFINITY): number | undefined {
  if (typeof f.value === "number" && Number.isFinite(f.value) && f.value >= min && f.value <= max) return f.value;
  const range = max === Number.POSITIVE_INFINITY ? `a number ≥ ${min}` : `a number from ${min} to ${max}`;
  iss.error("WEFT_SCHEMA", f.path, `${label(f.path)} must be ${range}, got ${describe(f.value)}`, `write ${range}`);
  return undefined;
}

/** Milliseconds from a number of ms or a string such as `30s`, `5m`, `1h30m`. */
export function readDuration(f: Field, iss: Issues, opts: { allowZero?: boolean } = {}): number | undefined {
  const ms = parseDuration(f.value);
  if (ms !== undefined && (ms > 0 || opts.allowZero)) return ms;
  const why = ms === 0 ? "must be longer than 0" : `must be a duration, got ${describe(f.value)}`;
  iss.error(
    "WEFT_SCHEMA",
    f.path,
    `${label(f.path)} ${why}`,
    "write milliseconds (30000) or a duration such as 500ms, 30s, 5m, 1h30m or 2d",
  );
  return undefined;
}

/** A string or a list of strings (`needs: a` or `needs: [a, b]`), each with its own path. */
export function readNameList(f: Field, iss: Issues): { name: string; path: Path }[] {
  if (typeof f.value === "string") return f.value.trim() === "" ? [] : [{ name: f.value, path: f.path }];
  if (f.value === null) return [];
  if (!Array.isArray(f.value)) {
    iss.error(
      "WEFT_SCHEMA",
      f.path,
      `${label(f.path)} must be a step id or a list of step ids, got ${describe(f.value)}`,
      "write `a` or `[a, b]`",
    );
    return [];
  }
  const out: { name: string; path: Path }[] = [];
  f.value.forEach((item, i) => {
    const path = [...f.path, i];
    if (typeof item === "string" && item.trim() !== "") out.push({ name: item, path });
    else iss.error("WEFT_SCHEMA", path, `${label(f.path)} item ${i + 1} must be a step id, got ${describe(item)}`);
  });
  return out;
}

export function readStringList(f: Field, iss: Issues): string[] | undefined {
  const list = typeof f.value === "string" ? [f.value] : f.value;
  if (!Array.isArray(list)) {
    iss.error(
      "WEFT_SCHEMA",
      f.path,
      `${label(f.path)} must be a list of strings, got ${describe(f.value)}`,
      "write `[a, b]`",
    );
    return undefined;
  }
  const out: string[] = [];
  let ok = true;
  list.forEach((item, i) => {
    if (typeof item === "string") out.push(item);
    else {
      ok = false;
      iss.error(
        "WEFT_SCHEMA",
        [...f.path, i],
        `${label(f.path)} item ${i + 1} must be a string, got ${describe(item)}`,
      );
    }
  });
  return ok ? out : undefined;
}

export function readMapping(f: Field, iss: Issues, hint: string): Record<string, unknown> | undefined {
  if (isJsonObject(f.value as Json)) return f.value as Record<string, unknown>;
  iss.error("WEFT_SCHEMA", f.path, `${label(f.path)} must be a mapping, got ${describe(f.value)}`, hint);
  return undefined;
}

/** Reports keys of `obj` that are not in `known`, with a did-you-mean. */
export function checkKeys(
  obj: Record<string, unknown>,
  path: Path,
  known: readonly string[],
  iss: Issues,
  where: string,
): void {
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    const suggestion = didYouMean(key, known);
    iss.error(
      "WEFT_SCHEMA",
      [...path, key],
      `unknown key \`${key}\` in ${where}`,
      suggestion ?? `known keys: ${known.join(", ")}`,
      "key",
    );
  }
}

/** A JSON value as written (YAML gives only JSON types with the core schema). */
export const asJson = (value: unknown): Json => value as Json;
export const asJsonObject = (value: unknown): JsonObject => value as JsonObject;
