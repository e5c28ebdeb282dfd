import { describe, expect, it } from "vitest";
import { WeftError } from "../../src/core/errors.js";
import {
  DEFAULT_LIMITS,
  type Expr,
  ExpressionError,
  evaluate,
  evaluateCondition,
  FUNCTION_NAMES,
  isTemplate,
  isTruthy,
  parseCondition,
  parseExpression,
  parseTemplate,
  references,
  renderString,
  renderValue,
  type Scope,
  toTemplateString,
} from "../../src/core/expressions/index.js";
import type { Json, JsonObject } from "../../src/core/json.js";

const data: JsonObject = {
  filePath: "src/app.ts",
  args: { environment: "staging", count: 3, name: "weft", empty: "", zero: 0, list: [1, 2, 3] },
  input: { bug_description: "crash on save" },
  "parse-changes": { functions: ["parse", "render"] },
  steps: {
    triage: { output: { severity: 4, label: "bug" }, status: "completed" },
    "security-scan": { output: { findings: [{ id: "A1", level: "high" }] } },
  },
  "bug-triage-agent": { output: "ok" },
  obj: { a: 1, b: { c: [10, 20, { d: "deep" }] }, "0": "zero-key", "with space": 5 },
  nums: [3, 1, 2],
  strs: ["b", "a"],
  n: 5,
  s: "text",
  t: true,
  f: false,
  nil: null,
  numstr: "4",
  // JSON.parse creates *own* `__proto__`/`constructor` keys: data, never to be traversed.
  evil: JSON.parse(
    '{"__proto__": {"polluted": "yes"}, "constructor": {"prototype": {"x": 1}}, "prototype": 2, "ok": 1}',
  ),
};

const scope: Scope = (root) => (Object.hasOwn(data, root) ? data[root] : undefined);
/** A scope with `steps.triage.output.severity` set to `severity`, or absent when undefined. */
function withSeverity(severity: Json | undefined): Scope {
  const output: JsonObject = severity === undefined ? {} : { severity };
  return (root) => (root === "steps" ? { triage: { output } } : undefined);
}

const ev = (src: string, s: Scope = scope): Json => evaluate(parseExpression(src), s);

function errorOf(fn: () => unknown): ExpressionError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ExpressionError) return err;
    throw err;
  }
  throw new Error("expected an ExpressionError, nothing was thrown");
}

/** A compact S-expression of a tree, to check its shape. */
function show(e: Expr): string {
  switch (e.kind) {
    case "literal":
      return JSON.stringify(e.value);
    case "ident":
      return e.name;
    case "array":
      return `[${e.elements.map(show).join(" ")}]`;
    case "member":
      return `(. ${show(e.object)} ${e.name})`;
    case "index":
      return `([] ${show(e.object)} ${show(e.index)})`;
    case "call":
      return `(${e.name} ${e.args.map(show).join(" ")})`;
    case "unary":
      return `(${e.op} ${show(e.operand)})`;
    case "binary":
      return `(${e.op} ${show(e.left)} ${show(e.right)})`;
    case "conditional":
      return `(? ${show(e.test)} ${show(e.consequent)} ${show(e.alternate)})`;
  }
}

