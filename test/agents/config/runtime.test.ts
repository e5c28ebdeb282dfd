import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createAgentRuntime, type ProviderFactory } from "../../../src/agents/config/index.js";
import type { AgentConfig, Provider, ProviderRequest } from "../../../src/agents/provider.js";
import { ValidationError, WeftError } from "../../../src/core/errors.js";
import { tempDir } from "../../steps/helpers.js";
import { fakeTimers } from "../limits/fake-timers.js";

/** A fake SDK provider: records the key its resolver gave for each call, answers with a priced model. */
function fakeSdk(name: string, seen: Array<{ agent: string; key: string | undefined; req: ProviderRequest }>) {
  const factory: ProviderFactory = (deps) => ({
    name,
    async generate(req) {
      seen.push({ agent: req.agent.name, key: deps.apiKey(req.agent), req });
      return {
        text: `${name} says hi`,
        usage: { inputTokens: 1_000_000, outputTokens: 0 },
        model: req.agent.model ?? "unknown",
        transcript: [{ type: "request", prompt: req.prompt }],
      };
    },
  });
  return factory;
}

const cliAgent = (name: string): Provider => ({
  name,
  generate: async (req) => ({
    text: `${name}: ${req.permission ?? "none"}`,
    usage: { inputTokens: 1, outputTokens: 1, costUsd: 0.01 },
    model: "cli",
    transcript: [],
  }),
});

function ask(provider: Provider, agent: AgentConfig, prompt = "Review it", extra: Partial<ProviderRequest> = {}) {
  return provider.generate({
    agent,
    prompt,
    idempotencyKey: "run:step:0",
    attempt: 1,
    signal: new AbortController().signal,
    ...extra,
  });
}

