/**
 * Many runs waiting for a person or a timer, held by a server that stops and starts again: every one is
 * driven again (sleeps fire, approvals complete). The figures at scale are `node bench/waiting.js`'s.
 */
import { describe, expect, it } from "vitest";
import { createBackground } from "../../src/server/background.js";
import { cleanUpAfterTests, startWeft, tempDir, until } from "../cli/helpers.js";
import { testEnv, wf } from "../helpers/engine.js";
import type { Json } from "./helpers.js";

cleanUpAfterTests();

const APPROVAL = "name: wait-approval\nsteps:\n  - { id: ok, type: approval }\n  - { id: done, type: noop }\n";
const SLEEP =
  'name: wait-sleep\nsteps:\n  - { id: nap, type: sleep, until: "{{ args.wake }}" }\n  - { id: done, type: noop }\n';

describe("waiting runs across a restart", () => {
  it("a new server drives every waiting run again, not only the first page of the sweep", {
    timeout: 180_000,
  }, async () => {
    const env = testEnv();
    try {
      const first = createBackground({ engine: env.engine, batch: 10 });
      const wake = Date.now() + 60 * 60 * 1000; // the sleeps wait an hour: only the new server's timers fire them
      const approvals: string[] = [];
      const sleeps: string[] = [];
      for (let i = 0; i < 25; i++) {
        const a = await env.engine.launch(wf(APPROVAL));
        approvals.push(a.run.id);
        first.drive(a.run.id);
        const s = await env.engine.launch(wf(SLEEP), { args: { wake: new Date(wake).toISOString() } });
        sleeps.push(s.run.id);
        first.drive(s.run.id);
      }
      const all = [...approvals, ...sleeps];
      const statuses = async (ids: string[]) =>
        Promise.all(ids.map(async (id) => (await env.store.runs.get(id))?.status));
      await until(async () => (await statuses(all)).every((s) => s === "waiting"), "every run waiting", 30_000);
      await first.shutdown(); // the old server stops; its runs stay waiting, their leases released

      // The new server, its clock an hour and a minute later.
      const engine = env.other({ clock: { now: () => Date.now() + 61 * 60 * 1000 } });
      const second = createBackground({ engine, batch: 10 });
      second.start(20);
      try {
        // Sleeps fire as soon as they are driven again (the clock is past their wake time) and leave `driving`;
        // approval runs stay in it, waiting. Both lists span all five pages of the sweep.
        await until(() => approvals.every((id) => second.driving.has(id)), "every approval run driven again", 30_000);
        await until(async () => (await statuses(sleeps)).every((s) => s === "completed"), "the sleeps fired", 30_000);
        for (const id of approvals) await engine.approve(id, "ok", { by: "test" });
        await until(async () => (await statuses(approvals)).every((s) => s === "completed"), "approved runs", 30_000);
      } finally {
        await second.shutdown();
      }
    } finally {
      await env.cleanup();
    }
  });

  it("`weft serve` killed with SIGKILL: the restarted server fires the sleeps and completes approved runs", {
    timeout: 600_000,
  }, async () => {
    const dir = tempDir();
    const start = async () => {
      const p = startWeft(["--data-dir", dir, "serve", "--port", "0"]);
      const line = await p.waitForLine(/listening on http:\/\//, 60_000);
      return { p, url: /(http:\/\/\S+)/.exec(line)?.[1] as string };
    };
    const api = async (url: string, path: string, body?: Json) => {
      const res = await fetch(`${url}/api${path}`, {
        method: body === undefined ? "GET" : "POST",
        ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
      });
      return (await res.json()) as Json;
    };
    const N = 150;
    let { p, url } = await start();
    // Late enough that most sleeps are still waiting when the server is killed; if some fire before, they are
    // simply completed by then.
    const wake = new Date(Date.now() + 45_000).toISOString();
    const approvals: string[] = [];
    const sleeps: string[] = [];
    for (let i = 0; i < N; i++) {
      approvals.push((await api(url, "/workflow-executions", { workflow: { source: APPROVAL } })).data.id);
      sleeps.push((await api(url, "/workflow-executions", { workflow: { source: SLEEP }, args: { wake } })).data.id);
    }
    const status = async (id: string) => (await api(url, `/workflow-executions/${id}`)).data.status as string;
    const everyone = async (ids: string[], want: string[]) => {
      for (const id of ids) if (!want.includes(await status(id))) return false;
      return true;
    };
    await until(() => everyone(approvals, ["waiting"]), "every approval waiting", 120_000);
    p.kill("SIGKILL");
    await p.done();

    ({ p, url } = await start());
    await until(() => everyone(sleeps, ["completed"]), "every sleep fired after the restart", 180_000);
    const sample = approvals.slice(0, 20);
    for (const id of sample) {
      const r = await api(url, `/workflow-executions/${id}/steps/ok/approve`, {});
      expect(r.data?.id, JSON.stringify(r)).toBe(id);
    }
    await until(() => everyone(sample, ["completed"]), "the approved runs completed", 120_000);
    expect(await everyone(approvals.slice(20), ["waiting"])).toBe(true);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });
});
