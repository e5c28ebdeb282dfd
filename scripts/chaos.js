#!/usr/bin/env node
/**
 * `npm run chaos`: the chaos suite at full size (test/chaos/): 1,000 random kill -9s of weft run / resume /
 * serve over mixed workflows, then 8 weft processes on one data directory for 3 minutes. The same files run
 * short inside `npm test`. Options (each also an environment variable, see test/chaos/options.ts):
 *
 *   --seed <n>          WEFT_CHAOS_SEED             repeat a run's random choices and delays (printed at start)
 *   --kills <n>         WEFT_CHAOS_KILLS            kill -9s to deal (default 1000)
 *   --minutes <n>       WEFT_CHAOS_MINUTES          stop dealing kills after n minutes (figures say how many)
 *   --concurrency <n>   WEFT_CHAOS_CONCURRENCY      data dirs attacked at once, two processes each (default 3)
 *   --seconds <n>       WEFT_CHAOS_STRESS_SECONDS   how long the SQLite stress sends commands (default 180)
 *   --processes <n>     WEFT_CHAOS_PROCESSES        weft processes at once in the stress (default 8)
 *   --only kills|stress                             run one of the two
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const FLAGS = {
  "--seed": "WEFT_CHAOS_SEED",
  "--kills": "WEFT_CHAOS_KILLS",
  "--minutes": "WEFT_CHAOS_MINUTES",
  "--concurrency": "WEFT_CHAOS_CONCURRENCY",
  "--seconds": "WEFT_CHAOS_STRESS_SECONDS",
  "--processes": "WEFT_CHAOS_PROCESSES",
};
const FILES = { kills: "test/chaos/kills.test.ts", stress: "test/chaos/sqlite-stress.test.ts" };

const env = {
  ...process.env,
  WEFT_CHAOS_KILLS: process.env.WEFT_CHAOS_KILLS ?? "1000",
  WEFT_CHAOS_CONCURRENCY: process.env.WEFT_CHAOS_CONCURRENCY ?? "3",
  WEFT_CHAOS_STRESS_SECONDS: process.env.WEFT_CHAOS_STRESS_SECONDS ?? "180",
};
let files = Object.values(FILES);
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [flag, value] = [argv[i], argv[i + 1]];
  if (flag === "--only" && value in FILES) files = [FILES[value]];
  else if (flag in FLAGS && value !== undefined && /^\d+$/.test(value)) env[FLAGS[flag]] = value;
  else {
    console.error(`npm run chaos: unknown option or bad value: ${flag} ${value ?? ""}`);
    console.error(
      "options: --seed <n> --kills <n> --minutes <n> --concurrency <n> --seconds <n> --processes <n> --only kills|stress",
    );
    process.exit(2);
  }
}

const root = fileURLToPath(new URL("..", import.meta.url));
// One file after the other, so that each has the machine; the global setup builds dist/ first.
const res = spawnSync(
  process.execPath,
  [`${root}node_modules/vitest/vitest.mjs`, "run", ...files, "--no-file-parallelism", "--reporter", "verbose"],
  { cwd: root, env, stdio: "inherit" },
);
process.exit(res.status ?? 1);
