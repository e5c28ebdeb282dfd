/**
 * Golden journals (STYLE.md practice 6; Temporal's `history_files/`): the journals of finished runs of the
 * three TypeScript workflows below, as the engine wrote them when the fixture was made, are kept in
 * test/fixtures/golden/*.json. Each is loaded into a fresh store as an interrupted run (status running, the
 * journal as recorded, or cut short) and replayed with the same workflow code: no recorded entry may run again,
 * the cut-off ones must, and the run must end with the recorded output. A later change to the journal format or
 * the replay rules that would break runs started before it fails here.
 *
 * Regenerate (only when adding a fixture — an old fixture must keep replaying; a new journal format gets new
 * files next to the old ones, with a new `format`):
 *
 *   WEFT_GOLDEN_WRITE=1 npx vitest run test/engine/golden.test.ts -t "regenerate"
 *
 * Fixture: `{ format, workflow, args, output, steps: [{ key, stepId, status, attempt, input: { pos }, output,
 * error }] (journal order), events: [type…] }`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { ErrorInfo } from "../../src/core/errors.js";
import type { Json, JsonObject } from "../../src/core/json.js";
import type { StepRunRecord } from "../../src/core/model.js";
import type { TsWorkflowDefinition } from "../../src/definition/typescript/define.js";
import { defineWorkflow } from "../../src/definition/typescript/define.js";
import type { TestEnv } from "../helpers/engine.js";
import { testEnv, until } from "../helpers/engine.js";

const FORMAT = 1;
const GOLDEN_DIR = new URL("../fixtures/golden/", import.meta.url).pathname;

/** The inline step functions that ran, in order (reset by every test). */
let ran: string[] = [];
/** A file ctx.exec's command appends to when it runs (a fresh one for every test). */
let execMarker = "";
let markerDir = "";

/** Steps in sequence: a step, a durable sleep, an approval, a step using both results, a noop. */
const sequential = defineWorkflow({
  name: "golden-sequential",
  argsSchema: z.object({ topic: z.string() }),
  async execute(ctx) {
    const fetched = await ctx.step("fetch", {
      fn: () => {
        ran.push("fetch");
        return { topic: ctx.args.topic, items: [3, 1, 2] };
      },
    });
    await ctx.sleep("20ms");
    const decision = await ctx.waitForApproval({ id: "sign-off", message: "publish?" });
    const sorted = await ctx.step("sort", {
      fn: () => {
        ran.push("sort");
        return [...(fetched.data?.items ?? [])].sort((a, b) => a - b);
      },
    });
    const report = await ctx.step("report", { type: "noop", output: { pages: 3 } });
    return { topic: fetched.data?.topic ?? null, sorted: sorted.data ?? null, by: decision.by, report: report.data };
  },
});

/** A Promise.all group with computed ids, an optional step that fails, then a step using the group's results. */
const parallel = defineWorkflow({
  name: "golden-parallel",
  async execute(ctx) {
    const base = await ctx.step("prepare", {
      fn: () => {
        ran.push("prepare");
        return 10;
      },
    });
    const shards = await Promise.all(
      [0, 1, 2].map((i) =>
        ctx.step(`shard-${i}`, {
          fn: () => {
            ran.push(`shard-${i}`);
            return (base.data ?? 0) * (i + 1);
          },
        }),
      ),
    );
    const flaky = await ctx.step("flaky", {
      optional: true,
      fn: (): number => {
        ran.push("flaky");
        throw new Error("golden failure");
      },
    });
    const merged = await ctx.step("merge", {
      fn: () => {
        ran.push("merge");
        return shards.map((s) => s.data ?? null);
      },
    });
    return { merged: merged.data ?? null, flaky: flaky.status, error: flaky.error?.message ?? null };
  },
});

/** now, random, checkpoint and comment values; a step and an exec that use them; getStepResult. */
const values = defineWorkflow({
  name: "golden-values",
  async execute(ctx) {
    const now = ctx.now();
    const random = ctx.random();
    await ctx.checkpoint("values drawn");
    await ctx.comment(`drew ${random}`);
    const pick = await ctx.step("pick", {
      fn: () => {
        ran.push("pick");
        return Math.floor(random * 1000);
      },
    });
    const shell = await ctx.exec(`echo exec >> '${execMarker}'; printf 'picked %s' ${pick.data}`);
    await ctx.comment("picked", "pick");
    const seen = ctx.getStepResult<number>("pick");
    return { now, random, pick: pick.data ?? null, stdout: shell.stdout, seen: seen?.data ?? null };
  },
});

interface GoldenStep {
  key: string;
  stepId: string;
  status: StepRunRecord["status"];
  attempt: number;
  input: Json;
  output: Json;
  error: ErrorInfo | null;
}

