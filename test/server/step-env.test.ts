/**
 * The environment of steps (core/environment.ts), through the real programs: a script step and a CLI agent
 * launched through `weft serve` get the clean allow-list plus what is named for them — never the server's API
 * tokens nor a provider key they were not given; `weft run` hands on the person's environment but weft's own.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cleanUpAfterTests, startWeft, tempDir, weft } from "../cli/helpers.js";
import { until } from "../helpers/engine.js";
import type { Json } from "./helpers.js";

cleanUpAfterTests();

const STUBS = join(import.meta.dirname, "../fixtures/cli-agents");
const OPERATOR = "operator-token-0123456789abcdef";
/** What the server (or the person's shell) holds: secrets and ordinary variables. */
const SERVER_ENV = {
  WEFT_API_TOKENS: OPERATOR,
  WEFT_SOMETHING: "weft-internal",
  OPENAI_API_KEY: "sk-fake-openai-key",
  ANTHROPIC_API_KEY: "sk-fake-anthropic-key",
  UNRELATED_SECRET: "db-password",
  PASSED_ON: "named-by-the-operator",
  LANG: "C.UTF-8",
  LC_TIME: "C",
  TZ: "UTC",
};

/** `NAME=value` lines (as `env` prints them) → a map. */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

function probeWorkflow(out: string): string {
  return `name: env-probe
steps:
  - id: dump
    command: env > "$OUT"
    env:
      OUT: ${out}
      STEP_VAR: from-the-step
  - id: ask
    needs: dump
    agent: coder
    prompt: hello
`;
}

/** A project whose agents config names a CLI agent (the stub claude) that is passed ANTHROPIC_API_KEY. */
function project(agentEnvFile: string): string {
  const dir = tempDir();
  writeFileSync(
    join(dir, "weft.config.yaml"),
    `agents:
  coder:
    provider: claude
    options:
      command: ${join(STUBS, "claude")}
      passEnv: [ANTHROPIC_API_KEY]
      env:
        STUB_ENV_FILE: ${agentEnvFile}
`,
  );
  return dir;
}

describe("the environment of steps", () => {
  it("weft serve: a script and a CLI agent launched through the API get the allow-list and what is named, no secret", async () => {
    const dataDir = tempDir();
    const files = tempDir();
    const scriptOut = join(files, "script.env");
    const agentOut = join(files, "agent.json");
    const cwd = project(agentOut);
    const p = startWeft(["--data-dir", dataDir, "serve", "--port", "0", "--pass-env", "PASSED_ON"], {
      cwd,
      env: SERVER_ENV,
    });
    const url = /(http:\/\/\S+)/.exec(await p.waitForLine(/listening on http:\/\//, 60_000))?.[1] as string;
    const auth = { authorization: `Bearer ${OPERATOR}`, "content-type": "application/json" };
    const res = await fetch(`${url}/api/workflow-executions`, {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ workflow: { source: probeWorkflow(scriptOut) } }),
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as Json).data.id as string;
    let run: Json;
    await until(
      async () => {
        run = ((await (await fetch(`${url}/api/workflow-executions/${id}`, { headers: auth })).json()) as Json).data;
        return run.status === "completed" || run.status === "failed";
      },
      30_000,
      "the probe run to end",
    );
    expect(run.status, JSON.stringify(run.steps)).toBe("completed");
    p.kill("SIGTERM");
    await p.done();

    const script = parseEnv(readFileSync(scriptOut, "utf8"));
    const agent = JSON.parse(readFileSync(agentOut, "utf8")) as Record<string, string>;
    for (const env of [script, agent]) {
      // weft's own secrets and keys nobody named: absent
      for (const name of ["WEFT_API_TOKENS", "WEFT_SOMETHING", "OPENAI_API_KEY", "UNRELATED_SECRET"]) {
        expect(env[name], name).toBeUndefined();
      }
      expect(JSON.stringify(env)).not.toContain(OPERATOR);
      // the allow-list: present
      expect(env.PATH).toBeTruthy();
      expect(env.HOME).toBe(process.env.HOME);
      expect(env).toMatchObject({ LANG: "C.UTF-8", LC_TIME: "C", TZ: "UTC" });
      // named by the operator (--pass-env): present
      expect(env.PASSED_ON).toBe("named-by-the-operator");
    }
    // named by the step: present, with weft's own step variables
    expect(script).toMatchObject({ STEP_VAR: "from-the-step", WEFT_RUN_ID: id, WEFT_STEP_ID: "dump" });
    // the provider key is the agent's (its config names it), not the script's
    expect(script.ANTHROPIC_API_KEY).toBeUndefined();
    expect(agent.ANTHROPIC_API_KEY).toBe("sk-fake-anthropic-key");
  });

  it("weft serve refuses to pass one of weft's own variables on (exit 2)", async () => {
    const r = await weft(["--data-dir", tempDir(), "serve", "--port", "0", "--pass-env", "WEFT_API_TOKENS"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/WEFT_API_TOKENS is one of weft's own variables/);
  });

  it("weft run: a person's own environment is handed on, except weft's own variables", async () => {
    const files = tempDir();
    const scriptOut = join(files, "script.env");
    const agentOut = join(files, "agent.json");
    const cwd = project(agentOut);
    writeFileSync(join(cwd, "probe.yaml"), probeWorkflow(scriptOut));
    const r = await weft(["--data-dir", tempDir(), "run", "probe.yaml"], { cwd, env: SERVER_ENV, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const script = parseEnv(readFileSync(scriptOut, "utf8"));
    const agent = JSON.parse(readFileSync(agentOut, "utf8")) as Record<string, string>;
    for (const env of [script, agent]) {
      expect(env.WEFT_API_TOKENS).toBeUndefined();
      expect(env.WEFT_SOMETHING).toBeUndefined();
      expect(JSON.stringify(env)).not.toContain(OPERATOR);
      // the person's own variables, their keys included: theirs to use
      expect(env).toMatchObject({ UNRELATED_SECRET: "db-password", OPENAI_API_KEY: "sk-fake-openai-key" });
    }
    expect(script.STEP_VAR).toBe("from-the-step");
  });
});
