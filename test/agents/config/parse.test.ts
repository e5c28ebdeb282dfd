import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { findAgentsConfig, loadAgentsConfig, parseAgentsConfig } from "../../../src/agents/config/index.js";
import { type Issue, ValidationError, WeftError } from "../../../src/core/errors.js";
import { tempDir } from "../../steps/helpers.js";

const FILE = "/project/weft.config.yaml";
const parse = (text: string, providerNames?: string[]) => parseAgentsConfig(text, { file: FILE, providerNames });

/** `line:col message` of every issue, for compact assertions. */
const at = (issues: Issue[]) => issues.map((i) => `${i.location.line}:${i.location.column} ${i.message}`);

const GOOD = `# the team's agents
agents:
  security:
    provider: anthropic
    model: claude-sonnet-4-5
    system: "You are a careful security reviewer."
    temperature: 0.2
    maxTokens: 4096
    fallback: [claude-haiku-4-5]
    apiKey: { env: MY_KEY }
  local: { provider: openai, baseUrl: "http://127.0.0.1:11434/v1", model: llama3.1 }
  coder: { provider: claude, permission: acceptEdits, options: { worktree: true } }
  writer: { provider: openai, model: gpt-4o }
providers:
  openai: { apiKey: { secret: OPENAI_KEY }, options: { organization: acme } }
secrets: ./secrets.env
prices: { "my-model": { input: 3, output: 15 } }
rateLimits:
  anthropic: { requestsPerMinute: 50, tokensPerMinute: 40000 }
  "openai/gpt-4o": { requestsPerMinute: 500 }
mock: { fixtures: ./fixtures/mock.yaml, seed: 7, latencyMs: 20 }
`;

