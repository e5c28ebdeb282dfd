/**
 * Live events end to end: a listening server, real `ws` WebSocket clients and a raw HTTP SSE client, while
 * runs execute — in this server's engine, in another engine on its own connection to the same SQLite file
 * (another process, as far as the store can tell) and in a real `weft run` child process.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import { createRequire } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import Fastify, { type FastifyInstance } from "fastify";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket from "ws";
import type { EventRecord } from "../../src/core/events.js";
import type { Engine } from "../../src/engine/engine.js";
import { buildApp, type ServerDeps } from "../../src/server/app.js";
import {
  CLOSE_SLOW_CONSUMER,
  EventFeed,
  type EventsPluginOptions,
  eventsPlugin,
  Sequencer,
  WsSink,
} from "../../src/server/events/index.js";
import { originAllowed } from "../../src/server/events/origin.js";
import { type TestEnv, testEnv, until, wf } from "../helpers/engine.js";

const repoRoot = fileURLToPath(new URL("../..", import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: messages are read loosely.
type Msg = { type: string; data: Record<string, any>; seq?: number; at?: string };

/** Wall-clock ms with sub-ms precision, comparable across threads. */
const now = () => performance.timeOrigin + performance.now();

/** A WebSocket client in a worker thread, recording when each event arrived. */
class LatencyProbe {
  private constructor(private readonly worker: Worker) {}

  static async open(url: string): Promise<LatencyProbe> {
    const worker = new Worker(
      `
      const { parentPort, workerData } = require("node:worker_threads");
      const WebSocket = require(workerData.ws);
      const arrivals = [];
      const ws = new WebSocket(workerData.url);
      ws.on("message", (raw) => {
        const t = performance.timeOrigin + performance.now();
        const m = JSON.parse(raw.toString());
        if (m.type === "subscribed") parentPort.postMessage({ ready: true });
        else if (m.seq !== undefined) arrivals.push([m.data.execution_id + ":" + m.seq, { t, at: Date.parse(m.at), type: m.type }]);
      });
      parentPort.on("message", (m) => {
        if (m === "arrivals") parentPort.postMessage({ arrivals });
        if (m === "close") ws.close();
      });
      `,
      { eval: true, workerData: { url, ws: createRequire(import.meta.url).resolve("ws") } },
    );
    await new Promise<void>((resolve, reject) => {
      worker.once("message", () => resolve());
      worker.once("error", reject);
    });
    return new LatencyProbe(worker);
  }

  arrivals(): Promise<Map<string, { t: number; at: number; type: string }>> {
    return new Promise((resolve) => {
      const on = (m: { arrivals?: Array<[string, { t: number; at: number; type: string }]> }) => {
        if (!m.arrivals) return;
        this.worker.off("message", on);
        resolve(new Map(m.arrivals));
      };
      this.worker.on("message", on);
      this.worker.postMessage("arrivals");
    });
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** A WebSocket client that records every message (and when it arrived). */
class Client {
  readonly messages: Msg[] = [];
  readonly arrived = new Map<string, number>();
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (raw) => {
      const m = JSON.parse(raw.toString()) as Msg;
      if (m.seq !== undefined) this.arrived.set(`${m.data.execution_id}:${m.seq}`, performance.now());
      this.messages.push(m);
    });
    this.closed = new Promise((resolve) =>
      ws.on("close", (code, reason) => resolve({ code, reason: reason.toString() })),
    );
  }

  /** Connects; resolves once the server acknowledged the subscription. */
  static async open(url: string, opts: WebSocket.ClientOptions = {}): Promise<Client> {
    const ws = new WebSocket(url, opts);
    const c = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    await c.waitFor(() => c.messages.some((m) => m.type === "subscribed"), "the subscribed acknowledgement");
    return c;
  }

  send(m: unknown): void {
    this.ws.send(JSON.stringify(m));
  }

  events(runId?: string): Msg[] {
    return this.messages.filter((m) => m.seq !== undefined && (runId === undefined || m.data.execution_id === runId));
  }

  async waitFor(pred: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    await until(pred, timeoutMs, what);
  }

  /** Waits until this client holds every stored event of the run (the run must have ended). */
  async waitAll(env: TestEnv, runId: string): Promise<void> {
    await until(
      async () => {
        const last = (await env.store.events.list(runId)).at(-1)?.seq ?? 0;
        return this.events(runId).some((m) => m.seq === last);
      },
      15_000,
      `every event of run ${runId}`,
    );
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }
}

/** Refused upgrades: resolves with the HTTP status. */
function refusedStatus(url: string, opts: WebSocket.ClientOptions = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts);
    ws.once("open", () => {
      ws.close();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
    });
    ws.once("error", () => undefined);
  });
}

