/**
 * The evaluator: a tree walk over JSON values. Left-leaning chains (`a + b + c…`, `a.b.c…`, `a[0][1]…`) are
 * walked with a loop, and every other kind of nesting is bounded by the parser's `maxDepth`, so evaluation
 * cannot overflow the stack. Every failure is an ExpressionError positioned in `source`.
 */
import type { Json } from "../json.js";
import type { BinaryExpr, Expr, IndexExpr, Limits, MemberExpr, Scope } from "./ast.js";
import { expressionError } from "./errors.js";
import { bounded, type CallContext, callFunction, renderText } from "./functions.js";
import { explainMissing } from "./missing.js";
import { BLOCKED_KEYS, describeValue, getMember, isTruthy, looseEquals, numericString, typeName } from "./values.js";

interface Context {
  readonly source: string | undefined;
  readonly scope: Scope;
  readonly limits: Limits;
  steps: number;
}

/** Evaluate `expr`, whose offsets point into `source` (used for line/column in errors). */
export function evaluateIn(expr: Expr, source: string | undefined, scope: Scope, limits: Limits): Json {
  return ev(expr, { source, scope, limits, steps: 0 });
}

function fail(cx: Context, offset: number, what: string, hint?: string, span = 0): never {
  throw expressionError(cx.source, offset, what, hint, span);
}

function callContext(cx: Context, at: Expr): CallContext {
  return {
    maxStringLength: cx.limits.maxStringLength,
    fail: (what, hint) => fail(cx, at.offset, what, hint, at.length),
  };
}

function step(cx: Context, node: Expr): void {
  if (++cx.steps > cx.limits.maxSteps) {
    fail(cx, node.offset, `evaluation took more than ${cx.limits.maxSteps} steps`, "simplify the expression");
  }
}

function ev(node: Expr, cx: Context): Json {
  switch (node.kind) {
    case "literal":
      step(cx, node);
      return node.value;
    case "ident":
      step(cx, node);
      return root(node.name, node, cx);
    case "array": {
      step(cx, node);
      // A fresh array literal: no prototype tricks, elements are copied values.
      const out: Json[] = [];
      for (const e of node.elements) out.push(ev(e, cx));
      return out;
    }
    case "call": {
      step(cx, node);
      const args: Json[] = [];
      for (const a of node.args) args.push(ev(a, cx));
      return callFunction(node.name, args, callContext(cx, node));
    }
    case "unary": {
      step(cx, node);
      const v = ev(node.operand, cx);
      if (node.op === "!") return !isTruthy(v);
      if (typeof v !== "number") {
        const hint = typeof v === "string" ? "convert a numeric string with fromJSON(…)" : undefined;
        fail(cx, node.offset, `cannot negate ${describeValue(v)}`, hint, 1);
      }
      return -v;
    }
    case "conditional":
      step(cx, node);
      return isTruthy(ev(node.test, cx)) ? ev(node.consequent, cx) : ev(node.alternate, cx);
    case "member":
    case "index":
    case "binary":
      return chain(node, cx);
  }
}

function root(name: string, node: Expr, cx: Context): Json {
  if (BLOCKED_KEYS.has(name)) {
    fail(cx, node.offset, `\`${name}\` is a reserved name and cannot be used`, undefined, node.length);
  }
  const v = cx.scope(name);
  if (v === undefined) {
    fail(
      cx,
      node.offset,
      `\`${name}\` is not defined`,
      "check the spelling, or the step/argument it refers to",
      node.length,
    );
  }
  return v;
}

type Link = MemberExpr | IndexExpr | BinaryExpr;

const FALLBACK = "give it a fallback with default(value, 0)";
const MAYBE_MISSING = `a value may be missing; ${FALLBACK}`;

