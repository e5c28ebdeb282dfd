import { describe, expect, it } from "vitest";
import { CliAgentError, createGeminiCliProvider } from "../../../src/agents/cli/index.js";
import { type ProviderError, TerminalError } from "../../../src/core/errors.js";
import { failure, request, stub, tempDir } from "./helpers.js";

describe("gemini-cli provider", () => {
  it("runs gemini with stream-json and the prompt on stdin, progress in whole lines", async () => {
    const s = stub();
    const cwd = tempDir();
    const req = request({ cwd, prompt: '-p --yolo; $(rm -rf /) "quoted"' });
    const res = await createGeminiCliProvider({ env: s.env }).generate(req);
    const run = s.records()[0];
    expect(run?.argv).toEqual(["--output-format", "stream-json"]);
    expect(run?.stdin).toBe('-p --yolo; $(rm -rf /) "quoted"');
    expect(run?.cwd).toBe(cwd);
    expect(res.text).toBe(`Done: ${req.prompt}`);
    expect(res.usage).toEqual({ inputTokens: 900, outputTokens: 50, costUsd: undefined });
    expect(res.model).toBe("gemini-2.5-pro");
    expect(req.progress).toEqual([
      `session ${res.sessionId} (model gemini-2.5-pro)`,
      "I'll look at the files.",
      "tool: run_shell_command ls -la",
      `Done: ${req.prompt}`,
    ]);
  });

  it.each([
    ["default", "default"],
    ["acceptEdits", "auto_edit"],
    ["bypassPermissions", "yolo"],
    ["plan", "plan"],
  ] as const)("permission %s → --approval-mode %s", async (permission, mode) => {
    const s = stub();
    await createGeminiCliProvider({ env: s.env }).generate(request({ permission }));
    expect(s.records()[0]?.argv).toEqual(["--output-format", "stream-json", "--approval-mode", mode]);
  });

  it("resumes req.resumeSessionId, and starts afresh when gemini does not know it", async () => {
    const s = stub();
    const provider = createGeminiCliProvider({ env: s.env });
    const first = await provider.generate(request());
    const second = await provider.generate(
      request({ resumeSessionId: first.sessionId, agent: { model: "gemini-2.5-flash" } }),
    );
    expect(s.records()[1]?.argv).toEqual([
      "--output-format",
      "stream-json",
      "--model=gemini-2.5-flash",
      "--resume",
      first.sessionId,
    ]);
    expect(second.sessionId).toBe(first.sessionId);
    const third = await provider.generate(request({ resumeSessionId: "unknown" }));
    expect(
      s
        .records()
        .slice(2)
        .map((r) => r.argv.includes("--resume")),
    ).toEqual([true, false]);
    expect(third.sessionId).not.toBe("unknown");
  });

  it("asks for JSON in the prompt (no native schema flag) after the system text, and parses the answer", async () => {
    const s = stub({ STUB_TEXT: '{"score": 7}' });
    const res = await createGeminiCliProvider({ env: s.env }).generate(
      request({ outputSchema: { type: "object" }, agent: { system: "You review code." } }),
    );
    const stdin = s.records()[0]?.stdin ?? "";
    expect(stdin.startsWith("You review code.\n\nFix the failing test\n\nAnswer with only a JSON value")).toBe(true);
    expect(res.json).toEqual({ score: 7 });
  });

  it("an error result is terminal; a quota error is a rate_limited ProviderError", async () => {
    const auth = await failure(
      createGeminiCliProvider({ env: stub({ STUB_SCENARIO: "error" }).env }).generate(request()),
    );
    expect(auth).toBeInstanceOf(TerminalError);
    expect(auth.message).toContain("Please set an Auth method in your settings.json (FatalAuthenticationError)");
    const quota = await failure(
      createGeminiCliProvider({ env: stub({ STUB_SCENARIO: "rate-limit" }).env }).generate(request()),
    );
    expect(quota).toBeInstanceOf(CliAgentError);
    expect((quota as ProviderError).kind).toBe("rate_limited");
    const server = await failure(
      createGeminiCliProvider({ env: stub({ STUB_SCENARIO: "server" }).env }).generate(request()),
    );
    expect((server as ProviderError).kind).toBe("server");
  });

  it("is named gemini-cli and reports a missing gemini executable", async () => {
    const provider = createGeminiCliProvider({ env: { PATH: "/nonexistent" } });
    expect(provider.name).toBe("gemini-cli");
    const err = await failure(provider.generate(request()));
    expect(err.message).toBe("gemini is not installed or not on PATH (set agents.coder.options.command to its path)");
  });
});
