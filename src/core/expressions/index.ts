/**
 * The expression language of weft (DESIGN.md "Expressions — safe by construction"): a small purpose-built
 * language in the spirit of GitHub Actions expressions, used in prompts, commands, inputs, `if`/`condition`
 * and `foreach`. Never `eval`, `new Function` or `vm`; only own data properties of plain JSON values are
 * reachable, and `__proto__`, `constructor` and `prototype` never are.
 *
 * Failure semantics: every parse, limit and evaluation failure throws an ExpressionError (code
 * WEFT_EXPRESSION, not retryable) with `offset` (0-based) and `line`/`column` (1-based) inside the source
 * that was parsed — for a template or condition, the whole text, not just the part between braces. An error
 * thrown by the Scope itself propagates unchanged.
 *
 * Parsed templates, expressions and conditions are cached (at most 2,000 of each, oldest evicted) when
 * parsed with the default limits; the returned trees are frozen and shared.
 */
import type { Json } from "../json.js";
import {
  DEFAULT_LIMITS,
  type Expr,
  type Limits,
  type Reference,
  resolveLimits,
  type Scope,
  type Template,
} from "./ast.js";
import { SourceCache } from "./cache.js";
import { expressionError } from "./errors.js";
import { evaluateIn } from "./evaluate.js";
import { parseRange } from "./parser.js";
import { collectReferences } from "./references.js";
import { parseTemplateSource, renderTemplate, renderTemplateValue } from "./template.js";
import { isTruthy } from "./values.js";

export type {
  ArrayExpr,
  BinaryExpr,
  BinaryOp,
  CallExpr,
  ConditionalExpr,
  Expr,
  IdentExpr,
  IndexExpr,
  Limits,
  LiteralExpr,
  MemberExpr,
  Reference,
  Scope,
  Template,
  TemplatePart,
  UnaryExpr,
  UnaryOp,
} from "./ast.js";
export { DEFAULT_LIMITS } from "./ast.js";
export { ExpressionError } from "./errors.js";
export { FUNCTION_NAMES } from "./functions.js";
export { isTruthy, looseEquals } from "./values.js";

/** The source text each parsed tree came from, for line/column in evaluation errors. */
const sources = new WeakMap<Expr, string>();
const expressionCache = new SourceCache<Expr>();
const conditionCache = new SourceCache<Expr>();
const templateCache = new SourceCache<Template>();

function cached<T>(
  cache: SourceCache<T>,
  src: string,
  limits: Partial<Limits> | undefined,
  parse: (l: Limits) => T,
): T {
  if (limits !== undefined) return parse(resolveLimits(limits));
  const hit = cache.get(src);
  if (hit !== undefined) return hit;
  const value = parse(DEFAULT_LIMITS);
  cache.set(src, value);
  return value;
}

function parseWhole(src: string, limits: Limits, braces: boolean): Expr {
  if (src.length > limits.maxExpressionLength) {
    const what = `expression is ${src.length} characters long; the limit is ${limits.maxExpressionLength}`;
    throw expressionError(src, limits.maxExpressionLength, what);
  }
  const expr = parseRange(src, 0, src.length, { braces, maxDepth: limits.maxDepth });
  sources.set(expr, src);
  return expr;
}

/** Parse one expression (no braces): `steps.triage.output.severity > 3`. */
export function parseExpression(src: string, limits?: Partial<Limits>): Expr {
  return cached(expressionCache, src, limits, (l) => parseWhole(src, l, false));
}

/** Split text into literal parts and `{{ expr }}` parts. Text without `{{` is one text part. */
export function parseTemplate(src: string, limits?: Partial<Limits>): Template {
  return cached(templateCache, src, limits, (l) => {
    const tpl = parseTemplateSource(src, l);
    for (const part of tpl.parts) if (part.kind === "expr") sources.set(part.expr, src);
    return tpl;
  });
}

/**
 * Parse a condition: an expression in which `{{ e }}` is a parenthesised group, so `{{ a.b }} > 3` and
 * `{{ a }} == 'x' && {{ b }}` are expressions (the braces are references, never pasted text).
 */
export function parseCondition(src: string, limits?: Partial<Limits>): Expr {
  return cached(conditionCache, src, limits, (l) => parseWhole(src, l, true));
}

/** Evaluate a parsed expression against `scope`. */
export function evaluate(expr: Expr, scope: Scope, limits?: Partial<Limits>): Json {
  return evaluateIn(expr, sources.get(expr), scope, resolveLimits(limits));
}

/** Render a template to text: null → "", strings as they are, other values as JSON. */
export function renderString(tpl: Template | string, scope: Scope, limits?: Partial<Limits>): string {
  const t = typeof tpl === "string" ? parseTemplate(tpl, limits) : tpl;
  return renderTemplate(t, scope, resolveLimits(limits));
}

/**
 * Render a template to a value: exactly one `{{ expr }}` (whitespace around it allowed) gives the expression's
 * typed value (`{{ steps.a.output }}` → the object); anything else gives the rendered string.
 */
export function renderValue(tpl: Template | string, scope: Scope, limits?: Partial<Limits>): Json {
  const t = typeof tpl === "string" ? parseTemplate(tpl, limits) : tpl;
  return renderTemplateValue(t, scope, resolveLimits(limits));
}

/** Parse `src` as a condition and return the truthiness of its value. */
export function evaluateCondition(src: string, scope: Scope, limits?: Partial<Limits>): boolean {
  return isTruthy(evaluate(parseCondition(src, limits), scope, limits));
}

/** Every root name read, with its static member path (up to the first `[…]`), sorted by offset. */
export function references(x: Expr | Template): Reference[] {
  return collectReferences(x);
}

/** Whether a string contains template syntax. */
export const isTemplate = (s: string): boolean => s.includes("{{");

/** How a value is written into text: null → "", strings as they are, everything else as JSON. */
export const toTemplateString = (v: Json): string => (v === null ? "" : typeof v === "string" ? v : JSON.stringify(v));
