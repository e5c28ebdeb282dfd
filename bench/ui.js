#!/usr/bin/env node
/**
 * The web UI's runs board with many runs (run by `npm run bench`, or alone: `node bench/ui.js` after
 * `npm run build`). Needs Chromium (/usr/bin/chromium, or WEFT_CHROMIUM); without it, says so and skips.
 *
 * The runs are made in this process with the engine on the data directory's SQLite store (fast: no HTTP), a
 * workflow of three phases and four no-op steps: 4/5 of them run to the end, 1/5 stop waiting for an approval.
 * Then a real `weft serve` over that directory, and Chromium on its board. Prints:
 *
 *   first-render  navigation start → the first run card in the page (a MutationObserver in the page), a fresh
 *                 browser context each time (nothing cached), after one uncounted warm-up → ms, median of
 *                 UI_REPS; with the main thread's busy time of it (thread time: on a machine busy with other
 *                 work the wall time is mostly waiting for a core) and the load average
 *   frames        frame times (requestAnimationFrame deltas over UI_SECONDS) while runs launched through the
 *                 API at a steady rate make the feed send ~UI_EVENTS events a second → median, p95, max ms;
 *                 with the events the page's WebSocket received a second
 *   initial-js    the JavaScript the board's first load fetches, gzipped (level 9) → kB
 *
 * Goals (issue 11): first render < 1 s, no frame > 50 ms while events stream, initial JS < 350 kB gzipped.
 * UI_RUNS sets the number of runs (default 5000); UI_DATA_DIR keeps them in that directory (made once, reused),
 * UI_REPS, UI_SECONDS, UI_EVENTS the repetitions, the seconds of frames and the events a second.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { chromium } from "playwright-core";
import { parseWorkflow } from "../dist/definition/index.js";
import { createEngine } from "../dist/engine/engine.js";
import { builtinStepTypes } from "../dist/steps/builtin.js";
import { createSqliteStore } from "../dist/store/sqlite/index.js";
import { startServer } from "./serve-process.js";

const N = Number(process.env.UI_RUNS ?? 5000);
const REPS = Number(process.env.UI_REPS ?? 3);
const SECONDS = Number(process.env.UI_SECONDS ?? 5);
const EVENTS = Number(process.env.UI_EVENTS ?? 200);
const CHROMIUM = process.env.WEFT_CHROMIUM ?? "/usr/bin/chromium";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const PHASED = `name: campaign
phases: [draft, review, publish]
steps:
  - { id: outline, phase: draft, type: noop }
  - { id: write, phase: draft, type: noop, needs: outline }
  - { id: check, phase: review, type: noop, needs: write }
  - { id: publish, phase: publish, type: noop, needs: check }
`;
const GATED = `name: reviewed-post
phases: [draft, review]
steps:
  - { id: draft, phase: draft, type: noop }
  - { id: ok, phase: review, type: approval, needs: draft }
`;
/** What the live stream launches: 12 steps in three phases. */
const LIVE = `name: live-campaign
phases: [draft, review, publish]
steps:
${Array.from({ length: 12 }, (_, i) => `  - { id: s${i}, phase: ${["draft", "review", "publish"][Math.floor(i / 4)]}, type: noop${i ? `, needs: s${i - 1}` : ""} }`).join("\n")}
`;
/** Events a LIVE run sends: created, lease, running, 3 phases, 12 × (started, completed), completed. */
const EVENTS_PER_RUN = 31;

const stepTypes = new Map(builtinStepTypes().map((t) => [t.type, t]));
function wf(source) {
  const { workflow, issues } = parseWorkflow(source, { file: "bench.yaml", stepTypes });
  if (!workflow) throw new Error(issues.map((i) => i.message).join("\n"));
  return workflow;
}

/** N runs in the directory's store, through the engine: 4/5 completed, 1/5 waiting for an approval. */
async function makeRuns(dir) {
  const store = createSqliteStore({ path: join(dir, "weft.db"), durability: "normal" });
  const engine = createEngine({ store, dataDir: dir, projectPath: dir, globalConcurrency: 1_000_000 });
  const phased = wf(PHASED);
  const gated = wf(GATED);
  const people = ["api", "cli", "schedule", "maria", "devon"];
  try {
    for (let i = 0; i < N; i += 250) {
      const batch = [];
      for (let j = i; j < Math.min(N, i + 250); j++) {
        const { run } = await engine.launch(j % 5 === 4 ? gated : phased, {
          name: `${j % 5 === 4 ? "Review" : "Campaign"} #${j}`,
          triggeredBy: people[j % people.length],
        });
        batch.push(run.id);
      }
      // A run waiting for its approval does not end: it counts once waiting (closing the engine leaves it so).
      await Promise.all(
        batch.map(async (id) => {
          const done = engine.execute(id).catch(() => {});
          for (;;) {
            const run = await engine.getRun(id);
            if (run && (run.status === "completed" || run.status === "waiting")) return;
            await Promise.race([done, sleep(20)]);
          }
        }),
      );
    }
  } finally {
    await engine.close();
    await store.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

// In the page, before its scripts: when the first run card appears, and the frame deltas when asked.
const PROBE = () => {
  const g = globalThis;
  const seen = () => {
    if (g.__firstCard === undefined && document.querySelector(".run-card")) g.__firstCard = performance.now();
  };
  new MutationObserver(seen).observe(document, { childList: true, subtree: true });
  g.__frames = (ms) =>
    new Promise((resolve) => {
      const deltas = [];
      let last = performance.now();
      const end = last + ms;
      const tick = (t) => {
        deltas.push(t - last);
        last = t;
        if (t < end) requestAnimationFrame(tick);
        else resolve(deltas);
      };
      requestAnimationFrame(tick);
    });
};

async function firstRender(browser, url) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  await context.addInitScript(PROBE);
  const page = await context.newPage();
  // The main thread's own work (thread time, not wall time: this machine may be busy with other things).
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const js = new Map(); // url → gzipped size (a script preloaded then used is counted once)
  page.on("response", (res) => {
    if (res.request().resourceType() === "script" && !js.has(res.url()))
      js.set(
        res.url(),
        res.body().then((b) => gzipSync(b, { level: 9 }).length),
      );
  });
  await page.goto(url);
  await page.waitForFunction(() => globalThis.__firstCard !== undefined, undefined, { timeout: 60_000 });
  const ms = await page.evaluate(() => globalThis.__firstCard);
  const { metrics } = await cdp.send("Performance.getMetrics");
  const busyMs = (metrics.find((m) => m.name === "TaskDuration")?.value ?? Number.NaN) * 1000;
  const bytes = (await Promise.all(js.values())).reduce((a, b) => a + b, 0);
  return { ms, busyMs, bytes, files: js.size, page, context };
}

/** Launches LIVE runs through the API at the rate that makes ~EVENTS events a second, until stopped. */
function driveEvents(url) {
  let stop = false;
  const intervalMs = (1000 * EVENTS_PER_RUN) / EVENTS;
  const launched = (async () => {
    let n = 0;
    let next = performance.now();
    while (!stop) {
      fetch(`${url}/api/workflow-executions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ workflow: { source: LIVE }, name: `Live #${n++}`, triggered_by: "bench" }),
      }).catch(() => {});
      next += intervalMs;
      await sleep(Math.max(0, next - performance.now()));
    }
    return n;
  })();
  return {
    async stop() {
      stop = true;
      return launched;
    },
  };
}

