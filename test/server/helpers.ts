/**
 * A server over a fresh data directory and engine: `app.inject()` for route tests, `listen()` for a real
 * client. Responses are checked against their documented schemas (`validateResponses`).
 */
import type { FastifyInstance, LightMyRequestResponse } from "fastify";
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

export async function serverEnv(deps: Partial<ServerDeps> = {}): Promise<ServerEnv> {
  const env = testEnv();
  const background = createBackground({ engine: env.engine });
  const app = await buildApp({
    engine: env.engine,
    store: env.store,
    dataDir: env.dir,
    validateResponses: true,
    background,
    ...deps,
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
