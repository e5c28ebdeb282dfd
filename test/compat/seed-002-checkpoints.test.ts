/**
 * Seed 002's checkpoints: `checkpoints/step-N.json` in the run folder, in the seed's "Checkpoint Format", after
 * a run of its own `simple-pipeline.yaml`; the API resolves any checkpoint (completed and pending steps, step
 * results, state, size, creator) from the events, without running a step. Real HTTP against a listening server.
 */
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INLINE_RESULT_BYTES } from "../../src/core/checkpoints.js";
import { defineWorkflow } from "../../src/definition/typescript/define.js";
import { EVERY_FILE_UP_TO, fileWanted, pruneCheckpoints, resolveCheckpoints } from "../../src/engine/checkpoints.js";
import { tempDir, testEnv, until, wf } from "../helpers/engine.js";
import { type Json, type ServerEnv, serverEnv } from "../server/helpers.js";

const repoRoot = new URL("../..", import.meta.url).pathname;
/** The seed's YAML workflow, verbatim (examples/seed-dialects/ holds the seeds' files). */
const SIMPLE_PIPELINE = readFileSync(join(repoRoot, "examples/seed-dialects/simple-pipeline.yaml"), "utf8");
const STEPS = ["install-deps", "build-app", "run-tests", "deploy"];

/** Seed 002's "Checkpoint Format" example, verbatim but for its `{...}` placeholder. */
const SEED_EXAMPLE = {
  execution_id: "cuid",
  timestamp: "2025-01-25T10:05:00Z",
  current_phase: "implement",
  current_step_index: 2,
  completed_step_ids: ["research-codebase", "create-spec"],
  step_results: {
    "research-codebase": { stepId: "research-codebase", status: "completed", data: { patterns: ["..."] } },
    "create-spec": { stepId: "create-spec", status: "completed", data: { spec: {} } },
  },
};

const typeOf = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v);

let s: ServerEnv;
let base: string;
let calls: string;
let bin: string;
let id: string;

async function api(
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${base}/api${path}`, {
    method: init.method ?? "GET",
    headers: init.body === undefined ? {} : { "content-type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, json: await res.json() };
}

async function launch(source: string, args: Json = {}): Promise<string> {
  const res = await api("/workflow-executions", { method: "POST", body: { workflow: { source }, args } });
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json.data.id;
}

async function waitFor(runId: string, status: string): Promise<void> {
  await until(async () => (await api(`/workflow-executions/${runId}`)).json.data.status === status, 15_000, status);
}

const cpDir = (runId: string) => join(s.env.dir, "runs", runId, "checkpoints");
const cpFile = (runId: string, n: number): Json =>
  JSON.parse(readFileSync(join(cpDir(runId), `step-${n}.json`), "utf8"));

beforeAll(async () => {
  // `pnpm` of the seed's steps: a stand-in on PATH that records each call.
  bin = tempDir("weft-seed-002-bin-");
  calls = join(bin, "calls.log");
  writeFileSync(join(bin, "pnpm"), `#!/bin/sh\necho "pnpm $*" >> "${calls}"\necho "pnpm $*"\n`);
  chmodSync(join(bin, "pnpm"), 0o755);
  writeFileSync(calls, "");
  s = await serverEnv({}, { stepEnv: { PATH: `${bin}:${process.env.PATH ?? ""}` } });
  base = await s.listen();
  id = await launch(SIMPLE_PIPELINE, { environment: "staging" });
  await waitFor(id, "completed");
});

afterAll(async () => {
  await s?.close();
  rmSync(bin, { recursive: true, force: true });
});