function seqs(events: Msg[]): number[] {
  return events.map((m) => m.seq as number);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

async function stored(env: TestEnv, runId: string): Promise<EventRecord[]> {
  return env.store.events.list(runId);
}

/** The client received exactly the stored events of the run (all of them, in order, each once). */
async function expectExactly(env: TestEnv, client: Client, runId: string): Promise<void> {
  const log = await stored(env, runId);
  const got = client.events(runId);
  expect(seqs(got)).toEqual(log.map((e) => e.seq));
  expect(got.map((m) => m.type)).toEqual(log.map((e) => e.type));
}

const STEPS = wf(`
name: events
steps:
  - { id: fetch, command: "echo fetched" }
  - { id: think, needs: fetch, type: noop, output: 42 }
  - { id: ship, needs: think, type: noop }
`);

const SLOW = wf(`
name: slow
steps:
  - { id: a, type: noop }
  - { id: b, needs: a, type: sleep, duration: 300ms }
  - { id: c, needs: b, type: noop }
  - { id: d, needs: c, type: sleep, duration: 300ms }
  - { id: e, needs: d, type: noop }
`);

interface Server {
  env: TestEnv;
  app: FastifyInstance;
  base: string;
  ws(query?: string, opts?: WebSocket.ClientOptions): Promise<Client>;
  run(engine?: Engine, workflow?: typeof STEPS, projectId?: string): Promise<string>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** buildApp (the real server) on a fresh store, listening on loopback. */
async function server(deps: Partial<ServerDeps> = {}, before?: (env: TestEnv) => void): Promise<Server> {
  const env = testEnv();
  before?.(env);
  const app = await buildApp({ engine: env.engine, store: env.store, dataDir: env.dir, ...deps });
  return listening(env, app);
}

/** Only the events plugin, with options buildApp does not pass (timers, limits). */
async function bare(
  opts: Omit<EventsPluginOptions, "deps"> | ((env: TestEnv) => Omit<EventsPluginOptions, "deps">),
): Promise<Server> {
  const env = testEnv();
  const app = Fastify();
  const o = typeof opts === "function" ? opts(env) : opts;
  await app.register(eventsPlugin, { deps: { engine: env.engine, store: env.store }, ...o });
  return listening(env, app);
}

async function listening(env: TestEnv, app: FastifyInstance): Promise<Server> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const addr = app.server.address();
  if (!addr || typeof addr === "string") throw new Error("not listening");
  const base = `http://127.0.0.1:${addr.port}`;
  const clients: Client[] = [];
  cleanups.push(async () => {
    for (const c of clients) c.ws.terminate();
    await app.close();
    await env.cleanup();
  });
  return {
    env,
    app,
    base,
    async ws(query = "", opts = {}) {
      const c = await Client.open(`${base.replace("http", "ws")}/api/ws${query}`, opts);
      clients.push(c);
      return c;
    },
    async run(engine = env.engine, workflow = STEPS, projectId?: string) {
      const { run } = await engine.launch(workflow, projectId ? { projectId } : {});
      await engine.execute(run.id);
      return run.id;
    },
  };
}

interface SseResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: Array<{ id?: string; event?: string; data?: string; comment?: string }>;
  ended: boolean;
}

/** A raw SSE client: collects frames until the server ends the stream (or `stopWhen` holds). */
function sse(
  url: string,
  headers: Record<string, string> = {},
  stopWhen?: (r: SseResult) => boolean,
  timeoutMs = 15_000,
): Promise<SseResult> {
  return new Promise((resolve, reject) => {
    const result: SseResult = { status: 0, headers: {}, frames: [], ended: false };
    const req = http.get(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      result.status = res.statusCode ?? 0;
      result.headers = res.headers;
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf("\n\n"); i >= 0; i = buf.indexOf("\n\n")) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const frame: SseResult["frames"][number] = {};
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) frame.comment = line.slice(1).trim();
            const m = /^(id|event|data): ?(.*)$/.exec(line);
            if (m) frame[m[1] as "id" | "event" | "data"] = m[2];
          }
          result.frames.push(frame);
        }
        if (stopWhen?.(result)) {
          clearTimeout(timer);
          req.destroy();
          resolve(result);
        }
      });
      res.on("end", () => {
        clearTimeout(timer);
        result.ended = true;
        resolve(result);
      });
    });
    req.on("error", (err) => {
      if (!result.ended && result.status === 0) reject(err);
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`SSE stream not ended after ${timeoutMs} ms: ${JSON.stringify(result.frames.slice(-3))}`));
    }, timeoutMs);
  });
}

function sseEvents(r: SseResult) {
  return r.frames.filter((f) => f.id !== undefined);
}

