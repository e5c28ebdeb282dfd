/**
 * A server over a fresh data directory and engine: `app.inject()` for route tests, `listen()` for a real
 * client. Responses are checked against their documented schemas (`validateResponses`).
 */
import { connect } from "node:net";
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
import type { EngineOptions } from "../../src/engine/engine.js";
import type { ServerDeps } from "../../src/server/app.js";
import { buildApp } from "../../src/server/app.js";
import { createBackground } from "../../src/server/background.js";
import { type TestEnv, testEnv, until } from "../helpers/engine.js";

export interface ServerEnv {
  env: TestEnv;
  app: FastifyInstance;
  /** Starts listening on a free loopback port; resolves with `http://127.0.0.1:<port>`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/** `engine`: options of the test engine (providers, functions…). `deps` may be made from the test env (its store). */
export async function serverEnv(
  deps: Partial<ServerDeps> | ((env: TestEnv) => Partial<ServerDeps>) = {},
  engine: Partial<EngineOptions> = {},
): Promise<ServerEnv> {
  const env = testEnv(engine);
  const background = createBackground({ engine: env.engine });
  const app = await buildApp({
    engine: env.engine,
    store: env.store,
    dataDir: env.dir,
    validateResponses: true,
    background,
    ...(typeof deps === "function" ? deps(env) : deps),
  });
  return {
    env,
    app,
    async listen() {
      await app.listen({ port: 0, host: "127.0.0.1" });
      const addr = app.server.address();
      if (!addr || typeof addr === "string") throw new Error("not listening");
      return `http://127.0.0.1:${addr.port}`;
    },
    async close() {
      background.stop();
      await app.close();
      // Executions still starting would otherwise register after the engine closed and poll a closed store.
      await background.shutdown();
      await env.cleanup();
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: test responses are read loosely.
export type Json = any;

export function body(res: LightMyRequestResponse): Json {
  return res.json();
}

/** POST /api/workflow-executions with an inline workflow. */
export function launch(app: FastifyInstance, source: string, extra: Record<string, unknown> = {}) {
  return app.inject({ method: "POST", url: "/api/workflow-executions", payload: { workflow: { source }, ...extra } });
}

/** Launches and returns the new run's id (fails the test unless 201). */
export async function launchId(app: FastifyInstance, source: string, extra: Record<string, unknown> = {}) {
  const res = await launch(app, source, extra);
  if (res.statusCode !== 201) throw new Error(`launch answered ${res.statusCode}: ${res.body}`);
  return body(res).data.id as string;
}

export async function getRun(app: FastifyInstance, id: string): Promise<Json> {
  const res = await app.inject({ url: `/api/workflow-executions/${id}` });
  if (res.statusCode !== 200) throw new Error(`GET run answered ${res.statusCode}: ${res.body}`);
  return body(res).data;
}

/** Polls the run's detail until `pred` holds; resolves with that detail. */
export async function waitRun(
  app: FastifyInstance,
  id: string,
  pred: (run: Json) => boolean,
  what = "the run",
  timeoutMs = 15_000,
): Promise<Json> {
  let last: Json;
  await until(
    async () => {
      last = await getRun(app, id);
      return pred(last);
    },
    timeoutMs,
    what,
  );
  return last;
}

export const waitStatus = (app: FastifyInstance, id: string, status: string, timeoutMs?: number) =>
  waitRun(app, id, (r) => r.status === status, `status ${status}`, timeoutMs);

export const stepOf = (run: Json, key: string): Json => run.steps.find((s: Json) => s.key === key);

/** The error body's shape, whatever the status: `{ error: { code, message } }` and nothing else on top. */
export function expectError(
  res: LightMyRequestResponse | { status: number; json: Json },
  status: number,
  code?: string,
) {
  const got = "statusCode" in res ? { status: res.statusCode, json: res.json() } : res;
  if (got.status !== status) throw new Error(`expected ${status}, got ${got.status}: ${JSON.stringify(got.json)}`);
  const e = got.json?.error;
  if (!e || typeof e.code !== "string" || typeof e.message !== "string" || e.message.length === 0) {
    throw new Error(`not an error body: ${JSON.stringify(got.json)}`);
  }
  if (code !== undefined && e.code !== code) throw new Error(`expected code ${code}, got ${e.code}: ${e.message}`);
  return e as { code: string; message: string; issues?: Json[]; fields?: Json[] };
}

export const SLEEPY = `name: sleepy
steps:
  - id: a
    command: sleep 0.4
  - id: b
    needs: a
    command: sleep 0.4
  - id: c
    needs: b
    type: noop
`;

export const QUICK = `name: quick
phases: [build, ship]
steps:
  - id: hello
    phase: build
    command: echo hello
  - id: bye
    phase: ship
    needs: hello
    type: noop
`;

export const APPROVAL = `name: gated
steps:
  - id: build
    command: echo built
  - id: review
    needs: build
    type: approval
    message: ship it?
  - id: ship
    needs: review
    command: echo shipped
`;

/** An agent (the offline mock provider: tokens counted, price 0), then a person's approval, then a branch. */
export const REVIEWED = `name: reviewed
phases: [draft, review, ship]
steps:
  - id: draft
    phase: draft
    type: agent
    agent: writer
    prompt: Write a haiku about durable workflows.
  - id: review
    phase: review
    needs: draft
    type: approval
    message: "Publish {{ steps.draft.output.text || 'it' }}?"
  - id: ship
    phase: ship
    needs: review
    command: echo shipped
  - id: cleanup
    needs:
      - step: ship
        on: failure
    type: noop
    optional: true
`;

/**
 * One request over a raw TCP socket: `head` (request line and headers, `\r\n\r\n` included), then `bodyBytes`
 * bytes of body written as fast as the socket takes them. With `holdReads`, nothing is read until the whole
 * body is written (or writing failed): the answer waits in the kernel, as it does for a client busy sending.
 * Resolves with what came back, parsed (the body as JSON when it is), once the server closed the connection.
 */
export function rawExchange(
  base: string,
  head: string,
  opts: { bodyBytes?: number; holdReads?: boolean } = {},
): Promise<{ status: number; headers: string; text: string; json: Json; writeError?: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    let writeError: string | undefined;
    if (opts.holdReads) socket.pause();
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", (err: NodeJS.ErrnoException) => {
      writeError ??= err.code ?? err.message;
      socket.resume();
    });
    socket.on("close", () => {
      const all = Buffer.concat(chunks).toString("utf8");
      const end = all.indexOf("\r\n\r\n");
      const m = /^HTTP\/1\.1 (\d{3})/.exec(all);
      if (!m || end === -1) {
        reject(new Error(`no HTTP response (${writeError ?? "closed"}): ${JSON.stringify(all.slice(0, 200))}`));
        return;
      }
      const text = all.slice(end + 4);
      let json: Json;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      resolve({ status: Number(m[1]), headers: all.slice(0, end), text, json, ...(writeError ? { writeError } : {}) });
    });
    socket.write(head);
    let left = opts.bodyBytes ?? 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const pump = (): void => {
      while (left > 0 && !socket.destroyed) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!socket.write(chunk.subarray(0, n))) {
          socket.once("drain", pump);
          return;
        }
      }
      socket.end(() => socket.resume());
    };
    pump();
  });
}

/** A real HTTP client of a listening server (`fetch`), optionally with a bearer token per call. */
export function httpClient(base: string) {
  const call = async (method: string, path: string, payload?: unknown, token?: string) => {
    const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
    if (payload !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
    });
    return { status: res.status, json: (await res.json()) as Json };
  };
  /** The `data` of a 2xx answer; anything else throws with the body. */
  const ok = async (method: string, path: string, payload?: unknown, token?: string): Promise<Json> => {
    const r = await call(method, path, payload, token);
    if (r.status >= 300) throw new Error(`${method} ${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
    return r.json.data;
  };
  /** Polls the run's detail until `pred` holds; resolves with that detail. */
  const waitFor = async (id: string, pred: (run: Json) => boolean, what: string, token?: string) => {
    let last: Json;
    await until(
      async () => {
        last = await ok("GET", `/api/workflow-executions/${id}`, undefined, token);
        return pred(last);
      },
      20_000,
      what,
    );
    return last;
  };
  return { call, ok, waitFor };
}
