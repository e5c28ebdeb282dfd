/** The WebSocket's connect query is checked like a REST route's: an unknown parameter is a 400 in the envelope. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Json, type ServerEnv, serverEnv } from "./helpers.js";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

/** Opens a WebSocket expecting a refusal: its HTTP status and JSON body. */
function refusal(url: string): Promise<{ status: number; json: Json }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once("open", () => {
      ws.close();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
    });
    ws.once("error", () => undefined);
  });
}

describe("WebSocket connect query", () => {
  it("refuses an unknown parameter with the 400 and envelope a REST route answers", async () => {
    const base = await s.listen();
    const ws = await refusal(`${base.replace("http", "ws")}/api/ws?project_id=default&colour=red`);
    const rest = await fetch(`${base}/api/workflow-executions?colour=red`);
    expect(ws.status).toBe(400);
    expect(rest.status).toBe(400);
    expect(ws.json).toEqual(await rest.json());
    expect(ws.json.error).toMatchObject({ code: "WEFT_BAD_REQUEST", fields: [{ path: "query" }] });
    expect(ws.json.error.message).toMatch(/colour/);
  });

  it("still accepts the documented parameters, and still explains a bad value", async () => {
    const base = (await s.listen()).replace("http", "ws");
    const ok = new WebSocket(`${base}/api/ws?project_id=default&project_id=p2`);
    await new Promise<void>((resolve, reject) => {
      ok.once("open", () => resolve());
      ok.once("unexpected-response", (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    ok.close();
    const bad = await refusal(`${base}/api/ws?run_id=a&after_seq=x`);
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/after_seq must be an integer/);
  });
});
