import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import {
  ExpressionError,
  evaluate,
  evaluateCondition,
  FUNCTION_NAMES,
  looseEquals,
  parseCondition,
  parseExpression,
  parseTemplate,
  references,
  renderString,
  renderValue,
  type Scope,
} from "../../src/core/expressions/index.js";
import type { Json, JsonObject } from "../../src/core/json.js";

const data: JsonObject = {
  a: 1,
  b: "two",
  s: "4",
  n: 0,
  t: true,
  nil: null,
  list: [1, "2", [3], { k: "v" }],
  obj: { x: { y: [10, 20] }, "x-y": 1, "0": "zero", empty: "" },
  steps: { triage: { output: { severity: 4 } }, "parse-changes": { output: { functions: ["f"] } } },
  evil: JSON.parse('{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"polluted": "yes"}}}'),
  json: '{"__proto__": {"polluted": "yes"}, "a": [1, 2]}',
};
const scope: Scope = (root) => (Object.hasOwn(data, root) ? data[root] : undefined);

const protoNames = (o: object) => Object.getOwnPropertyNames(o).sort().join(",");
const before = [Object.prototype, Array.prototype, String.prototype, Function.prototype].map(protoNames);

function unpolluted(): boolean {
  const probe = {} as Record<string, unknown>;
  return (
    probe.polluted === undefined &&
    ([] as unknown as Record<string, unknown>).polluted === undefined &&
    [Object.prototype, Array.prototype, String.prototype, Function.prototype].map(protoNames).join("|") ===
      before.join("|")
  );
}

/** A JSON value as JSON.stringify would write it: plain containers, finite numbers. */
function isJson(v: unknown, depth = 0): boolean {
  if (depth > 1000) return false;
  if (v === null || typeof v === "string" || typeof v === "boolean") return true;
  if (typeof v === "number") return Number.isFinite(v);
  if (Array.isArray(v)) return v.every((x) => isJson(x, depth + 1));
  if (typeof v !== "object") return false;
  const proto: unknown = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return false;
  return Object.values(v).every((x) => isJson(x, depth + 1));
}

function lineColumn(src: string, offset: number): { line: number; column: number } {
  const before = src.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - (before.lastIndexOf("\n") + 1) + 1 };
}

/**
 * The contract for any input: a JSON value, or an ExpressionError positioned inside `src` — never another
 * error, never a change to a built-in prototype. (Never slow: the length, depth and step limits bound the
 * work, tested in expressions.test.ts; a runaway evaluation fails this file by the test timeout, not a clock.)
 */
function holds(src: string, run: () => unknown): void {
  try {
    const value = run();
    expect(isJson(value)).toBe(true);
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    expect(err.code).toBe("WEFT_EXPRESSION");
    expect(err.offset).toBeGreaterThanOrEqual(0);
    expect(err.offset).toBeLessThanOrEqual(src.length);
    expect({ line: err.line, column: err.column }).toEqual(lineColumn(src, err.offset));
    expect(err.message).toMatch(/\(line \d+, column \d+\)/);
  }
  expect(unpolluted()).toBe(true);
}

// --- generators ------------------------------------------------------------------------------------------

const TOKENS = [
  "a",
  "b",
  "s",
  "nil",
  "list",
  "obj",
  "evil",
  "json",
  "steps",
  "undefinedRoot",
  "parse-changes",
  "x-y",
  "__proto__",
  "constructor",
  "prototype",
  "polluted",
  "0",
  "7",
  "1.5",
  "1e3",
  "1e999",
  "'s'",
  '"d"',
  "'a}}b'",
  "'{0}{1}'",
  "'\\u0041'",
  "'\\q'",
  "true",
  "false",
  "null",
  "(",
  ")",
  "[",
  "]",
  "{{",
  "}}",
  "{",
  "}",
  ".",
  ",",
  "?",
  ":",
  "||",
  "&&",
  "==",
  "!=",
  "===",
  "<",
  "<=",
  ">",
  ">=",
  "+",
  "-",
  "*",
  "/",
  "%",
  "!",
  "=",
  "&",
  "|",
  "#",
  "'",
  '"',
  "\\",
  "\n",
  "\t",
  ...FUNCTION_NAMES,
];

/** Random token soups from the grammar's own tokens, with and without spaces between them. */
const soup = fc
  .array(fc.tuple(fc.constantFrom(...TOKENS), fc.constantFrom("", " ", " ")), { maxLength: 40 })
  .map((parts) => parts.map(([t, sep]) => t + sep).join(""));

