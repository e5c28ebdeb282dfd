/**
 * Why a path gave `null`, for the message of an operator that cannot take null (`>`, `-`, …): seed 001's
 * `{{steps.triage.output.severity}} > 3` against an answer without `severity` says that
 * `steps.triage.output` has no `severity`, and what `steps.triage.output` is instead. Only called once an
 * evaluation has failed. It re-reads the path from its root through its static links (member names, literal
 * indexes); a computed index (`a[b]`) or a root that is not a name gives no explanation, so nothing is
 * evaluated twice.
 */
import type { Json } from "../json.js";
import type { Expr, Scope } from "./ast.js";
import { BLOCKED_KEYS, getMember, isPlainObject, typeName } from "./values.js";

/** How much of the value that lacks the field a message shows. */
const EXCERPT_CHARS = 240;

/** Compact JSON, cut at EXCERPT_CHARS with `…`. */
export function excerpt(v: Json): string {
  let text: string;
  try {
    text = String(JSON.stringify(v));
  } catch {
    return typeName(v);
  }
  return text.length > EXCERPT_CHARS ? `${text.slice(0, EXCERPT_CHARS - 1)}…` : text;
}

const keyText = (key: Json): string => (typeof key === "string" ? key : JSON.stringify(key));

/** `a.b`, `a[0]`, `a["x y"]`: how a link of the path reads in a message. */
function join(base: string, key: Json): string {
  if (typeof key === "number") return `${base}[${key}]`;
  const k = keyText(key);
  return /^[A-Za-z0-9_][\w-]*$/.test(k) ? `${base}.${k}` : `${base}[${JSON.stringify(k)}]`;
}

/** The static keys of `expr` after its root name, or undefined when it is not such a path. */
function staticPath(expr: Expr): { root: string; keys: Json[] } | undefined {
  const keys: Json[] = [];
  let node = expr;
  while (node.kind === "member" || node.kind === "index") {
    if (node.kind === "member") keys.push(node.name);
    else if (node.index.kind === "literal") keys.push(node.index.value);
    else return undefined;
    node = node.object;
  }
  return node.kind === "ident" && keys.length > 0 ? { root: node.name, keys: keys.reverse() } : undefined;
}

/**
 * Why `expr`, a path, is null: "`steps.triage.output.severity` is missing: `steps.triage.output` has no
 * `severity`; it is an object: {…}". Undefined when `expr` is not a static path or its value is not null.
 */
export function explainMissing(expr: Expr, scope: Scope): string | undefined {
  const path = staticPath(expr);
  if (!path) return undefined;
  let value: Json | undefined = scope(path.root);
  if (value === undefined) return undefined;
  let shown = path.root;
  const whole = path.keys.reduce<string>(join, path.root);
  for (const key of path.keys) {
    const next = getMember(value, key);
    if (next === null) {
      const at = join(shown, key);
      const what = `${typeName(value)}: ${excerpt(value)}`;
      if (value === null) return `\`${whole}\` is null because \`${shown}\` is null`;
      if (typeof value !== "object") return `\`${whole}\` is missing: \`${shown}\` is ${what}, not an object`;
      const k = keyText(key);
      const present = Array.isArray(value)
        ? isIndexIn(value, key)
        : isPlainObject(value) && !BLOCKED_KEYS.has(k) && Object.hasOwn(value, k);
      if (present) {
        const because = at === whole ? `\`${whole}\` is null` : `\`${whole}\` is null because \`${at}\` is null`;
        return `${because}; \`${shown}\` is ${what}`;
      }
      return `\`${whole}\` is missing: \`${shown}\` has no \`${k}\`; it is ${what}`;
    }
    value = next;
    shown = join(shown, key);
  }
  return undefined;
}

/** Whether `key` is an in-range index of `list` (whose element there is null, as opposed to absent). */
function isIndexIn(list: Json[], key: Json): boolean {
  const i =
    typeof key === "number" ? key : typeof key === "string" && /^(0|[1-9]\d{0,9})$/.test(key) ? Number(key) : -1;
  return Number.isInteger(i) && i >= 0 && i < list.length;
}