if (!existsSync(CHROMIUM)) {
  console.log(`ui — skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set WEFT_CHROMIUM)`);
  process.exit(0);
}

// UI_DATA_DIR: a directory made by an earlier run (kept), to measure again without making the runs again.
const kept = process.env.UI_DATA_DIR;
const dir = kept ?? mkdtempSync(join(tmpdir(), "weft-bench-ui-"));
let server;
let browser;
try {
  const t0 = performance.now();
  let made = "made earlier";
  if (!kept || !existsSync(join(dir, "weft.db"))) {
    mkdirSync(dir, { recursive: true });
    await makeRuns(dir);
    made = `made through the engine in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
  }
  console.log(
    `ui — the runs board over ${N} runs (${made}: ${(N * 4) / 5} completed, ${N / 5} waiting for an approval), ` +
      "one weft serve, headless Chromium",
  );
  server = startServer(dir);
  const url = await server.url;
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });

  // A server that has been up: the first load (the server re-arming its waiting runs, code not yet optimised)
  // is a warm-up, not counted.
  const renders = [];
  const busy = [];
  let bytes = 0;
  let files = 0;
  let last;
  for (let i = -1; i < REPS; i++) {
    if (last) await last.context.close();
    last = await firstRender(browser, url);
    if (i >= 0) renders.push(last.ms);
    if (i >= 0) busy.push(last.busyMs);
    bytes = last.bytes;
    files = last.files;
  }
  console.log(
    `first-render  median ${median(renders).toFixed(0).padStart(6)} ms   (min ${Math.min(...renders).toFixed(0)}, max ${Math.max(...renders).toFixed(0)}; goal < 1000); ` +
      `the page's main thread busy ${median(busy).toFixed(0)} ms of it (thread time); load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
  );

  // Frames on the last page, once every page of runs is loaded, while the feed streams.
  const { page } = last;
  await page.waitForFunction(
    () => !/loading older/.test(document.querySelector(".board-count")?.textContent ?? ""),
    undefined,
    {
      timeout: 120_000,
    },
  );
  // What the page's own socket receives (a second socket would measure the server, not the page).
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  let received = 0;
  cdp.on("Network.webSocketFrameReceived", (f) => {
    if (f.response.payloadData.includes('"seq"')) received++;
  });
  const driver = driveEvents(url);
  await sleep(1000); // the stream reaches its rate
  received = 0;
  const taskMs = async () =>
    ((await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ?? 0) * 1000;
  await cdp.send("Performance.enable", { timeDomain: "threadTicks" });
  const busy0 = await taskMs();
  const deltas = await page.evaluate((ms) => globalThis.__frames(ms), SECONDS * 1000);
  const busyShare = (await taskMs()) - busy0;
  const eventsPerSecond = received / SECONDS;
  const runs = await driver.stop();
  console.log(
    `frames        median ${median(deltas).toFixed(1).padStart(6)} ms   p95 ${pct(deltas, 95).toFixed(1)} ms, max ${Math.max(...deltas).toFixed(1)} ms over ${deltas.length} frames (goal: none > 50) while ${eventsPerSecond.toFixed(0)} events/s reached the page (${runs} runs launched); ` +
      `main thread busy ${((busyShare / (SECONDS * 1000)) * 100).toFixed(0)}% of the time (thread time); load average ${loadavg()[0].toFixed(1)}`,
  );
  console.log(`initial-js    ${(bytes / 1024).toFixed(1).padStart(6)} kB gzipped in ${files} file(s) (goal < 350)`);
} catch (err) {
  console.error(err.stack ?? String(err));
  process.exitCode = 1;
} finally {
  await browser?.close();
  server?.child.kill("SIGKILL");
  if (!kept) rmSync(dir, { recursive: true, force: true });
}
