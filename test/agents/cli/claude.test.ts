import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CliAgentError, createClaudeCodeProvider, sessionUuid } from "../../../src/agents/cli/index.js";
import { ProviderError, TerminalError } from "../../../src/core/errors.js";
import { entries, failure, request, stub, tempDir } from "./helpers.js";

describe("claude provider", () => {
  it("runs claude -p with stream-json, reporting progress, usage, cost, session and transcript", async () => {
    const s = stub();
    const provider = createClaudeCodeProvider({ env: s.env });
    const req = request({ cwd: tempDir() });
    const res = await provider.generate(req);

    expect(provider.name).toBe("claude");
    expect(res.text).toBe("Done: Fix the failing test");
    expect(res.usage).toEqual({ inputTokens: 1110, outputTokens: 42, costUsd: 0.0123 });
    expect(res.model).toBe("claude-sonnet-4-5-20250929");
    expect(res.sessionId).toBe(sessionUuid(req.idempotencyKey));
    expect(res.json).toBeUndefined();
    expect(req.progress).toEqual([
      `session ${res.sessionId} (model claude-sonnet-4-5-20250929)`,
      "Looking at the files.",
      "tool: Bash ls -la",
      "Done: Fix the failing test",
    ]);
    const [run] = s.records();
    expect(run?.argv.slice(0, 4)).toEqual(["-p", "--output-format", "stream-json", "--verbose"]);
    expect(run?.stdin).toBe("Fix the failing test");
    expect(res.transcript[0]).toMatchObject({ type: "request", provider: "claude", command: "claude" });
    expect(res.transcript.map((e) => e.type)).toEqual([
      "request",
      "system",
      "assistant",
      "assistant",
      "user",
      "assistant",
      "result",
      "exit",
    ]);
    expect(entries(res.transcript, "exit")).toEqual([{ type: "exit", code: 0, signal: null }]);
  });

  it.each([
    ["default", ["--permission-mode", "default"]],
    ["plan", ["--permission-mode", "plan"]],
    ["acceptEdits", ["--permission-mode", "acceptEdits"]],
    ["bypassPermissions", ["--permission-mode", "bypassPermissions"]],
  ] as const)("permission %s → %j", async (permission, flags) => {
    const s = stub();
    await createClaudeCodeProvider({ env: s.env }).generate(request({ permission }));
    const argv = s.records()[0]?.argv ?? [];
    const at = argv.indexOf("--permission-mode");
    expect(argv.slice(at, at + 2)).toEqual(flags);
  });

  it("leaves the permission mode to claude's own settings when the step sets none", async () => {
    const s = stub();
    await createClaudeCodeProvider({ env: s.env }).generate(request());
    expect(s.records()[0]?.argv).not.toContain("--permission-mode");
  });

  it("passes model and system prompt as single arguments, and the prompt intact on stdin, without a shell", async () => {
    const s = stub();
    const dir = tempDir();
    const marker = join(dir, "pwned");
    const prompt = `Say "hi" && touch ${marker}; $(touch ${marker}) \`touch ${marker}\` 'it''s' $HOME \\ | > ${marker}\n--resume x -p`;
    const system = `--be terse; $(touch ${marker}) "quoted" 'single'`;
    const res = await createClaudeCodeProvider({ env: s.env }).generate(
      request({ prompt, cwd: dir, agent: { model: "opus; touch x", system } }),
    );
    const run = s.records()[0];
    expect(run?.stdin).toBe(prompt);
    expect(run?.argv).toContain("--model=opus; touch x");
    expect(run?.argv).toContain(`--append-system-prompt=${system}`);
    expect(existsSync(marker)).toBe(false);
    expect(res.text).toBe(`Done: ${prompt.slice(0, 40)}`);
  });

  it("runs in the step's working directory", async () => {
    const s = stub();
    const cwd = tempDir();
    await createClaudeCodeProvider({ env: s.env }).generate(request({ cwd }));
    expect(s.records()[0]?.cwd).toBe(cwd);
  });

  it("derives the session id from the idempotency key: same key, same id; another key, another id", () => {
    const a = sessionUuid("run-1:step:0");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(sessionUuid("run-1:step:0")).toBe(a);
    expect(sessionUuid("run-1:step:1")).not.toBe(a);
  });

  it("starts a first attempt with --session-id and resumes req.resumeSessionId on a retry", async () => {
    const s = stub();
    const provider = createClaudeCodeProvider({ env: s.env });
    const first = await provider.generate(request());
    const retry = await provider.generate(request({ attempt: 2, resumeSessionId: first.sessionId }));
    const [one, two] = s.records();
    const id = sessionUuid("run-1:step-fix:0");
    expect(one?.argv).toContain("--session-id");
    expect(one?.argv[(one?.argv.indexOf("--session-id") ?? 0) + 1]).toBe(id);
    expect(one?.argv).not.toContain("--resume");
    expect(two?.argv.slice(two.argv.indexOf("--resume"), two.argv.indexOf("--resume") + 2)).toEqual(["--resume", id]);
    expect(two?.argv).not.toContain("--session-id");
    expect(retry.sessionId).toBe(id);
  });

  it("resumes its own session when a re-run finds the session id already in use (after a crash)", async () => {
    const s = stub();
    const provider = createClaudeCodeProvider({ env: s.env });
    await provider.generate(request());
    const req = request();
    const again = await provider.generate(req);
    const runs = s.records();
    expect(runs).toHaveLength(3);
    expect(runs[1]?.argv).toContain("--session-id");
    expect(runs[2]?.argv).toContain("--resume");
    expect(again.sessionId).toBe(sessionUuid("run-1:step-fix:0"));
    expect(
      req.progress.some((l) => l.includes("failed (Error: Session ID") && l.includes("trying a resume of session")),
    ).toBe(true);
    expect(entries(again.transcript, "request")).toHaveLength(2);
  });

  it("starts the step run's own session when the session to resume is unknown", async () => {
    const s = stub();
    const res = await createClaudeCodeProvider({ env: s.env }).generate(request({ resumeSessionId: "gone" }));
    const runs = s.records();
    expect(runs.map((r) => r.argv.includes("--resume"))).toEqual([true, false]);
    expect(res.sessionId).toBe(sessionUuid("run-1:step-fix:0"));
  });

  it("uses --json-schema for an outputSchema and returns structured_output as json", async () => {
    const s = stub({ STUB_JSON: '{"severity":3}' });
    const schema = { type: "object", properties: { severity: { type: "integer" } }, required: ["severity"] };
    const res = await createClaudeCodeProvider({ env: s.env }).generate(request({ outputSchema: schema }));
    expect(s.records()[0]?.argv).toContain(`--json-schema=${JSON.stringify(schema)}`);
    expect(res.json).toEqual({ severity: 3 });
    expect(s.records()[0]?.stdin).toBe("Fix the failing test");
  });

  it("asks for JSON in the prompt when nativeOutputSchema is false, and parses the answer", async () => {
    const s = stub({ STUB_TEXT: '```json\n{"severity": 2}\n```' });
    const schema = { type: "object" };
    const res = await createClaudeCodeProvider({ env: s.env }).generate(
      request({ outputSchema: schema, agent: { options: { nativeOutputSchema: false } } }),
    );
    const run = s.records()[0];
    expect(run?.argv.some((a) => a.startsWith("--json-schema"))).toBe(false);
    expect(run?.stdin).toContain("Answer with only a JSON value that matches this JSON Schema");
    expect(run?.stdin).toContain('{"type":"object"}');
    expect(res.json).toEqual({ severity: 2 });
  });

  it("puts earlier messages before the prompt", async () => {
    const s = stub();
    await createClaudeCodeProvider({ env: s.env }).generate(
      request({ messages: [{ role: "assistant", content: "Which test?" }] }),
    );
    expect(s.records()[0]?.stdin).toBe(
      "Earlier conversation:\n\n[assistant]\nWhich test?\n\n[user]\nFix the failing test",
    );
  });

  it("keeps non-JSON lines as progress and transcript text", async () => {
    const s = stub({ STUB_SCENARIO: "garbage" });
    const req = request();
    const res = await createClaudeCodeProvider({ env: s.env }).generate(req);
    expect(res.text).toBe("Done: Fix the failing test");
    expect(entries(res.transcript, "stdout")[0]).toEqual({ type: "stdout", text: "Warning: this line is not JSON" });
    expect(req.progress).toContain("Warning: this line is not JSON");
  });

  it("honours agent options: command, args and env", async () => {
    const s = stub();
    await createClaudeCodeProvider({ command: "no-such-claude", env: s.env }).generate(
      request({
        agent: {
          options: {
            command: join(s.env.PATH?.split(":")[0] ?? "", "claude"),
            args: ["--max-turns", "3"],
            env: { WEFT_TEST_ENV: "set" },
          },
        },
      }),
    );
    const run = s.records()[0];
    expect(run?.argv.slice(-2)).toEqual(["--max-turns", "3"]);
    expect(run?.env.WEFT_TEST_ENV).toBe("set");
  });

  it.each([
    [{ args: "--verbose" }, /args: .*array/i],
    [{ command: "" }, /command: must not be empty/],
    [{ worktre: true }, /known options: command, args, env, worktree, nativeOutputSchema/],
    [{ passEnv: ["WEFT_API_TOKENS"] }, /passEnv\.0: weft's own variables \(WEFT_\*\) are never passed/],
  ])("rejects invalid agent options %j", async (options, message) => {
    const err = await failure(createClaudeCodeProvider({ env: stub().env }).generate(request({ agent: { options } })));
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).code).toBe("WEFT_PROVIDER");
    expect(err.message).toMatch(/agent "coder" \(provider claude\) has invalid options/);
    expect(err.message).toMatch(message);
  });

  it("drops weft's own variables from its base environment; passEnv adds only the names it lists", async () => {
    const s = stub();
    const envFile = join(s.dir, "env.json");
    const provider = createClaudeCodeProvider({
      env: { ...s.env, WEFT_API_TOKENS: "operator-token" },
      passEnvFrom: { ANTHROPIC_API_KEY: "named-key", OPENAI_API_KEY: "other-key", WEFT_DATA_DIR: "/d" },
    });
    await provider.generate(
      request({ agent: { options: { passEnv: ["ANTHROPIC_API_KEY"], env: { STUB_ENV_FILE: envFile } } } }),
    );
    const env = JSON.parse(readFileSync(envFile, "utf8")) as Record<string, string>;
    expect(env.ANTHROPIC_API_KEY).toBe("named-key");
    expect(env.OPENAI_API_KEY).toBeUndefined();
    expect(env.WEFT_API_TOKENS).toBeUndefined();
    expect(env.WEFT_DATA_DIR).toBeUndefined();
  });

  it("rejects invalid factory options", () => {
    expect(() => createClaudeCodeProvider({ killGraceMs: -1 })).toThrow(
      /invalid options for the claude provider: killGraceMs/,
    );
  });
});