const ARITY: Record<string, [number, number]> = {
  length: [1, 1],
  contains: [2, 2],
  startsWith: [2, 2],
  endsWith: [2, 2],
  join: [1, 2],
  split: [2, 2],
  toJSON: [1, 2],
  fromJSON: [1, 1],
  default: [2, 2],
  lower: [1, 1],
  upper: [1, 1],
  trim: [1, 1],
  keys: [1, 1],
  values: [1, 1],
  format: [1, 4],
  min: [1, 3],
  max: [1, 3],
  round: [1, 2],
  not: [1, 1],
};

const leaf = fc.oneof(
  fc.constantFrom("a", "b", "s", "n", "t", "nil", "list", "obj", "evil", "json", "steps", "undefinedRoot"),
  fc.constantFrom("obj.x.y.1", "obj.x-y", "obj.0", "list[3].k", "evil.__proto__", "evil.constructor.prototype"),
  fc.constantFrom("steps.triage.output.severity", "steps.parse-changes.output.functions", "obj['__proto__']"),
  fc.integer({ min: -5, max: 100 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => String(Math.abs(d))),
  fc.string({ maxLength: 8 }).map((s) => JSON.stringify(s)),
  fc.constantFrom("true", "false", "null", "'{0}-{1}'", "''", "'4'", "'[1,2]'", "'{\"a\":1}'"),
);

const BINARY = ["||", "&&", "==", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%"];

/** Syntactically valid expressions. */
const { expr } = fc.letrec<{ expr: string }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("expr"), fc.constantFrom(...BINARY), tie("expr")).map(([l, op, r]) => `${l} ${op} ${r}`),
    fc.tuple(fc.constantFrom("!", "-"), tie("expr")).map(([op, e]) => `${op}${e}`),
    tie("expr").map((e) => `(${e})`),
    fc.tuple(tie("expr"), tie("expr"), tie("expr")).map(([c, x, y]) => `${c} ? ${x} : ${y}`),
    fc
      .tuple(tie("expr"), fc.constantFrom("x", "y", "0", "1", "__proto__", "constructor", "k"))
      .map(([e, m]) => `(${e}).${m}`),
    fc.tuple(tie("expr"), tie("expr")).map(([e, i]) => `(${e})[${i}]`),
    fc.array(tie("expr"), { maxLength: 3 }).map((xs) => `[${xs.join(", ")}]`),
    fc.constantFrom(...FUNCTION_NAMES).chain((name) => {
      const [min, max] = ARITY[name] ?? [1, 1];
      return fc.array(tie("expr"), { minLength: min, maxLength: max }).map((args) => `${name}(${args.join(", ")})`);
    }),
  ),
}));

