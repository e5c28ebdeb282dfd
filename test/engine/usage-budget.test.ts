/**
 * Agent usage, budgets and model fallback through the real engine (SQLite store, mock and scripted
 * providers): usage events per call, totals that survive a restart, a run budget that pauses the run until a
 * person raises it, a step budget that fails the step, and `fallback` switching models on a 429 / 5xx.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createMockProvider } from "../../src/agents/mock/index.js";
import type { Provider, ProviderRequest } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { ProviderError } from "../../src/core/errors.js";
import type { EventRecord } from "../../src/core/events.js";
import { usageOf } from "../../src/engine/usage.js";
import { type TestEnv, testEnv, until, wf } from "../helpers/engine.js";

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

/** A provider that answers `ok`, spending 100 in + 50 out tokens at $0.01, and fails the models in `failing`. */
function scripted(failing: Record<string, "rate_limited" | "server" | "bad">, calls: ProviderRequest[]): Provider {
  return {
    name: "scripted",
    async generate(req) {
      calls.push(req);
      const model = req.agent.model ?? "default";
      const f = failing[model];
      if (f === "bad") throw new Error(`model ${model} refuses`);
      if (f) throw new ProviderError(f, `scripted ${f} for ${model}`, { status: f === "server" ? 503 : 429 });
      return {
        text: `ok from ${model}`,
        usage: { inputTokens: 100, outputTokens: 50, costUsd: 0.01 },
        model,
        transcript: [{ model }],
      };
    },
  };
}

const THREE = (budget: string) => `name: spender
${budget}
steps:
  - id: a
    type: agent
    agent: writer
    prompt: one
  - id: b
    type: agent
    agent: writer
    prompt: two
  - id: c
    type: agent
    agent: writer
    prompt: three
`;

async function events(e: TestEnv, runId: string): Promise<EventRecord[]> {
  return e.store.events.list(runId);
}

