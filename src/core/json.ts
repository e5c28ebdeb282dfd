/** A JSON value: what step inputs, outputs, args and event payloads are made of. */
export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Own-property lookup that never reaches the prototype chain. */
export function ownProp(obj: JsonObject, key: string): Json | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * How deep weft reads nested input: objects and arrays in args, `--context`, request bodies and workflow
 * definitions (YAML or JSON) nest at most this many levels. Deeper input is refused with an error naming where
 * it crossed the limit, before anything walks it recursively (which would overflow the stack).
 */
export const MAX_NESTING = 64;

/**
 * Where `value` nests deeper than `limit` levels (an object or array at level `limit + 1`, the value itself
 * being level 1), as a path from `root` (`args.a[0].b…`); undefined when it does not. Walks with a loop, never
 * recursion, so any depth is safe to check.
 */
export function tooDeep(value: unknown, root: string, limit = MAX_NESTING): string | undefined {
  const stack: Array<{ v: unknown; depth: number; path: string[] }> = [{ v: value, depth: 1, path: [] }];
  while (stack.length > 0) {
    const { v, depth, path } = stack.pop() as { v: unknown; depth: number; path: string[] };
    if (typeof v !== "object" || v === null) continue;
    if (depth > limit) return describePath(root, path);
    const entries: Array<[string, unknown]> = Array.isArray(v)
      ? v.map((item, i) => [`[${i}]`, item])
      : Object.entries(v).map(([k, item]) => [
          /^[A-Za-z_$][\w$-]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`,
          item,
        ]);
    for (const [seg, item] of entries) {
      if (typeof item === "object" && item !== null) stack.push({ v: item, depth: depth + 1, path: [...path, seg] });
    }
  }
  return undefined;
}

/** `root.a.b…[3].c`: the first and last few segments of a long path. */
function describePath(root: string, path: string[]): string {
  if (path.length <= 8) return root + path.join("");
  return `${root}${path.slice(0, 4).join("")}…${path.slice(-2).join("")}`;
}