const text = fc.stringMatching(/^[^{]{0,20}$/);
const template = fc
  .array(
    fc.oneof(
      text,
      expr.map((e) => `{{ ${e} }}`),
      soup.map((s) => `{{${s}}}`),
      fc.constant("{{"),
    ),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(""));

/** Big inputs: long runs of one piece, for nesting and length limits. */
const huge = fc
  .tuple(
    fc.constantFrom(
      "(",
      "[",
      "!",
      "-",
      "a.",
      "a[",
      "{{",
      "'",
      "length(",
      "a ? ",
      "a ? b : ",
      "1+",
      "{{ a }}",
      "x",
      "}}",
      "a.b",
    ),
    fc.integer({ min: 100, max: 60_000 }),
    fc.constantFrom("", "a", ")", "}}", " 1"),
  )
  .map(([piece, n, tail]) => piece.repeat(n) + tail);

const anyString = fc.oneof(fc.string({ unit: "binary", maxLength: 120 }), fc.string({ maxLength: 120 }));

// --- properties ------------------------------------------------------------------------------------------

describe("expressions never fail with anything but a positioned ExpressionError", () => {
  afterAll(() => {
    expect(unpolluted()).toBe(true);
  });

  const everything = (src: string) => {
    holds(src, () => evaluate(parseExpression(src), scope));
    holds(src, () => evaluateCondition(src, scope));
    holds(src, () => renderString(src, scope));
    holds(src, () => renderValue(src, scope));
    holds(src, () => references(parseTemplate(src)).length);
  };

  it("for arbitrary strings", () => {
    fc.assert(fc.property(anyString, everything), { numRuns: 500 });
  });

  it("for token soups", () => {
    fc.assert(fc.property(soup, everything), { numRuns: 500 });
  });

  it("for templates mixing text, valid expressions and soups", () => {
    fc.assert(fc.property(template, everything), { numRuns: 500 });
  });

  it("for huge and deeply nested inputs", () => {
    fc.assert(
      fc.property(huge, (src) => {
        everything(src);
        const lifted = { maxExpressionLength: src.length, maxSourceLength: src.length };
        holds(src, () => evaluate(parseExpression(src, lifted), scope, lifted));
        holds(src, () => renderValue(src, scope, lifted));
      }),
      { numRuns: 100 },
    );
  });

  it("with tiny limits", () => {
    const limits = fc.record({
      maxSourceLength: fc.integer({ min: 0, max: 200 }),
      maxExpressionLength: fc.integer({ min: 0, max: 100 }),
      maxDepth: fc.integer({ min: 0, max: 8 }),
      maxSteps: fc.integer({ min: 0, max: 50 }),
      maxStringLength: fc.integer({ min: 0, max: 50 }),
    });
    fc.assert(
      fc.property(fc.oneof(expr, template), limits, (src, l) => {
        holds(src, () => evaluate(parseExpression(src, l), scope, l));
        holds(src, () => renderString(src, scope, l));
        holds(src, () => evaluateCondition(src, scope, l));
      }),
      { numRuns: 500 },
    );
  });
});

describe("valid expressions", () => {
  it("always parse (or are only too deep), evaluate to JSON or a positioned error, and render", () => {
    fc.assert(
      fc.property(expr, (src) => {
        try {
          parseExpression(src);
        } catch (err) {
          expect(err instanceof ExpressionError && err.message).toMatch(/nested too deeply/);
        }
        holds(src, () => evaluate(parseExpression(src), scope));
        const braced = `{{ ${src} }}`;
        holds(braced, () => renderValue(braced, scope));
        holds(braced, () => evaluateCondition(braced, scope));
      }),
      { numRuns: 500 },
    );
  });

  it("give the same value as an expression, a sole template part and a condition group", () => {
    fc.assert(
      fc.property(expr, (src) => {
        let direct: Json | ExpressionError;
        try {
          direct = evaluate(parseExpression(src), scope);
        } catch (err) {
          if (!(err instanceof ExpressionError)) throw err;
          return;
        }
        expect(renderValue(`  {{ ${src} }} `, scope)).toEqual(direct);
        expect(evaluate(parseCondition(`{{ ${src} }}`), scope)).toEqual(direct);
      }),
      { numRuns: 300 },
    );
  });

  it("report references that point at their root names in the source", () => {
    fc.assert(
      fc.property(template, (src) => {
        let tpl: ReturnType<typeof parseTemplate>;
        try {
          tpl = parseTemplate(src);
        } catch {
          return;
        }
        for (const ref of references(tpl)) {
          expect(src.slice(ref.offset, ref.offset + ref.root.length)).toBe(ref.root);
          expect(ref.offset + ref.length).toBeLessThanOrEqual(src.length);
          expect(ref.path.every((p) => src.slice(ref.offset, ref.offset + ref.length).includes(p))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("literals and values round-trip", () => {
  it("numbers", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true, min: 0 }), (d) => {
        expect(evaluate(parseExpression(String(d)), scope)).toBe(d);
      }),
      { numRuns: 300 },
    );
  });

  it("any JSON string is a valid string literal", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 60 }), (s) => {
        expect(evaluate(parseExpression(JSON.stringify(s)), scope)).toBe(s);
        expect(renderString(`{{ ${JSON.stringify(s)} }}`, scope)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it("toJSON/fromJSON and == on arbitrary JSON values", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const copy = JSON.parse(JSON.stringify(v)) as Json;
        const s: Scope = (r) => (r === "v" ? (v as Json) : r === "w" ? copy : undefined);
        expect(evaluate(parseExpression("v == w"), s)).toBe(true);
        expect(evaluate(parseExpression("fromJSON(toJSON(v)) == v"), s)).toBe(true);
        expect(evaluate(parseExpression("toJSON(v)"), s)).toBe(JSON.stringify(v));
        expect(looseEquals(v as Json, copy)).toBe(true);
        expect(unpolluted()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("text without `{{` renders unchanged", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        fc.pre(!s.includes("{{"));
        expect(renderString(s, scope)).toBe(s);
        expect(renderValue(s, scope)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });
});