interface Golden {
  format: number;
  workflow: string;
  args: JsonObject;
  output: Json;
  steps: GoldenStep[];
  events: string[];
}

interface Case {
  file: string;
  def: TsWorkflowDefinition;
  args: JsonObject;
  /** Decides what the run waits for while it is recorded or replayed. */
  approvals?: Array<{ step: string; by: string; comment: string }>;
}

const CASES: Case[] = [
  {
    file: "sequential.json",
    def: sequential as TsWorkflowDefinition,
    args: { topic: "golden" },
    approvals: [{ step: "sign-off", by: "golden-approver", comment: "ship it" }],
  },
  { file: "parallel.json", def: parallel as TsWorkflowDefinition, args: {} },
  { file: "values.json", def: values as TsWorkflowDefinition, args: {} },
];

let env: TestEnv | undefined;
beforeEach(() => {
  markerDir = mkdtempSync(join(tmpdir(), "weft-golden-"));
  execMarker = join(markerDir, "exec-marker");
});
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
  ran = [];
  rmSync(markerDir, { recursive: true, force: true });
});

const posOf = (s: { input: Json }): number => (s.input as { pos?: number } | null)?.pos ?? Number.POSITIVE_INFINITY;

/** Executes a run to its end, approving what `c` says to approve when the run waits. */
async function drive(e: TestEnv, c: Case, runId: string) {
  const done = e.engine.execute(runId);
  let settled = false;
  void done.finally(() => {
    settled = true;
  });
  for (const a of c.approvals ?? []) {
    await until(
      async () => settled || (await e.store.steps.get(runId, a.step))?.status === "waiting",
      10_000,
      `${a.step} to wait for approval`,
    );
    if (settled) break;
    await e.other().approve(runId, a.step, { by: a.by, comment: a.comment });
  }
  return done;
}

/** Runs a workflow from scratch and returns its journal as a fixture. */
async function record(c: Case): Promise<Golden> {
  env = testEnv({ workflows: [c.def] });
  const { run } = await env.engine.launch(c.def, { args: c.args });
  const done = await drive(env, c, run.id);
  expect(done.status, JSON.stringify(done.error)).toBe("completed");
  const steps = (await env.store.steps.list(run.id)).sort((a, b) => posOf(a) - posOf(b));
  const events = await env.store.events.list(run.id);
  return {
    format: FORMAT,
    workflow: c.def.name,
    args: c.args,
    output: done.output,
    steps: steps.map((s) => ({
      key: s.key,
      stepId: s.stepId,
      status: s.status,
      attempt: s.attempt,
      input: s.input,
      output: s.output,
      error: s.error,
    })),
    events: events.map((e) => e.type),
  };
}

function loadGolden(file: string): Golden {
  const g = JSON.parse(readFileSync(join(GOLDEN_DIR, file), "utf8")) as Golden;
  expect(g.format, `${file}: format`).toBe(FORMAT);
  return g;
}

/**
 * Loads `steps` into a fresh store as a run of `c` that a dead process left running, replays it, and returns
 * the final run, the inline handlers that ran and the step runs the replay started (every handler, any type).
 */
async function replay(c: Case, steps: GoldenStep[]) {
  env = testEnv({ workflows: [c.def] });
  const { run } = await env.engine.launch(c.def, { args: c.args });
  const now = Date.now();
  await env.store.commit({
    runId: run.id,
    expectedVersion: run.version,
    run: { status: "running", startedAt: now },
    steps: steps.map(
      (s): StepRunRecord => ({
        runId: run.id,
        key: s.key,
        stepId: s.stepId,
        iteration: null,
        status: s.status,
        attempt: s.attempt,
        input: s.input,
        output: s.output,
        error: s.error,
        notBefore: null,
        waitingFor: null,
        items: null,
        startedAt: now,
        endedAt: s.status === "running" ? null : now,
        updatedAt: now,
      }),
    ),
    now,
  });
  const seqBefore = (await env.store.events.list(run.id)).length;
  ran = [];
  const done = await drive(env, c, run.id);
  const events = (await env.store.events.list(run.id)).slice(seqBefore);
  const started = events.flatMap((e) => (e.type === "workflow.step.started" ? [e.data.key] : []));
  const comments = events.flatMap((e) => (e.type === "workflow.comment.created" ? [e.data.text] : []));
  const checkpoints = (await env.store.checkpoints.list(run.id)).map((cp) => cp.label);
  return { done, ran: [...ran], started, comments, checkpoints };
}

