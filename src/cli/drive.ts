/** Runs a run in the foreground (or follows it when another process drives it) and turns its end into an exit code. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { WeftError } from "../core/errors.js";
import type { EventRecord } from "../core/events.js";
import type { RunRecord } from "../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../core/model.js";
import type { Engine } from "../engine/engine.js";
import { EXIT } from "./exit.js";
import type { Out } from "./output.js";
import { paint } from "./output.js";
import type { ProgressOptions } from "./progress.js";
import { follow, printEvent, printSummary } from "./progress.js";

/** How often the foreground process reads the event log for what other processes did (pause, approve, …), ms. */
const CATCH_UP_MS = 200;

/**
 * Prints a run's events in sequence order, each once: this process's own as the engine publishes them, and
 * those committed by other processes (a `weft pause` or `weft approve` elsewhere) read back from the event
 * log, which numbers every run's events 1, 2, 3, … without gaps.
 */
function eventPrinter(engine: Engine, runId: string, fromSeq: number, print: (e: EventRecord) => void) {
  let lastSeq = fromSeq;
  let reading: Promise<void> | undefined;
  let again = false;
  const take = (e: EventRecord) => {
    if (e.seq !== lastSeq + 1) return false;
    lastSeq = e.seq;
    print(e);
    return true;
  };
  const catchUp = (): Promise<void> => {
    if (reading) {
      again = true;
      return reading;
    }
    reading = (async () => {
      try {
        do {
          again = false;
          for (;;) {
            const batch = await engine.store.events.list(runId, lastSeq, 1000);
            for (const e of batch) take(e);
            if (batch.length < 1000) break;
          }
        } while (again);
      } catch {
        // The store is closing (Ctrl-C): nothing more to print.
      } finally {
        reading = undefined;
      }
    })();
    return reading;
  };
  return {
    get lastSeq() {
      return lastSeq;
    },
    onEvent(e: EventRecord) {
      if (e.runId !== runId || e.seq <= lastSeq) return;
      // A gap: another process committed events in between; read them from the log first.
      if (!take(e)) void catchUp();
    },
    /** Prints everything committed so far. */
    async flush() {
      if (reading) await reading;
      await catchUp();
    },
  };
}

/**
 * `out` with its stdout lines gathered and written once per turn of the event loop: a fan-out publishes hundreds
 * of events in one commit, and a write each would cost a system call each. `flush` writes what is gathered now.
 */
function batched(out: Out): Out & { flush(): void } {
  let pending: string[] = [];
  const flush = () => {
    if (pending.length === 0) return;
    const text = pending.join("\n");
    pending = [];
    out.line(text);
  };
  return {
    color: out.color,
    line(text = "") {
      if (pending.length === 0) setImmediate(flush);
      pending.push(text);
    },
    // stderr lines (notices) go out at once, after the stdout lines before them.
    err(text) {
      flush();
      out.err(text);
    },
    flush,
  };
}

/** The sequence number of a run's newest event (history before it is not printed again). */
async function lastSeqOf(engine: Engine, runId: string): Promise<number> {
  let seq = (await engine.store.checkpoints.list(runId, 1))[0]?.eventSeq ?? 0;
  for (;;) {
    const batch = await engine.store.events.list(runId, seq, 1000);
    seq = batch[batch.length - 1]?.seq ?? seq;
    if (batch.length < 1000) return seq;
  }
}

export async function driveInForeground(
  engine: Engine,
  runId: string,
  out: Out,
  opts: ProgressOptions & { allowChangedSource?: boolean },
): Promise<number> {
  const lines = batched(out);
  const printer = eventPrinter(engine, runId, await lastSeqOf(engine, runId), (e) => printEvent(lines, e, opts));
  const onEvent = (e: EventRecord) => printer.onEvent(e);
  const unsubscribe = engine.subscribe(onEvent);
  const unNotice = engine.onNotice((id, message) => {
    if (id === runId) lines.err(paint(out, "yellow", `notice: ${message}`));
  });
  let interrupted = false;
  const stop = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    lines.flush();
    lines.err(`\ninterrupted; the run is kept as it is — \`weft resume ${runId}\` carries on from there`);
    void engine.close().then(() => process.exit(EXIT.interrupted));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // The engine's timers are unref'd (a library must not keep its host alive), so while a run is paused or
  // waits for a person nothing else would hold the event loop open and Node would quit mid-run (exit 13).
  // `run` and `resume` stay in the foreground until the run ends: hold it open here.
  // The same timer reads what other processes did to the run, so that the live view shows it at once.
  const keepAlive = setInterval(() => void printer.flush(), CATCH_UP_MS);
  let run: RunRecord;
  try {
    // Drive the run here; while another live process drives it, follow its events — and take over when
    // that process dies (at once on this machine, after its lease expires elsewhere).
    for (;;) {
      try {
        run = await engine.execute(runId, { allowChangedSource: opts.allowChangedSource ?? false });
        break;
      } catch (err) {
        if (err instanceof WeftError && err.code === "WEFT_STORAGE") {
          // A full disk: the run stopped at its last commit and is whole; say how to carry on.
          lines.err(`run ${runId} stopped; once that is fixed, \`weft resume ${runId}\` carries on from there`);
        }
        if (!(err instanceof WeftError) || err.code !== "WEFT_CONFLICT") throw err;
        lines.err(paint(out, "gray", `${err.message}; following its progress`));
        run = await follow(engine.store, runId, onEvent, {
          afterSeq: printer.lastSeq,
          until: (r) => !engine.ownedElsewhere(r),
        });
        if (TERMINAL_RUN_STATUSES.has(run.status)) break;
        lines.err(paint(out, "gray", "the process driving the run stopped; continuing it here"));
      }
    }
  } finally {
    clearInterval(keepAlive);
    unsubscribe();
    unNotice();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  if (interrupted) {
    lines.flush();
    return EXIT.interrupted;
  }
  await printer.flush();
  lines.flush();
  printSummary(out, run, await engine.steps(runId), opts.format);
  return run.status === "completed" ? EXIT.ok : EXIT.runFailed;
}

/** Starts `weft resume <id>` as a detached background process that outlives this one (`--sandbox` kept). */
export function spawnDetached(runId: string, dataDir: string, sandbox?: string): number | undefined {
  const bin = fileURLToPath(new URL("./main.js", import.meta.url));
  // The sandbox asked for on the command line holds for the process that drives the run too.
  const flags = sandbox === undefined ? [] : ["--sandbox", sandbox];
  const child = spawn(process.execPath, [bin, ...flags, "resume", runId, "--data-dir", dataDir], {
    detached: true,
    stdio: "ignore",
    env: process.env,
  });
  child.unref();
  return child.pid;
}