/** Evaluate a left-leaning chain bottom-up without recursing down its left spine. */
function chain(top: Link, cx: Context): Json {
  const spine: Link[] = [];
  let cur: Expr = top;
  while (cur.kind === "member" || cur.kind === "index" || cur.kind === "binary") {
    spine.push(cur);
    cur = cur.kind === "binary" ? cur.left : cur.object;
  }
  let value = ev(cur, cx);
  for (let i = spine.length - 1; i >= 0; i--) {
    const link = spine[i]!;
    step(cx, link);
    if (link.kind === "member") value = getMember(value, link.name);
    else if (link.kind === "index") value = getMember(value, ev(link.index, cx));
    else if (link.op === "&&") value = isTruthy(value) ? ev(link.right, cx) : value;
    else if (link.op === "||") value = isTruthy(value) ? value : ev(link.right, cx);
    else value = binary(link, value, ev(link.right, cx), cx);
  }
  return value;
}

function binary(node: BinaryExpr, a: Json, b: Json, cx: Context): Json {
  const op = node.op;
  const at = (what: string, hint?: string): never => {
    // An operand that is a path and came out null: say which link is missing and what is there instead.
    const why = [a === null ? explainMissing(node.left, cx.scope) : undefined]
      .concat(b === null ? explainMissing(node.right, cx.scope) : undefined)
      .filter((w): w is string => w !== undefined);
    const said = why.length > 0 ? `${why.join("; ")}; ${hint === MAYBE_MISSING ? FALLBACK : (hint ?? FALLBACK)}` : hint;
    return fail(cx, node.opOffset, what, said, op.length);
  };
  switch (op) {
    case "==":
    case "!=": {
      let eq: boolean;
      try {
        eq = looseEquals(a, b);
      } catch (err) {
        return at(`cannot compare with \`${op}\`: ${(err as Error).message}`);
      }
      return op === "==" ? eq : !eq;
    }
    case "<":
    case "<=":
    case ">":
    case ">=": {
      const [x, y] = ordered(a, b, op, at);
      return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
    }
    case "+": {
      if (typeof a === "number" && typeof b === "number") return finite(a + b, at);
      if (typeof a === "string" || typeof b === "string") {
        const cc = callContext(cx, node);
        const left = renderText(a, cc);
        const right = renderText(b, cc);
        if (left.length + right.length > cx.limits.maxStringLength) bounded(left + right, cc);
        return left + right;
      }
      return at(`cannot add ${typeName(a)} and ${typeName(b)}`, "`+` adds numbers or joins text");
    }
    default: {
      if (typeof a !== "number" || typeof b !== "number") {
        const hint =
          typeof a === "string" || typeof b === "string" ? "convert a numeric string with fromJSON(…)" : undefined;
        return at(`\`${op}\` needs two numbers, got ${describeValue(a)} and ${describeValue(b)}`, hint);
      }
      if ((op === "/" || op === "%") && b === 0) return at("division by zero");
      return finite(op === "-" ? a - b : op === "*" ? a * b : op === "/" ? a / b : a % b, at);
    }
  }
}

function finite(n: number, at: (what: string) => never): number {
  return Number.isFinite(n) ? n : at("the result is too large to be a number");
}

/** Operands of `< <= > >=`: two numbers (a numeric string counts when the other side is a number) or two strings. */
function ordered(
  a: Json,
  b: Json,
  op: string,
  at: (what: string, hint?: string) => never,
): [number, number] | [string, string] {
  if (typeof a === "number" && typeof b === "number") return [a, b];
  if (typeof a === "string" && typeof b === "string") return [a, b];
  const x = typeof a === "string" && typeof b === "number" ? numericString(a) : a;
  const y = typeof b === "string" && typeof a === "number" ? numericString(b) : b;
  if (typeof x === "number" && typeof y === "number") return [x, y];
  const hint = a === null || b === null ? MAYBE_MISSING : "compare numbers with numbers, or text with text";
  return at(`cannot compare ${describeValue(a)} with ${describeValue(b)} using \`${op}\``, hint);
}
