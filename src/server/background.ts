/**
 * Drives runs in the server's process without making requests wait for them: a run launched (or resumed,
 * approved, retried, rewound) through the API is executed here in the background, and a sweep takes over
 * runs that need an owner — launched by another process that did not drive them, or left by a crashed one.
 *
 * Failure semantics: `engine.execute` refuses (WEFT_CONFLICT) a run whose lease a live process holds; that is
 * the normal case of a run driven by a `weft run` elsewhere and is ignored. The sweep looks again every
 * interval, so such a run is taken over once its owner dies (at once on this host, after lease expiry elsewhere).
 */
import { WeftError } from "../core/errors.js";
import type { Engine } from "../engine/engine.js";
import type { ActiveCursor } from "../store/store.js";

export interface Background {
  /** Starts driving the run here unless this process already does; returns at once. */
  drive(runId: string): void;
  /**
   * One pass over the runs that need an owner (`store.runs.active()`), driving those no live process holds:
   * page after page while pages bring new runs, then one page per sweep, continuing where the last stopped.
   */
  sweep(): Promise<void>;
  /** Sweeps now and then every `intervalMs` (default 1000) until `stop()`. */
  start(intervalMs?: number): void;
  stop(): void;
  /**
   * Stops taking runs, then stops the engine's drivers (`engine.close()`) until none of the executions this
   * started is left — including those that were still acquiring their lease when it was called. Gives up
   * after `timeoutMs` (default 10 s): a lease left behind expires, or is taken over once this process is gone.
   */
  shutdown(timeoutMs?: number): Promise<void>;
  /** Runs this process is driving. */
  readonly driving: ReadonlySet<string>;
}

export interface BackgroundOptions {
  engine: Engine;
  /** Where unexpected failures of a background execution are reported. */
  warn?: (message: string) => void;
  /** Runs read per page of a sweep. Default 500. */
  batch?: number;
}

export function createBackground(opts: BackgroundOptions): Background {
  const { engine } = opts;
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`weft serve: ${m}\n`));
  const driving = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let sweeping = false;
  let stopped = false;

  const drive = (runId: string) => {
    if (stopped || driving.has(runId)) return;
    driving.add(runId);
    engine
      .execute(runId)
      .catch((err: unknown) => {
        if (err instanceof WeftError && (err.code === "WEFT_CONFLICT" || err.code === "WEFT_NOT_FOUND")) return;
        if (stopped) return; // the store closes under a shutting-down server
        warn(`run ${runId}: ${err instanceof Error ? err.message : String(err)}`);
      })
      .finally(() => driving.delete(runId));
  };

  const batch = opts.batch ?? 500;
  // Where the last sweep stopped in `runs.active`'s order. The runs this process drives stay active (a run
  // waiting for a person or a timer, for days), so the sweep must page past them: always reading the first
  // page would never reach the runs behind them (after a restart, all but the first `batch`).
  let cursor: ActiveCursor | undefined;
  const sweep = async () => {
    if (sweeping || stopped) return;
    sweeping = true;
    try {
      // Page on while pages bring runs to drive (a restart: all of them in one sweep); a page with none ends
      // this sweep, and the next one reads the page after it (round robin: one page per sweep at rest).
      for (;;) {
        const runs = await engine.store.runs.active(batch, cursor);
        let taken = 0;
        for (const run of runs) {
          if (driving.has(run.id) || engine.ownedElsewhere(run)) continue;
          drive(run.id);
          taken++;
        }
        const last = runs.at(-1);
        cursor =
          runs.length < batch || last === undefined
            ? undefined
            : { priority: last.priority, createdAt: last.createdAt, id: last.id };
        if (taken === 0 || cursor === undefined || stopped) break;
      }
    } catch (err) {
      if (!stopped) warn(`looking for runs to drive failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      sweeping = false;
    }
  };

  const stop = () => {
    stopped = true;
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  return {
    drive,
    sweep,
    start(intervalMs = 1000) {
      if (timer || stopped) return;
      void sweep();
      timer = setInterval(() => void sweep(), intervalMs);
    },
    stop,
    async shutdown(timeoutMs = 10_000) {
      stop();
      const deadline = Date.now() + timeoutMs;
      // An execution that is still taking its lease is not yet among the engine's drivers: let it get there.
      if (driving.size > 0) await new Promise((r) => setTimeout(r, 50));
      for (;;) {
        try {
          await engine.close();
        } catch {
          // A driver stopped while it was still starting; the next round stops what it left.
        }
        if (driving.size === 0 || Date.now() > deadline) return;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    driving,
  };
}
