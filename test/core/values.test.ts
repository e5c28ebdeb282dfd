/** The value semantics under every operator and function (src/core/expressions/values.ts), rule by rule. */
import { describe, expect, it } from "vitest";
import {
  BLOCKED_KEYS,
  describeValue,
  getMember,
  isPlainObject,
  isTruthy,
  looseEquals,
  numericString,
  preview,
  typeName,
} from "../../src/core/expressions/values.js";
import type { Json } from "../../src/core/json.js";

/** `[[…[0]…]]`, `levels` arrays deep. */
function nested(levels: number): Json {
  let v: Json = 0;
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

describe("isTruthy", () => {
  it.each<[Json | undefined, boolean]>([
    [null, false],
    [undefined, false],
    [false, false],
    ["", false],
    [0, false],
    [-0, false],
    [Number.NaN, false],
    [true, true],
    [1, true],
    [-1, true],
    [0.5, true],
    ["0", true],
    [" ", true],
    ["false", true],
    [[], true],
    [{}, true],
  ])("%j → %s", (v, expected) => {
    expect(isTruthy(v)).toBe(expected);
  });
});

describe("isPlainObject", () => {
  it("is true for object literals and null-prototype objects only", () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject({ a: 1 })).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    for (const v of [null, undefined, 1, "a", true, [], [1], new Date(0), new Map(), Object.create({}), () => 1]) {
      expect(isPlainObject(v)).toBe(false);
    }
  });
});

describe("numericString", () => {
  it.each<[string, number | undefined]>([
    ["4", 4],
    [" 4.5 ", 4.5],
    ["\t-3\n", -3],
    ["+3", 3],
    ["1e3", 1000],
    ["1E-2", 0.01],
    [".5", 0.5],
    ["5.", 5],
    ["0", 0],
    ["", undefined],
    [" ", undefined],
    ["-", undefined],
    ["1 2", undefined],
    ["0x10", undefined],
    ["Infinity", undefined],
    ["NaN", undefined],
    ["1e400", undefined],
    ["4px", undefined],
    ["1,000", undefined],
  ])("%j → %s", (s, expected) => {
    expect(numericString(s)).toBe(expected);
  });

  it("reads at most 400 characters", () => {
    expect(numericString(`${"0".repeat(399)}7`)).toBe(7);
    expect(numericString(`${"0".repeat(400)}7`)).toBeUndefined();
  });
});

describe("looseEquals", () => {
  it.each<[Json | undefined, Json | undefined, boolean]>([
    [1, 1, true],
    [1, 2, false],
    [null, null, true],
    [undefined, null, true],
    [null, undefined, true],
    [null, 0, false],
    [null, "", false],
    [false, 0, false],
    ["", 0, false],
    [4, "4", true],
    ["4", 4, true],
    [4, " 4.0 ", true],
    [4, "4px", false],
    ["4", "4.0", false],
    ["a", "a", true],
    ["a", "b", false],
    [true, "true", false],
    [[1, "2"], ["1", 2], true],
    [[1, 2], [1, 2, 3], false],
    [[1, 2, 3], [1, 2], false],
    [[1, 2], [2, 1], false],
    [[], {}, false],
    [{}, [], false],
    [[1], 1, false],
    [{ a: 1, b: [2] }, { b: ["2"], a: "1" }, true],
    [{ a: 1 }, { b: 1 }, false],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [{ a: 1, b: 2 }, { a: 1 }, false],
    [{ a: null }, { b: null }, false],
    [{ a: { b: 1 } }, { a: { b: 2 } }, false],
  ])("%j == %j → %s", (a, b, expected) => {
    expect(looseEquals(a, b)).toBe(expected);
  });

  it("compares own keys only", () => {
    const inherits = Object.create({ a: 1 }) as Json;
    expect(looseEquals({ a: 1 }, inherits)).toBe(false);
    const withProtoKey = JSON.parse('{"__proto__": 1}') as Json;
    expect(looseEquals(withProtoKey, {})).toBe(false);
    expect(looseEquals(withProtoKey, JSON.parse('{"__proto__": "1"}') as Json)).toBe(true);
  });

  it("never equates class instances", () => {
    const d = new Date(0) as unknown as Json;
    expect(looseEquals(d, new Date(0) as unknown as Json)).toBe(false);
    expect(looseEquals(d, {})).toBe(false);
  });

  it("compares 256 levels deep and throws a RangeError past that", () => {
    expect(looseEquals(nested(256), nested(256))).toBe(true);
    expect(looseEquals(nested(256), [[[1]]])).toBe(false);
    expect(() => looseEquals(nested(257), nested(257))).toThrow(RangeError);
    expect(() => looseEquals(nested(257), nested(257))).toThrow(/nested too deeply to compare/);
  });
});