describe("literals", () => {
  it.each<[string, Json]>([
    ["0", 0],
    ["42", 42],
    ["3.25", 3.25],
    ["1e3", 1000],
    ["2.5E-2", 0.025],
    ["1e+2", 100],
    ["'single'", "single"],
    ['"double"', "double"],
    ["'it\\'s'", "it's"],
    ['"say \\"hi\\""', 'say "hi"'],
    ["'a\\\\b'", "a\\b"],
    ["'l1\\nl2\\tt\\r'", "l1\nl2\tt\r"],
    ["'\\u00e9\\u0041'", "éA"],
    ["'multi\nline'", "multi\nline"],
    ["''", ""],
    ["true", true],
    ["false", false],
    ["null", null],
    ["[1, 'a', null]", [1, "a", null]],
    ["[]", []],
    ["[1, 2,]", [1, 2]],
  ])("%s", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  it.each<[string, RegExp, number]>([
    ["'open", /unterminated string/, 0],
    ["'bad \\x'", /unknown escape `\\x`/, 5],
    ["'\\u12'", /invalid escape `\\u`/, 1],
    ["1e999", /too large/, 0],
    ["12abc", /invalid number `12abc`/, 0],
    ["#", /unexpected character `#`/, 0],
  ])("rejects %s", (src, message, offset) => {
    const err = errorOf(() => parseExpression(src));
    expect(err.message).toMatch(message);
    expect(err.offset).toBe(offset);
  });
});

describe("parsing and precedence", () => {
  it.each<[string, string]>([
    ["a || b && c", "(|| a (&& b c))"],
    ["a && b || c", "(|| (&& a b) c)"],
    ["a == b && c != d", "(&& (== a b) (!= c d))"],
    ["a < b == c >= d", "(== (< a b) (>= c d))"],
    ["a + b < c * d", "(< (+ a b) (* c d))"],
    ["a - b - c", "(- (- a b) c)"],
    ["a * b % c / d", "(/ (% (* a b) c) d)"],
    ["a + b * c", "(+ a (* b c))"],
    ["(a + b) * c", "(* (+ a b) c)"],
    ["!a && -b", "(&& (! a) (- b))"],
    ["!!a", "(! (! a))"],
    ["-a.b", "(- (. a b))"],
    ["a ? b : c ? d : e", "(? a b (? c d e))"],
    ["a || b ? c : d", "(? (|| a b) c d)"],
    ["a ? b ? c : d : e", "(? a (? b c d) e)"],
    ["a.b.c", "(. (. a b) c)"],
    ["a.0.name", "(. (. a 0) name)"],
    ["a[0]['x'].y", '(. ([] ([] a 0) "x") y)'],
    ["a[b.c]", "([] a (. b c))"],
    ["length(a.b) > 2", "(> (length (. a b)) 2)"],
    ["join(a, ', ')", '(join a ", ")'],
    ["a.true.null", "(. (. a true) null)"],
    ["steps.parse-changes.output", "(. (. steps parse-changes) output)"],
    ["parse-changes - b", "(- parse-changes b)"],
    ["a-b-c", "a-b-c"],
    ["a -b", "(- a b)"],
    ["a--b", "(- a (- b))"],
    ["1-2", "(- 1 2)"],
    ["x.1st", "(. x 1st)"],
    ["  a  ", "a"],
  ])("%s → %s", (src, tree) => {
    expect(show(parseExpression(src))).toBe(tree);
  });

  it("records offsets and lengths into the source", () => {
    const e = parseExpression("  a.b + length(c)");
    expect(e).toMatchObject({ kind: "binary", offset: 2, length: 15, opOffset: 6 });
    if (e.kind !== "binary") throw new Error("not binary");
    expect(e.left).toMatchObject({ kind: "member", offset: 2, length: 3, nameOffset: 4 });
    expect(e.right).toMatchObject({ kind: "call", offset: 8, length: 9 });
  });

  it("returns frozen, cached trees", () => {
    const a = parseExpression("cache.me + 1");
    expect(parseExpression("cache.me + 1")).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    expect(parseExpression("cache.me + 1", { maxDepth: 10 })).not.toBe(a);
    expect(parseTemplate("x {{ y }}")).toBe(parseTemplate("x {{ y }}"));
  });

  it.each<[string, RegExp, number]>([
    ["", /empty expression/, 0],
    ["   ", /empty expression/, 0],
    ["(a + b", /expected `\)` to close `\(` at column 1, found the end of the expression/, 6],
    ["f(a", /unknown function `f`/, 0],
    ["length(a", /expected `\)` to close `\(` at column 7/, 8],
    ["a[1", /expected `]` to close `\[` at column 2/, 3],
    ["a ? b", /expected `:` for the `\?` at column 3/, 5],
    ["a +", /expected a value, found the end of the expression/, 3],
    ["a b", /unexpected `b` after a complete expression/, 2],
    ["a)", /unexpected `\)`: nothing to close/, 1],
    ["a.", /expected a name after `.`/, 2],
    ["a.(b)", /expected a name after `.`/, 2],
    ["a.b(1)", /only the built-in functions can be called/, 3],
    ["lenght(a)", /unknown function `lenght` .*did you mean `length`\? available: contains, default/, 0],
    ["Length(a)", /did you mean `length`/, 0],
    ["join()", /`join` takes 1 to 2 arguments, got 0/, 0],
    ["not(a, b)", /`not` takes 1 argument, got 2/, 0],
    ["a = b", /unexpected character `=`.*use `==`/, 2],
    ["a === b", /unexpected `===`/, 2],
    ["a & b", /use `&&`/, 2],
    ["a | b", /use `\|\|`/, 2],
    ["{{ a }}", /`\{\{` cannot appear inside an expression/, 0],
    ["a }}", /unexpected `}}`: nothing to close/, 2],
    ["a\n  + \n  )", /line 3, column 3/, 9],
  ])("rejects %j", (src, message, offset) => {
    const err = errorOf(() => parseExpression(src));
    expect(err.message).toMatch(message);
    expect(err.offset).toBe(offset);
  });

  it("reports 1-based line and column", () => {
    const err = errorOf(() => parseExpression("a &&\n  b +\n   * c"));
    expect(err).toMatchObject({ offset: 14, line: 3, column: 4, code: "WEFT_EXPRESSION", retryable: false });
    expect(err).toBeInstanceOf(WeftError);
    expect(err.name).toBe("ExpressionError");
    expect(err.toInfo().code).toBe("WEFT_EXPRESSION");
  });
});

describe("truthiness and logical operators", () => {
  it.each<[Json, boolean]>([
    [null, false],
    [false, false],
    [0, false],
    [Number.NaN, false],
    ["", false],
    [true, true],
    [1, true],
    [-1, true],
    ["0", true],
    ["false", true],
    [[], true],
    [{}, true],
  ])("isTruthy(%j) = %s", (v, expected) => {
    expect(isTruthy(v)).toBe(expected);
    expect(ev("not(v)", (r) => (r === "v" ? v : undefined))).toBe(!expected);
    expect(ev("!v", (r) => (r === "v" ? v : undefined))).toBe(!expected);
  });

  it.each<[string, Json]>([
    ["s || 'x'", "text"],
    ["args.empty || 'fallback'", "fallback"],
    ["nil || args.zero", 0],
    ["n && s", "text"],
    ["args.zero && s", 0],
    ["t && f", false],
    ["f || nil", null],
    ["t ? 'yes' : 'no'", "yes"],
    ["args.empty ? 'yes' : 'no'", "no"],
  ])("%s = %j", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  it("short-circuits: the right side is not evaluated", () => {
    expect(ev("f && undefinedName")).toBe(false);
    expect(ev("t || undefinedName")).toBe(true);
    expect(ev("t ? 1 : undefinedName")).toBe(1);
    expect(ev("f ? undefinedName : 2")).toBe(2);
    expect(() => ev("t && undefinedName")).toThrow(/`undefinedName` is not defined/);
  });
});

describe("comparison", () => {
  it.each<[string, boolean]>([
    ["1 == 1", true],
    ["1 == 2", false],
    ["'a' == 'a'", true],
    ["'a' != 'b'", true],
    ["null == null", true],
    ["nil == null", true],
    ["null == ''", false],
    ["null == 0", false],
    ["0 == ''", false],
    ["0 == false", false],
    ["true == true", true],
    ["4 == '4'", true],
    ["'4' == 4", true],
    ["4 == ' 4.0 '", true],
    ["4 == '4x'", false],
    ["4 != '5'", true],
    ["'4' == '4.0'", false],
    ["[1, 2] == [1, 2]", true],
    ["[1, 2] == [2, 1]", false],
    ["[1, '2'] == [1, 2]", true],
    ["obj.b == obj.b", true],
    ["obj == obj.b", false],
    ["args.list == [1, 2, 3]", true],
    ["1 < 2", true],
    ["2 <= 2", true],
    ["3 > 2", true],
    ["2 >= 3", false],
    ["'4' > 3", true],
    ["3 < '10'", true],
    ["'10' < '9'", true],
    ["'abc' < 'abd'", true],
    ["'b' >= 'a'", true],
  ])("%s is %s", (src, expected) => {
    expect(ev(src)).toBe(expected);
  });

  it.each<[string, RegExp]>([
    ["nil > 3", /cannot compare null with a number \(3\) using `>`.*default\(value, 0\)/],
    ["'abc' < 1", /cannot compare a string \("abc"\) with a number \(1\) using `<`/],
    ["t < 1", /cannot compare a boolean/],
    ["[1] < [2]", /cannot compare an array/],
    ["obj >= 1", /cannot compare an object/],
  ])("%s fails", (src, message) => {
    const err = errorOf(() => ev(src));
    expect(err.message).toMatch(message);
    expect(err.offset).toBe(src.search(/[<>]/));
  });
});

describe("arithmetic and concatenation", () => {
  it.each<[string, Json]>([
    ["1 + 2", 3],
    ["n - 7", -2],
    ["n * 2", 10],
    ["7 / 2", 3.5],
    ["7 % 3", 1],
    ["-n", -5],
    ["- -n", 5],
    ["2 + 3 * 4", 14],
    ["(2 + 3) * 4", 20],
    ["10 - 2 - 3", 5],
    ["'a' + 'b'", "ab"],
    ["'n=' + n", "n=5"],
    ["n + '!'", "5!"],
    ["'x' + nil", "x"],
    ["'x' + t", "xtrue"],
    ["'v' + [1, 2]", "v[1,2]"],
    ["'o' + obj.b", 'o{"c":[10,20,{"d":"deep"}]}'],
    ["numstr + 1", "41"],
  ])("%s = %j", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ["1 / 0", /division by zero/],
    ["1 % 0", /division by zero/],
    ["numstr - 1", /`-` needs two numbers, got a string \("4"\) and a number \(1\).*fromJSON/],
    ["nil * 2", /`\*` needs two numbers, got null and a number/],
    ["t + 1", /cannot add a boolean and a number/],
    ["nil + 1", /cannot add null and a number/],
    ["[1] + [2]", /cannot add an array and an array/],
    ["-s", /cannot negate a string/],
    ["1e308 * 10", /too large/],
  ])("%s fails", (src, message) => {
    expect(() => ev(src)).toThrow(message);
  });
});

describe("member access", () => {
  it.each<[string, Json]>([
    ["obj.a", 1],
    ["obj.b.c.2.d", "deep"],
    ["obj.b.c[1]", 20],
    ["obj['with space']", 5],
    ["obj.0", "zero-key"],
    ["obj[0]", "zero-key"],
    ["obj.missing", null],
    ["obj.missing.deeper.still", null],
    ["nil.a", null],
    ["s.length", null],
    ["s[0]", null],
    ["n.x", null],
    ["t.x", null],
    ["nums.length", null],
    ["nums[-1]", null],
    ["nums[3]", null],
    ["nums[1.5]", null],
    ["nums['1']", 1],
    ["nums['01']", null],
    ["nums[nil]", null],
    ["obj[t]", null],
    ["obj[['a']]", null],
    ["[10, 20][1]", 20],
    ["nums[length(nums) - 1]", 2],
    ["steps.security-scan.output.findings.0.level", "high"],
    ["bug-triage-agent.output", "ok"],
    ["input.bug_description", "crash on save"],
  ])("%s = %j", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  it("does not read non-plain objects or getters' prototypes", () => {
    const odd = { date: new Date(0), map: new Map([["a", 1]]) } as unknown as Json;
    const s: Scope = (r) => (r === "odd" ? odd : undefined);
    expect(ev("odd.date.getTime", s)).toBeNull();
    expect(ev("odd.map.size", s)).toBeNull();
    const nullProto = Object.assign(Object.create(null) as JsonObject, { a: 1 });
    expect(ev("o.a", (r) => (r === "o" ? nullProto : undefined))).toBe(1);
  });

  it("fails on undefined roots with the position", () => {
    const err = errorOf(() => ev("obj.a + nope.x"));
    expect(err.message).toMatch(/^`nope` is not defined \(line 1, column 9\)/);
    expect(err).toMatchObject({ offset: 8, line: 1, column: 9 });
  });
});

describe("prototype keys are never traversed", () => {
  it.each<[string, Json]>([
    ["args.__proto__", null],
    ["args.constructor", null],
    ["args.constructor.constructor", null],
    ["args.prototype", null],
    ["args['__proto__']", null],
    ["args['constructor']['constructor']", null],
    ["s.constructor", null],
    ["nums.constructor", null],
    ["nums['__proto__']", null],
    ["evil.__proto__", null],
    ["evil.__proto__.polluted", null],
    ["evil.constructor.prototype", null],
    ["evil.prototype", null],
    ["evil.ok", 1],
    ["keys(evil)", ["ok"]],
    ["values(evil)", [1]],
    ["length(evil)", 1],
    ["evil == evil", true],
  ])("%s = %j", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  // Member access reads own properties only: an inherited method is absent, never a native function.
  it.each([
    "obj.toString",
    "obj['toString']",
    "obj.valueOf",
    "obj.hasOwnProperty",
    "obj.isPrototypeOf",
    "obj.propertyIsEnumerable",
    "obj.toLocaleString",
    "obj.__defineGetter__",
    "obj.__lookupGetter__",
    "args.toString",
    "nums.length",
    "nums.map",
    "nums['toString']",
    "s.length",
  ])("inherited %s is null", (src) => {
    expect(ev(src)).toBeNull();
    expect(ev(`${src} == null`)).toBe(true);
  });

  it("renders inherited members as nothing, not as native code", () => {
    const text = renderString("[{{ obj.toString }}][{{ obj.valueOf }}][{{ obj.constructor }}]", scope);
    expect(text).toBe("[][][]");
    expect(renderValue("{{ obj.hasOwnProperty }}", scope)).toBeNull();
  });

  it.each(["constructor.constructor", "__proto__", "prototype.x"])("root %s is reserved", (src) => {
    expect(() => ev(src, () => ({}))).toThrow(/is a reserved name/);
  });

  it("renders templates with such keys without pollution", () => {
    expect(renderString("{{ args.__proto__ }}|{{ args.constructor }}", (r) => (r === "args" ? {} : undefined))).toBe(
      "|",
    );
  });

  it("toJSON writes own `__proto__` keys as data and fromJSON reads them as data", () => {
    expect(ev("toJSON(evil)")).toBe(
      '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"x":1}},"prototype":2,"ok":1}',
    );
    expect(ev(`fromJSON('{"__proto__": {"polluted": 1}}').__proto__`)).toBeNull();
    expect(ev(`toJSON(fromJSON('{"__proto__": {"polluted": 1}}'))`)).toBe('{"__proto__":{"polluted":1}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("functions", () => {
  it("lists the fixed function set", () => {
    expect(FUNCTION_NAMES).toEqual(
      [
        "contains",
        "default",
        "endsWith",
        "format",
        "fromJSON",
        "join",
        "keys",
        "length",
        "lower",
        "max",
        "min",
        "not",
        "range",
        "round",
        "split",
        "startsWith",
        "toJSON",
        "trim",
        "upper",
        "values",
      ].sort(),
    );
  });

  it.each<[string, Json]>([
    ["length('abc')", 3],
    ["length(nums)", 3],
    ["length(obj.b)", 1],
    ["length(nil)", 0],
    ["length(obj.missing)", 0],
    ["contains('hello', 'ell')", true],
    ["contains('hello', 'xyz')", false],
    ["contains('a4', 4)", true],
    ["contains(nums, 2)", true],
    ["contains(nums, '2')", true],
    ["contains(nums, 9)", false],
    ["contains([[1], null], [1])", true],
    ["contains(nil, 'x')", false],
    ["startsWith('weftflow', 'weft')", true],
    ["startsWith('weftflow', 'flow')", false],
    ["endsWith('weftflow', 'flow')", true],
    ["endsWith(nil, '')", true],
    ["join(nums)", "3,1,2"],
    ["join(nums, ' | ')", "3 | 1 | 2"],
    ["join(['a', null, 1, [2]], '-')", "a--1-[2]"],
    ["join('already', '-')", "already"],
    ["join(nil)", ""],
    ["split('a,b,,c', ',')", ["a", "b", "", "c"]],
    ["split('abc', '')", ["a", "b", "c"]],
    ["split('', ',')", []],
    ["split(nil, ',')", []],
    ["toJSON(obj.b)", '{"c":[10,20,{"d":"deep"}]}'],
    ["toJSON([1])", "[1]"],
    ["toJSON(nil)", "null"],
    ["toJSON('s')", '"s"'],
    ["toJSON(args.list, 2)", "[\n  1,\n  2,\n  3\n]"],
    ["fromJSON('{\"a\": [1, 2]}').a[1]", 2],
    ["fromJSON('4') + 1", 5],
    ["fromJSON(numstr) * 2", 8],
    ["fromJSON(nums)", [3, 1, 2]],
    ["fromJSON(nil)", null],
    ["default(nil, 'x')", "x"],
    ["default(args.empty, 'x')", "x"],
    ["default(args.zero, 'x')", 0],
    ["default(f, 'x')", false],
    ["default(s, 'x')", "text"],
    ["default(obj.missing.severity, 0) > 3", false],
    ["lower('MiXeD')", "mixed"],
    ["upper('MiXeD')", "MIXED"],
    ["upper(nil)", ""],
    ["trim('  pad  ')", "pad"],
    ["keys(obj.b)", ["c"]],
    ["keys(nil)", []],
    ["values(obj.b)", [[10, 20, { d: "deep" }]]],
    ["format('{0} and {1}', 'a', 2)", "a and 2"],
    ["format('{1}{0}{1}', 'x', 'y')", "yxy"],
    ["format('{{literal}} {0}', nil)", "{literal} "],
    ["format('{0}', [1])", "[1]"],
    ["format('plain')", "plain"],
    ["min(3, 1, 2)", 1],
    ["max(3, 1, 2)", 3],
    ["min(nums)", 1],
    ["max(nums)", 3],
    ["max('10', 9)", 10],
    ["min([])", null],
    ["round(2.5)", 3],
    ["round(-2.5)", -3],
    ["round(2.345, 2)", 2.35],
    ["round('7.6')", 8],
    ["not(nil)", true],
    ["not(s)", false],
    ["range(3)", [0, 1, 2]],
    ["range('2')", [0, 1]],
    ["range(0)", []],
  ])("%s = %j", (src, expected) => {
    expect(ev(src)).toEqual(expected);
  });

  it.each<[string, RegExp]>([
    ["length(n)", /`length` expects a string, array or object, got a number/],
    ["contains(n, 1)", /`contains` expects a string or an array as argument 1, got a number/],
    ["contains(obj, 'a')", /`contains` expects a string or an array/],
    ["lower(obj)", /`lower` expects a string as argument 1, got an object/],
    ["keys(nums)", /`keys` expects an object, got an array/],
    ["values(s)", /`values` expects an object, got a string/],
    ["fromJSON('{oops')", /`fromJSON`: not valid JSON/],
    ["format('{0} {1}', 'a')", /placeholder \{1\} has no argument/],
    ["format('{x}')", /invalid placeholder/],
    ["format('a } b')", /unmatched `}`/],
    ["min('a', 1)", /`min` expects a number as argument 1, got a string/],
    ["max(1, obj)", /`max` expects a number as argument 2, got an object/],
    ["round(2, 20)", /digits must be a whole number/],
    ["toJSON(1, 99)", /indent must be a whole number/],
    ["split(obj, ',')", /`split` expects a string as argument 1/],
    ["range(1001)", /`range` takes a whole number from 0 to 1000, got 1001/],
    ["range(-1)", /`range` takes a whole number from 0 to 1000/],
    ["range(1.5)", /`range` takes a whole number/],
    ["range(obj)", /`range` expects a number as argument 1, got an object/],
  ])("%s fails", (src, message) => {
    const err = errorOf(() => ev(src));
    expect(err.message).toMatch(message);
    expect(err.offset).toBe(0);
  });

  it("cannot reach Object.prototype through function names", () => {
    for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf"]) {
      expect(() => parseExpression(`${name}(1)`)).toThrow(/unknown function/);
    }
  });
});

describe("templates", () => {
  it("splits text and expressions", () => {
    const tpl = parseTemplate("Fix {{ input.bug_description }} in {{filePath}}.");
    expect(
      tpl.parts.map((p) => (p.kind === "text" ? ["text", p.text, p.offset] : ["expr", p.source, p.offset])),
    ).toEqual([
      ["text", "Fix ", 0],
      ["expr", " input.bug_description ", 6],
      ["text", " in ", 31],
      ["expr", "filePath", 37],
      ["text", ".", 47],
    ]);
    const second = tpl.parts[1];
    expect(second?.kind === "expr" && second.expr.offset).toBe(7);
  });

  it.each<[string, string]>([
    ["{{filePath}}", "src/app.ts"],
    ["{{parse-changes.functions}}", '["parse","render"]'],
    ["pnpm deploy --env {{ args.environment }}", "pnpm deploy --env staging"],
    ["Bug: {{input.bug_description}}", "Bug: crash on save"],
    ["no braces at all", "no braces at all"],
    ["", ""],
    ["single { brace } is text", "single { brace } is text"],
    ["}} closing alone", "}} closing alone"],
    ["{{ 'a}}b' }}", "a}}b"],
    ['{{ "x}}" + "}}" }}!', "x}}}}!"],
    ["{{ '{{' }} literal", "{{ literal"],
    ["{{nil}}|{{t}}|{{n}}|{{obj.b.c}}", '|true|5|[10,20,{"d":"deep"}]'],
    ["{{ a }}}", "1}"],
    ["line1\n{{ s }}\nline3", "line1\ntext\nline3"],
  ])("renderString(%j)", (src, expected) => {
    const s: Scope = (r) => (r === "a" ? 1 : scope(r));
    expect(renderString(src, s)).toBe(expected);
    expect(renderString(parseTemplate(src), s)).toBe(expected);
  });

  it.each<[string, Json]>([
    ["{{filePath}}", "src/app.ts"],
    ["{{parse-changes.functions}}", ["parse", "render"]],
    ["  {{ args.count }}\n", 3],
    ["{{ nil }}", null],
    ["{{ obj.b }}", { c: [10, 20, { d: "deep" }] }],
    ["{{ args.count }} items", "3 items"],
    ["{{ n }}{{ n }}", "55"],
    ["plain", "plain"],
  ])("renderValue(%j)", (src, expected) => {
    expect(renderValue(src, scope)).toEqual(expected);
  });

  it.each<[string, RegExp, number, number, number]>([
    ["abc {{ def", /`\{\{` is never closed .*add `}}`/, 4, 1, 5],
    ["x\n  {{ 'abc }}", /the string that starts at line 2, column 6 is never closed/, 4, 2, 3],
    ["ok {{ }}", /empty expression/, 5, 1, 6],
    ["a\nb {{ x +  }}", /expected a value/, 12, 2, 11],
    ["{{ a }} {{ lenght(a) }}", /unknown function `lenght`/, 11, 1, 12],
    ["{{ {{ a }} }}", /`\{\{` cannot appear inside an expression/, 3, 1, 4],
  ])("parse error in %j", (src, message, offset, line, column) => {
    const err = errorOf(() => parseTemplate(src));
    expect(err.message).toMatch(message);
    expect(err).toMatchObject({ offset, line, column });
  });

  it("reports evaluation errors at their place in the template", () => {
    const err = errorOf(() => renderString("line one\n  {{ s }} and {{ missing.x }}", scope));
    expect(err).toMatchObject({ offset: 26, line: 2, column: 18 });
    expect(err.message).toContain("`missing` is not defined (line 2, column 18)");
  });

  it("isTemplate and toTemplateString", () => {
    expect(isTemplate("a {{ b }}")).toBe(true);
    expect(isTemplate("a { b }")).toBe(false);
    expect([null, "s", 1, true, [1], { a: 1 }].map(toTemplateString)).toEqual(["", "s", "1", "true", "[1]", '{"a":1}']);
  });
});

describe("conditions", () => {
  it.each<[Json | undefined, boolean | RegExp]>([
    [4, true],
    ["4", true],
    [2, false],
    ["2", false],
    [3, false],
    [undefined, /cannot compare null with a number \(3\) using `>`/],
    ["high", /cannot compare a string \("high"\) with a number/],
  ])("{{steps.triage.output.severity}} > 3 with severity %j", (severity, expected) => {
    const src = "{{steps.triage.output.severity}} > 3";
    if (expected instanceof RegExp) {
      const err = errorOf(() => evaluateCondition(src, withSeverity(severity)));
      expect(err.message).toMatch(expected);
      expect(err.offset).toBe(33);
    } else {
      expect(evaluateCondition(src, withSeverity(severity))).toBe(expected);
    }
  });

  it.each<[string, boolean]>([
    ["{{ args.environment }} == 'staging' && {{n}}", true],
    ["{{ args.environment }} == 'prod' || {{ f }}", false],
    ["{{ s }}", true],
    ["{{ args.empty }}", false],
    ["args.count >= 3", true],
    ["!{{ t }}", false],
    ["{{ length(nums) }} * 2 == 6", true],
    ["({{ n }} + 1) * 2 == 12", true],
    ["{{ '}}' }} == '}}'", true],
    ["true", true],
    ["0", false],
  ])("%s is %s", (src, expected) => {
    expect(evaluateCondition(src, scope)).toBe(expected);
  });

  it("treats braces as a group, never as pasted text", () => {
    expect(show(parseCondition("{{ a || b }} && c"))).toBe("(&& (|| a b) c)");
    // Pasted as text this would read `false == 'false'` (false); as a reference it compares the string "false".
    expect(evaluateCondition("{{ x }} == 'false'", (r) => (r === "x" ? "false" : undefined))).toBe(true);
  });

  it.each<[string, RegExp]>([
    ["{{ a > 3", /expected `}}` to close `\{\{` at column 1/],
    ["{{ a }} >", /expected a value/],
    ["{{ a }} {{ b }}", /unexpected `\{\{` after a complete expression/],
    ["Deploy {{ a }}", /unexpected `\{\{` after a complete expression/],
  ])("rejects %j", (src, message) => {
    expect(() => parseCondition(src)).toThrow(message);
  });
});

describe("references", () => {
  const refs = (src: string) =>
    references(parseTemplate(src)).map((r) => [r.root, r.path.join("."), r.offset, r.length]);

  it.each<[string, (string | number)[][]]>([
    ["{{ steps.triage.output.severity }}", [["steps", "triage.output.severity", 3, 28]]],
    ["{{parse-changes.functions}}", [["parse-changes", "functions", 2, 23]]],
    [
      "{{ a.b[c].d }}",
      [
        ["a", "b", 3, 3],
        ["c", "", 7, 1],
      ],
    ],
    ["{{ a['b'].c }}", [["a", "", 3, 1]]],
    ["{{ x.0.y }}", [["x", "0.y", 3, 5]]],
    [
      "{{ length(items) > 0 ? join(items, ',') : fallback.value }}",
      [
        ["items", "", 10, 5],
        ["items", "", 28, 5],
        ["fallback", "value", 42, 14],
      ],
    ],
    [
      "{{ (a || b).c }}",
      [
        ["a", "", 4, 1],
        ["b", "", 9, 1],
      ],
    ],
    [
      "{{ [a, -b, !c.d] }}",
      [
        ["a", "", 4, 1],
        ["b", "", 8, 1],
        ["c", "d", 12, 3],
      ],
    ],
    ["{{ 'steps.x' }} {{ 1 + 2 }} text", []],
    [
      "{{ a }} and {{ b.c }}",
      [
        ["a", "", 3, 1],
        ["b", "c", 15, 3],
      ],
    ],
  ])("%s", (src, expected) => {
    expect(refs(src)).toEqual(expected);
  });

  it("works on expressions and conditions", () => {
    const r = references(parseCondition("{{steps.triage.output.severity}} > 3 && args.x"));
    expect(r).toEqual([
      { root: "steps", path: ["triage", "output", "severity"], offset: 2, length: 28 },
      { root: "args", path: ["x"], offset: 40, length: 6 },
    ]);
    expect(references(parseExpression("true"))).toEqual([]);
  });
});

describe("limits", () => {
  it("has the documented defaults", () => {
    expect(DEFAULT_LIMITS).toEqual({
      maxSourceLength: 1_048_576,
      maxExpressionLength: 16_384,
      maxDepth: 64,
      maxSteps: 10_000,
      maxStringLength: 1_048_576,
    });
  });

  it("limits nesting depth with an ExpressionError, not a stack overflow", () => {
    expect(ev(`${"(".repeat(64)}1${")".repeat(64)}`)).toBe(1);
    expect(() => parseExpression(`${"(".repeat(65)}1${")".repeat(65)}`)).toThrow(
      /nested too deeply \(more than 64 levels\)/,
    );
    for (const deep of [
      "(".repeat(5000),
      `${"!".repeat(5000)}a`,
      `${"-".repeat(3000)}a`,
      "[".repeat(5000),
      "a[".repeat(3000),
      "length(".repeat(2000),
      "a ? ".repeat(3000),
      `${"a ? b : ".repeat(2000)}c`,
    ]) {
      const err = errorOf(() => parseExpression(deep));
      expect(err.message).toMatch(/nested too deeply/);
      expect(err.offset).toBeLessThanOrEqual(deep.length);
      // Still an ExpressionError when the length limit is lifted and the input is 50 times longer.
      const huge = deep.repeat(50);
      expect(() => parseExpression(huge, { maxExpressionLength: huge.length })).toThrow(/nested too deeply/);
    }
    expect(() => parseExpression("((a))", { maxDepth: 1 })).toThrow(/more than 1 levels/);
  });

  it("evaluates long flat chains without recursion", () => {
    const run = (src: string) => evaluate(parseExpression(src), scope, { maxSteps: 1_000_000 });
    const sum = Array.from({ length: 8000 }, () => "1").join("+");
    expect(run(sum)).toBe(8000);
    const path = `obj${".b".repeat(7000)}`;
    expect(run(path)).toBeNull();
    const idx = `nums${"[0]".repeat(5000)}`;
    expect(run(idx)).toBeNull();
    const and = Array.from({ length: 5000 }, () => "t").join("&&");
    expect(run(and)).toBe(true);
    expect(references(parseExpression(path))[0]?.path).toHaveLength(7000);
  });

  it("limits source length", () => {
    expect(() => parseExpression(`${"1+".repeat(9000)}1`)).toThrow(
      /expression is 18001 characters long; the limit is 16384/,
    );
    expect(() => parseTemplate(`{{ ${"1+".repeat(9000)}1 }}`)).toThrow(/the limit is 16384/);
    expect(() => parseTemplate("x".repeat(1_048_577))).toThrow(/text is 1048577 characters long; the limit is 1048576/);
    expect(renderString("x".repeat(1_048_576), scope)).toHaveLength(1_048_576);
    expect(() => parseExpression("a + b", { maxExpressionLength: 3 })).toThrow(/limit is 3/);
  });

  it("limits evaluation steps", () => {
    const src = Array.from({ length: 300 }, () => "n").join(" + ");
    expect(ev(src)).toBe(1500);
    const err = errorOf(() => evaluate(parseExpression(src), scope, { maxSteps: 100 }));
    expect(err.message).toMatch(/evaluation took more than 100 steps/);
    // Each `{{ }}` of a template gets its own budget.
    expect(renderString("{{ n + n }}{{ n + n }}", scope, { maxSteps: 3 })).toBe("1010");
  });

  it("limits produced strings", () => {
    const big = "x".repeat(600_000);
    const s: Scope = (r) => (r === "big" ? big : r === "arr" ? [big, big] : undefined);
    expect(ev("big + 'y'", s)).toHaveLength(600_001);
    const cases = [
      "big + big",
      "join(arr, '')",
      "format('{0}{0}', big)",
      "toJSON(arr)",
      "'a' + arr",
      "upper(big + big)",
    ];
    for (const src of cases) expect(() => ev(src, s), src).toThrow(/the limit is 1048576|characters long/);
    expect(() => renderString("{{ big }}{{ big }}", s)).toThrow(/rendered text is over 1048576/);
    expect(() => ev("lower(s)", (r) => (r === "s" ? "ABCDEF" : undefined))).not.toThrow();
    expect(() =>
      evaluate(parseExpression("s + s"), (r) => (r === "s" ? "abc" : undefined), { maxStringLength: 5 }),
    ).toThrow(/limit is 5/);
    expect(() => ev("fromJSON(s)", (r) => (r === "s" ? `"${"a".repeat(1_048_577)}"` : undefined))).toThrow(
      /the limit is/,
    );
  });

  it("turns deeply nested data into an ExpressionError, not a crash", () => {
    let deep: Json = 1;
    let twin: Json = 1;
    for (let i = 0; i < 300; i++) {
      deep = [deep];
      twin = [twin];
    }
    const s: Scope = (r) => (r === "d" ? deep : r === "e" ? twin : undefined);
    expect(ev("d == d", s)).toBe(true);
    expect(() => ev("d == e", s)).toThrow(/nested too deeply to compare/);
    expect(() => ev("contains([e], d)", s)).toThrow(/nested too deeply to compare/);
    expect(ev("length(d)", s)).toBe(1);
  });
});

describe("evaluate on hand-built or sub-trees", () => {
  it("positions errors by offset when the source is unknown", () => {
    const e = parseExpression("1 + (x * 2)");
    if (e.kind !== "binary") throw new Error("not binary");
    const err = errorOf(() => evaluate(e.right, () => undefined));
    expect(err).toMatchObject({ offset: 5, line: 1, column: 6 });
    const hand: Expr = { kind: "ident", name: "zz", offset: 0, length: 2 };
    expect(() => evaluate(hand, () => undefined)).toThrow(/`zz` is not defined/);
  });
});
