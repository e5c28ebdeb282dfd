/**
 * Idempotency keys through the API: scoped per project (a token never gets another project's run back through
 * a key), and a key reused with another workflow or other args is 409 `WEFT_IDEMPOTENCY_MISMATCH`.
 */
import { randomUUID } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import type { TokenScope } from "../../src/store/store.js";
import { body, expectError, type ServerEnv, serverEnv } from "./helpers.js";

// No script step: launching it needs no more than `operate`.
const NOOP = "name: idem\nsteps:\n  - id: only\n    type: noop\n";
const OTHER = "name: idem\nsteps:\n  - id: only\n    type: noop\n  - id: more\n    type: noop\n";

let s: ServerEnv;
beforeEach(async () => {
  s = await serverEnv();
});
afterEach(async () => {
  await s.close();
});

/** A stored token, created before the first request (so the server never saw "no token exists"). */
async function token(name: string, scopes: TokenScope[]): Promise<string> {
  const secret = `weft_${randomUUID()}`;
  await s.env.store.tokens.create({ id: randomUUID(), name, hash: tokenHash(secret), scopes, now: Date.now() });
  return secret;
}

const launchAs = (secret: string | undefined, payload: Record<string, unknown>) =>
  s.app.inject({
    method: "POST",
    url: "/api/workflow-executions",
    headers: secret === undefined ? {} : { authorization: `Bearer ${secret}` },
    payload: { workflow: { source: NOOP }, ...payload },
  });

describe("idempotency keys (API)", () => {
  it("project A's token reusing project B's key gets its own new run, never B's", async () => {
    const alpha = await token("alpha", [{ projectId: "alpha", role: "operate" }]);
    const beta = await token("beta", [{ projectId: "beta", role: "operate" }]);
    const b = await launchAs(beta, { project_id: "beta", idempotency_key: "k", args: { secret: "beta-data" } });
    expect(b.statusCode).toBe(201);
    const betaRun = body(b).data;

    const a = await launchAs(alpha, { project_id: "alpha", idempotency_key: "k", args: { mine: 1 } });
    expect(a.statusCode, a.body).toBe(201);
    const alphaRun = body(a).data;
    expect(alphaRun.id).not.toBe(betaRun.id);
    expect(alphaRun).toMatchObject({ project_id: "alpha", idempotency_key: "k", args: { mine: 1 } });
    expect(a.body).not.toContain("beta-data");
    expect(a.body).not.toContain(betaRun.id);

    // A repeat of the same request is alpha's own run (200); beta's key still names beta's run.
    const again = await launchAs(alpha, { project_id: "alpha", idempotency_key: "k", args: { mine: 1 } });
    expect(again.statusCode).toBe(200);
    expect(body(again).data.id).toBe(alphaRun.id);
    const betaAgain = await launchAs(beta, { project_id: "beta", idempotency_key: "k", args: { secret: "beta-data" } });
    expect(body(betaAgain).data.id).toBe(betaRun.id);

    // A mismatch in alpha names alpha's run, and nothing of beta's.
    const mismatch = await launchAs(alpha, { project_id: "alpha", idempotency_key: "k", args: { mine: 2 } });
    const e = expectError(mismatch, 409, "WEFT_IDEMPOTENCY_MISMATCH");
    expect(e.message).toContain(alphaRun.id);
    expect(mismatch.body).not.toContain(betaRun.id);
    expect(mismatch.body).not.toContain("beta-data");
  });

  it("the same key with another workflow or other args is 409 and creates nothing; the same request is 200", async () => {
    const first = await launchAs(undefined, { idempotency_key: "nightly", args: { day: "mon", n: 1 } });
    expect(first.statusCode).toBe(201);
    const id = body(first).data.id as string;

    const otherArgs = await launchAs(undefined, { idempotency_key: "nightly", args: { day: "tue", n: 1 } });
    const e = expectError(otherArgs, 409, "WEFT_IDEMPOTENCY_MISMATCH");
    expect(e.message).toMatch(/idempotency key "nightly" of project default already names run .*other arguments/);
    expect(e.message).not.toContain("mon");
    const otherWorkflow = await s.app.inject({
      method: "POST",
      url: "/api/workflow-executions",
      payload: { workflow: { source: OTHER }, idempotency_key: "nightly", args: { day: "mon", n: 1 } },
    });
    expect(expectError(otherWorkflow, 409, "WEFT_IDEMPOTENCY_MISMATCH").message).toMatch(/another workflow/);

    // Key order does not matter; name and priority are not part of the request compared.
    const same = await launchAs(undefined, { idempotency_key: "nightly", args: { n: 1, day: "mon" }, name: "x" });
    expect(same.statusCode).toBe(200);
    expect(body(same).data.id).toBe(id);
    const runs = body(await s.app.inject({ url: "/api/workflow-executions" })).data;
    expect(runs).toHaveLength(1);
  });
});
