/**
 * WebSocket authentication a browser can use: the token as the subprotocol `weft.bearer.<token>` beside
 * `weft.v1` (which the server selects), with a real `ws` client against a listening server. `?access_token=`
 * stays as the fallback. The token never appears in a log line.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { protocolTokenOf, redactUrl, tokenHash } from "../../src/server/access.js";
import { CLOSE_TOKEN_REVOKED } from "../../src/server/events/index.js";
import { until } from "../helpers/engine.js";
import { APPROVAL, type Json, type ServerEnv, serverEnv } from "./helpers.js";

let s: ServerEnv;
let wsBase: string;
let logs: string[];
let secret: string;
let tokenId: string;

beforeEach(async () => {
  logs = [];
  s = await serverEnv({ logger: { stream: { write: (line: string) => void logs.push(line) } } });
  wsBase = `${(await s.listen()).replace("http", "ws")}/api/ws`;
  secret = `weft_${randomUUID()}`;
  tokenId = randomUUID();
  await s.env.store.tokens.create({
    id: tokenId,
    name: "browser",
    hash: tokenHash(secret),
    scopes: [{ projectId: "*", role: "operate", scripts: true }],
    now: Date.now(),
  });
  await new Promise((r) => setTimeout(r, 250)); // the server remembers "no token exists" for up to 200 ms
});
afterEach(async () => {
  await s.close();
});

interface Outcome {
  opened: boolean;
  status?: number;
  protocol?: string;
  socket: WebSocket;
  messages: Json[];
  closed?: { code: number; reason: string };
  /** The client's error when the handshake failed on its side. */
  error?: string;
}

/** Connects; resolves when it opened or was refused (with the HTTP status). */
function connect(url: string, protocols?: string[]): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url, protocols);
    const out: Outcome = { opened: false, socket, messages: [] };
    socket.on("message", (m) => out.messages.push(JSON.parse(m.toString())));
    socket.on("close", (code, reason) => {
      out.closed = { code, reason: reason.toString() };
    });
    socket.once("open", () => {
      out.opened = true;
      out.protocol = socket.protocol;
      resolve(out);
    });
    socket.once("unexpected-response", (_req, res) => {
      out.status = res.statusCode;
      res.resume();
      resolve(out);
    });
    socket.on("error", (err) => {
      out.error = err.message;
      resolve(out);
    });
  });
}

describe("WebSocket: the token as a subprotocol", () => {
  it("weft.bearer.<token> authenticates and weft.v1 is selected; the feed delivers events", async () => {
    const c = await connect(wsBase, ["weft.v1", `weft.bearer.${secret}`]);
    expect(c.opened).toBe(true);
    expect(c.protocol).toBe("weft.v1");
    await until(async () => c.messages.some((m) => m.type === "subscribed"), 5000, "subscribed");
    const res = await fetch(`${wsBase.replace("ws", "http").replace("/api/ws", "")}/api/workflow-executions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${secret}` },
      body: JSON.stringify({ workflow: { source: APPROVAL } }),
    });
    expect(res.status).toBe(201);
    await until(async () => c.messages.some((m) => m.type === "workflow.step.waiting"), 10_000, "an event");
    c.socket.close();
  });

  it("a wrong token is 401; no token while tokens exist is 401; the header wins over the subprotocol", async () => {
    expect((await connect(wsBase, ["weft.v1", "weft.bearer.weft_wrong"])).status).toBe(401);
    expect((await connect(wsBase, ["weft.v1"])).status).toBe(401);
    expect((await connect(wsBase)).status).toBe(401);
    expect((await connect(wsBase, ["weft.v1", "weft.bearer."])).status).toBe(401);
    // A valid Authorization header (a non-browser client) with a bogus subprotocol token: the header decides.
    const both = await new Promise<Outcome>((resolve) => {
      const socket = new WebSocket(wsBase, ["weft.v1", "weft.bearer.nope"], {
        headers: { authorization: `Bearer ${secret}` },
      });
      const out: Outcome = { opened: false, socket, messages: [] };
      socket.once("open", () => resolve({ ...out, opened: true }));
      socket.once("unexpected-response", (_r, res) => resolve({ ...out, status: res.statusCode }));
      socket.on("error", () => undefined);
    });
    expect(both.opened).toBe(true);
    both.socket.close();
  });

  it("without weft.v1 among the protocols the client offered, none is selected (and the token is never echoed)", async () => {
    const c = await connect(wsBase, [`weft.bearer.${secret}`]);
    // ws (like a browser) fails a connection whose answer selects none of the offered protocols.
    expect(c.opened).toBe(false);
    expect(c.error).toMatch(/no subprotocol/i);
  });

  it("?access_token= still works (the fallback)", async () => {
    const c = await connect(`${wsBase}?access_token=${secret}`);
    expect(c.opened).toBe(true);
    expect(c.protocol).toBe("");
    c.socket.close();
    expect((await connect(`${wsBase}?access_token=weft_wrong`)).status).toBe(401);
  });

  it("revoking the token closes a subprotocol-authenticated socket with 4401", async () => {
    const c = await connect(wsBase, ["weft.v1", `weft.bearer.${secret}`]);
    expect(c.opened).toBe(true);
    await s.env.store.tokens.revoke(tokenId, Date.now());
    await until(async () => c.closed !== undefined, 10_000, "the close");
    expect(c.closed?.code).toBe(CLOSE_TOKEN_REVOKED);
    expect((await connect(wsBase, ["weft.v1", `weft.bearer.${secret}`])).status).toBe(401);
  });

  it("the token lands in no log line, whichever way it came", async () => {
    const a = await connect(wsBase, ["weft.v1", `weft.bearer.${secret}`]);
    const b = await connect(`${wsBase}?access_token=${secret}`);
    await connect(`${wsBase}?access_token=${secret}&colour=red`); // refused (400) with the token in its URL
    a.socket.close();
    b.socket.close();
    await until(async () => logs.some((l) => l.includes("[redacted]")), 5000, "a request logged");
    expect(logs.length).toBeGreaterThan(3);
    for (const line of logs) expect(line).not.toContain(secret);
  });
});

describe("helpers", () => {
  it("protocolTokenOf reads weft.bearer.<token> from the header, wherever it is in the list", () => {
    expect(protocolTokenOf(undefined)).toBeUndefined();
    expect(protocolTokenOf("weft.v1")).toBeUndefined();
    expect(protocolTokenOf("weft.v1, weft.bearer.abc")).toBe("abc");
    expect(protocolTokenOf(["weft.bearer.xyz", "weft.v1"])).toBe("xyz");
    expect(() => protocolTokenOf("weft.v1, weft.bearer.")).toThrow(/malformed/);
  });

  it("redactUrl hides access_token values only", () => {
    expect(redactUrl("/api/ws?run_id=1&access_token=weft_s3cret&x=2")).toBe(
      "/api/ws?run_id=1&access_token=[redacted]&x=2",
    );
    expect(redactUrl("/api/ws?access_token=a")).toBe("/api/ws?access_token=[redacted]");
    expect(redactUrl("/api/x?my_access_token=a")).toBe("/api/x?my_access_token=a");
  });
});