describe("getMember", () => {
  const list: Json = ["a", "b", null];
  const obj = { a: 1, "0": "zero", nil: null, nested: { x: true } };

  it.each<[Json, Json]>([
    [0, "a"],
    [1, "b"],
    ["1", "b"],
    ["0", "a"],
    [2, null],
    [3, null],
    [-1, null],
    [1.5, null],
    ["01", null],
    ["-1", null],
    ["1.0", null],
    [" 1", null],
    ["length", null],
    [true, null],
    [null, null],
  ])("list[%j] → %j", (key, expected) => {
    expect(getMember(list, key)).toEqual(expected);
  });

  it.each<[Json, Json]>([
    ["a", 1],
    ["0", "zero"],
    [0, "zero"],
    ["nil", null],
    ["nested", { x: true }],
    ["missing", null],
    [true, null],
    [null, null],
    [["a"], null],
    ["toString", null],
    ["hasOwnProperty", null],
  ])("obj[%j] → %j", (key, expected) => {
    expect(getMember(obj, key)).toEqual(expected);
  });

  it("never reads a blocked key, even an own one", () => {
    const evil = JSON.parse('{"__proto__": 1, "constructor": 2, "prototype": 3, "ok": 4}') as Json;
    for (const k of BLOCKED_KEYS) expect(getMember(evil, k)).toBeNull();
    expect(getMember(evil, "ok")).toBe(4);
    expect([...BLOCKED_KEYS].sort()).toEqual(["__proto__", "constructor", "prototype"]);
  });

  it("reads nothing of scalars, null, undefined or class instances", () => {
    for (const target of [null, undefined, 1, "abc", true]) expect(getMember(target, "length")).toBeNull();
    expect(getMember("abc", 0)).toBeNull();
    expect(getMember(new Date(0) as unknown as Json, "getTime")).toBeNull();
    expect(getMember(new Map([["a", 1]]) as unknown as Json, "a")).toBeNull();
    const nullProto = Object.assign(Object.create(null) as Record<string, Json>, { a: 1 });
    expect(getMember(nullProto, "a")).toBe(1);
  });
});

describe("messages", () => {
  it.each<[Json | undefined, string, string]>([
    [null, "null", "null"],
    [undefined, "null", "null"],
    [3, "a number", "a number (3)"],
    ["abc", "a string", 'a string ("abc")'],
    [true, "a boolean", "a boolean (true)"],
    [[1], "an array", "an array ([1])"],
    [{ a: 1 }, "an object", 'an object ({"a":1})'],
  ])("%j is %s, described as %s", (v, type, description) => {
    expect(typeName(v)).toBe(type);
    expect(describeValue(v)).toBe(description);
  });

  it("previews long values shortened with an ellipsis", () => {
    expect(preview("x".repeat(40))).toBe(JSON.stringify("x".repeat(40)));
    expect(preview("x".repeat(41))).toBe(JSON.stringify(`${"x".repeat(39)}…`));
    const long = Array.from({ length: 30 }, (_, i) => i);
    const text = JSON.stringify(long);
    expect(preview(long)).toBe(`${text.slice(0, 59)}…`);
    expect(preview(long)).toHaveLength(60);
    expect(preview({ k: "z".repeat(52) })).toBe(JSON.stringify({ k: "z".repeat(52) })); // 60 characters
    expect(preview({ k: "z".repeat(53) })).toBe(`${JSON.stringify({ k: "z".repeat(53) }).slice(0, 59)}…`);
    expect(preview(undefined)).toBe("null");
  });

  it("previews what JSON cannot write by its type", () => {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(preview(circular as Json)).toBe("an object");
  });
});