describe("WebSocket /api/ws", () => {
  it("delivers the events of a run executed by this server's engine, in order, with seed 002's names and keys", async () => {
    const s = await server();
    const client = await s.ws();
    const runId = await s.run();
    await client.waitAll(s.env, runId);
    await expectExactly(s.env, client, runId);

    const events = client.events(runId);
    expect(seqs(events)).toEqual(range(1, events.length));
    const types = new Set(events.map((m) => m.type));
    for (const t of [
      "workflow.execution.created",
      "workflow.execution.status_changed",
      "workflow.step.started",
      "workflow.step.completed",
    ])
      expect(types).toContain(t);
    for (const m of events) {
      expect(Object.keys(m).sort()).toEqual(["at", "data", "seq", "type"]);
      expect(m.data.execution_id).toBe(runId);
      expect(m.data.project_id).toBe("default");
      expect(m.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    const started = events.find((m) => m.type === "workflow.step.started");
    expect(started?.data).toMatchObject({ execution_id: runId, step_id: "fetch", step_name: expect.any(String) });
    expect(started?.data).toHaveProperty("phase");
    const completed = events.filter((m) => m.type === "workflow.step.completed");
    expect(completed.map((m) => m.data.step_id)).toEqual(["fetch", "think", "ship"]);
    expect(completed[0]?.data).toMatchObject({
      execution_id: runId,
      step_id: "fetch",
      status: "completed",
      project_id: "default",
    });
    // Our extra fields are kept.
    expect(completed[0]?.data).toHaveProperty("duration_ms");
    expect(completed[0]?.data).toHaveProperty("attempt", 1);
    const last = events.filter((m) => m.type === "workflow.execution.status_changed").at(-1);
    expect(last?.data).toMatchObject({ execution_id: runId, status: "completed", project_id: "default" });
    // The wire JSON matches the record's payload one to one.
    const log = await stored(s.env, runId);
    expect(events[3]?.data).toEqual({ execution_id: runId, ...log[3]?.data, project_id: "default" });
    expect(events[3]?.at).toBe(new Date(log[3]?.at ?? 0).toISOString());
  });

  it("delivers the events of runs executed by another engine on the same database (another process)", async () => {
    const s = await server();
    const client = await s.ws();
    const other = s.env.other();
    const a = await s.run(other);
    const b = await s.run(other, SLOW);
    await client.waitAll(s.env, a);
    await client.waitAll(s.env, b);
    await expectExactly(s.env, client, a);
    await expectExactly(s.env, client, b);
    // Driven there, not here.
    const lease = (await stored(s.env, b)).find((e) => e.type === "workflow.execution.lease_acquired");
    expect(lease?.data).toMatchObject({ owner_id: other.owner.id });
    expect(other.owner.id).not.toBe(s.env.engine.owner.id);
  });

  it("delivers the events of a run executed by a real `weft run` child process", async () => {
    const s = await server();
    const client = await s.ws("?project_id=default");
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, "bin", "weft.js"),
        "run",
        join(repoRoot, "test/fixtures/cli/quick.yaml"),
        "--data-dir",
        s.env.dir,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += String(d);
    });
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code, stderr).toBe(0);
    await client.waitFor(
      () =>
        client.events().some((m) => m.type === "workflow.execution.status_changed" && m.data.status === "completed"),
      "the child's run to complete",
    );
    const runId = client.events()[0]?.data.execution_id as string;
    await client.waitAll(s.env, runId);
    await expectExactly(s.env, client, runId);
    expect(client.events(runId)[0]?.type).toBe("workflow.execution.created");
  });

  it("filters by run and by project, from the query and from a subscribe message", async () => {
    const s = await server();
    const { run: pending } = await s.env.engine.launch(SLOW, { projectId: "beta" });
    const byProject = await s.ws("?project_id=alpha");
    const byRun = await s.ws(`?run_id=${pending.id}`);
    const both = await s.ws(`?run_id=${pending.id}&project_id=alpha`);
    const switcher = await s.ws("?project_id=nothing-here");
    switcher.send({ type: "subscribe", project_id: ["beta"] });
    await switcher.waitFor(() => switcher.messages.filter((m) => m.type === "subscribed").length === 2, "re-subscribe");
    expect(switcher.messages.at(-1)).toEqual({
      type: "subscribed",
      data: { run_id: null, project_id: ["beta"], after: {} },
    });

    const alphaRun = await s.run(s.env.engine, STEPS, "alpha");
    await s.env.engine.execute(pending.id);
    const otherBeta = await s.run(s.env.other(), STEPS, "beta");
    await byProject.waitAll(s.env, alphaRun);
    await byRun.waitAll(s.env, pending.id);
    await switcher.waitAll(s.env, otherBeta);
    await switcher.waitFor(() => switcher.events(pending.id).some((m) => m.data.status === "completed"), "beta run");

    expect(new Set(byProject.events().map((m) => m.data.execution_id))).toEqual(new Set([alphaRun]));
    await expectExactly(s.env, byProject, alphaRun);
    expect(byProject.events().every((m) => m.data.project_id === "alpha")).toBe(true);

    // Subscribed before the run started: everything from then on, contiguous (its creation was earlier: it
    // comes too when the server's poll saw the new run after this client subscribed).
    expect(new Set(byRun.events().map((m) => m.data.execution_id))).toEqual(new Set([pending.id]));
    const log = await stored(s.env, pending.id);
    const from = byRun.events()[0]?.seq as number;
    expect(from).toBeLessThanOrEqual(2);
    expect(seqs(byRun.events())).toEqual(range(from, log.length));

    // run AND project: the run is in beta, so nothing.
    expect(both.events()).toEqual([]);
    expect(new Set(switcher.events().map((m) => m.data.project_id))).toEqual(new Set(["beta"]));
    await expectExactly(s.env, switcher, otherBeta);
  });

  it("resumes a client that reconnects with its last seq: the missed events first, in order, then live — no gaps, no duplicates", async () => {
    const s = await server();
    const { run } = await s.env.engine.launch(SLOW);
    const url = (q: string) => `${s.base.replace("http", "ws")}/api/ws${q}`;
    const first = await s.ws(`?run_id=${run.id}&after_seq=0`);
    const done = s.env.engine.execute(run.id);
    // Disconnect on purpose mid-run, after the first step completed.
    await first.waitFor(() => first.events().some((m) => m.type === "workflow.step.completed"), "step a");
    await first.close();
    const seen = first.events();
    const lastSeq = seen.at(-1)?.seq as number;
    // Let events happen while disconnected.
    await until(async () => ((await stored(s.env, run.id)).at(-1)?.seq ?? 0) > lastSeq + 1, 5_000, "missed events");

    // Reconnect with a subscribe message carrying `after`, while the run still goes. (Connected first with a
    // filter that matches nothing: `after` sets the cursor, whatever the socket received before.)
    const second = await Client.open(url("?project_id=none"));
    second.send({ type: "subscribe", run_id: run.id, after: { [run.id]: lastSeq } });
    await done;
    await second.waitAll(s.env, run.id);
    const resumed = second.events(run.id);
    expect(seqs(resumed)[0]).toBe(lastSeq + 1);
    const log = await stored(s.env, run.id);
    expect([...seqs(seen), ...seqs(resumed)]).toEqual(log.map((e) => e.seq));
    expect([...seen, ...resumed].map((m) => m.type)).toEqual(log.map((e) => e.type));
    second.ws.terminate();

    // After the end, `?after_seq=` replays the rest from the store.
    const third = await s.ws(`?run_id=${run.id}&after_seq=${lastSeq}`);
    await third.waitAll(s.env, run.id);
    expect(seqs(third.events())).toEqual(range(lastSeq + 1, log.length));
    // From 0: the whole history.
    const fourth = await s.ws(`?run_id=${run.id}&after_seq=0`);
    await fourth.waitAll(s.env, run.id);
    await expectExactly(s.env, fourth, run.id);
  });

  it("resumes several runs at once with after: { runId: seq } while another process drives them", async () => {
    const s = await server();
    const other = s.env.other();
    const first = await s.ws(`?project_id=default`);
    const runs = await Promise.all([1, 2, 3].map(() => other.launch(SLOW)));
    const ids = runs.map((r) => r.run.id);
    const done = Promise.all(ids.map((id) => other.execute(id)));
    await first.waitFor(() => ids.every((id) => first.events(id).length >= 3), "a few events of each run");
    first.ws.terminate();
    await first.closed;
    const after = Object.fromEntries(ids.map((id) => [id, first.events(id).at(-1)?.seq as number]));
    await new Promise((r) => setTimeout(r, 150));
    const second = await s.ws("?project_id=none");
    second.send({ type: "subscribe", project_id: "default", after });
    await done;
    for (const id of ids) {
      await second.waitAll(s.env, id);
      const log = await stored(s.env, id);
      const got = seqs(second.events(id));
      expect(got).toEqual(range((after[id] as number) + 1, log.length));
      expect([...seqs(first.events(id)), ...got]).toEqual(log.map((e) => e.seq));
    }
  });

  it("reconnecting again and again with after: every event of every run exactly once, in order", async () => {
    const s = await server();
    const other = s.env.other();
    // The recipe of docs/api.md: connect with the filter, send it again with `after`, take only the next seq.
    const url = `${s.base.replace("http", "ws")}/api/ws?project_id=default`;
    // Like a UI: list the runs (here: launch them), then follow them from seq 0, resuming after each drop.
    const engines = [s.env.engine, other, s.env.engine, other];
    const launched = await Promise.all(engines.map(async (engine) => (await engine.launch(SLOW)).run.id));
    const last: Record<string, number> = Object.fromEntries(launched.map((id) => [id, 0]));
    const got = new Map<string, number[]>();
    let connections = 0;
    const first = await Client.open(url);
    first.send({ type: "subscribe", project_id: "default", after: { ...last } });
    let current = first;
    const record = (c: Client, from: number) => {
      for (const m of c.messages.slice(from)) {
        if (m.seq === undefined) continue;
        const id = m.data.execution_id as string;
        if (id in last && m.seq !== (last[id] as number) + 1) continue;
        got.set(id, [...(got.get(id) ?? []), m.seq]);
        last[id] = m.seq;
      }
    };
    const runs = Promise.all(
      launched.map(async (id, i) => {
        await new Promise((r) => setTimeout(r, i * 80));
        await engines[i]?.execute(id);
      }),
    );
    let finished = false;
    void runs.then(() => {
      finished = true;
    });
    while (!finished || connections < 6) {
      await new Promise((r) => setTimeout(r, 40 + Math.floor(Math.random() * 120)));
      current.ws.terminate();
      await current.closed;
      record(current, 0);
      current = await Client.open(url);
      connections++;
      current.send({ type: "subscribe", project_id: "default", after: { ...last } });
    }
    await runs;
    await current.waitFor(() => current.messages.filter((m) => m.type === "subscribed").length === 2, "resubscribed");
    const latest = (id: string) => Math.max(last[id] ?? 0, ...seqs(current.events(id)));
    for (const id of launched) {
      const end = (await stored(s.env, id)).at(-1)?.seq;
      await current.waitFor(() => latest(id) === end, `the end of run ${id}`);
    }
    record(current, 0);
    current.ws.terminate();
    for (const id of launched) {
      const log = await stored(s.env, id);
      expect(got.get(id), `run ${id}`).toEqual(log.map((e) => e.seq));
    }
  });

  it("delivers what routes publish to the feed at once, even for a finished run it no longer tracks", async () => {
    let feed: EventFeed | undefined;
    const s = await bare((env) => {
      feed = new EventFeed({ store: env.store, engine: env.engine, pollMs: 20, retainMs: 0, newRunWindowMs: 0 });
      return { feed };
    });
    const runId = await s.run();
    await until(() => feed?.tracked === 0, 5_000, "the finished run dropped by the feed");
    const c = await s.ws("?project_id=default");
    const { event } = await s.env.store.comments.create({
      id: "c1",
      runId,
      stepKey: null,
      text: "late",
      commentType: "user",
      createdBy: null,
      now: Date.now(),
    });
    feed?.publish(event);
    await c.waitFor(() => c.events(runId).length === 1, "the comment");
    expect(c.events(runId)[0]).toMatchObject({
      type: "workflow.comment.created",
      seq: event.seq,
      data: { execution_id: runId, comment_id: "c1", text: "late", project_id: "default" },
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(c.events(runId).length).toBe(1);
  });

  it("checks Origin before the upgrade: none, same-origin and allowed origins pass; others get 403", async () => {
    const s = await server({ allowedOrigins: ["http://localhost:5173"] });
    const url = `${s.base.replace("http", "ws")}/api/ws`;
    expect(await refusedStatus(url, { origin: "http://evil.example" })).toBe(403);
    expect(await refusedStatus(url, { origin: "null" })).toBe(403);
    expect(await refusedStatus(url, { origin: "http://127.0.0.1:1" })).toBe(403);
    expect(await refusedStatus(url, { origin: "https://localhost:5173" })).toBe(403);
    // A complete upgrade request from a plain HTTP client (fetch refuses a `connection` header): refused with the
    // envelope, never switched to a WebSocket.
    const raw = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${s.base}/api/ws`, {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
          "sec-websocket-version": "13",
          origin: "http://evil.example",
        },
      });
      req.on("upgrade", (_res, socket) => {
        socket.destroy();
        reject(new Error("switched protocols (101) for a foreign origin"));
      });
      req.on("response", (res) => {
        let text = "";
        res.on("data", (c: Buffer) => {
          text += c.toString();
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(raw.status).toBe(403);
    expect(JSON.parse(raw.body).error).toMatchObject({
      code: "WEFT_UNAUTHORIZED",
      message: expect.stringMatching(/origin/),
    });

    const none = await s.ws();
    const same = await s.ws("", { origin: s.base });
    const allowed = await s.ws("", { origin: "http://localhost:5173" });
    for (const c of [none, same, allowed]) expect(c.ws.readyState).toBe(WebSocket.OPEN);

    expect(originAllowed(undefined, "h:1")).toBe(true);
    expect(originAllowed("https://h:1", "h:1")).toBe(true);
    expect(originAllowed("http://H:1/", "h:1")).toBe(true);
    expect(originAllowed("http://h:2", "h:1")).toBe(false);
    expect(originAllowed("http://a.example", "h:1", ["http://a.example"])).toBe(true);
  });

  it("refuses bad queries before the upgrade and answers bad messages with an error message", async () => {
    const s = await server();
    const url = `${s.base.replace("http", "ws")}/api/ws`;
    expect(await refusedStatus(`${url}?after_seq=3`)).toBe(400);
    expect(await refusedStatus(`${url}?run_id=a&run_id=b&after_seq=3`)).toBe(400);
    expect(await refusedStatus(`${url}?run_id=x&after_seq=-1`)).toBe(400);
    expect(await refusedStatus(`${url}?run_id=no-such-run`)).toBe(404);
    const plain = await fetch(`${s.base}/api/ws`);
    expect(plain.status).toBe(426);

    const c = await s.ws();
    c.send("not json");
    c.ws.send("{");
    c.send({ type: "dance" });
    c.send({ type: "subscribe", after: { x: -2 } });
    c.send({ type: "subscribe", run_id: "no-such-run" });
    c.send({ type: "ping" });
    await c.waitFor(() => c.messages.some((m) => m.type === "pong"), "pong");
    const errors = c.messages.filter((m) => m.type === "error");
    expect(errors.length).toBe(5);
    expect(errors.slice(0, 4).every((m) => m.data.code === "WEFT_BAD_REQUEST")).toBe(true);
    expect(errors[4]?.data).toMatchObject({ code: "WEFT_NOT_FOUND" });
    expect(c.messages.filter((m) => m.type === "subscribed").at(-1)?.data).toEqual({
      run_id: [],
      project_id: null,
      after: {},
    });
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    // unsubscribe: nothing more arrives.
    c.send({ type: "unsubscribe" });
    await c.waitFor(() => c.messages.filter((m) => m.type === "subscribed").length === 3, "unsubscribed");
    await s.run();
    await new Promise((r) => setTimeout(r, 200));
    expect(c.events()).toEqual([]);
  });

  it("fans out to 50 clients at once: every client receives every event of every run", async () => {
    const s = await server();
    const clients = await Promise.all(Array.from({ length: 50 }, (_, i) => s.ws(i % 2 ? "" : "?project_id=default")));
    const other = s.env.other();
    const ids = await Promise.all([
      s.run(),
      s.run(s.env.engine, SLOW),
      s.run(other),
      s.run(other, SLOW),
      s.run(s.env.engine),
    ]);
    for (const c of clients) for (const id of ids) await c.waitAll(s.env, id);
    for (const c of clients) for (const id of ids) await expectExactly(s.env, c, id);
  });

  it("measures event latency from a step's completion commit to the client (printed, not asserted)", async () => {
    // Recorded by a listener that runs before the server's own: the moment the engine publishes the commit.
    const published = new Map<string, number>();
    const s = await server({}, (env) =>
      env.engine.subscribe((e) => {
        if (e.type === "workflow.step.completed") published.set(`${e.runId}:${e.seq}`, now());
      }),
    );
    // The client lives in a worker thread: in the server's own event loop it would measure that loop's
    // backlog (the engine running steps back to back), not the delivery.
    const probe = await LatencyProbe.open(`${s.base.replace("http", "ws")}/api/ws`);
    cleanups.push(() => probe.close());
    const chain = wf(
      `name: chain\nsteps:\n${Array.from({ length: 200 }, (_, i) => `  - { id: s${i}, type: noop${i ? `, needs: s${i - 1}` : ""} }`).join("\n")}\n`,
    );
    const runIds = [await s.run(s.env.engine, chain), await s.run(s.env.engine, chain)];
    // Another process's events: from the commit time (`at`) to the client, through the 100 ms poll.
    const other = s.env.other();
    const remoteRun = await s.run(other, chain);
    const expected = published.size + 200;
    let arrivals = await probe.arrivals();
    await until(
      async () => {
        arrivals = await probe.arrivals();
        return [...arrivals.values()].filter((a) => a.type === "workflow.step.completed").length >= expected;
      },
      15_000,
      "every step.completed at the probe",
    );
    const local: number[] = [];
    const localFromAt: number[] = [];
    for (const [k, t] of published) {
      const got = arrivals.get(k);
      if (got === undefined) continue;
      local.push(got.t - t);
      localFromAt.push(got.t - got.at);
    }
    const remote: number[] = [];
    for (const [k, a] of arrivals)
      if (k.startsWith(`${remoteRun}:`) && a.type === "workflow.step.completed") remote.push(a.t - a.at);
    const pct = (xs: number[], p: number) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
    };
    const fmt = (xs: number[]) =>
      `p50 ${pct(xs, 50).toFixed(2)} ms, p99 ${pct(xs, 99).toFixed(2)} ms, max ${pct(xs, 100).toFixed(2)} ms (n=${xs.length})`;
    console.log(`event latency, engine publish (after commit) → WebSocket client, this process: ${fmt(local)}`);
    console.log(`event latency, step commit (at, ms clock) → WebSocket client, this process: ${fmt(localFromAt)}`);
    console.log(`event latency, step commit (at) → WebSocket client, another process (poll 100 ms): ${fmt(remote)}`);
    expect(local.length).toBe(runIds.length * 200);
    expect(remote.length).toBe(200);
  });

  it("drops clients that stop answering pings, and closes slow consumers with 4008", async () => {
    // The heartbeat interval is faked and stepped by hand: a loaded machine cannot make the healthy client
    // miss a window. Each step waits for the ping to arrive and for the server to have read the pong.
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    try {
      const s = await bare({ heartbeatMs: 200 });
      const deaf = await s.ws("", { autoPong: false });
      const healthy = await s.ws();
      let pings = 0;
      healthy.ws.on("ping", () => pings++);
      const beat = async () => {
        const before = pings;
        await vi.advanceTimersByTimeAsync(200);
        await healthy.waitFor(() => pings > before, "a ping");
        // The server reads a socket in order: once it answers this, it has read the pong sent before it.
        const pongs = healthy.messages.filter((m) => m.type === "pong").length;
        healthy.send({ type: "ping" });
        await healthy.waitFor(() => healthy.messages.filter((m) => m.type === "pong").length > pongs, "the answer");
      };
      await beat(); // both pinged; only the healthy one answers
      await beat(); // the deaf one is dropped
      expect((await deaf.closed).code).toBe(1006);
      await beat();
      expect(healthy.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      vi.useRealTimers();
    }

    // A socket whose buffer only grows: the sink closes it with 4008 and a reason past the limit.
    const fake = {
      bufferedAmount: 0,
      readyState: 1,
      sent: 0,
      closedWith: undefined as undefined | [number, string],
      send(text: string) {
        this.sent++;
        this.bufferedAmount += text.length;
      },
      close(code: number, reason: string) {
        this.closedWith = [code, reason];
      },
      terminate() {},
    };
    const sink = new WsSink(fake as unknown as WebSocket, 1000);
    const line = "x".repeat(300);
    for (let i = 0; i < 10; i++) sink.send(line);
    expect(fake.sent).toBe(4);
    expect(fake.closedWith?.[0]).toBe(CLOSE_SLOW_CONSUMER);
    expect(fake.closedWith?.[1]).toMatch(/slow consumer/);
    expect(sink.closed).toBe(true);
  });

  it("closes every connection when the server closes, without hanging", async () => {
    const env = testEnv();
    const app = await buildApp({ engine: env.engine, store: env.store, dataDir: env.dir });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const addr = app.server.address();
    if (!addr || typeof addr === "string") throw new Error("not listening");
    const base = `http://127.0.0.1:${addr.port}`;
    const { run } = await env.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: sleep, duration: 1h }\n"));
    const running = env.engine.execute(run.id).catch(() => undefined);
    const c = await Client.open(`${base.replace("http", "ws")}/api/ws?run_id=${run.id}&after_seq=0`);
    const stream = sse(`${base}/api/workflow-executions/${run.id}/events`, {}, undefined, 10_000).catch(
      () => undefined,
    );
    await c.waitFor(() => c.events().some((m) => m.type === "workflow.step.waiting"), "the sleep");
    const waiting = c.events().find((m) => m.type === "workflow.step.waiting");
    expect(waiting?.data).toMatchObject({ step_id: "a", reason: "timer", until: expect.stringMatching(/Z$/) });
    await new Promise((r) => setTimeout(r, 50));
    const t0 = Date.now();
    await app.close();
    expect(Date.now() - t0).toBeLessThan(3_000);
    expect((await c.closed).code).toBe(1001);
    await stream;
    await env.engine.close();
    await running;
    await env.cleanup();
  });
});

