import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  createClaudeCodeProvider,
  createCodexProvider,
  createGeminiCliProvider,
} from "../../../src/agents/cli/index.js";
import { WeftError } from "../../../src/core/errors.js";
import { liveGroupMembers } from "../../../src/process/group.js";
import { failure, request, type Stub, stub, waitFor } from "./helpers.js";

/** Whether the process is gone (a zombie that an unreaping init keeps around counts as gone). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
    return state === "Z" || state === "X";
  } catch {
    return true;
  }
}

function pids(s: Stub): { pid: number; grandchild?: number } {
  return JSON.parse(readFileSync(s.env.STUB_PID_FILE as string, "utf8")) as { pid: number; grandchild?: number };
}

describe.each([
  ["claude", createClaudeCodeProvider],
  ["codex", createCodexProvider],
  ["gemini-cli", createGeminiCliProvider],
] as const)("%s: cancel and timeout", (_name, create) => {
  it("abort kills the whole process group, grandchildren included, and rethrows signal.reason", async () => {
    const s = stub({ STUB_SCENARIO: "grandchild" });
    const abort = new AbortController();
    const pending = create({ env: s.env, killGraceMs: 2000 }).generate(request({ signal: abort.signal }));
    await waitFor(() => existsSync(s.env.STUB_PID_FILE as string));
    const { pid, grandchild } = pids(s);
    expect(gone(grandchild as number)).toBe(false);
    const reason = new WeftError("WEFT_TIMEOUT", "step `fix` timed out after 100 ms", { retryable: true });
    abort.abort(reason);
    expect(await failure(pending)).toBe(reason);
    expect(gone(pid)).toBe(true);
    expect(gone(grandchild as number)).toBe(true);
    expect(liveGroupMembers(pid)).toEqual([]);
  });
});

describe("cancel details", () => {
  it("escalates to SIGKILL after the grace period when the CLI ignores SIGTERM", async () => {
    const s = stub({ STUB_SCENARIO: "ignore-term" });
    const abort = new AbortController();
    const pending = createClaudeCodeProvider({ env: s.env, killGraceMs: 200 }).generate(
      request({ signal: abort.signal }),
    );
    await waitFor(() => existsSync(s.env.STUB_PID_FILE as string));
    const { pid } = pids(s);
    const started = Date.now();
    abort.abort(new Error("cancelled"));
    expect((await failure(pending)).message).toBe("cancelled");
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    expect(gone(pid)).toBe(true);
  });

  it("an abort reason that is not an Error becomes WEFT_CANCELLED", async () => {
    const s = stub({ STUB_SCENARIO: "hang" });
    const abort = new AbortController();
    const pending = createClaudeCodeProvider({ env: s.env }).generate(request({ signal: abort.signal }));
    await waitFor(() => s.records().length === 1);
    abort.abort("stop");
    const err = await failure(pending);
    expect(err).toBeInstanceOf(WeftError);
    expect((err as WeftError).code).toBe("WEFT_CANCELLED");
  });

  it("an already aborted signal starts nothing", async () => {
    const s = stub();
    const abort = new AbortController();
    const reason = new Error("too late");
    abort.abort(reason);
    expect(await failure(createClaudeCodeProvider({ env: s.env }).generate(request({ signal: abort.signal })))).toBe(
      reason,
    );
    expect(s.records()).toEqual([]);
  });

  it("terminates processes the CLI left running after a successful exit", async () => {
    const s = stub({ STUB_SCENARIO: "leftover" });
    const req = request();
    const res = await createClaudeCodeProvider({ env: s.env }).generate(req);
    expect(res.text).toBe("Done: Fix the failing test");
    const { grandchild } = pids(s);
    expect(gone(grandchild as number)).toBe(true);
    expect(req.progress).toContain("processes the agent started were still running after it exited; terminated them");
  });
});
