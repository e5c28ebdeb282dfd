/** The base environment of steps (src/core/environment.ts): the rules as a table. */
import { describe, expect, it } from "vitest";
import { checkPassedNames, pickEnv, stepBaseEnv } from "../../src/core/environment.js";

/** The allow-listed variables of SOURCE. */
const ALLOWED = {
  PATH: "/usr/bin",
  HOME: "/home/u",
  USER: "u",
  LANG: "C.UTF-8",
  LC_ALL: "C",
  TZ: "UTC",
  TMPDIR: "/tmp",
  TERM: "xterm",
};

const SOURCE = {
  ...ALLOWED,
  WEFT_API_TOKENS: "operator-token",
  WEFT_DATA_DIR: "/data",
  weft_lowercase: "also weft's",
  OPENAI_API_KEY: "sk-1",
  GITHUB_TOKEN: "ghp",
  UNSET: undefined,
};

describe("stepBaseEnv", () => {
  it.each([
    ["clean: the allow-list only", { mode: "clean" as const }, ALLOWED],
    [
      "clean with a passed name",
      { mode: "clean" as const, pass: ["GITHUB_TOKEN", "NOT_SET"] },
      { ...ALLOWED, GITHUB_TOKEN: "ghp" },
    ],
    [
      "inherit: everything but weft's own",
      { mode: "inherit" as const },
      { ...ALLOWED, OPENAI_API_KEY: "sk-1", GITHUB_TOKEN: "ghp" },
    ],
    ["weft's own never pass, even when named", { mode: "clean" as const, pass: ["WEFT_API_TOKENS"] }, ALLOWED],
  ])("%s", (_name, opts, expected) => {
    const got = stepBaseEnv(SOURCE, opts);
    expect(got).toEqual(expected);
    expect(got.WEFT_API_TOKENS).toBeUndefined();
    expect(got.WEFT_DATA_DIR).toBeUndefined();
    expect(got.weft_lowercase).toBeUndefined();
  });
});

describe("pickEnv and checkPassedNames", () => {
  it("picks the named variables that are set, never weft's own", () => {
    expect(pickEnv(SOURCE, ["OPENAI_API_KEY", "NOPE", "WEFT_API_TOKENS"])).toEqual({ OPENAI_API_KEY: "sk-1" });
  });

  it("refuses weft's own variables and bad names, naming the option", () => {
    expect(() => checkPassedNames(["GITHUB_TOKEN"], "--pass-env")).not.toThrow();
    expect(() => checkPassedNames(["WEFT_API_TOKENS"], "--pass-env")).toThrow(
      /--pass-env: WEFT_API_TOKENS is one of weft's own variables/,
    );
    expect(() => checkPassedNames(["A-B"], "--pass-env")).toThrow(/"A-B" is not an environment variable name/);
  });
});