function project(config: string, files: Record<string, string> = {}): string {
  const dir = tempDir("weft-agents-");
  writeFileSync(join(dir, "weft.config.yaml"), config);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const CONFIG = `agents:
  security: { provider: anthropic, model: claude-sonnet-4-5, system: "Be careful." }
  writer: { provider: openai, model: gpt-4o }
  vertex: { provider: gemini, model: gemini-2.5-flash }
  custom: { provider: openai, model: gpt-4o-mini, apiKey: { env: TEAM_OPENAI_KEY } }
  local: { provider: openai, baseUrl: "http://127.0.0.1:11434/v1", model: llama3.1 }
  coder: { provider: claude, permission: acceptEdits, options: { worktree: true } }
`;

function runtime(dir: string, env: Record<string, string | undefined>, seen: Parameters<typeof fakeSdk>[1] = []) {
  return createAgentRuntime({
    env,
    cwd: dir,
    providers: [fakeSdk("anthropic", seen), fakeSdk("openai", seen), fakeSdk("gemini", seen), cliAgent("claude")],
  });
}

describe("agent runtime: keys from the environment", () => {
  it("gives providers the key at call time, by the provider's default variable", async () => {
    const seen: Parameters<typeof fakeSdk>[1] = [];
    const env: Record<string, string | undefined> = { ANTHROPIC_API_KEY: "sk-ant-1" };
    const rt = runtime(project(CONFIG), env, seen);
    const { config, provider, configured, notice } = rt.resolve("security");
    expect([provider.name, configured, notice]).toEqual(["anthropic", true, undefined]);
    expect(config).toEqual({
      name: "security",
      provider: "anthropic",
      model: "claude-sonnet-4-5",
      system: "Be careful.",
    });
    await ask(provider, config);
    env.ANTHROPIC_API_KEY = "sk-ant-rotated";
    await ask(provider, config);
    expect(seen.map((s) => s.key)).toEqual(["sk-ant-1", "sk-ant-rotated"]);
  });

  it("falls back to the mock with a one-line notice when the key is missing (an empty variable is missing)", async () => {
    const rt = runtime(project(CONFIG), { OPENAI_API_KEY: "" });
    const resolved = rt.resolve("security");
    expect(resolved.notice).toBe("agent security: ANTHROPIC_API_KEY is not set; answered by the offline mock provider");
    expect(resolved.configured).toBe(false);
    expect(resolved.provider.name).toBe("mock");
    expect(resolved.config).toEqual({ name: "security", provider: "mock", system: "Be careful." });
    expect((await ask(resolved.provider, resolved.config)).text).toMatch(/^\[mock security\]/);
    expect(rt.resolve("writer").notice).toBe(
      "agent writer: OPENAI_API_KEY is not set; answered by the offline mock provider",
    );
    expect(rt.resolve("vertex").notice).toBe(
      "agent vertex: GEMINI_API_KEY or GOOGLE_API_KEY is not set; answered by the offline mock provider",
    );
    expect(rt.resolve("custom").notice).toBe(
      "agent custom: TEAM_OPENAI_KEY is not set; answered by the offline mock provider",
    );
  });

  it("reads GOOGLE_API_KEY for Gemini when GEMINI_API_KEY is not set, and a named variable over the default", async () => {
    const seen: Parameters<typeof fakeSdk>[1] = [];
    const rt = runtime(
      project(CONFIG),
      { GOOGLE_API_KEY: "g-key", OPENAI_API_KEY: "default", TEAM_OPENAI_KEY: "team" },
      seen,
    );
    for (const name of ["vertex", "custom", "writer"]) {
      const { config, provider } = rt.resolve(name);
      await ask(provider, config);
    }
    expect(seen.map((s) => [s.agent, s.key])).toEqual([
      ["vertex", "g-key"],
      ["custom", "team"],
      ["writer", "default"],
    ]);
  });

  it("CLI agents need no key; their default permission applies unless the step sets one", async () => {
    const rt = runtime(project(CONFIG), {});
    const { config, provider, configured, notice } = rt.resolve("coder");
    expect([configured, notice]).toEqual([true, undefined]);
    expect(config).toEqual({
      name: "coder",
      provider: "claude",
      permission: "acceptEdits",
      options: { worktree: true },
    });
    expect((await ask(provider, config)).text).toBe("claude: acceptEdits");
    expect((await ask(provider, config, "p", { permission: "plan" })).text).toBe("claude: plan");
  });

  it("never sends the default OpenAI key to another server; a named key is sent", async () => {
    const seen: Parameters<typeof fakeSdk>[1] = [];
    const dir = project(
      `${CONFIG}  proxy: { provider: openai, baseUrl: "https://llm.example.com/v1", apiKey: { env: PROXY_KEY } }\n`,
    );
    const rt = runtime(dir, { OPENAI_API_KEY: "sk-real", PROXY_KEY: "proxy-key" }, seen);
    for (const name of ["local", "proxy"]) {
      const resolved = rt.resolve(name);
      expect([resolved.configured, resolved.notice]).toEqual([true, undefined]);
      await ask(resolved.provider, resolved.config);
    }
    expect(seen.map((s) => [s.agent, s.key])).toEqual([
      ["local", undefined],
      ["proxy", "proxy-key"],
    ]);
  });

  it("an agent with options.noKey needs no key; factories can say where a key is expected", () => {
    const hints: string[] = [];
    const hinting: ProviderFactory = (deps) => ({
      name: "openai",
      async generate(req) {
        hints.push(deps.keyHint(req.agent));
        return { text: "", usage: { inputTokens: 0, outputTokens: 0 }, model: "m", transcript: [] };
      },
    });
    const dir = project(
      `agents:\n  tunnel: { provider: openai, options: { noKey: true } }\n  named: { provider: openai, apiKey: { secret: K } }\n  plain: { provider: openai }\nsecrets: s.env\n`,
    );
    const rt = createAgentRuntime({ env: {}, cwd: dir, providers: [hinting] });
    const tunnel = rt.resolve("tunnel");
    expect([tunnel.configured, tunnel.notice]).toEqual([true, undefined]);
    return Promise.all(
      ["tunnel", "named", "plain"].map((n) => ask(rt.resolve("tunnel").provider, { name: n, provider: "openai" })),
    ).then(() => {
      expect(hints).toEqual(["OPENAI_API_KEY", "the secret K", "OPENAI_API_KEY"]);
    });
  });

  it("answers unconfigured agents with the mock, as before, without a notice", () => {
    const rt = runtime(project(CONFIG), {});
    expect(rt.resolve("nobody")).toEqual({
      config: { name: "nobody", provider: "mock" },
      provider: rt.resolve("other").provider,
      configured: false,
    });
  });
});

describe("agent runtime: secrets file and provider defaults", () => {
  const config = `agents:
  writer: { provider: openai, model: gpt-4o }
  reviewer: { provider: openai, model: gpt-4o, apiKey: { secret: REVIEW_KEY }, baseUrl: "https://eu.api.openai.com/v1" }
  other: { provider: anthropic, apiKey: { secret: MISSING } }
providers:
  openai: { apiKey: { secret: OPENAI_KEY }, baseUrl: "https://gateway.example.com/v1", options: { org: acme, tier: a } }
secrets: ./secrets.env
`;

  it("reads keys from the secrets file by name; the environment's default is not used", async () => {
    const seen: Parameters<typeof fakeSdk>[1] = [];
    const dir = project(config, { "secrets.env": "OPENAI_KEY=sk-from-file\nREVIEW_KEY='rk'\n" });
    const rt = runtime(dir, { OPENAI_API_KEY: "sk-env" }, seen);
    const writer = rt.resolve("writer");
    expect(writer.config).toEqual({
      name: "writer",
      provider: "openai",
      model: "gpt-4o",
      baseUrl: "https://gateway.example.com/v1",
      options: { org: "acme", tier: "a" },
    });
    await ask(writer.provider, writer.config);
    const reviewer = rt.resolve("reviewer");
    expect(reviewer.config.baseUrl).toBe("https://eu.api.openai.com/v1");
    await ask(reviewer.provider, reviewer.config);
    expect(seen.map((s) => s.key)).toEqual(["sk-from-file", "rk"]);
    expect(rt.resolve("other").notice).toBe(
      `agent other: the secret MISSING is not in ${join(dir, "secrets.env")}; answered by the offline mock provider`,
    );
  });

  it("a missing secrets file sends those agents to the mock, saying why", () => {
    const dir = project(config);
    const rt = runtime(dir, { OPENAI_API_KEY: "sk-env" });
    expect(rt.resolve("writer").notice).toBe(
      `agent writer: the secrets file ${join(dir, "secrets.env")} does not exist (it should hold OPENAI_KEY); answered by the offline mock provider`,
    );
  });

  it("a malformed secrets file is an error when the runtime is created", () => {
    const dir = project(config, { "secrets.env": "this is not a secret line\n" });
    expect(() => runtime(dir, {})).toThrow(ValidationError);
  });

  it("the key is in nothing weft writes: not in the resolved config, the answer or its transcript", async () => {
    const dir = project(config, { "secrets.env": "OPENAI_KEY=sk-THE-KEY\nREVIEW_KEY=sk-THE-KEY\n" });
    const rt = runtime(dir, { ANTHROPIC_API_KEY: "sk-THE-KEY" });
    for (const name of ["writer", "reviewer", "other"]) {
      const resolved = rt.resolve(name);
      const answer = await ask(resolved.provider, resolved.config);
      expect(JSON.stringify([resolved.config, answer, rt.warnings])).not.toContain("sk-THE-KEY");
    }
    for (const file of readdirSync(dir).filter((f) => f !== "secrets.env")) {
      expect(readFileSync(join(dir, file), "utf8")).not.toContain("sk-THE-KEY");
    }
  });
});

describe("agent runtime: creation", () => {
  it("reads the config from a path relative to cwd, or none at all", () => {
    const dir = project("agents: {}\n");
    writeFileSync(join(dir, "team.yaml"), "agents:\n  a: { provider: mock }\n");
    const rt = createAgentRuntime({ config: "team.yaml", env: {}, cwd: dir });
    expect(rt.configFile).toBe(join(dir, "team.yaml"));
    expect(rt.resolve("a")).toMatchObject({ configured: true, config: { name: "a", provider: "mock" } });
    const empty = createAgentRuntime({ env: {}, cwd: tempDir() });
    expect(empty.configFile).toBeUndefined();
    expect(empty.resolve("a").configured).toBe(false);
  });

  it("checks provider names against the registered providers, with the position in the file", () => {
    const dir = project("agents:\n  a: { provider: gemini-cli }\n  b: { provider: antropic }\n");
    const err = (() => {
      try {
        runtime(dir, {});
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues.map((i) => `${i.location.line}:${i.location.column} ${i.hint}`)).toEqual([
      "2:18 available providers: anthropic, claude, gemini, mock, openai",
      "3:18 did you mean `anthropic`?",
    ]);
  });

  it("refuses an agent whose provider is not registered (a config given as an object) and duplicate providers", () => {
    expect(() =>
      createAgentRuntime({ config: { agents: { a: { name: "a", provider: "codex" } } }, env: {}, cwd: tempDir() }),
    ).toThrow(/agent "a" uses provider "codex", which is not available \(available: mock\)/);
    expect(() =>
      createAgentRuntime({ env: {}, cwd: tempDir(), providers: [cliAgent("claude"), cliAgent("claude")] }),
    ).toThrow(WeftError);
  });

  it("builds the mock from the config: fixtures (relative to the config), seed, and the CLI's override", async () => {
    const dir = project("mock: { fixtures: ./fx.yaml, seed: 7 }\n", {
      "fx.yaml": "responses:\n  - agent: a\n    text: from the fixture\n",
      "other.yaml": "responses:\n  - text: from the override\n",
    });
    const rt = createAgentRuntime({ env: {}, cwd: dir });
    const { provider, config } = rt.resolve("a");
    expect((await ask(provider, config)).text).toBe("from the fixture");
    const seeded = (await ask(rt.resolve("b").provider, { name: "b", provider: "mock" })).text;
    const unseeded = (
      await ask(createAgentRuntime({ env: {}, cwd: tempDir() }).resolve("b").provider, {
        name: "b",
        provider: "mock",
      })
    ).text;
    expect(seeded).not.toBe(unseeded);
    const overridden = createAgentRuntime({ env: {}, cwd: dir, mockFixtures: join(dir, "other.yaml") });
    expect((await ask(overridden.resolve("a").provider, config)).text).toBe("from the override");
  });
});

describe("agent runtime: limits and prices from the config", () => {
  it("queues by the config's rate limits on the runtime's clock and prices by its table", async () => {
    const timers = fakeTimers();
    const dir = project(
      "agents:\n  a: { provider: openai, model: my-model }\nrateLimits:\n  openai/my-model: { requestsPerMinute: 1 }\nprices:\n  my-model: { input: 2, output: 4 }\n",
    );
    const rt = createAgentRuntime({
      env: { OPENAI_API_KEY: "k" },
      cwd: dir,
      providers: [fakeSdk("openai", [])],
      clock: timers,
    });
    const { provider, config } = rt.resolve("a");
    const first = await ask(provider, config);
    expect(first.usage.costUsd).toBe(2);
    const progress: string[] = [];
    let done = false;
    const second = ask(provider, config, "again", { onProgress: (t) => progress.push(t) }).then((r) => {
      done = true;
      return r;
    });
    await timers.settle();
    expect(done).toBe(false);
    expect(progress).toEqual(["waiting 60 s for the openai/my-model rate limit\n"]);
    await timers.advance(60_000);
    expect((await second).transcript[0]).toMatchObject({ type: "rate_limit", waitedMs: 60_000, model: "my-model" });
    expect(rt.prices.priceOf("my-model")).toEqual({ input: 2, output: 4 });
  });

  it("keeps a CLI agent's own cost", async () => {
    const rt = runtime(project(CONFIG), {});
    const { provider, config } = rt.resolve("coder");
    expect((await ask(provider, config)).usage.costUsd).toBe(0.01);
  });
});
