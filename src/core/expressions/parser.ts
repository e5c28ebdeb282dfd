/**
 * Recursive-descent parser. Precedence, lowest first: `?:` · `||` · `&&` · `== !=` · `< <= > >=` · `+ -` ·
 * `* / %` · unary `! -` · member/index/call · primary. Binary operators are left-associative, `?:` is
 * right-associative. Nesting (parentheses, brackets, calls, unary operators, `?:`, `{{ }}` groups) is limited
 * to `maxDepth`, so hostile input fails with an ExpressionError instead of overflowing the stack. Long flat
 * chains (`a + b + …`, `a.b.c…`) are not nesting; the evaluator walks them without recursion.
 */
import type { BinaryOp, Expr } from "./ast.js";
import { expressionError, lineColumn } from "./errors.js";
import { functionProblem } from "./functions.js";
import { describe, type Punct, type Token, tokenize } from "./lexer.js";

export interface ParseOptions {
  /** Treat `{{ e }}` as a parenthesised group (conditions). */
  braces: boolean;
  maxDepth: number;
}

const LEVELS: readonly (readonly BinaryOp[])[] = [
  ["||"],
  ["&&"],
  ["==", "!="],
  ["<", "<=", ">", ">="],
  ["+", "-"],
  ["*", "/", "%"],
];

const KEYWORDS: Readonly<Record<string, null | boolean>> = { true: true, false: false, null: null };

/** Parse `source[start, end)` as one expression; offsets in the tree are offsets into `source`. */
export function parseRange(source: string, start: number, end: number, opts: ParseOptions): Expr {
  const parser = new Parser(source, tokenize(source, start, end), opts);
  if (parser.peek().type === "eof") {
    throw expressionError(source, start, "empty expression", "write an expression, such as `args.name`");
  }
  const expr = parser.ternary();
  parser.finish();
  return expr;
}

function node<T extends Expr>(n: T): T {
  return Object.freeze(n);
}

class Parser {
  private pos = 0;
  private depth = 0;
  constructor(
    private readonly src: string,
    private readonly tokens: Token[],
    private readonly opts: ParseOptions,
  ) {}

  peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    const t = this.tokens[this.pos]!;
    if (t.type !== "eof") this.pos++;
    return t;
  }

  private isPunct(value: Punct): boolean {
    const t = this.peek();
    return t.type === "punct" && t.value === value;
  }

  private fail(t: Token, what: string, hint?: string): never {
    throw expressionError(this.src, t.offset, what, hint, t.end - t.offset);
  }

  private where(offset: number): string {
    const { line, column } = lineColumn(this.src, offset);
    return line === 1 ? `column ${column}` : `line ${line}, column ${column}`;
  }

  /** Consume the punctuation that closes `open`, or explain which opener is unclosed. */
  private close(value: Punct, open: Token): Token {
    if (this.isPunct(value)) return this.next();
    const t = this.peek();
    const opener = this.src.slice(open.offset, open.end);
    return this.fail(
      t,
      `expected \`${value}\` to close \`${opener}\` at ${this.where(open.offset)}, found ${describe(t, this.src)}`,
    );
  }

  private enter(t: Token): void {
    if (++this.depth > this.opts.maxDepth) {
      this.fail(t, `expression is nested too deeply (more than ${this.opts.maxDepth} levels)`, "simplify or split it");
    }
  }

  finish(): void {
    const t = this.peek();
    if (t.type === "eof") return;
    if (t.type === "punct" && (t.value === ")" || t.value === "]" || t.value === "}}")) {
      this.fail(t, `unexpected ${describe(t, this.src)}: nothing to close`);
    }
    this.fail(t, `unexpected ${describe(t, this.src)} after a complete expression`, "is an operator missing?");
  }

  ternary(): Expr {
    const test = this.binary(0);
    let result = test;
    if (this.isPunct("?")) {
      const q = this.next();
      this.enter(q);
      const consequent = this.ternary();
      if (!this.isPunct(":")) {
        const t = this.peek();
        this.fail(t, `expected \`:\` for the \`?\` at ${this.where(q.offset)}, found ${describe(t, this.src)}`);
      }
      this.next();
      const alternate = this.ternary();
      this.depth--;
      const end = alternate.offset + alternate.length;
      result = node({
        kind: "conditional",
        test,
        consequent,
        alternate,
        offset: test.offset,
        length: end - test.offset,
      });
    }
    return result;
  }

  private binary(level: number): Expr {
    const ops = LEVELS[level];
    if (ops === undefined) return this.unary();
    let left = this.binary(level + 1);
    for (let t = this.peek(); t.type === "punct" && (ops as readonly string[]).includes(t.value); t = this.peek()) {
      this.next();
      const right = this.binary(level + 1);
      const end = right.offset + right.length;
      left = node({
        kind: "binary",
        op: t.value as BinaryOp,
        left,
        right,
        opOffset: t.offset,
        offset: left.offset,
        length: end - left.offset,
      });
    }
    return left;
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.type === "punct" && (t.value === "!" || t.value === "-")) {
      this.next();
      this.enter(t);
      const operand = this.unary();
      this.depth--;
      const end = operand.offset + operand.length;
      return node({ kind: "unary", op: t.value, operand, offset: t.offset, length: end - t.offset });
    }
    return this.postfix();
  }

  private postfix(): Expr {
    let expr = this.primary();
    while (true) {
      const t = this.peek();
      if (t.type !== "punct") break;
      if (t.value === ".") {
        this.next();
        const name = this.peek();
        if (name.type !== "ident") this.fail(name, `expected a name after \`.\`, found ${describe(name, this.src)}`);
        this.next();
        const length = name.end - expr.offset;
        expr = node({
          kind: "member",
          object: expr,
          name: name.name,
          nameOffset: name.offset,
          offset: expr.offset,
          length,
        });
      } else if (t.value === "[") {
        this.next();
        this.enter(t);
        const index = this.ternary();
        const close = this.close("]", t);
        this.depth--;
        expr = node({ kind: "index", object: expr, index, offset: expr.offset, length: close.end - expr.offset });
      } else if (t.value === "(") {
        this.fail(t, "only the built-in functions can be called", "call one by its name, as in `length(x)`");
      } else {
        break;
      }
    }
    return expr;
  }

  private primary(): Expr {
    const t = this.next();
    switch (t.type) {
      case "num":
      case "str":
        return node({ kind: "literal", value: t.value, offset: t.offset, length: t.end - t.offset });
      case "ident": {
        if (Object.hasOwn(KEYWORDS, t.name)) {
          return node({ kind: "literal", value: KEYWORDS[t.name]!, offset: t.offset, length: t.end - t.offset });
        }
        if (this.isPunct("(")) return this.call(t.name, t);
        return node({ kind: "ident", name: t.name, offset: t.offset, length: t.end - t.offset });
      }
      case "punct":
        if (t.value === "(" || (t.value === "{{" && this.opts.braces)) {
          this.enter(t);
          const inner = this.ternary();
          this.close(t.value === "(" ? ")" : "}}", t);
          this.depth--;
          return inner;
        }
        if (t.value === "[") return this.array(t);
        if (t.value === "{{") {
          this.fail(t, "`{{` cannot appear inside an expression", "refer to values directly, as in `steps.a.output`");
        }
        break;
      case "eof":
        break;
    }
    return this.fail(
      t,
      `expected a value, found ${describe(t, this.src)}`,
      "a value is a name, number, string, `(`, `[`, `!` or `-`",
    );
  }

  private call(name: string, nameTok: Token): Expr {
    const unknown = functionProblem(name);
    if (unknown) this.fail(nameTok, unknown.what, unknown.hint);
    const open = this.next();
    this.enter(open);
    const args: Expr[] = [];
    if (!this.isPunct(")")) {
      args.push(this.ternary());
      while (this.isPunct(",")) {
        this.next();
        args.push(this.ternary());
      }
    }
    const close = this.close(")", open);
    this.depth--;
    const problem = functionProblem(name, args.length);
    if (problem) this.fail(nameTok, problem.what, problem.hint);
    const length = close.end - nameTok.offset;
    return node({ kind: "call", name, args: Object.freeze(args), offset: nameTok.offset, length });
  }

  private array(open: Token): Expr {
    this.enter(open);
    const elements: Expr[] = [];
    while (!this.isPunct("]")) {
      elements.push(this.ternary());
      if (!this.isPunct(",")) break;
      this.next();
    }
    const close = this.close("]", open);
    this.depth--;
    return node({
      kind: "array",
      elements: Object.freeze(elements),
      offset: open.offset,
      length: close.end - open.offset,
    });
  }
}
