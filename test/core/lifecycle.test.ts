import { describe, expect, it } from "vitest";
import { type DefinitionStatus, launchRefusal } from "../../src/core/lifecycle.js";

describe("a definition's lifecycle: what launches", () => {
  const table: Array<[DefinitionStatus, boolean, string | undefined]> = [
    ["active", false, undefined],
    ["active", true, undefined],
    ["draft", false, "it is a draft"],
    ["draft", true, undefined],
    ["archived", false, "it is archived"],
    ["archived", true, "it is archived"],
  ];
  it.each(table)("%s, test run %s → %s", (status, testRun, refusal) => {
    expect(launchRefusal(status, testRun)).toBe(refusal);
  });
});