describe("seed 002: checkpoints/step-N.json after the seed's simple-pipeline.yaml", () => {
  it("writes one file per step, beside definition.json, args.json and logs/", async () => {
    const folder = join(s.env.dir, "runs", id);
    for (const f of ["definition.json", "args.json", "logs", "checkpoints"])
      expect(existsSync(join(folder, f))).toBe(true);
    // Each file is written aside and renamed into place: a file that is there is whole.
    const files = () => readdirSync(cpDir(id)).filter((f) => /^step-\d+\.json$/.test(f));
    await until(() => files().length === 4, 5000, "four checkpoint files");
    expect(files().sort()).toEqual(["step-1.json", "step-2.json", "step-3.json", "step-4.json"]);
  });

  it("each file has every field of the seed's example, with the same JSON types", () => {
    for (let n = 1; n <= 4; n++) {
      const doc = cpFile(id, n);
      for (const [key, value] of Object.entries(SEED_EXAMPLE))
        expect(typeOf(doc[key]), `${n}: ${key}`).toBe(typeOf(value));
      for (const r of Object.values(doc.step_results) as Json[]) {
        expect(Object.keys(r)).toEqual(expect.arrayContaining(["stepId", "status", "data"]));
      }
      expect(doc.execution_id).toBe(id);
      expect(new Date(doc.timestamp).toISOString()).toBe(doc.timestamp);
    }
  });

  it("step-2.json: the two completed steps, their results, the next step's index and phase", () => {
    const doc = cpFile(id, 2);
    expect(doc.completed_step_ids).toEqual(["install-deps", "build-app"]);
    expect(doc.current_step_index).toBe(2);
    expect(doc.current_phase).toBe("test");
    expect(doc.step_results["build-app"]).toEqual({
      stepId: "build-app",
      status: "completed",
      data: expect.objectContaining({ exitCode: 0, stdout: "pnpm build\n" }),
    });
    expect(Object.keys(doc.step_results)).toEqual(["install-deps", "build-app"]);
    expect(doc).toMatchObject({ number: 2, label: "after build-app", created_by: "automatic", state: "executing" });
    const last = cpFile(id, 4);
    expect(last.completed_step_ids).toEqual(STEPS);
    expect(last.step_results.deploy.data.stdout).toBe("pnpm deploy --env staging\n");
    expect(last.state).toBe("completed");
  });
});

