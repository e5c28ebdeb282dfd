import type { Command } from "commander";
import { WeftError } from "../../core/errors.js";
import type { RunRecord } from "../../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import type { Engine } from "../../engine/engine.js";
import { formatOf } from "../args.js";
import { openEngine } from "../context.js";
import { driveInForeground, spawnDetached } from "../drive.js";
import { EXIT } from "../exit.js";
import type { Out } from "../output.js";
import { paint, stdoutOut } from "../output.js";
import { forkedFromJson, printSummary } from "../progress.js";
import type { GlobalOptions } from "../store.js";
import { dataDirOf } from "../store.js";

interface ControlOptions extends GlobalOptions {
  format?: string;
  detach?: boolean;
  wait?: boolean;
  verbose?: boolean;
  comment?: string;
  by?: string;
  allowChangedSource?: boolean;
}

async function withEngine(cmd: Command, fn: (engine: Engine, o: ControlOptions, out: Out) => Promise<number>) {
  const o = cmd.optsWithGlobals<ControlOptions>();
  formatOf(o.format);
  const engine = openEngine(o);
  try {
    process.exitCode = await fn(engine, o, stdoutOut());
  } finally {
    await engine.close();
    await engine.store.close();
  }
}

/** After a command that lets a run go on: drive it here unless another live process already does. */
async function continueRun(
  engine: Engine,
  run: RunRecord,
  o: ControlOptions,
  out: Out,
  follow = false,
): Promise<number> {
  const format = formatOf(o.format);
  if (TERMINAL_RUN_STATUSES.has(run.status) || run.status === "paused") {
    printSummary(out, run, await engine.steps(run.id), format);
    return run.status === "completed" || run.status === "paused" ? EXIT.ok : EXIT.runFailed;
  }
  if (engine.ownedElsewhere(run) && !follow) {
    const owner = run.lease?.owner;
    const text = `the run continues in the process driving it (pid ${owner?.pid} on ${owner?.host})`;
    // With --format json, stdout carries only JSON lines.
    if (format === "json") out.err(text);
    else out.line(text);
    return EXIT.ok;
  }
  if (o.wait === false) return EXIT.ok;
  if (o.detach) {
    const pid = spawnDetached(run.id, dataDirOf(o), o.sandbox);
    out.err(`continuing in the background (pid ${pid}); \`weft status ${run.id}\` shows it`);
    return EXIT.ok;
  }
  return driveInForeground(engine, run.id, out, {
    output: Boolean(o.verbose),
    format,
    allowChangedSource: o.allowChangedSource ?? false,
  });
}

function report(out: Out, o: ControlOptions, run: RunRecord, text: string): void {
  if (formatOf(o.format) === "json") out.line(JSON.stringify({ id: run.id, status: run.status }));
  else out.line(`${paint(out, "green", "✓")} ${text}`);
}

/** `weft pause <run-id>`. */
export function pauseCommand(id: string, _o: unknown, cmd: Command) {
  return withEngine(cmd, async (engine, o, out) => {
    const run = await engine.pause(id);
    report(out, o, run, `Workflow execution paused: ${id}\nUse "weft resume ${id}" to continue execution`);
    return EXIT.ok;
  });
}

/** `weft budget <run-id>`. */
export function budgetCommand(id: string, _o: unknown, cmd: Command) {
  return withEngine(cmd, async (engine, o, out) => {
    const opts = cmd.opts<{ tokens?: string; cost?: string; step?: string }>();
    if (opts.tokens === undefined && opts.cost === undefined) {
      throw new WeftError("WEFT_ARGS", 'give --tokens <n>, --cost <usd>, or both ("none" removes a limit)');
    }
    const limit = (text: string | undefined, name: string, integer: boolean): number | null => {
      if (text === undefined || text === "none") return null;
      const n = Number(text);
      if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) {
        throw new WeftError(
          "WEFT_ARGS",
          `${name} must be a positive ${integer ? "integer" : "number"} or "none", not "${text}"`,
        );
      }
      return n;
    };
    const tokens = limit(opts.tokens, "--tokens", true);
    const costUsd = limit(opts.cost, "--cost", false);
    const run = await engine.setBudget(id, { tokens, costUsd, step: opts.step }, "cli");
    const what = opts.step === undefined ? "run" : `step ${opts.step}`;
    const next = run.status === "paused" ? `\nUse "weft resume ${id}" to continue execution` : "";
    report(
      out,
      o,
      run,
      `Budget of ${what} set: ${tokens ?? "no"} token limit, ${costUsd === null ? "no cost limit" : `$${costUsd}`}${next}`,
    );
    return EXIT.ok;
  });
}

/** `weft cancel <run-id>`. */
export function cancelCommand(id: string, _o: unknown, cmd: Command) {
  return withEngine(cmd, async (engine, o, out) => {
    const run = await engine.cancel(id, "cli");
    report(out, o, run, `Workflow execution cancelled: ${id}`);
    return EXIT.ok;
  });
}

/** `weft resume <run-id>`. */
export function resumeCommand(id: string, _o: unknown, cmd: Command) {
  return withEngine(cmd, async (engine, o, out) => {
    const existing = await engine.getRun(id);
    if (existing && TERMINAL_RUN_STATUSES.has(existing.status)) {
      // Nothing to resume (e.g. the process was killed right after the run's last commit): report it.
      if (formatOf(o.format) === "table") out.line(`Workflow execution ${id} has already ended: ${existing.status}`);
      return continueRun(engine, existing, o, out, true);
    }
    const run = await engine.resume(id);
    if (formatOf(o.format) === "table") out.line(`Resuming workflow execution: ${id}`);
    return continueRun(engine, run, o, out, true);
  });
}

/** `weft approve|reject <run-id> <step>`. */
function decide(verb: "approve" | "reject") {
  return (id: string, step: string, _o: unknown, cmd: Command) =>
    withEngine(cmd, async (engine, o, out) => {
      const by = o.by ?? process.env.USER ?? "cli";
      const run = await engine[verb](id, step, { by, comment: o.comment });
      report(out, o, run, `${step} ${verb === "approve" ? "approved" : "rejected"} by ${by}`);
      return continueRun(engine, run, o, out);
    });
}

export const approveCommand = decide("approve");
export const rejectCommand = decide("reject");

/** `weft retry <run-id> <step>`. */
export function retryCommand(id: string, step: string, _o: unknown, cmd: Command) {
  return withEngine(cmd, async (engine, o, out) => {
    const run = await engine.retryStep(id, step, process.env.USER ?? "cli");
    report(out, o, run, `step ${step} reset; run ${id} is ${run.status}`);
    return continueRun(engine, run, o, out);
  });
}

/** `weft rewind <run-id> <checkpoint>`. */
export function rewindCommand(id: string, checkpoint: string, _o: unknown, cmd: Command) {
  return withEngine(cmd, async (engine, o, out) => {
    const n = Number(checkpoint);
    if (!Number.isInteger(n) || n < 1) {
      throw new WeftError("WEFT_ARGS", `<checkpoint> must be a checkpoint number (1, 2, …), not "${checkpoint}"`);
    }
    const run = await engine.rewind(id, n, { triggeredBy: `rewind of ${id} at checkpoint ${n}` });
    if (formatOf(o.format) === "json")
      out.line(JSON.stringify({ type: "run", id: run.id, forked_from: forkedFromJson(run) }));
    else out.line(run.id);
    return continueRun(engine, run, o, out);
  });
}
