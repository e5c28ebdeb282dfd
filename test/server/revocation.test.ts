/**
 * Revoking a token ends the streams it opened (src/server/revocation.ts): the WebSocket closes with 4401, the
 * run's SSE stream and a followed step log end — revoked by a real `weft token revoke` process on the same
 * data directory, while the server runs. Another token's stream stays open and keeps receiving.
 */
import { randomUUID } from "node:crypto";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { tokenHash } from "../../src/server/access.js";
import { CLOSE_TOKEN_REVOKED } from "../../src/server/events/index.js";
import type { TokenScope } from "../../src/store/store.js";
import { cleanUpAfterTests, weftIn } from "../cli/helpers.js";
import { until } from "../helpers/engine.js";
import { APPROVAL, type Json, type ServerEnv, serverEnv } from "./helpers.js";

cleanUpAfterTests();

let s: ServerEnv;
let base: string;
beforeAll(async () => {
  s = await serverEnv();
  base = await s.listen();
});
afterAll(async () => {
  await s?.close();
});

async function makeToken(name: string, scopes: TokenScope[]): Promise<{ id: string; secret: string }> {
  const secret = `weft_${randomUUID()}`;
  const id = randomUUID();
  await s.env.store.tokens.create({ id, name, hash: tokenHash(secret), scopes, now: Date.now() });
  return { id, secret };
}

/** A WebSocket on one run: its messages, and how it closed. */
function openWs(query: string) {
  const ws = new WebSocket(`${base.replace("http", "ws")}/api/ws${query}`);
  const conn = { ws, messages: [] as Json[], closed: undefined as { code: number; reason: string } | undefined };
  ws.on("message", (m) => conn.messages.push(JSON.parse(m.toString())));
  ws.on("close", (code, reason) => {
    conn.closed = { code, reason: reason.toString() };
  });
  ws.on("error", () => undefined);
  return conn;
}

/** A streamed GET: what it received, and whether the server ended it. */
function openStream(path: string) {
  const stream = { text: "", status: 0, ended: false, endedWith: "" };
  const req = http.get(`${base}${path}`, (res) => {
    stream.status = res.statusCode ?? 0;
    res.on("data", (c: Buffer) => {
      stream.text += c.toString();
    });
    res.on("end", () => {
      stream.ended = true;
      stream.endedWith = stream.text;
    });
  });
  req.on("error", () => undefined);
  return stream;
}

describe("revoking a token ends its open streams", () => {
  it("`weft token revoke` from another process closes its WebSocket (4401), SSE and log streams; nothing after", async () => {
    const admin = await makeToken("admin", [{ projectId: "*", role: "admin", scripts: true }]);
    const reader = await makeToken("reader", [{ projectId: "alpha", role: "read" }]);
    const launched = await fetch(`${base}/api/workflow-executions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.secret}` },
      body: JSON.stringify({ workflow: { source: APPROVAL }, project_id: "alpha" }),
    });
    expect(launched.status).toBe(201);
    const runId = ((await launched.json()) as Json).data.id as string;
    const asReader = `access_token=${reader.secret}`;

    const revoked = openWs(`?run_id=${runId}&after_seq=0&${asReader}`);
    const control = openWs(`?run_id=${runId}&after_seq=0&access_token=${admin.secret}`);
    const sse = openStream(`/api/workflow-executions/${runId}/events?${asReader}`);
    const waiting = (c: { messages: Json[] }) =>
      c.messages.some((m) => m.type === "workflow.execution.status_changed" && m.data?.status === "waiting");
    await until(async () => waiting(revoked) && waiting(control), 15_000, "both sockets see the run wait");
    const log = openStream(
      `/api/workflow-steps/${encodeURIComponent(`${runId}:review`)}/logs/events?follow=1&${asReader}`,
    );
    await until(
      async () => sse.text.includes("status_changed") && log.text.includes("following"),
      15_000,
      "streams open",
    );
    expect(sse.status).toBe(200);
    expect(log.status).toBe(200);

    const r = await weftIn(s.env.dir, ["token", "revoke", reader.id]);
    expect(r.code, r.stderr).toBe(0);

    await until(async () => revoked.closed !== undefined, 15_000, "the revoked token's WebSocket closed");
    expect(revoked.closed).toEqual({ code: CLOSE_TOKEN_REVOKED, reason: "API token revoked" });
    await until(async () => sse.ended && log.ended, 15_000, "the revoked token's SSE and log streams ended");
    // Ended by the revocation, not by the run or step: neither has ended.
    expect(sse.endedWith).not.toContain("event: end");
    expect(log.endedWith).not.toContain("event: end");

    // Events after the revocation reach the other token's socket, never the revoked one's streams.
    const before = { ws: revoked.messages.length, sse: sse.text, log: log.text };
    const comment = await fetch(`${base}/api/workflow-executions/${runId}/comments`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${admin.secret}` },
      body: JSON.stringify({ text: "after the revocation" }),
    });
    expect(comment.status).toBe(201);
    await until(
      async () => control.messages.some((m) => m.type === "workflow.comment.created"),
      15_000,
      "the comment on the other socket",
    );
    expect(control.closed).toBeUndefined();
    expect(revoked.messages.length).toBe(before.ws);
    expect(revoked.messages.some((m) => m.type === "workflow.comment.created")).toBe(false);
    expect(sse.text).toBe(before.sse);
    expect(log.text).toBe(before.log);

    // …and the token opens nothing new.
    const again = openWs(`?run_id=${runId}&${asReader}`);
    await until(async () => again.closed !== undefined, 15_000, "the refused upgrade");
    expect(again.messages).toEqual([]);
    control.ws.close();
  });
});
