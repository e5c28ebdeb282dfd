import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliAgentError, createCodexProvider } from "../../../src/agents/cli/index.js";
import { type ProviderError, TerminalError } from "../../../src/core/errors.js";
import { failure, request, stub, tempDir } from "./helpers.js";

describe("codex provider", () => {
  it("runs codex exec --json with the prompt on stdin, reporting progress, usage and the thread id", async () => {
    const s = stub();
    const cwd = tempDir();
    const req = request({ cwd });
    const res = await createCodexProvider({ env: s.env }).generate(req);
    const run = s.records()[0];
    expect(run?.argv).toEqual(["exec", "--json", "--skip-git-repo-check", "-"]);
    expect(run?.stdin).toBe("Fix the failing test");
    expect(run?.cwd).toBe(cwd);
    expect(res.text).toBe("Done.");
    expect(res.usage).toEqual({ inputTokens: 1200, outputTokens: 80, costUsd: undefined });
    expect(res.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.model).toBe("default");
    expect(req.progress).toEqual([
      `session ${res.sessionId}`,
      "tool: shell bash -lc 'ls -la'",
      "file changed: src/x.ts",
      "Done.",
    ]);
    expect(res.transcript.filter((e) => e.type === "item.completed")).toHaveLength(4);
  });

  it.each([
    ["plan", ["--sandbox", "read-only"]],
    ["default", ["--sandbox", "workspace-write"]],
    ["acceptEdits", ["--sandbox", "workspace-write"]],
    ["bypassPermissions", ["--dangerously-bypass-approvals-and-sandbox"]],
  ] as const)("permission %s → %j", async (permission, flags) => {
    const s = stub();
    await createCodexProvider({ env: s.env }).generate(request({ permission }));
    expect(s.records()[0]?.argv).toEqual(["exec", "--json", "--skip-git-repo-check", ...flags, "-"]);
  });

  it("puts the system prompt before the prompt and passes the model as one argument", async () => {
    const s = stub();
    await createCodexProvider({ env: s.env }).generate(
      request({ agent: { model: "gpt-5-codex", system: "Be brief." } }),
    );
    const run = s.records()[0];
    expect(run?.argv).toContain("--model=gpt-5-codex");
    expect(run?.stdin).toBe("Be brief.\n\nFix the failing test");
  });

  it("resumes with `exec … resume <id> -`, exec flags first, and extra args before the subcommand", async () => {
    const s = stub();
    const provider = createCodexProvider({ env: s.env });
    const first = await provider.generate(request());
    await provider.generate(
      request({
        attempt: 2,
        resumeSessionId: first.sessionId,
        permission: "plan",
        agent: { options: { args: ["-c", "x=1"] } },
      }),
    );
    expect(s.records()[1]?.argv).toEqual([
      "exec",
      "--json",
      "--skip-git-repo-check",
      "--sandbox",
      "read-only",
      "-c",
      "x=1",
      "resume",
      first.sessionId,
      "-",
    ]);
  });

  it("starts a new thread when the session to resume is unknown", async () => {
    const s = stub();
    const res = await createCodexProvider({ env: s.env }).generate(request({ resumeSessionId: "gone" }));
    expect(s.records().map((r) => r.argv.includes("resume"))).toEqual([true, false]);
    expect(res.sessionId).not.toBe("gone");
  });

  it("passes an outputSchema as --output-schema <file>, parses the answer and removes the file", async () => {
    const s = stub({ STUB_JSON: '{"verdict":"ok"}' });
    const schema = { type: "object", properties: { verdict: { type: "string" } } };
    const res = await createCodexProvider({ env: s.env }).generate(request({ outputSchema: schema }));
    const argv = s.records()[0]?.argv ?? [];
    const file = argv[argv.indexOf("--output-schema") + 1] ?? "";
    expect(file).toMatch(/schema\.json$/);
    expect(existsSync(file)).toBe(false);
    expect(res.json).toEqual({ verdict: "ok" });
    expect(res.text).toBe('{"verdict":"ok"}');
  });

  it("a failed turn is terminal unless the error is transient", async () => {
    const err = await failure(createCodexProvider({ env: stub({ STUB_SCENARIO: "error" }).env }).generate(request()));
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain('codex (agent "coder") failed: unexpected status 401 Unauthorized');
  });

  it.each([
    ["rate-limit", "rate_limited", 7000],
    ["server", "server", undefined],
    ["overloaded", "overloaded", undefined],
  ])("%s is a ProviderError of kind %s", async (scenario, kind, retryAfterMs) => {
    const err = await failure(createCodexProvider({ env: stub({ STUB_SCENARIO: scenario }).env }).generate(request()));
    expect(err).toBeInstanceOf(CliAgentError);
    expect((err as ProviderError).kind).toBe(kind);
    expect((err as ProviderError).retryAfterMs).toBe(retryAfterMs);
    expect((err as CliAgentError).sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("crash, truncation and a missing executable are classified like claude's", async () => {
    const crash = await failure(createCodexProvider({ env: stub({ STUB_SCENARIO: "crash" }).env }).generate(request()));
    expect((crash as ProviderError).kind).toBe("network");
    const cut = await failure(
      createCodexProvider({ env: stub({ STUB_SCENARIO: "truncated" }).env }).generate(request()),
    );
    expect((cut as ProviderError).kind).toBe("malformed");
    const missing = await failure(createCodexProvider({ env: { PATH: join(tempDir(), "empty") } }).generate(request()));
    expect(missing.message).toBe(
      "codex is not installed or not on PATH (set agents.coder.options.command to its path)",
    );
  });
});
