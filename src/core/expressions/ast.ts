/**
 * The syntax tree, templates and limits of the expression language.
 *
 * Every node carries `offset`/`length` into the source it was parsed from. For an expression inside a
 * template (or a `{{ … }}` group inside a condition) that source is the whole template/condition text, not the
 * text between the braces. Nodes are frozen: parsed trees are cached and shared.
 */
import type { Json } from "../json.js";

interface Node {
  readonly offset: number;
  readonly length: number;
}

export type BinaryOp = "||" | "&&" | "==" | "!=" | "<" | "<=" | ">" | ">=" | "+" | "-" | "*" | "/" | "%";
export type UnaryOp = "!" | "-";

/** `42`, `'text'`, `true`, `null`. */
export interface LiteralExpr extends Node {
  readonly kind: "literal";
  readonly value: null | boolean | number | string;
}
/** `[a, 'b', 3]`. */
export interface ArrayExpr extends Node {
  readonly kind: "array";
  readonly elements: readonly Expr[];
}
/** A root name such as `args`, `steps`, `parse-changes`; resolved through the Scope. */
export interface IdentExpr extends Node {
  readonly kind: "ident";
  readonly name: string;
}
/** `object.name` or `object.0`: a static key (a digit segment is an array index or an object key). */
export interface MemberExpr extends Node {
  readonly kind: "member";
  readonly object: Expr;
  readonly name: string;
  /** Offset of the name after the dot. */
  readonly nameOffset: number;
}
/** `object[index]`: a computed key. */
export interface IndexExpr extends Node {
  readonly kind: "index";
  readonly object: Expr;
  readonly index: Expr;
}
/** `name(args…)`: one of the fixed functions (checked when parsing). */
export interface CallExpr extends Node {
  readonly kind: "call";
  readonly name: string;
  readonly args: readonly Expr[];
}
export interface UnaryExpr extends Node {
  readonly kind: "unary";
  readonly op: UnaryOp;
  readonly operand: Expr;
}
/** Binary operators, including the short-circuit `&&` and `||`. */
export interface BinaryExpr extends Node {
  readonly kind: "binary";
  readonly op: BinaryOp;
  readonly left: Expr;
  readonly right: Expr;
  /** Offset of the operator, where operand errors are reported. */
  readonly opOffset: number;
}
/** `test ? consequent : alternate`. */
export interface ConditionalExpr extends Node {
  readonly kind: "conditional";
  readonly test: Expr;
  readonly consequent: Expr;
  readonly alternate: Expr;
}

export type Expr =
  | LiteralExpr
  | ArrayExpr
  | IdentExpr
  | MemberExpr
  | IndexExpr
  | CallExpr
  | UnaryExpr
  | BinaryExpr
  | ConditionalExpr;

export type TemplatePart =
  | { readonly kind: "text"; readonly text: string; readonly offset: number }
  /** `source` is the text between `{{` and `}}`, starting at `offset` in the template. */
  | { readonly kind: "expr"; readonly expr: Expr; readonly source: string; readonly offset: number };

export interface Template {
  readonly source: string;
  readonly parts: readonly TemplatePart[];
}

export interface Reference {
  root: string;
  /** Static member names after the root, up to the first computed access. */
  path: string[];
  offset: number;
  length: number;
}

/** Resolves a root name (`args`, `steps`, a step id, a context key…); undefined → "not defined" error. */
export type Scope = (root: string) => Json | undefined;

export interface Limits {
  /** Longest template or condition text accepted, in UTF-16 code units. Default 1 MiB (1,048,576). */
  maxSourceLength: number;
  /** Longest single expression (a whole expression or the text of one `{{ … }}`). Default 16 KiB (16,384). */
  maxExpressionLength: number;
  /** Deepest nesting the parser accepts (parentheses, brackets, calls, unary operators, `?:`). Default 64. */
  maxDepth: number;
  /** Evaluation steps (nodes visited) per evaluated expression; each `{{ … }}` gets its own budget. Default 10,000. */
  maxSteps: number;
  /** Longest string any operation may produce (concatenation, join, format, toJSON, rendering). Default 1 MiB. */
  maxStringLength: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxSourceLength: 1024 * 1024,
  maxExpressionLength: 16 * 1024,
  maxDepth: 64,
  maxSteps: 10_000,
  maxStringLength: 1024 * 1024,
});

export function resolveLimits(limits: Partial<Limits> | undefined): Limits {
  if (limits === undefined) return DEFAULT_LIMITS;
  const out: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const v = limits[key];
    if (typeof v === "number" && v >= 0) out[key] = v;
  }
  return out;
}