describe("claude failures", () => {
  const run = (scenario: string) => {
    const s = stub({ STUB_SCENARIO: scenario });
    return failure(createClaudeCodeProvider({ env: s.env }).generate(request()));
  };

  it("an error result is terminal, with the CLI's message", async () => {
    const err = await run("error");
    expect(err).toBeInstanceOf(TerminalError);
    expect((err as TerminalError).code).toBe("WEFT_PROVIDER");
    expect(err.message).toBe(
      'claude (agent "coder") failed: Invalid API key · Please run /login (success, 3 turns) (exit code 1)',
    );
  });

  it.each([
    ["rate-limit", "rate_limited", "WEFT_RATE_LIMITED"],
    ["overloaded", "overloaded", "WEFT_RATE_LIMITED"],
    ["server", "server", "WEFT_PROVIDER"],
  ])("%s is a retryable ProviderError of kind %s", async (scenario, kind, code) => {
    const err = await run(scenario);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toBeInstanceOf(CliAgentError);
    expect((err as ProviderError).kind).toBe(kind);
    expect((err as ProviderError).code).toBe(code);
    expect((err as CliAgentError).sessionId).toBe(sessionUuid("run-1:step-fix:0"));
  });

  it("a usage limit says when to retry", async () => {
    const err = (await run("usage-limit")) as ProviderError;
    expect(err.kind).toBe("rate_limited");
    expect(err.retryAfterMs).toBeGreaterThan(100_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it("the turn limit is terminal", async () => {
    const err = await run("max-turns");
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain("stopped at its turn limit (error_max_turns, 3 turns)");
  });

  it("killed by a signal weft did not send is a network ProviderError", async () => {
    const err = (await run("crash")) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("network");
    expect(err.message).toContain("was killed by SIGKILL, not by weft");
  });

  it("a stream that ends without a result event is a malformed ProviderError", async () => {
    const err = (await run("truncated")) as ProviderError;
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.kind).toBe("malformed");
  });

  it("a non-zero exit without events is terminal, with the stderr tail", async () => {
    const err = await run("exit-nonzero");
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toContain("(exit code 1)");
    expect(err.message).toContain("stderr: TypeError: Cannot read properties of undefined (reading 'map')");
  });

  it("a missing executable is terminal and says how to fix it", async () => {
    const err = await failure(createClaudeCodeProvider({ env: { PATH: "/nonexistent" } }).generate(request()));
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toBe("claude is not installed or not on PATH (set agents.coder.options.command to its path)");
  });

  it("a missing working directory is terminal", async () => {
    const err = await failure(
      createClaudeCodeProvider({ env: stub().env }).generate(request({ cwd: join(tempDir(), "missing") })),
    );
    expect(err).toBeInstanceOf(TerminalError);
    expect(err.message).toMatch(/working directory .*missing does not exist/);
  });
});