describe("SSE /api/workflow-executions/:id/events", () => {
  it("streams a run live from its start and ends after its final status", async () => {
    const s = await server();
    const { run } = await s.env.engine.launch(SLOW);
    const stream = sse(`${s.base}/api/workflow-executions/${run.id}/events`);
    await new Promise((r) => setTimeout(r, 50));
    await s.env.engine.execute(run.id);
    const r = await stream;
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toMatch(/^text\/event-stream/);
    expect(r.ended).toBe(true);
    const log = await stored(s.env, run.id);
    const events = sseEvents(r);
    expect(events.map((f) => Number(f.id))).toEqual(log.map((e) => e.seq));
    expect(events.map((f) => f.event)).toEqual(log.map((e) => e.type));
    const payload = JSON.parse(events.at(-1)?.data ?? "{}") as Msg;
    expect(payload).toMatchObject({ type: "workflow.execution.status_changed", seq: log.length });
    expect(payload.data).toMatchObject({ execution_id: run.id, status: "completed", project_id: "default" });
    expect(r.frames.at(-1)).toMatchObject({ event: "end" });
    expect(JSON.parse(r.frames.at(-1)?.data ?? "{}")).toEqual({ execution_id: run.id, status: "completed" });
  });

  it("resumes after Last-Event-ID (or ?after_seq=), and answers 204 when nothing is left of a finished run", async () => {
    const s = await server();
    const runId = await s.run(s.env.other());
    const log = await stored(s.env, runId);
    const url = `${s.base}/api/workflow-executions/${runId}/events`;

    const resumed = await sse(url, { "last-event-id": "3" });
    expect(sseEvents(resumed).map((f) => Number(f.id))).toEqual(range(4, log.length));
    expect(resumed.frames.at(-1)?.event).toBe("end");

    const byQuery = await sse(`${url}?after_seq=5`);
    expect(sseEvents(byQuery).map((f) => Number(f.id))).toEqual(range(6, log.length));
    // The header wins over the query (it is where the client's own stream stopped).
    const both = await sse(`${url}?after_seq=1`, { "last-event-id": "6" });
    expect(sseEvents(both).map((f) => Number(f.id))).toEqual(range(7, log.length));

    const whole = await sse(url);
    expect(sseEvents(whole).map((f) => Number(f.id))).toEqual(range(1, log.length));

    const nothingLeft = await sse(url, { "last-event-id": String(log.length) });
    expect(nothingLeft.status).toBe(204);
    expect(nothingLeft.frames).toEqual([]);

    expect((await fetch(url, { headers: { "last-event-id": "abc" } })).status).toBe(400);
  });

  it("resumes a live stream mid-run with Last-Event-ID without gaps or duplicates", async () => {
    const s = await server();
    const { run } = await s.env.engine.launch(SLOW);
    const url = `${s.base}/api/workflow-executions/${run.id}/events`;
    const done = s.env.engine.execute(run.id);
    const part = await sse(url, {}, (r) => sseEvents(r).some((f) => f.event === "workflow.step.completed"));
    const lastId = sseEvents(part).at(-1)?.id as string;
    const rest = await sse(url, { "last-event-id": lastId });
    await done;
    const log = await stored(s.env, run.id);
    expect([...sseEvents(part), ...sseEvents(rest)].map((f) => Number(f.id))).toEqual(log.map((e) => e.seq));
  });

  it("answers 404 for an unknown run", async () => {
    const s = await server();
    const res = await fetch(`${s.base}/api/workflow-executions/no-such-run/events`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: "WEFT_NOT_FOUND" } });
  });

  it("sends keep-alive comments while a run is idle", async () => {
    const s = await bare({ sseKeepAliveMs: 50 });
    const { run } = await s.env.engine.launch(wf("name: t\nsteps:\n  - { id: a, type: sleep, duration: 1h }\n"));
    const r = await sse(
      `${s.base}/api/workflow-executions/${run.id}/events`,
      {},
      (x) => x.frames.filter((f) => f.comment === "keep-alive").length >= 2,
    );
    expect(sseEvents(r).map((f) => f.event)).toEqual(["workflow.execution.created"]);
  });
});

