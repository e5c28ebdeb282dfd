/**
 * `weft checkpoints <run>` (seed 003's `ax workflow checkpoints`: per checkpoint its state, age, creator,
 * label, size — plus the completed and pending steps) and `weft checkpoints prune <run> --keep N`.
 * The state at each checkpoint is resolved from the run's events (engine/checkpoints.ts); no step runs.
 */
import type { Command } from "commander";
import { WeftError } from "../../core/errors.js";
import { checkpointJson, pruneCheckpoints, resolveCheckpoints } from "../../engine/checkpoints.js";
import { formatOf, limitOf } from "../args.js";
import { EXIT } from "../exit.js";
import { ago } from "../output.js";
import { dataDirOf } from "../store.js";
import { mustGet, withStore } from "./inspect.js";

/** At most this many step names on a line; the rest are counted. */
const NAMES_SHOWN = 5;

/** `12.45 KB`, as seed 003 prints sizes. */
export function sizeText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(2)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(2)} MB`;
}

/** `3 (a, b, c)`; past `NAMES_SHOWN` names, `12 (a, b, c, d, e, … 7 more)`. */
export function namesText(names: readonly string[]): string {
  if (names.length === 0) return "0";
  const shown = names.slice(0, NAMES_SHOWN).join(", ");
  const more = names.length > NAMES_SHOWN ? `, … ${names.length - NAMES_SHOWN} more` : "";
  return `${names.length} (${shown}${more})`;
}

function keepOf(value: string | undefined): number {
  if (value === undefined)
    throw new WeftError("WEFT_ARGS", "--keep <n> is required: how many of the newest checkpoints to keep");
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1)
    throw new WeftError(
      "WEFT_ARGS",
      `--keep must be a positive integer (the latest checkpoint is always kept), not "${value}"`,
    );
  return n;
}

/** `weft checkpoints <run-id>`. */
export function checkpointsCommand(id: string, _o: unknown, cmd: Command) {
  return withStore(cmd, async (store, o, out) => {
    const run = await mustGet(store, id);
    const format = formatOf(o.format);
    const cps = await store.checkpoints.list(id, limitOf(o.limit, 10));
    const resolved = await resolveCheckpoints(store, run, cps);
    if (format === "json") {
      out.line(JSON.stringify(resolved.map(checkpointJson), null, 2));
      return EXIT.ok;
    }
    out.line(`Checkpoints for execution: ${id}`);
    out.line("");
    resolved.forEach((r, i) => {
      const c = r.record;
      out.line(`${i + 1}. Checkpoint ${c.number}${c.stepKey === null ? "" : ` (after ${c.stepKey})`}`);
      out.line(`   State: ${r.state} | Created: ${ago(c.createdAt)} | By: ${r.createdBy}`);
      out.line(`   Label: ${c.label}`);
      out.line(`   Completed: ${namesText(r.completed)} | Pending: ${namesText(r.pending)}`);
      out.line(`   Size: ${sizeText(r.sizeBytes)}`);
      out.line("");
    });
    if (!cps.length) out.line("no checkpoints yet (one is taken after every finished step)\n");
    out.line(`Use "weft resume ${id}" to resume from the latest checkpoint, "weft rewind ${id} <n>" to fork from one`);
    return EXIT.ok;
  });
}

/** `weft checkpoints prune <run-id>`. */
export function pruneCommand(id: string, _o: unknown, cmd: Command) {
  return withStore(cmd, async (store, o, out) => {
    const format = formatOf(o.format);
    const { keep: keepText, dryRun: dry } = cmd.opts<{ keep?: string; dryRun?: boolean }>();
    const keep = keepOf(keepText);
    const dryRun = dry === true;
    const res = await pruneCheckpoints(store, dataDirOf(o), id, keep, { dryRun });
    if (format === "json") {
      out.line(JSON.stringify({ run_id: id, dry_run: dryRun, removed: res.removed, kept: res.kept }, null, 2));
      return EXIT.ok;
    }
    const verb = dryRun ? "Would remove" : "Removed";
    const n = res.removed.length;
    out.line(
      n === 0
        ? `Nothing to remove: run ${id} has ${res.kept.length} checkpoint${res.kept.length === 1 ? "" : "s"}`
        : `${verb} ${n} checkpoint${n === 1 ? "" : "s"} of run ${id}: ${res.removed.join(", ")}`,
    );
    const why = { latest: "the latest", newest: "newest", forked: "a rewound run was forked from it" };
    out.line(`Kept ${res.kept.length}: ${res.kept.map((k) => `${k.number} (${why[k.why]})`).join(", ")}`);
    return EXIT.ok;
  });
}
