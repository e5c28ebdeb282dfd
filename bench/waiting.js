#!/usr/bin/env node
/**
 * Many waiting runs held by one `weft serve` (run by `npm run bench`, or alone: `node bench/waiting.js`).
 *
 * A real `weft serve` (bin/weft.js → dist/) over a fresh data directory; N runs launched through its API, half
 * waiting for an approval, half sleeping until one common wake-up time. Then the server is killed (SIGKILL) and
 * started again over the same directory. Prints:
 *
 *   launch        N launches through the API (16 at a time) until every run is `waiting` → s, runs/s
 *   rss-held      the server's resident memory while it holds the N waiting runs → MiB
 *   re-arm        from the restarted server's start to every waiting run owned again by it (a live lease) → s
 *   rss-restart   its resident memory once it holds them all again → MiB
 *   sleeps-fire   from the common wake-up time to every sleeping run completed → s
 *   approve       a sample of the approval runs approved through the API → s until every one completed
 *
 * Goals (docs/operations.md): RSS < 1 GiB, re-armed within 10 s. WAITING_RUNS sets N (default 10000).
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startServer } from "./serve-process.js";

const N = Number(process.env.WAITING_RUNS ?? 10_000);
const SAMPLE = Math.min(200, Math.floor(N / 2));
const CONCURRENCY = 16;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;

const APPROVAL = "name: wait-approval\nsteps:\n  - { id: ok, type: approval }\n  - { id: done, type: noop }\n";
const SLEEP =
  'name: wait-sleep\nsteps:\n  - { id: nap, type: sleep, until: "{{ args.wake }}" }\n  - { id: done, type: noop }\n';

/** Context for the figures: every commit of `weft serve` (durability full) waits for one fsync. */
function fsyncMedianMs(dir) {
  const fd = openSync(join(dir, "fsync-probe"), "w");
  const xs = [];
  for (let i = 0; i < 30; i++) {
    writeSync(fd, "x".repeat(128));
    const t = performance.now();
    fsyncSync(fd);
    xs.push(performance.now() - t);
  }
  closeSync(fd);
  return xs.sort((a, b) => a - b)[15];
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function post(url, path, body) {
  const res = await fetch(`${url}/api${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (res.status >= 300) throw new Error(`POST ${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json.data;
}

async function launchAll(url, bodies) {
  const ids = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        ids.push((await post(url, "/workflow-executions", body)).id);
      }
    }),
  );
  return ids;
}

/** Polls the database (read-only, its own connection) until `sql` counts `want`; returns the ms it took. */
async function untilCount(db, sql, params, want, what, timeoutMs) {
  const t0 = performance.now();
  const stmt = db.prepare(sql).pluck();
  for (;;) {
    const n = stmt.get(...params);
    if (n >= want) return performance.now() - t0;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}: ${n} of ${want}`);
    await sleep(50);
  }
}

const dir = mkdtempSync(join(tmpdir(), "weft-bench-waiting-"));
let server = startServer(dir);
try {
  let url = await server.url;
  const db = new Database(join(dir, "weft.db"), { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  console.log(
    `waiting runs — ${N} runs (${N / 2} approvals, ${N / 2} sleeps) held by one weft serve (durability full); ` +
      `fsync of a small write here: median ${fsyncMedianMs(dir).toFixed(2)} ms`,
  );

  // The approvals first: their launch rate sets a wake-up time the sleeps reach only after the restart.
  const t0 = performance.now();
  const approvals = await launchAll(
    url,
    Array.from({ length: N / 2 }, () => ({ workflow: { source: APPROVAL } })),
  );
  const perLaunch = (performance.now() - t0) / (N / 2);
  const wake = Date.now() + Math.ceil(perLaunch * (N / 2) * 2) + 30_000;
  const sleeps = await launchAll(
    url,
    Array.from({ length: N / 2 }, () => ({
      workflow: { source: SLEEP },
      args: { wake: new Date(wake).toISOString() },
    })),
  );
  const launchMs = performance.now() - t0;
  const waitingSql = "SELECT count(*) FROM runs WHERE status = 'waiting'";
  const settleMs = await untilCount(db, waitingSql, [], N, "every run waiting", 600_000);
  console.log(
    `launch        ${s(launchMs)} for ${N} launches (${((N / launchMs) * 1000).toFixed(0)} runs/s), every run waiting ${s(settleMs)} later`,
  );
  await sleep(2000);
  console.log(`rss-held      ${rssMiB(server.child.pid).toFixed(0)} MiB`);

  // kill -9, then a new server over the same directory.
  server.child.kill("SIGKILL");
  await new Promise((r) => server.child.once("exit", r));
  const restartAt = performance.now();
  if (Date.now() >= wake)
    console.log("(the wake-up time passed before the restart: sleeps-fire measures a late start)");
  server = startServer(dir);
  url = await server.url;
  const pid = server.child.pid;
  const armedSql =
    "SELECT count(*) FROM runs WHERE status = 'completed' OR (status IN ('waiting', 'running') AND json_extract(lease_owner, '$.pid') = ? AND lease_expires_at > ?)";
  const rearm = await untilCount(db, armedSql, [pid, Date.now()], N, "every run re-armed", 600_000);
  console.log(
    `re-arm        ${s(performance.now() - restartAt)} from the restart to every run owned again (${s(rearm)} after listening)`,
  );
  await sleep(2000);
  console.log(`rss-restart   ${rssMiB(pid).toFixed(0)} MiB`);

  // The sleeps fire at `wake`.
  const doneSql = `SELECT count(*) FROM runs WHERE status = 'completed' AND id IN (SELECT value FROM json_each(?))`;
  await sleep(Math.max(0, wake - Date.now()));
  const fire = await untilCount(db, doneSql, [JSON.stringify(sleeps)], N / 2, "every sleep to fire", 600_000);
  console.log(`sleeps-fire   ${s(fire)} from the wake-up time to all ${N / 2} sleeping runs completed`);

  const sample = approvals.slice(0, SAMPLE);
  const ta = performance.now();
  await Promise.all(sample.map((id) => post(url, `/workflow-executions/${id}/steps/ok/approve`, {})));
  const approved = await untilCount(db, doneSql, [JSON.stringify(sample)], SAMPLE, "the approved runs", 600_000);
  console.log(
    `approve       ${SAMPLE} approvals through the API: ${s(performance.now() - ta)} until all completed (${s(approved)} after the last answer)`,
  );
  db.close();
} catch (err) {
  console.error(`${err.stack ?? err}\nserver stderr:\n${server.stderr()}`);
  process.exitCode = 1;
} finally {
  server.child.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
