/**
 * `weftflow/testing`: what a plugin or store author needs to test against weft — the store conformance
 * suite (needs vitest), the deterministic mock provider and a clock tests can move by hand.
 */
export { createMockProvider, type MockFixture } from "../agents/index.js";
export type { Clock } from "../engine/core.js";
export { storeConformanceSuite } from "./store-conformance.js";

/** A clock that only moves when told to. */
export function createFakeClock(start = Date.UTC(2026, 0, 1)): {
  now(): number;
  advance(ms: number): void;
  set(t: number): void;
} {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (value) => {
      t = value;
    },
  };
}