describe("agents config: a good file", () => {
  it("reads every section, resolving paths against the config's folder", () => {
    const { config, issues } = parse(GOOD);
    expect(issues).toEqual([]);
    expect(config).toEqual({
      file: FILE,
      agents: {
        security: {
          name: "security",
          provider: "anthropic",
          model: "claude-sonnet-4-5",
          system: "You are a careful security reviewer.",
          temperature: 0.2,
          maxTokens: 4096,
          fallback: ["claude-haiku-4-5"],
          apiKey: { env: "MY_KEY" },
        },
        local: { name: "local", provider: "openai", baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.1" },
        coder: { name: "coder", provider: "claude", permission: "acceptEdits", options: { worktree: true } },
        writer: { name: "writer", provider: "openai", model: "gpt-4o" },
      },
      providers: { openai: { apiKey: { secret: "OPENAI_KEY" }, options: { organization: "acme" } } },
      secrets: "/project/secrets.env",
      prices: { "my-model": { input: 3, output: 15 } },
      rateLimits: {
        anthropic: { requestsPerMinute: 50, tokensPerMinute: 40000 },
        "openai/gpt-4o": { requestsPerMinute: 500 },
      },
      mock: { fixtures: "/project/fixtures/mock.yaml", seed: "7", latencyMs: 20 },
    });
  });

  it("accepts an empty file, a comment-only file and empty sections", () => {
    expect(parse("")).toEqual({ config: { file: FILE }, issues: [] });
    expect(parse("# nothing yet\n")).toEqual({ config: { file: FILE }, issues: [] });
    const { config, issues } = parse("agents:\nrateLimits:\n");
    expect(issues).toEqual([]);
    expect(config?.agents).toEqual({});
  });

  it("accepts provider names registered by plugins, and only those given", () => {
    expect(parse("agents: { a: { provider: ollama } }", ["ollama", "mock"]).issues).toEqual([]);
    expect(at(parse("agents: { a: { provider: gemini-cli } }", ["claude", "mock"]).issues)).toEqual([
      "1:26 agent `a` uses the provider `gemini-cli`, which is not an available provider",
    ]);
  });

  it("warns about settings the provider ignores", () => {
    const { config, issues } = parse(
      "agents:\n  a: { provider: anthropic, permission: plan }\n  b: { provider: codex, apiKey: { env: X } }\n",
    );
    expect(config).toBeDefined();
    expect(issues.every((i) => i.severity === "warning")).toBe(true);
    expect(at(issues)).toEqual([
      "2:41 `permission` applies to CLI agents (claude, codex, gemini-cli); `anthropic` ignores it",
      "3:33 `apiKey` is ignored: `codex` agents take no API key (CLI agents use their own login)",
    ]);
  });
});

describe("agents config: every problem at once, with its line and column", () => {
  const BAD = `agent: {}
agents:
  security:
    provider: antropic
    modle: claude-sonnet-4-5
    temperature: hot
    fallback: claude-haiku-4-5
  coder:
    provider: claude
    permission: acceptEdit
  local:
    provider: openai
    baseUrl: not a url
    maxTokens: 0
  nop:
    model: x
  notmap: 5
providers:
  opena: {}
rateLimits:
  anthropic: { requestsPerMinute: -5 }
  "antropic/x": { tokensPerMinute: 10 }
  "openai/": { tokensPerMinute: 10 }
  openai: {}
  gemini: { requestsPerMinute: 1.5 }
prices:
  m: { input: 3 }
  n: { input: -1, output: 2 }
mock: { fixtures: 3, seed: true }
`;

  it("reports each at its position, in file order, with a hint", () => {
    const { config, issues } = parse(BAD);
    expect(config).toBeUndefined();
    expect(issues.every((i) => i.severity === "error" && i.code === "WEFT_SCHEMA" && i.location.file === FILE)).toBe(
      true,
    );
    expect(at(issues)).toEqual([
      "1:1 unknown key `agent` in the agents config",
      "4:15 agent `security` uses the provider `antropic`, which is not an available provider",
      "5:5 unknown key `modle` in agent `security`",
      '6:18 `temperature` must be a number from 0 to 2, got the string "hot"',
      '7:15 `fallback` must be a list of model ids, got the string "claude-haiku-4-5"',
      '10:17 `permission` must be one of default, plan, acceptEdits, bypassPermissions, got the string "acceptEdit"',
      '13:14 `baseUrl` must be an http(s) URL, got the string "not a url"',
      "14:16 `maxTokens` must be a whole number ≥ 1, got the number 0",
      "15:3 agent `nop` has no `provider`",
      "17:11 agent `notmap` must be a mapping of its settings (`provider`, `model`, …), got the number 5",
      "19:3 `providers` configures `opena`, which is not an available provider",
      "21:35 `requestsPerMinute` must be a whole number ≥ 1, got the number -5",
      "22:3 the rate limit `antropic/x` is for the provider `antropic`, which is not an available provider",
      "23:3 the rate-limit key `openai/` names no model",
      "24:11 the rate limit `openai` sets no limit",
      "25:32 `requestsPerMinute` must be a whole number ≥ 1, got the number 1.5",
      "27:3 the price of `m` has no `output`",
      "28:15 `input` must be a price ≥ 0 (USD per million input tokens), got the number -1",
      "29:19 `fixtures` must be a file path, got the number 3",
      "29:28 `seed` must be a string or a number, got the boolean true",
    ]);
    const hint = (line: number) => issues.find((i) => i.location.line === line)?.hint;
    expect(hint(1)).toBe("did you mean `agents`?");
    expect(hint(4)).toBe("did you mean `anthropic`?");
    expect(hint(5)).toBe("did you mean `model`?");
    expect(hint(7)).toBe("write `fallback: [claude-haiku-4-5]`, even for one model");
    expect(hint(10)).toBe("did you mean `acceptEdits`?");
    expect(hint(15)).toMatch(/^add `provider` \(a provider name\): write one of anthropic, openai/);
    expect(hint(19)).toBe("did you mean `openai`?");
    expect(hint(21)).toMatch(/remove the key for no limit/);
  });

  it("refuses a literal key without ever quoting it", () => {
    const secret = "sk-ant-api03-VERYSECRETVALUE0123456789";
    const { issues } = parse(
      `agents:\n  a:\n    provider: anthropic\n    apiKey: ${secret}\n  b:\n    provider: openai\n    apiKey: { env: ${secret} }\n  c:\n    provider: openai\n    apiKey: { value: ${secret} }\n  d:\n    provider: gemini\n    apiKey: { env: A, secret: B }\n  e:\n    provider: gemini\n    apiKey: 12345\nproviders:\n  openai: { apiKey: "${secret}" }\n`,
    );
    expect(at(issues)).toEqual([
      "4:13 `apiKey` holds a literal value: weft never reads API keys from its config file (it would end up in version control and in logs)",
      "7:20 `apiKey.env` must be a name (letters, digits and _, not starting with a digit), got a string that looks like a key itself",
      "10:13 `apiKey` names no source: give `env` or `secret`",
      "10:15 unknown key `value` in `apiKey`",
      "13:13 `apiKey` gives both `env` and `secret`: give one",
      "16:13 `apiKey` must be `{ env: NAME }` or `{ secret: NAME }`, got a number",
      "18:21 `apiKey` holds a literal value: weft never reads API keys from its config file (it would end up in version control and in logs)",
    ]);
    expect(issues[0]?.hint).toMatch(/environment variable.*\{ env: NAME \}.*secrets file.*\{ secret: NAME \}/);
    expect(JSON.stringify(issues)).not.toContain("VERYSECRET");
    expect(JSON.stringify(issues)).not.toContain("12345");
  });

  it("needs a secrets file for a secret reference", () => {
    expect(at(parse("agents:\n  a: { provider: openai, apiKey: { secret: OPENAI_KEY } }\n").issues)).toEqual([
      "2:34 `apiKey` refers to the secret `OPENAI_KEY`, but the config names no secrets file",
    ]);
  });

  it("reports YAML problems and a top level that is not a mapping in config terms", () => {
    expect(at(parse("agents:\n  a: { provider: x\n").issues)[0]).toMatch(/^\d+:\d+ invalid YAML/);
    expect(at(parse("agents:\n  a: 1\n  a: 2\n").issues)).toEqual([
      "3:3 duplicate key: a mapping key may appear only once",
    ]);
    const list = parse("- a\n- b\n").issues;
    expect(at(list)).toEqual([
      "1:1 the top level of the agents config must be a mapping (`agents: …`, `rateLimits: …`)",
    ]);
    expect(list[0]?.hint).toMatch(/docs\/agents\.md/);
    expect(at(parse("agents: {}\n---\nagents: {}\n").issues)[0]).toMatch(/a config file holds exactly one/);
  });
});

describe("agents config: files", () => {
  it("finds weft.config.yaml (or .yml, .json) in a folder, not above it", () => {
    const dir = tempDir();
    expect(findAgentsConfig(dir)).toBeUndefined();
    writeFileSync(join(dir, "weft.config.yml"), "agents: {}\n");
    expect(findAgentsConfig(dir)).toBe(join(dir, "weft.config.yml"));
    writeFileSync(join(dir, "weft.config.yaml"), "agents: {}\n");
    expect(findAgentsConfig(dir)).toBe(join(dir, "weft.config.yaml"));
    expect(findAgentsConfig(join(dir, "..", "..", "..", ".."))).toBeUndefined();
  });

  it("loads a file, returning its warnings; throws a ValidationError listing every error", () => {
    const dir = tempDir();
    const file = join(dir, "weft.config.yaml");
    writeFileSync(file, "agents:\n  a: { provider: openai, permission: plan }\nsecrets: s.env\n");
    const { config, warnings } = loadAgentsConfig(file);
    expect(config.secrets).toBe(join(dir, "s.env"));
    expect(warnings.map((w) => w.location.line)).toEqual([2]);

    writeFileSync(file, "agents:\n  a: { provider: openia }\nrateLimit: {}\n");
    const err = (() => {
      try {
        loadAgentsConfig(file);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ValidationError);
    expect((err as ValidationError).issues).toHaveLength(2);
    expect((err as Error).message).toContain(
      `${file}:2:18: error WEFT_SCHEMA: agent \`a\` uses the provider \`openia\``,
    );
    expect((err as Error).message).toContain("→ did you mean `openai`?");
    expect((err as Error).message).toContain(`${file}:3:1: error WEFT_SCHEMA: unknown key \`rateLimit\``);
  });

  it("reads a JSON config, and says when a named file is missing", () => {
    const dir = tempDir();
    const file = join(dir, "weft.config.json");
    writeFileSync(file, JSON.stringify({ agents: { a: { provider: "gemini", model: "gemini-2.5-flash" } } }));
    expect(loadAgentsConfig(file).config.agents?.a?.model).toBe("gemini-2.5-flash");
    writeFileSync(file, '{ "agents": { "a": { "provider": 5 } } }');
    expect(() => loadAgentsConfig(file)).toThrow(
      /weft\.config\.json:1:34: error WEFT_SCHEMA: `provider` must be a provider name/,
    );
    const missing = (() => {
      try {
        loadAgentsConfig(join(dir, "nope.yaml"));
      } catch (e) {
        return e;
      }
    })();
    expect(missing).toBeInstanceOf(WeftError);
    expect((missing as WeftError).code).toBe("WEFT_NOT_FOUND");
    expect((missing as Error).message).toMatch(/cannot read the agents config .*nope\.yaml/);
  });
});
