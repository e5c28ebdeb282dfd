/**
 * `POST /api/workflow-executions` options of the launch form: `budget` (the run's, over the workflow's),
 * `test_run` (every agent answered by the offline mock, even one configured with a real provider, kept across
 * pause/resume and rewind), and `field` on 422 WEFT_ARGS issues — over a real HTTP connection.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provider, ProviderRequest } from "../../src/agents/provider.js";
import { createProviderRegistry } from "../../src/agents/registry.js";
import { runSchema } from "../../src/server/schemas.js";
import { type Json, type ServerEnv, serverEnv } from "./helpers.js";

/** A stand-in for a real provider: answers, and remembers every request it got. */
function fakeAnthropic(): Provider & { calls: ProviderRequest[] } {
  const calls: ProviderRequest[] = [];
  return {
    name: "anthropic",
    calls,
    async generate(req) {
      calls.push(req);
      return {
        text: "a real answer",
        model: req.agent.model ?? "claude",
        usage: { inputTokens: 10, outputTokens: 5 },
        transcript: [{ type: "request", prompt: req.prompt }],
      };
    },
  };
}

const GATED = `name: gated-writer
steps:
  - id: draft
    agent: writer
    prompt: Write about {{ args.topic }}
  - id: gate
    needs: draft
    type: approval
    message: publish?
  - id: polish
    needs: gate
    agent: writer
    prompt: Polish it
argsSchema:
  type: object
  additionalProperties: false
  required: [topic]
  properties:
    topic: { type: string }
    channels: { type: array, items: { type: string, enum: [email, social] } }
    brand:
      type: object
      required: [voice]
      properties: { voice: { type: string } }
`;

const SPENDER = `name: spender
budget: { tokens: 1000000, cost_usd: 50 }
steps:
  - id: one
    agent: helper
    prompt: first
  - id: two
    needs: one
    agent: helper
    prompt: second
`;

