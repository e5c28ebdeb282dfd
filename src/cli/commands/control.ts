import type { Command } from "commander";
import { WeftError } from "../../core/errors.js";
import type { RunRecord } from "../../core/model.js";
import { TERMINAL_RUN_STATUSES } from "../../core/model.js";
import type { Engine } from "../../engine/engine.js";
import type { GlobalOptions } from "../context.js";
import { dataDirOf, openEngine } from "../context.js";
import { driveInForeground, EXIT, spawnDetached } from "../drive.js";
import type { Out } from "../output.js";
import { paint, stdoutOut } from "../output.js";
import { forkedFromJson, printSummary } from "../progress.js";
import { formatOf } from "./shared.js";

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

/** The options of every command that lets a run go on in this process (or another). */
function continuing(command: Command, noWait: string, detach: string): Command {
  return command
    .option("--no-wait", noWait)
    .option("--detach", detach)
    .option("-v, --verbose", "also print the steps' output (script stdout/stderr, agent text, notes)")
    .option("--format <format>", "table | json", "table")
    .option("--allow-changed-source", "replay a TypeScript workflow whose file changed since the run started");
}

export function registerControl(program: Command): void {
  program
    .command("pause <run-id>")
    .description("pause a run: no new step starts; running steps finish")
    .option("--format <format>", "table | json", "table")
    .action((id: string, _o, cmd: Command) =>
      withEngine(cmd, async (engine, o, out) => {
        const run = await engine.pause(id);
        report(out, o, run, `Workflow execution paused: ${id}\nUse "weft resume ${id}" to continue execution`);
        return EXIT.ok;
      }),
    );

  program
    .command("budget <run-id>")
    .description(
      "set a run's budget (or a step's, with --step); a run paused over its budget then resumes with `weft resume`",
    )
    .option("--tokens <n>", 'most tokens (in + out), or "none"')
    .option("--cost <usd>", 'most US dollars, or "none"')
    .option("--step <key>", "set this step run's budget instead of the run's")
    .option("--format <format>", "table | json", "table")
    .action((id: string, _o, cmd: Command) =>
      withEngine(cmd, async (engine, o, out) => {
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
      }),
    );

  program
    .command("cancel <run-id>")
    .description("cancel a run: running steps are stopped (scripts' process groups killed), the rest cancelled")
    .option("--format <format>", "table | json", "table")
    .action((id: string, _o, cmd: Command) =>
      withEngine(cmd, async (engine, o, out) => {
        const run = await engine.cancel(id, "cli");
        report(out, o, run, `Workflow execution cancelled: ${id}`);
        return EXIT.ok;
      }),
    );

  program
    .command("resume <run-id>")
    .description("resume a paused or interrupted run and stay with it until it ends")
    .option("--detach", "continue in a background process")
    .option("-v, --verbose", "also print the steps' output (script stdout/stderr, agent text, notes)")
    .option("--format <format>", "table | json", "table")
    .option("--allow-changed-source", "replay a TypeScript workflow whose file changed since the run started")
    .action((id: string, _o, cmd: Command) =>
      withEngine(cmd, async (engine, o, out) => {
        const existing = await engine.getRun(id);
        if (existing && TERMINAL_RUN_STATUSES.has(existing.status)) {
          // Nothing to resume (e.g. the process was killed right after the run's last commit): report it.
          if (formatOf(o.format) === "table")
            out.line(`Workflow execution ${id} has already ended: ${existing.status}`);
          return continueRun(engine, existing, o, out, true);
        }
        const run = await engine.resume(id);
        if (formatOf(o.format) === "table") out.line(`Resuming workflow execution: ${id}`);
        return continueRun(engine, run, o, out, true);
      }),
    );

  for (const verb of ["approve", "reject"] as const) {
    continuing(
      program
        .command(`${verb} <run-id> <step>`)
        .description(`${verb} a step that waits for approval`)
        .option("--comment <text>", "a note recorded with the decision")
        .option("--by <name>", "who decided (default: $USER)"),
      "do not continue the run in this process",
      "continue the run in a background process",
    ).action((id: string, step: string, _o, cmd: Command) =>
      withEngine(cmd, async (engine, o, out) => {
        const by = o.by ?? process.env.USER ?? "cli";
        const run = await engine[verb](id, step, { by, comment: o.comment });
        report(out, o, run, `${step} ${verb === "approve" ? "approved" : "rejected"} by ${by}`);
        return continueRun(engine, run, o, out);
      }),
    );
  }

  continuing(
    program
      .command("retry <run-id> <step>")
      .description("reset a failed step (and the steps it held back) and carry on with the run"),
    "do not continue the run in this process",
    "continue the run in a background process",
  ).action((id: string, step: string, _o, cmd: Command) =>
    withEngine(cmd, async (engine, o, out) => {
      const run = await engine.retryStep(id, step, process.env.USER ?? "cli");
      report(out, o, run, `step ${step} reset; run ${id} is ${run.status}`);
      return continueRun(engine, run, o, out);
    }),
  );

  continuing(
    program
      .command("rewind <run-id> <checkpoint>")
      .description("fork a new run from a checkpoint: steps completed by then are reused, the rest run again"),
    "only create the new run",
    "run it in a background process",
  ).action((id: string, checkpoint: string, _o, cmd: Command) =>
    withEngine(cmd, async (engine, o, out) => {
      const n = Number(checkpoint);
      if (!Number.isInteger(n) || n < 1) {
        throw new WeftError("WEFT_ARGS", `<checkpoint> must be a checkpoint number (1, 2, …), not "${checkpoint}"`);
      }
      const run = await engine.rewind(id, n, { triggeredBy: `rewind of ${id} at checkpoint ${n}` });
      if (formatOf(o.format) === "json")
        out.line(JSON.stringify({ type: "run", id: run.id, forked_from: forkedFromJson(run) }));
      else out.line(run.id);
      return continueRun(engine, run, o, out);
    }),
  );
}