/** How each fixture is cut short: the entries kept, those marked interrupted, and what must then run. */
const CUTS: Record<
  string,
  Array<{ name: string; keep: number; interrupted?: string[]; ran: string[]; started: string[] }>
> = {
  "sequential.json": [
    {
      name: "cut after the approval: sort and report run",
      keep: 3,
      ran: ["sort"],
      started: ["sort", "report"],
    },
    {
      name: "fetch interrupted: it runs again, the sleep and the approval wait again",
      keep: 1,
      interrupted: ["fetch"],
      ran: ["fetch", "sort"],
      started: ["fetch", "$sleep-1", "sign-off", "sort", "report"],
    },
  ],
  "parallel.json": [
    {
      name: "shard-1 interrupted, the rest of the group recorded: shard-1, flaky and merge run",
      keep: 4,
      interrupted: ["shard-1"],
      ran: ["shard-1", "flaky", "merge"],
      started: ["shard-1", "flaky", "merge"],
    },
    {
      name: "cut before the group: the three shards run in parallel, then the rest",
      keep: 1,
      ran: ["shard-0", "shard-1", "shard-2", "flaky", "merge"],
      started: ["shard-0", "shard-1", "shard-2", "flaky", "merge"],
    },
  ],
  "values.json": [
    {
      name: "cut after the values: pick and the exec run with the recorded random",
      keep: 4,
      ran: ["pick"],
      started: ["pick", "$exec-5"],
    },
  ],
};

describe("golden journals: old runs still replay", () => {
  for (const c of CASES) {
    describe(c.file, () => {
      it("the fixture is a finished run of this workflow", () => {
        const g = loadGolden(c.file);
        expect(g.workflow).toBe(c.def.name);
        expect(g.steps.length).toBeGreaterThan(0);
        expect(g.steps.every((s) => s.status === "completed" || s.status === "failed")).toBe(true);
        expect(g.steps.map((s) => posOf(s))).toEqual(g.steps.map((_, i) => i));
        expect(g.events.at(-1)).toBe("workflow.execution.status_changed");
      });

      it("the whole journal replays: no handler runs, the run ends with the recorded output", async () => {
        const g = loadGolden(c.file);
        const r = await replay(c, g.steps);
        expect(r.done.status, JSON.stringify(r.done.error)).toBe("completed");
        expect(r.ran).toEqual([]);
        expect(r.started).toEqual([]);
        expect(r.comments, "recorded comments are not made again").toEqual([]);
        expect(r.checkpoints.filter((l) => l === "values drawn")).toEqual([]);
        expect(r.done.output).toEqual(g.output);
        if (c.def === values) expect(existsSync(execMarker), "the recorded exec ran again").toBe(false);
      });

      for (const cut of CUTS[c.file] ?? []) {
        it(`cut short, ${cut.name}`, async () => {
          const g = loadGolden(c.file);
          const steps = g.steps
            .slice(0, cut.keep)
            .map((s) => (cut.interrupted?.includes(s.key) ? { ...s, status: "running" as const, output: null } : s));
          const r = await replay(c, steps);
          expect(r.done.status, JSON.stringify(r.done.error)).toBe("completed");
          expect([...r.ran].sort()).toEqual([...cut.ran].sort());
          expect([...r.started].sort()).toEqual([...cut.started].sort());
          if (cut.ran.includes("shard-0")) {
            // Started in one pass, in parallel: the three shards start before any of them ends.
            expect(r.started.slice(0, 3).sort()).toEqual(["shard-0", "shard-1", "shard-2"]);
          }
          expect(r.done.output).toEqual(g.output);
          if (c.def === values) {
            expect(readFileSync(execMarker, "utf8")).toBe("exec\n");
            expect(r.comments).toEqual(["picked"]);
          }
        });
      }

      it("the engine still writes this journal format (else: keep this fixture, add a new format's)", async () => {
        const g = loadGolden(c.file);
        const fresh = await record(c);
        const shape = (x: Golden) => ({
          steps: x.steps.map((s) => ({
            ...s,
            // Values that differ from run to run: the time, the random draw and what was computed from them.
            output:
              /^\$(now|random|comment|sleep)-/.test(s.key) || ["pick", "$exec-5"].includes(s.key)
                ? typeof s.output
                : s.output,
          })),
          events: x.events,
        });
        expect(shape(fresh)).toEqual(shape(g));
      });
    });
  }
});

describe.runIf(process.env.WEFT_GOLDEN_WRITE)("golden journals: write", () => {
  for (const c of CASES) {
    it(`regenerate ${c.file}`, async () => {
      const g = await record(c);
      writeFileSync(join(GOLDEN_DIR, c.file), `${JSON.stringify(g, null, 2)}\n`);
    });
  }
});
