/**
 * End to end through the real CLI: `weft run --config weft.config.yaml` with an agent on the `openai`
 * provider pointed at a local server that speaks Chat Completions. The API key is a planted canary: it must
 * reach the server, and appear nowhere weft wrote — not in the database, the run folders, the logs, the
 * session transcripts, stdout or stderr — neither raw nor base64-encoded.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanUpAfterTests, type Loose, startWeft, tempDir, until, weft } from "../cli/helpers.js";
import { textMessage } from "./providers/anthropic-wire.js";
import { generation } from "./providers/gemini-wire.js";
import { completion } from "./providers/openai-wire.js";
import { startServer, type TestServer } from "./providers/server.js";

cleanUpAfterTests();

const CANARY = "sk-canary-7f3a9c1e5b2d4f608a1c3e5f7092b4d6";

/** Every base64 form the canary can take inside a longer base64 text (three alignments). */
function base64Forms(secret: string): string[] {
  return ["", "x", "xy"].map((pad) => {
    const b = Buffer.from(pad + secret).toString("base64");
    // Drop the characters that depend on the padding prefix and on what follows.
    const skip = Math.ceil((pad.length * 4) / 3);
    return b.slice(skip + 1, b.length - 4);
  });
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/**
 * Expects no form of the canary (raw, base64, UTF-16) in any file under `dir`; returns the files scanned. A live
 * run keeps writing (a checkpoint file is written under a temporary name, then renamed): a file gone between the
 * listing and its read means the folder changed, and the whole scan starts again on a fresh listing.
 */
function expectNoCanary(dir: string, canary: string, when: string): string[] {
  const forms = [canary, ...base64Forms(canary)].map((f) => Buffer.from(f));
  forms.push(Buffer.from(canary, "utf16le"));
  for (let scan = 1; ; scan++) {
    const files = filesUnder(dir);
    const read = files.map((f) => {
      try {
        return readFileSync(f);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT" && scan < 20) return undefined;
        throw err;
      }
    });
    if (read.includes(undefined)) continue;
    read.forEach((bytes, i) => {
      for (const form of forms) expect(bytes?.includes(form), `${when}: ${files[i]} contains the key`).toBe(false);
    });
    return files;
  }
}

describe("the key canary on every SDK provider, in the database, its WAL and the run logs", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req) => {
      if (req.url.includes("/chat/completions")) return { kind: "sse", events: completion("openai answer") };
      if (req.url.includes("/messages")) return { kind: "sse", events: textMessage("anthropic answer") };
      return { kind: "sse", events: generation("gemini answer") };
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  // The key from the environment (`env`) or from the secrets file (`secret`), for each provider.
  const cases = [
    ["openai", "gpt-4o-mini", "env"],
    ["anthropic", "claude-sonnet-4-5", "secret"],
    ["gemini", "gemini-2.5-flash", "env"],
    ["openai", "gpt-4o-mini", "secret"],
  ] as const;

  it.each(cases)(
    "%s (model %s), key from %s: never written, while the run waits or after a kill -9",
    async (provider, model, from) => {
      const canary = `sk-canary-${provider}-${from}-5b2d4f608a1c3e5f7092b4d6`;
      const dir = tempDir();
      const data = join(dir, "data");
      writeFileSync(join(dir, "secrets.env"), `CANARY_KEY=${canary}\n`);
      writeFileSync(
        join(dir, "weft.config.yaml"),
        `secrets: ./secrets.env
agents:
  a:
    provider: ${provider}
    baseUrl: ${server.origin}${provider === "openai" ? "/v1" : ""}
    model: ${model}
    apiKey: { ${from}: ${from === "env" ? "WEFT_TEST_CANARY_KEY" : "CANARY_KEY"} }
`,
      );
      // An agent step, then an approval: the process stays alive with the database open (its WAL not yet
      // checkpointed) while the run waits.
      writeFileSync(
        join(dir, "wf.yaml"),
        `name: canary
steps:
  - { id: ask, type: agent, agent: a, prompt: "Say something" }
  - { id: wait, type: approval, needs: ask, message: "ok?" }
`,
      );
      const before = server.requests.length;
      const p = startWeft(["--data-dir", data, "run", "wf.yaml", "--config", join(dir, "weft.config.yaml")], {
        cwd: dir,
        env: from === "env" ? { WEFT_TEST_CANARY_KEY: canary } : {},
      });
      await p.waitForLine(/⏸ wait\s+waiting/);
      // The key reached the server (in the provider's own header).
      const sent = server.requests.slice(before);
      expect(sent).toHaveLength(1);
      expect(JSON.stringify(sent[0]?.headers)).toContain(canary);

      const live = expectNoCanary(data, canary, "while the run waits").filter(
        (f) => !f.startsWith(join(dir, "secrets")),
      );
      expect(live.some((f) => f.endsWith("weft.db-wal"))).toBe(true);
      expect(live.some((f) => f.includes(join("logs", "ask")))).toBe(true);
      p.kill("SIGKILL");
      await p.done();
      await until(() => filesUnder(data).some((f) => f.endsWith("weft.db-wal")), "the WAL to be left by kill -9");
      expectNoCanary(data, canary, "after kill -9");
      for (const text of [...p.stdoutLines, ...p.stderrLines]) expect(text).not.toContain(canary);
    },
  );
});

