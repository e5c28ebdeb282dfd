import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES, RetryableError, TerminalError, toErrorInfo } from "../../src/core/errors.js";

describe("error codes", () => {
  it("docs/errors.md lists exactly the codes in ERROR_CODES", () => {
    const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
    const documented = [...doc.matchAll(/^\| `(WEFT_[A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it("every code used in the sources is a known code", () => {
    const out = execFileSync("grep", ["-rhoE", '"WEFT_[A-Z_]+"', "src"], {
      cwd: new URL("../..", import.meta.url),
      encoding: "utf8",
    });
    const used = new Set(
      out
        .split("\n")
        .filter(Boolean)
        .map((s) => s.replace(/"/g, "")),
    );
    const ignore = new Set(["WEFT_FAULT", "WEFT_DATA_DIR", "WEFT_DURABILITY", "WEFT_MOCK_FIXTURES"]);
    for (const code of used) {
      if (ignore.has(code) || code.startsWith("WEFT_EXPR_")) continue;
      if (/^WEFT_(RUN_ID|STEP_ID|STEP_KEY|ATTEMPT|IDEMPOTENCY_KEY)$/.test(code)) continue;
      expect(Object.keys(ERROR_CODES), `${code} is used in src but not in ERROR_CODES`).toContain(code);
    }
  });

  it("carries retry semantics", () => {
    expect(toErrorInfo(new TerminalError("x")).retryable).toBe(false);
    expect(toErrorInfo(new RetryableError("x", { retryAfterMs: 5 })).retryable).toBe(true);
    expect(toErrorInfo(new Error("boom"))).toEqual({ code: "WEFT_STEP_FAILED", message: "boom", retryable: true });
    expect(toErrorInfo("weird")).toMatchObject({ retryable: true, message: "weird" });
  });
});
