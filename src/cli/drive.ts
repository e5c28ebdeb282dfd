/** Runs a run in the foreground (or follows it when another process drives it) and turns its end into an exit code. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WeftError } from "../core/errors.js";
import type { EventRecord } from "../core/events.js";
import type { RunRecord } from "../core/model.js";
import type { Engine } from "../engine/engine.js";
import type { Out } from "./output.js";
import { paint } from "./output.js";
import type { ProgressOptions } from "./progress.js";
import { follow, printEvent, printSummary } from "./progress.js";

export const EXIT = { ok: 0, runFailed: 1, usage: 2, notFound: 3, conflict: 4, interrupted: 130 } as const;

export async function driveInForeground(
  engine: Engine,
  runId: string,
  out: Out,
  opts: ProgressOptions,
): Promise<number> {
  let lastSeq = 0;
  const onEvent = (e: EventRecord) => {
    if (e.runId !== runId || e.seq <= lastSeq) return;
    lastSeq = e.seq;
    printEvent(out, e, opts);
  };
  const unsubscribe = engine.subscribe(onEvent);
  const unNotice = engine.onNotice((id, message) => {
    if (id === runId) out.err(paint(out, "yellow", `notice: ${message}`));
  });
  let interrupted = false;
  const stop = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    out.err(`\ninterrupted; the run is kept as it is — \`weft resume ${runId}\` carries on from there`);
    void engine.close().then(() => process.exit(EXIT.interrupted));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // The engine's timers are unref'd (a library must not keep its host alive), so while a run is paused or
  // waits for a person nothing else would hold the event loop open and Node would quit mid-run (exit 13).
  // `run` and `resume` stay in the foreground until the run ends: hold it open here.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let run: RunRecord;
  try {
    try {
      run = await engine.execute(runId);
    } catch (err) {
      if (!(err instanceof WeftError) || err.code !== "WEFT_CONFLICT") throw err;
      out.err(paint(out, "gray", `${err.message}; following its progress`));
      run = await follow(engine.store, runId, onEvent, { afterSeq: lastSeq });
    }
  } finally {
    clearInterval(keepAlive);
    unsubscribe();
    unNotice();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  if (interrupted) return EXIT.interrupted;
  printSummary(out, run, await engine.steps(runId), opts.format);
  return run.status === "completed" ? EXIT.ok : EXIT.runFailed;
}

/** Starts `weft resume <id>` as a detached background process that outlives this one. */
export function spawnDetached(runId: string, dataDir: string): number | undefined {
  const bin = fileURLToPath(new URL("./main.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "resume", runId, "--data-dir", dataDir], {
    detached: true,
    stdio: "ignore",
    env: process.env,
  });
  child.unref();
  return child.pid;
}