describe("Sequencer", () => {
  const rec = (seq: number, runId = "r"): EventRecord =>
    ({ type: "workflow.step.progress", data: {}, runId, seq, at: seq }) as unknown as EventRecord;
  const fakeLog = (n: number) => {
    const log = range(1, n).map((i) => rec(i));
    return async (_runId: string, after: number, limit: number) => log.filter((e) => e.seq > after).slice(0, limit);
  };

  it("delivers each seq once, in order, reading gaps back from the store", async () => {
    const got: number[] = [];
    const log = range(1, 6).map((i) => rec(i));
    const read = async (_runId: string, after: number, limit: number) =>
      log.filter((e) => e.seq > after).slice(0, limit);
    const seq = new Sequencer({ read, deliver: (e) => got.push(e.seq), pageSize: 3 });
    await seq.init("r", 0);
    seq.offer(rec(1));
    seq.offer(rec(2));
    seq.offer(rec(2));
    seq.offer(rec(5)); // a gap: 3 and 4 were committed elsewhere
    seq.offer(rec(4));
    seq.offer(rec(6));
    await until(() => got.length >= 6, 2_000, "the gap read back");
    seq.offer(rec(3));
    log.push(rec(7));
    seq.offer(rec(7));
    seq.offer(rec(1, "unknown-run"));
    expect(got).toEqual([1, 2, 3, 4, 5, 6, 7]);
    // A cursor set back (a client resuming from 2) reads the rest again, paged.
    const again: number[] = [];
    const s2 = new Sequencer({ read: fakeLog(10), deliver: (e) => again.push(e.seq), pageSize: 3 });
    await s2.init("r", 2, true);
    expect(again).toEqual(range(3, 10));
  });

  it("pauses a read-back while the consumer is busy, and holds live events behind it", async () => {
    const got: number[] = [];
    let busy = false;
    let release: () => void = () => undefined;
    const seq = new Sequencer({
      read: fakeLog(9),
      deliver: (e) => {
        got.push(e.seq);
        busy = e.seq === 3;
      },
      busy: () => busy,
      ready: () =>
        new Promise<void>((r) => {
          release = () => {
            busy = false;
            r();
          };
        }),
    });
    const done = seq.init("r", 0, true);
    await until(() => got.length === 3, 2_000, "the first page");
    seq.offer(rec(9, "r"));
    expect(got).toEqual([1, 2, 3]);
    release();
    await done;
    expect(got).toEqual(range(1, 9));
  });
});