describe("agents end to end: config file, SDK provider, fallback, usage, and the key canary", () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((req) => {
      const model = (req.body as Loose)?.model as string;
      // The primary model is overloaded; the fallback answers.
      if (model === "big-model") {
        return {
          kind: "json",
          status: 503,
          body: { error: { message: "The server is overloaded", type: "server_error", code: null } },
        };
      }
      const wantsJson = (req.body as Loose)?.response_format !== undefined;
      const text = wantsJson ? '{"severity":"high","summary":"disk full"}' : "Triaged as high: page the on-call.";
      return { kind: "sse", events: completion(text, { model, promptTokens: 1000, completionTokens: 200 }) };
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("runs, falls back, accounts tokens and cost, and never writes the key", async () => {
    const dir = tempDir();
    const data = join(dir, "data");
    writeFileSync(
      join(dir, "weft.config.yaml"),
      `agents:
  triage:
    provider: openai
    baseUrl: ${server.origin}/v1
    model: big-model
    fallback: [gpt-4o-mini]
    apiKey: { env: WEFT_TEST_OPENAI_KEY }
    system: You triage incidents.
`,
    );
    writeFileSync(
      join(dir, "wf.yaml"),
      `name: incident
steps:
  - id: classify
    type: agent
    agent: triage
    prompt: "Disk usage is 100% on db-1"
    outputSchema:
      type: object
      required: [severity, summary]
      properties:
        severity: { enum: [low, medium, high] }
        summary: { type: string }
  - id: advise
    type: agent
    agent: triage
    prompt: "Severity {{ steps.classify.output.severity }}: what now?"
`,
    );
    const run = await weft(["--data-dir", data, "run", "wf.yaml", "--format", "json"], {
      cwd: dir,
      env: { WEFT_TEST_OPENAI_KEY: CANARY },
      timeoutMs: 40_000,
    });
    expect(run.code, run.stderr).toBe(0);

    // The key reached the server, as the SDK sends it.
    expect(server.requests.length).toBe(4);
    for (const r of server.requests) expect(r.headers.authorization).toBe(`Bearer ${CANARY}`);
    expect(server.requests.map((r) => (r.body as Loose).model)).toEqual([
      "big-model",
      "gpt-4o-mini",
      "big-model",
      "gpt-4o-mini",
    ]);
    // The second prompt read the first step's field.
    expect(JSON.stringify(server.requests[3]?.body)).toContain("Severity high: what now?");

    const id = JSON.parse(run.stdout.trim().split("\n").at(-1) as string).id as string;
    const status = await weft(["--data-dir", data, "status", id, "--format", "json"], { cwd: dir });
    const view = JSON.parse(status.stdout);
    expect(view.tokens).toEqual({ input: 2000, output: 400, total: 2400 });
    // gpt-4o-mini's price from the built-in table: a positive cost for 2 × (1000 in + 200 out).
    expect(view.cost_usd).toBeGreaterThan(0);
    expect(view.cost_usd).toBeLessThan(0.01);
    const table = await weft(["--data-dir", data, "status", id], { cwd: dir });
    expect(table.stdout).toMatch(/Usage: 2,000 tokens in, 400 out, \$0\.\d{4} \(2 calls\)/);
    const logs = await weft(["--data-dir", data, "logs", id], { cwd: dir });
    expect(logs.stdout).toMatch(/model big-model failed \((server|overloaded) 503\).*falling back to gpt-4o-mini/);

    // The canary scan: every byte weft wrote.
    const files = filesUnder(data);
    expect(files.some((f) => f.endsWith("session.jsonl"))).toBe(true);
    const forms = [CANARY, ...base64Forms(CANARY)];
    const outputs = [run.stdout, run.stderr, status.stdout, table.stdout, logs.stdout, logs.stderr];
    for (const f of files) {
      if (statSync(f).size === 0) continue;
      const bytes = readFileSync(f);
      for (const form of forms) expect(bytes.includes(form), `${f} contains ${form}`).toBe(false);
      // UTF-16 (a SQLite text encoding) too.
      expect(bytes.includes(Buffer.from(CANARY, "utf16le")), f).toBe(false);
    }
    for (const text of outputs) for (const form of forms) expect(text.includes(form)).toBe(false);
  });

  it("a missing key falls back to the mock with a one-line notice, and the run completes", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "weft.config.yaml"),
      "agents:\n  writer: { provider: anthropic, model: claude-sonnet-4-5 }\n",
    );
    writeFileSync(
      join(dir, "wf.yaml"),
      "name: offline\nsteps:\n  - id: draft\n    type: agent\n    agent: writer\n    prompt: hello\n",
    );
    const r = await weft(["--data-dir", join(dir, "data"), "run", "wf.yaml"], {
      cwd: dir,
      env: { ANTHROPIC_API_KEY: undefined },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/writer.*ANTHROPIC_API_KEY is not set; answered by the offline mock provider/);
  });

  it("a config with errors stops the run before anything starts, with file:line:col", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "bad.yaml"), "agents:\n  writer:\n    provider: anthropic\n    modle: x\n");
    writeFileSync(join(dir, "wf.yaml"), "name: x\nsteps:\n  - id: a\n    type: noop\n");
    const r = await weft(["--data-dir", join(dir, "data"), "--config", "bad.yaml", "run", "wf.yaml"], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml:4:5/);
    expect(r.stderr).toMatch(/model/);
  });
});
