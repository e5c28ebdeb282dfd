import { describe, expect, it } from "vitest";
import { newRunId } from "../../src/store/run-id.js";

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe("newRunId", () => {
  it("is a version 7 UUID whose first 48 bits are the time in ms", () => {
    const id = newRunId(1_800_000_000_123);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(1_800_000_000_123);
  });

  it("sorts ids of later milliseconds after earlier ones, and never repeats within one", () => {
    const ids = Array.from({ length: 2000 }, (_, i) => newRunId(1_700_000_000_000 + Math.floor(i / 100)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 100; i < ids.length; i += 100) expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
    expect(newRunId()).toMatch(V7);
  });

  it("clamps a time outside 48 bits instead of making a malformed id", () => {
    expect(newRunId(-5)).toMatch(/^00000000-0000-7/);
    expect(newRunId(2 ** 60)).toMatch(/^ffffffff-ffff-7/);
  });
});