describe("seed 002: the API resolves checkpoints without replaying", () => {
  it("GET …/checkpoints: completed and pending steps, state, size (= the file's), creator; newest first", async () => {
    const res = await api(`/workflow-executions/${id}/checkpoints`);
    expect(res.status).toBe(200);
    const items: Json[] = res.json.data;
    expect(items.map((c) => c.number)).toEqual([4, 3, 2, 1]);
    const two = items.find((c) => c.number === 2);
    expect(two).toMatchObject({
      step_key: "build-app",
      created_by: "automatic",
      status: "running",
      state: "executing",
      current_phase: "test",
      current_step_index: 2,
      completed_step_ids: ["install-deps", "build-app"],
      pending_step_ids: ["run-tests", "deploy"],
    });
    for (const c of items)
      expect(c.size_bytes, `checkpoint ${c.number}`).toBe(statSync(join(cpDir(id), `step-${c.number}.json`)).size);
    expect(items[0]).toMatchObject({ state: "completed", pending_step_ids: [] });
  });

  it("GET …/checkpoints/:number: the same completed ids and step results as its file; no step runs again", async () => {
    const before = readFileSync(calls, "utf8");
    expect(before.trim().split("\n")).toHaveLength(4);
    const events = await s.env.store.events.list(id);
    for (let n = 1; n <= 4; n++) {
      const res = await api(`/workflow-executions/${id}/checkpoints/${n}`);
      expect(res.status).toBe(200);
      const file = cpFile(id, n);
      expect(res.json.data).toMatchObject({
        number: n,
        execution_id: id,
        completed_step_ids: file.completed_step_ids,
        step_results: file.step_results,
        current_step_index: file.current_step_index,
        current_phase: file.current_phase,
        state: file.state,
      });
    }
    expect(readFileSync(calls, "utf8")).toBe(before);
    expect(await s.env.store.events.list(id)).toEqual(events);
    expect((await api(`/workflow-executions/${id}`)).json.data.status).toBe("completed");
  });

  it("answers 404 for a checkpoint or run that does not exist, 400 for a number that is not one", async () => {
    const none = await api(`/workflow-executions/${id}/checkpoints/99`);
    expect(none.status).toBe(404);
    expect(none.json.error).toMatchObject({ code: "WEFT_NOT_FOUND" });
    expect(none.json.error.message).toContain("no checkpoint 99");
    expect((await api("/workflow-executions/nope/checkpoints/1")).status).toBe(404);
    for (const bad of ["abc", "0", "1.5"]) {
      const r = await api(`/workflow-executions/${id}/checkpoints/${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.json.error.code).toBe("WEFT_BAD_REQUEST");
      expect(r.json.error.message).toContain("number");
    }
  });
});

describe("seed 002: large results, rewound runs, manual checkpoints, pruning", () => {
  it("a result larger than the inline budget is a ref to the step's output.json, which holds it", async () => {
    const big = await launch(
      `name: big\nsteps:\n  - id: small\n    command: echo hi\n  - id: large\n    command: printf '%0${INLINE_RESULT_BYTES * 2}d' 0\n`,
    );
    await waitFor(big, "completed");
    await until(() => existsSync(join(cpDir(big), "step-2.json")), 5000, "step-2.json");
    const doc = cpFile(big, 2);
    expect(doc.step_results.small.data.stdout).toBe("hi\n");
    expect(doc.step_results.large).toEqual({ stepId: "large", status: "completed", ref: "logs/large/output.json" });
    const output = JSON.parse(readFileSync(join(s.env.dir, "runs", big, doc.step_results.large.ref), "utf8"));
    // written by the step's log and by the checkpoint writer if absent: the same text either way
    expect(readFileSync(join(s.env.dir, "runs", big, "logs/large/output.json"), "utf8")).toBe(
      `${JSON.stringify(output, null, 2)}\n`,
    );
    expect(output.stdout).toHaveLength(INLINE_RESULT_BYTES * 2);
    const api2 = await api(`/workflow-executions/${big}/checkpoints/2`);
    expect(api2.json.data.step_results.large.ref).toBe("logs/large/output.json");
  });

  it("a foreach's joined output, too large to inline, gets the output.json its ref names", async () => {
    const fan = await launch(
      `name: fan\nsteps:\n  - id: each\n    foreach: "{{ args.items }}"\n    command: printf '%0600d' 0\n`,
      { items: [1, 2, 3, 4, 5] },
    );
    await waitFor(fan, "completed");
    const cps = await s.env.store.checkpoints.list(fan);
    const last = cps[0]!;
    expect(last.stepKey).toBe("each");
    await until(() => existsSync(join(cpDir(fan), `step-${last.number}.json`)), 5000, "the last checkpoint's file");
    const doc = cpFile(fan, last.number);
    // in the order they ended: the items (any order), then the step that joins them
    expect(doc.completed_step_ids.at(-1)).toBe("each");
    expect(doc.completed_step_ids.slice(0, -1).sort()).toEqual(["each[0]", "each[1]", "each[2]", "each[3]", "each[4]"]);
    expect(doc.step_results.each).toEqual({ stepId: "each", status: "completed", ref: "logs/each/output.json" });
    const joined = JSON.parse(readFileSync(join(s.env.dir, "runs", fan, "logs/each/output.json"), "utf8"));
    expect(joined).toHaveLength(5);
  });

  it("a failed step's result carries its error; the run's state is failed", async () => {
    const failing = await launch(
      "name: failing\nsteps:\n  - id: ok\n    command: 'true'\n  - id: boom\n    command: exit 3\n",
    );
    await waitFor(failing, "failed");
    const res = await api(`/workflow-executions/${failing}/checkpoints/2`);
    expect(res.json.data.step_results.boom).toMatchObject({
      stepId: "boom",
      status: "failed",
      error: expect.stringContaining("3"),
    });
    expect(res.json.data.completed_step_ids).toEqual(["ok"]);
    expect(res.json.data.state).toBe("failed");
  });

  it("a rewound run's files include the steps it reused", async () => {
    const res = await api(`/workflow-executions/${id}/rewind`, { method: "POST", body: { checkpoint: 2 } });
    expect(res.status).toBe(201);
    const fork = res.json.data.id;
    await waitFor(fork, "completed");
    await until(() => existsSync(join(cpDir(fork), "step-2.json")), 5000, "the fork's step-2.json");
    expect(cpFile(fork, 1).completed_step_ids).toEqual(["install-deps", "build-app", "run-tests"]);
    const cps = (await api(`/workflow-executions/${fork}/checkpoints`)).json.data;
    expect(cps.map((c: Json) => c.completed_step_ids.length)).toEqual([4, 3]);
  });

  it("a rewound run's early checkpoint, read alone, lists only what had completed by then (as its file)", async () => {
    const source = await launch(SIMPLE_PIPELINE, { environment: "dev" });
    await waitFor(source, "completed");
    const res = await api(`/workflow-executions/${source}/rewind`, { method: "POST", body: { checkpoint: 1 } });
    expect(res.status).toBe(201);
    const fork = res.json.data.id;
    await waitFor(fork, "completed");
    await until(() => existsSync(join(cpDir(fork), "step-3.json")), 5000, "the fork's step-3.json");
    // Checkpoint 1 of the fork: install-deps reused, build-app run; run-tests and deploy not yet started.
    const one = (await api(`/workflow-executions/${fork}/checkpoints/1`)).json.data;
    expect(one.completed_step_ids).toEqual(cpFile(fork, 1).completed_step_ids);
    expect(one.completed_step_ids).toEqual(["install-deps", "build-app"]);
    expect(one.pending_step_ids).toEqual(["run-tests", "deploy"]);
    expect(Object.keys(one.step_results)).toEqual(["install-deps", "build-app"]);
    expect(one.size_bytes).toBe(statSync(join(cpDir(fork), "step-1.json")).size);
  });

  it("POST …/checkpoints/prune keeps the newest N, the latest and the forked-from; dry_run removes nothing", async () => {
    const dry = await api(`/workflow-executions/${id}/checkpoints/prune`, {
      method: "POST",
      body: { keep: 1, dry_run: true },
    });
    expect(dry.json.data).toEqual({
      dry_run: true,
      removed: [1, 3],
      kept: [
        { number: 4, why: "latest" },
        { number: 2, why: "forked" },
      ],
    });
    expect(readdirSync(cpDir(id))).toHaveLength(4);
    const done = await api(`/workflow-executions/${id}/checkpoints/prune`, { method: "POST", body: { keep: 1 } });
    expect(done.json.data.removed).toEqual([1, 3]);
    expect(readdirSync(cpDir(id)).sort()).toEqual(["step-2.json", "step-4.json"]);
    expect((await api(`/workflow-executions/${id}/checkpoints`)).json.data.map((c: Json) => c.number)).toEqual([4, 2]);
    expect((await api(`/workflow-executions/${id}/checkpoints/1`)).status).toBe(404);
    const bad = await api(`/workflow-executions/${id}/checkpoints/prune`, { method: "POST", body: { keep: 0 } });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ code: "WEFT_BAD_REQUEST", message: expect.stringContaining("keep") });
    const missing = await api("/workflow-executions/nope/checkpoints/prune", { method: "POST", body: { keep: 1 } });
    expect(missing.status).toBe(404);
  });
});

describe("seed 002: ctx.checkpoint() in a TypeScript workflow", () => {
  it("is a manual checkpoint with its own file; step checkpoints are automatic", async () => {
    // The seed's implement-feature.ts, reduced to its checkpoint calls (functions instead of agents).
    const wf = defineWorkflow({
      name: "Implement Feature",
      phases: ["research", "plan"],
      async execute(ctx) {
        await ctx.step("research-codebase", { phase: "research", fn: () => ({ patterns: ["..."] }) });
        await ctx.checkpoint();
        await ctx.step("create-spec", { phase: "plan", fn: () => ({ spec: {} }) });
        await ctx.checkpoint();
      },
    });
    const env = testEnv({ workflows: [wf] });
    try {
      const { run } = await env.engine.launch(wf);
      expect((await env.engine.execute(run.id)).status).toBe("completed");
      const cps = await env.store.checkpoints.list(run.id);
      const resolved = await resolveCheckpoints(env.store, (await env.store.runs.get(run.id))!, cps, { results: true });
      expect(resolved.map((r) => [r.record.number, r.createdBy, r.completed])).toEqual([
        [4, "manual", ["research-codebase", "create-spec"]],
        [3, "automatic", ["research-codebase", "create-spec"]],
        [2, "manual", ["research-codebase"]],
        [1, "automatic", ["research-codebase"]],
      ]);
      expect(resolved[2]?.results).toEqual({
        "research-codebase": { stepId: "research-codebase", status: "completed", data: { patterns: ["..."] } },
      });
      // The files are written after the commits; the engine's close() waits for them.
      await env.engine.close();
      const file = JSON.parse(readFileSync(join(env.dir, "runs", run.id, "checkpoints", "step-2.json"), "utf8"));
      expect(file).toMatchObject({
        created_by: "manual",
        label: "ctx.checkpoint()",
        completed_step_ids: ["research-codebase"],
      });
    } finally {
      await env.cleanup();
    }
  });
});

describe("when the files cannot be written, or pruning is asked for nonsense", () => {
  it("a checkpoint file that cannot be written is a notice; the run completes and its checkpoints are recorded", async () => {
    const env = testEnv();
    try {
      const notices: string[] = [];
      env.engine.onNotice((_id, message) => notices.push(message));
      const { run } = await env.engine.launch(
        wf("name: blocked\nsteps:\n  - id: a\n    type: noop\n  - id: b\n    type: noop\n"),
      );
      // a file where the checkpoints folder should be (the run folder is there once flushed)
      await env.engine.flush();
      writeFileSync(join(env.dir, "runs", run.id, "checkpoints"), "in the way");
      expect((await env.engine.execute(run.id)).status).toBe("completed");
      await env.engine.close();
      expect(notices).toEqual([
        expect.stringMatching(
          /^checkpoint files under \S+checkpoints cannot be written \(\w+\); the checkpoints are still recorded in the database$/,
        ),
      ]);
      expect((await env.store.checkpoints.list(run.id)).map((c) => c.number)).toEqual([2, 1]);
    } finally {
      await env.cleanup();
    }
  });

  it("pruneCheckpoints refuses a keep below 1 and an unknown run, changing nothing", async () => {
    const env = testEnv();
    try {
      const { run } = await env.engine.launch(
        wf("name: two\nsteps:\n  - id: a\n    type: noop\n  - id: b\n    type: noop\n"),
      );
      await env.engine.execute(run.id);
      for (const keep of [0, -1, 1.5]) {
        await expect(pruneCheckpoints(env.store, env.dir, run.id, keep)).rejects.toMatchObject({
          code: "WEFT_ARGS",
          message: `keep must be a positive integer (1, 2, …), not ${keep}`,
        });
      }
      await expect(pruneCheckpoints(env.store, env.dir, "nope", 1)).rejects.toMatchObject({ code: "WEFT_NOT_FOUND" });
      expect(await env.store.checkpoints.list(run.id)).toHaveLength(2);
    } finally {
      await env.cleanup();
    }
  });
});

describe("which checkpoints get a file", () => {
  it("every one up to EVERY_FILE_UP_TO, then a doubling stride, so a run's files stay linear in its length", () => {
    for (let n = 1; n <= EVERY_FILE_UP_TO; n++) expect(fileWanted(n)).toBe(true);
    expect(fileWanted(EVERY_FILE_UP_TO + 1)).toBe(false);
    expect(fileWanted(EVERY_FILE_UP_TO + 2)).toBe(true);
    let files = 0;
    for (let n = 1; n <= EVERY_FILE_UP_TO * 8; n++) if (fileWanted(n)) files++;
    // 128 + 64 per doubling: 128, 64 (÷2), 64 (÷4), 64 (÷8)
    expect(files).toBe(EVERY_FILE_UP_TO + 3 * (EVERY_FILE_UP_TO / 2));
  });
});
