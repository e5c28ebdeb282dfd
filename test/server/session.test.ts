/**
 * `GET /api/session`: who the request's token is and what it may do — what the web UI reads to hide the
 * controls a token may not use (the server refuses them anyway).
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import { body, type ServerEnv, serverEnv } from "./helpers.js";

let s: ServerEnv | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe("GET /api/session", () => {
  it("is the local user, admin everywhere with scripts, on a loopback server without tokens", async () => {
    s = await serverEnv();
    const res = await s.app.inject({ url: "/api/session" });
    expect(res.statusCode, res.body).toBe(200);
    expect(body(res).data).toEqual({
      mode: "open",
      name: "local user",
      token_id: null,
      scopes: [{ project_id: "*", role: "admin", scripts: true }],
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
  });

  it("names a stored token and its scopes, and is 401 without a token once tokens exist", async () => {
    s = await serverEnv();
    const secret = `weft_${randomUUID()}`;
    const id = randomUUID();
    const scopes = [
      { projectId: "web", role: "read" as const },
      { projectId: "ops", role: "operate" as const, scripts: true },
    ];
    await s.env.store.tokens.create({ id, name: "viewer", hash: tokenHash(secret), scopes, now: Date.now() });
    const res = await s.app.inject({ url: "/api/session", headers: { authorization: `Bearer ${secret}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(body(res).data).toMatchObject({
      mode: "token",
      name: "token viewer",
      token_id: id,
      scopes: [
        { project_id: "web", role: "read", scripts: false },
        { project_id: "ops", role: "operate", scripts: true },
      ],
    });
    const none = await s.app.inject({ url: "/api/session" });
    expect(none.statusCode).toBe(401);
    expect(body(none).error.code).toBe("WEFT_UNAUTHORIZED");
    const wrong = await s.app.inject({ url: "/api/session", headers: { authorization: "Bearer weft_nope_nope_nope" } });
    expect(wrong.statusCode).toBe(401);
  });

  it("is admin everywhere for a WEFT_API_TOKENS token", async () => {
    const admin = "an-admin-token-of-enough-length";
    s = await serverEnv({ apiTokens: [admin] });
    const res = await s.app.inject({ url: "/api/session", headers: { authorization: `Bearer ${admin}` } });
    expect(res.statusCode, res.body).toBe(200);
    expect(body(res).data).toMatchObject({
      mode: "token",
      token_id: null,
      scopes: [{ project_id: "*", role: "admin" }],
    });
  });
});
