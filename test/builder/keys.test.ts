/**
 * The builder's document model cannot import the server's definition module (web/ imports only web/src and the
 * client), so it keeps its own copies of the key tables that decide what is a step key and which dialect a text
 * is. These tests hold the copies to the server's tables: a key added on one side fails here until the other
 * side has it.
 */
import { describe, expect, it } from "vitest";
import * as server from "../../src/definition/dialects/keys.js";
import { SEED000_NODE_KEYS } from "../../src/definition/dialects/seed000.js";
import * as web from "../../web/src/builder/doc/model.js";

const sorted = (keys: readonly string[]) => [...new Set(keys)].sort();

describe("the builder's key tables agree with the server's", () => {
  it("step keys: canonical, the seeds' aliases and the ignored ones", () => {
    expect(sorted(web.STEP_KEYS)).toEqual(
      sorted([...server.STEP_KEYS, ...Object.keys(server.STEP_ALIASES), ...server.STEP_IGNORED_KEYS]),
    );
  });

  it("the keys that tell seed 002 and seed 003 apart", () => {
    expect(sorted(web.SEED002_TOP_KEYS)).toEqual(sorted([...server.SEED002_TOP_KEYS, "ui"]));
    expect(sorted(web.SEED002_STEP_KEYS)).toEqual(sorted(server.SEED002_STEP_KEYS));
    expect(sorted(web.SEED003_STEP_MARKERS)).toEqual(sorted(server.SEED003_STEP_MARKERS));
  });

  it("a seed 000 node's own keys", () => {
    expect(sorted(web.NODE_KEYS)).toEqual(sorted(SEED000_NODE_KEYS));
  });
});