describe("launch options", () => {
  let s: ServerEnv;
  let base: string;
  const real = fakeAnthropic();

  const call = async (method: string, path: string, payload?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: payload === undefined ? {} : { "content-type": "application/json" },
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  const ok = async (method: string, path: string, payload?: unknown) => {
    const r = await call(method, path, payload);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json.data as Json;
  };
  const launch = (source: string, extra: Record<string, unknown> = {}) =>
    ok("POST", "/api/workflow-executions", { workflow: { source }, ...extra });
  const waitFor = async (id: string, pred: (run: Json) => boolean, what: string) => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const run = await ok("GET", `/api/workflow-executions/${id}`);
      if (pred(run)) return run;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; run is ${run.status}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const stepOf = (run: Json, key: string) => run.steps.find((x: Json) => x.key === key);
  /** The provider an agent step's input.json names (what the agent step resolved). */
  const providerOf = async (runId: string, key: string) => {
    const log = await ok("GET", `/api/workflow-steps/${encodeURIComponent(`${runId}:${key}`)}/logs/input`);
    return JSON.parse(log.content).provider as string;
  };

  beforeAll(async () => {
    const providers = createProviderRegistry({
      agents: { writer: { name: "writer", provider: "anthropic", model: "claude-real", system: "Be brief" } },
      providers: [real],
    });
    s = await serverEnv({}, { providers });
    base = await s.listen();
  });
  afterAll(async () => {
    await s?.close();
  });

  it("without test_run, an agent configured with a real provider calls it (the control case)", async () => {
    const run = await launch(GATED, { args: { topic: "tides" } });
    expect(run.test_run).toBe(false);
    await waitFor(run.id, (r) => stepOf(r, "gate")?.status === "waiting", "the gate");
    expect(await providerOf(run.id, "draft")).toBe("anthropic");
    expect(real.calls.map((c) => c.prompt)).toEqual(["Write about tides"]);
    await ok("POST", `/api/workflow-executions/${run.id}/cancel`, {});
  });

  it("test_run: every agent answered by the mock, through pause, resume and approval; shown on the run; kept by rewind", async () => {
    const before = real.calls.length;
    const launched = await launch(GATED, { args: { topic: "tides" }, test_run: true, name: "dry run" });
    runSchema.parse(launched);
    expect(launched.test_run).toBe(true);
    await waitFor(launched.id, (r) => stepOf(r, "gate")?.status === "waiting", "the gate");
    await ok("POST", `/api/workflow-executions/${launched.id}/pause`, {});
    await waitFor(launched.id, (r) => r.status === "paused", "paused");
    await ok("POST", `/api/workflow-executions/${launched.id}/resume`, {});
    await ok("POST", `/api/workflow-executions/${launched.id}/steps/gate/approve`, { comment: "go" });
    const done = await waitFor(launched.id, (r) => r.status === "completed", "completed");
    expect(done.test_run).toBe(true);
    expect(await providerOf(launched.id, "draft")).toBe("mock");
    expect(await providerOf(launched.id, "polish")).toBe("mock");
    expect(real.calls.length).toBe(before);
    // The run lists show it too.
    const listed = await ok("GET", "/api/workflow-executions?view=summary");
    expect(listed.find((r: Json) => r.id === launched.id)?.test_run).toBe(true);
    // The log says why the configured provider was not used.
    const draft = await ok("GET", `/api/workflow-steps/${encodeURIComponent(`${launched.id}:draft`)}`);
    expect(draft.session.exchanges[0].provider).toBe("mock");

    // A rewind of a test run is a test run.
    const checkpoints = await ok("GET", `/api/workflow-executions/${launched.id}/checkpoints`);
    const first = checkpoints.at(-1).number as number;
    const fork = await ok("POST", `/api/workflow-executions/${launched.id}/rewind`, { checkpoint: first });
    expect(fork.test_run).toBe(true);
    await waitFor(fork.id, (r) => stepOf(r, "gate")?.status === "waiting", "the fork's gate");
    await ok("POST", `/api/workflow-executions/${fork.id}/steps/gate/approve`, {});
    await waitFor(fork.id, (r) => r.status === "completed", "the fork completes");
    expect(await providerOf(fork.id, "polish")).toBe("mock");
    expect(real.calls.length).toBe(before);
  });

  it("budget: the run's limit replaces the workflow's (the one left out is kept) and pauses the run", async () => {
    const free = await launch(SPENDER);
    await waitFor(free.id, (r) => r.status === "completed", "the run without a launch budget completes");

    const tight = await launch(SPENDER, { budget: { tokens: 1 }, triggered_by: "launch form" });
    const paused = await waitFor(tight.id, (r) => r.status === "paused", "paused over budget");
    expect(stepOf(paused, "one").status).toBe("completed");
    expect(stepOf(paused, "two").status).not.toBe("completed");
    const events = await s.env.store.events.list(tight.id);
    const changed = events.filter((e) => e.type === "workflow.execution.budget_changed");
    expect(changed.map((e) => e.data)).toEqual([{ key: null, tokens: 1, cost_usd: 50, by: "launch form" }]);
    expect(events.some((e) => e.type === "workflow.execution.budget_exceeded")).toBe(true);
    // Raising it lets the run finish, as for a workflow's own budget.
    await ok("POST", `/api/workflow-executions/${tight.id}/budget`, { tokens: 1_000_000 });
    await ok("POST", `/api/workflow-executions/${tight.id}/resume`, {});
    await waitFor(tight.id, (r) => r.status === "completed", "completed after the raise");
  });

  it("refuses a bad budget or test_run with 400 naming the field, creating nothing", async () => {
    const before = (await s.env.store.runs.list()).length;
    for (const [extra, field] of [
      [{ budget: {} }, "budget"],
      [{ budget: { tokens: 0 } }, "budget.tokens"],
      [{ budget: { tokens: 1.5 } }, "budget.tokens"],
      [{ budget: { cost_usd: -1 } }, "budget.cost_usd"],
      [{ budget: { tokens: 10, usd: 1 } }, "budget"],
      [{ budget: 5 }, "budget"],
      [{ test_run: "yes" }, "test_run"],
    ] as const) {
      const r = await call("POST", "/api/workflow-executions", { workflow: { source: SPENDER }, ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect(r.json.error.code).toBe("WEFT_BAD_REQUEST");
      expect(r.json.error.fields.map((f: Json) => f.path).join(" "), JSON.stringify(extra)).toContain(field);
    }
    expect((await s.env.store.runs.list()).length).toBe(before);
  });

  it("422 WEFT_ARGS issues name their field, so a form can show each message on it", async () => {
    const r = await call("POST", "/api/workflow-executions", {
      workflow: { source: GATED },
      args: { channels: ["email", "fax"], brand: {}, extra: 1 },
    });
    expect(r.status).toBe(422);
    expect(r.json.error.code).toBe("WEFT_ARGS");
    const byField = Object.fromEntries(r.json.error.issues.map((i: Json) => [i.field, i.message]));
    expect(Object.keys(byField).sort()).toEqual(["brand.voice", "channels[1]", "extra", "topic"]);
    expect(byField.topic).toBe("args.topic is required");
    expect(byField["channels[1]"]).toMatch(/must be one of email, social/);
    // Issues about a workflow (not args) have no field.
    const bad = await call("POST", "/api/workflow-executions", { workflow: { source: "name: x\nsteps: 3\n" } });
    expect(bad.status).toBe(422);
    expect(bad.json.error.issues.every((i: Json) => i.field === null)).toBe(true);
  });
});