describe("agent usage and budgets", () => {
  it("records one usage event per call, with totals by step and run (also in status after a restart)", async () => {
    const calls: ProviderRequest[] = [];
    env = testEnv({
      providers: createProviderRegistry({
        agents: { writer: { name: "writer", provider: "scripted", model: "m1" } },
        providers: [scripted({}, calls)],
      }),
    });
    const { run } = await env.engine.launch(wf(THREE("")));
    const done = await env.engine.execute(run.id);
    expect(done.status).toBe("completed");
    const evs = await events(env, run.id);
    const usage = evs.filter((e) => e.type === "workflow.step.usage");
    expect(usage.map((e) => (e.data as { key: string }).key)).toEqual(["a", "b", "c"]);
    expect(usage[0]?.data).toMatchObject({ provider: "scripted", model: "m1", input_tokens: 100, output_tokens: 50 });
    const totals = usageOf(evs);
    expect(totals.run).toEqual({ inputTokens: 300, outputTokens: 150, costUsd: 0.03, calls: 3 });
    expect(totals.steps.get("b")).toEqual({ inputTokens: 100, outputTokens: 50, costUsd: 0.01, calls: 1 });
  });

  it("a run budget pauses the run before the call that would go over; raising it and resuming finishes the run", async () => {
    const calls: ProviderRequest[] = [];
    env = testEnv({
      providers: createProviderRegistry({
        agents: { writer: { name: "writer", provider: "scripted", model: "m1" } },
        providers: [scripted({}, calls)],
      }),
    });
    const { run } = await env.engine.launch(wf(THREE("budget: { tokens: 250 }")));
    const done = env.engine.execute(run.id);
    const e = env;
    const isPaused = async () => (await e.store.runs.get(run.id))?.status === "paused";
    await until(isPaused, 10_000, "paused");
    // a (150) and b (300 ≥ 250 after it) ran; c waits, its attempt unspent.
    expect(calls).toHaveLength(2);
    const steps = await env.store.steps.list(run.id);
    expect(steps.find((s) => s.key === "c")).toMatchObject({ status: "pending", attempt: 0 });
    const exceeded = (await events(env, run.id)).find((e) => e.type === "workflow.execution.budget_exceeded");
    expect(exceeded?.data).toMatchObject({ scope: "run", key: "c", policy: "pause", spent: { tokens: 300 } });

    // Resuming without raising it pauses again, naming the command that raises it.
    const before = (await events(env, run.id)).length;
    await env.engine.resume(run.id);
    await until(
      async () => (await events(e, run.id)).length > before + 2 && (await isPaused()),
      10_000,
      "paused again",
    );
    const progress = (await events(env, run.id)).filter((e) => e.type === "workflow.step.progress");
    expect(JSON.stringify(progress.at(-1)?.data)).toMatch(/weft budget .* --tokens/);
    expect(calls).toHaveLength(2);

    await env.engine.setBudget(run.id, { tokens: 1000, costUsd: null }, "test");
    await env.engine.resume(run.id);
    expect((await done).status).toBe("completed");
    expect(calls).toHaveLength(3);
    expect((await env.store.steps.list(run.id)).find((s) => s.key === "c")?.attempt).toBe(1);
  });

  it("a run budget with on_exceed: fail, and a step budget, fail the step with WEFT_BUDGET", async () => {
    const calls: ProviderRequest[] = [];
    env = testEnv({
      providers: createProviderRegistry({
        agents: { writer: { name: "writer", provider: "scripted", model: "m1" } },
        providers: [scripted({}, calls)],
      }),
    });
    const { run } = await env.engine.launch(wf(THREE("budget: { cost_usd: 0.015, on_exceed: fail }")));
    const failed = await env.engine.execute(run.id);
    expect(failed.status, JSON.stringify(await env.store.steps.list(run.id))).toBe("failed");
    const steps = await env.store.steps.list(run.id);
    expect(steps.find((s) => s.key === "b")?.status).toBe("completed");
    const c = steps.find((s) => s.key === "c");
    expect(c?.status).toBe("failed");
    expect(c?.error).toMatchObject({ code: "WEFT_BUDGET", retryable: false });
    expect(c?.error?.message).toMatch(/run budget is used up \(\$0\.0200 spent of \$0\.0150\)/);

    const stepBudget = `name: step-budget
steps:
  - id: a
    type: agent
    agent: writer
    prompt: one
    outputSchema: { type: object, required: [never], properties: { never: { type: string } } }
    retry: { maxAttempts: 3, delay: 1ms }
    budget: { tokens: 200 }
`;
    const { run: second } = await env.engine.launch(wf(stepBudget));
    const end = await env.engine.execute(second.id);
    expect(end.status).toBe("failed");
    const a = (await env.store.steps.list(second.id)).find((s) => s.key === "a");
    // Attempt 1 and 2 each spent 150 (their answers did not match the schema); attempt 3 was refused.
    expect(a?.error?.code).toBe("WEFT_BUDGET");
    expect(a?.error?.message).toMatch(/step budget is used up \(300 tokens spent of 200\)/);
  });

  it("fallback switches models on a rate limit or server error, records each call's model, and not on other errors", async () => {
    const calls: ProviderRequest[] = [];
    env = testEnv({
      providers: createProviderRegistry({
        agents: {
          writer: { name: "writer", provider: "scripted", model: "big", fallback: ["medium", "small"] },
          picky: { name: "picky", provider: "scripted", model: "refuser", fallback: ["small"] },
        },
        providers: [scripted({ big: "rate_limited", medium: "server", refuser: "bad" }, calls)],
      }),
    });
    const one = `name: fallback
steps:
  - id: a
    type: agent
    agent: writer
    prompt: hello
`;
    const { run } = await env.engine.launch(wf(one));
    expect((await env.engine.execute(run.id)).status).toBe("completed");
    expect(calls.map((c) => c.agent.model)).toEqual(["big", "medium", "small"]);
    const evs = await events(env, run.id);
    const lines = evs
      .filter((e) => e.type === "workflow.step.progress")
      .map((e) => (e.data as { output: string }).output);
    expect(lines.some((l) => /model big failed \(rate_limited 429\).*falling back to medium/.test(l))).toBe(true);
    expect(lines.some((l) => /model medium failed \(server 503\).*falling back to small/.test(l))).toBe(true);
    expect(evs.find((e) => e.type === "workflow.step.usage")?.data).toMatchObject({ model: "small" });
    expect((await env.store.steps.get(run.id, "a"))?.output).toEqual({ result: "ok from small" });

    calls.length = 0;
    const picky = `name: picky
steps:
  - id: a
    type: agent
    agent: picky
    prompt: hello
    retry: { maxAttempts: 1 }
`;
    const { run: second } = await env.engine.launch(wf(picky));
    expect((await env.engine.execute(second.id)).status).toBe("failed");
    expect(calls.map((c) => c.agent.model)).toEqual(["refuser"]);
  });

  it("a missing key's notice reaches the run; the mock answers", async () => {
    env = testEnv({
      providers: {
        resolve: (name) => ({
          config: { name, provider: "mock" },
          provider: createMockProvider(),
          configured: false,
          notice: `agent ${name}: ANTHROPIC_API_KEY is not set; answered by the offline mock provider`,
        }),
      },
    });
    const notices: string[] = [];
    env.engine.onNotice((_runId, message) => notices.push(message));
    const { run } = await env.engine.launch(wf(THREE("")));
    expect((await env.engine.execute(run.id)).status).toBe("completed");
    expect(notices).toEqual(["agent writer: ANTHROPIC_API_KEY is not set; answered by the offline mock provider"]);
  });

  it("an answer outside the outputSchema is sent back to be repaired, within the attempt and bounded", async () => {
    const calls: ProviderRequest[] = [];
    const answers = ["Sure! Severity is high.", '{"severity":"urgent"}', '{"severity":"high"}'];
    const provider: Provider = {
      name: "sloppy",
      async generate(req) {
        calls.push(req);
        const text = answers[Math.min(calls.length - 1, answers.length - 1)] as string;
        return { text, usage: { inputTokens: 10, outputTokens: 5 }, model: "m", transcript: [] };
      },
    };
    env = testEnv({
      providers: createProviderRegistry({
        agents: { triage: { name: "triage", provider: "sloppy", model: "m" } },
        providers: [provider],
      }),
    });
    const yaml = (repairs: number) => `name: repair
steps:
  - id: t
    type: agent
    agent: triage
    prompt: classify the outage
    repairs: ${repairs}
    retry: { maxAttempts: 1 }
    outputSchema: { type: object, required: [severity], properties: { severity: { enum: [low, high] } } }
`;
    const { run } = await env.engine.launch(wf(yaml(2)));
    expect((await env.engine.execute(run.id)).status).toBe("completed");
    expect((await env.store.steps.get(run.id, "t"))?.output).toEqual({ severity: "high" });
    expect(calls).toHaveLength(3);
    expect(calls[1]?.messages).toEqual([
      { role: "user", content: "classify the outage" },
      { role: "assistant", content: "Sure! Severity is high." },
    ]);
    expect(calls[1]?.prompt).toMatch(/does not match the required JSON Schema: the answer is not JSON/);
    expect(calls[2]?.prompt).toMatch(/severity/);
    expect(calls[2]?.messages).toHaveLength(4);

    calls.length = 0;
    const { run: strict } = await env.engine.launch(wf(yaml(1)));
    const failed = await env.engine.execute(strict.id);
    expect(failed.status).toBe("failed");
    expect(calls).toHaveLength(2);
    expect((await env.store.steps.get(strict.id, "t"))?.error?.message).toMatch(/did not answer JSON matching/);
  });
});
