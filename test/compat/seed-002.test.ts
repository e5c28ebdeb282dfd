/**
 * Seed 002 (agent workflow engine) as its users hold it: a project with `.agent/workflows/definitions/` holding
 * the seed's own `implement-feature.ts` (importing `@repo/workflow-engine`, test/fixtures/compat/seed-002/, the
 * seed's code block verbatim) and `simple-pipeline.yaml`; the real `weft serve` started in that project lists
 * them as definitions and follows their edits (rename-replace, a broken file, a deleted one); TypeScript
 * definitions created and updated through `POST/PUT /api/workflow-definitions` (`format: "ts"`); `weft run` of
 * the seed's file; and `GET /api/workflow-steps/:id` after a real agent step, an upload and a comment, with the
 * seed's payloads. The seed's `pnpm` scripts run a stub on PATH.
 */
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tokenHash } from "../../src/server/access.js";
import {
  cleanUpAfterTests,
  fileLines,
  type LiveWeft,
  type Loose,
  pnpmStub,
  repoRoot,
  seed,
  startWeft,
  tempDir,
  UUID,
  until,
  weftIn,
} from "../cli/helpers.js";
import { body, serverEnv } from "../server/helpers.js";

cleanUpAfterTests();

/** Seed 002's "TypeScript Workflow Definition", as written there (its import is `@repo/workflow-engine`). */
const SEED_TS = readFileSync(join(repoRoot, "test/fixtures/compat/seed-002/implement-feature.ts.txt"), "utf8");
const SEED_YAML = seed("simple-pipeline.yaml");
const SEED_STEPS = ["research-codebase", "create-spec", "implement", "run-tests", "build"];
/** The seed's `POST /api/workflow-executions` body, with the definition id filled in. */
const launchBody = (definitionId: string) => ({
  project_id: "default",
  workflow_definition_id: definitionId,
  name: "Implement authentication",
  args: { featureName: "User authentication", requirements: "JWT-based auth with refresh tokens" },
});

/** A temp project with seed 002's layout: `.agent/workflows/definitions/` holding the seed's two definitions. */
function seedProject(): { dir: string; defs: string } {
  const dir = tempDir("weft-seed002-");
  const defs = join(dir, ".agent", "workflows", "definitions");
  mkdirSync(defs, { recursive: true });
  writeFileSync(join(defs, "implement-feature.ts"), SEED_TS);
  copyFileSync(SEED_YAML, join(defs, "simple-pipeline.yaml"));
  return { dir, defs };
}

/** The real `weft serve` started in `project` (its working directory), on a free port. */
async function serveIn(
  project: string,
  env: Record<string, string> = {},
  data = tempDir("weft-seed002-data-"),
): Promise<{ p: LiveWeft; url: string }> {
  const p = startWeft(["--data-dir", data, "serve", "--port", "0"], {
    cwd: project,
    env,
  });
  const line = await p.waitForLine(/listening on http:\/\//, 60_000);
  return { p, url: /(http:\/\/\S+)/.exec(line)?.[1] as string };
}

async function call(
  url: string,
  method: string,
  path: string,
  payload?: unknown,
): Promise<{ status: number; json: Loose }> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(payload === undefined
      ? {}
      : { headers: { "content-type": "application/json" }, body: JSON.stringify(payload) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const listFiles = async (url: string): Promise<Loose[]> =>
  (await call(url, "GET", "/api/workflow-definitions?project_id=default&sort=name")).json.data.filter(
    (d: Loose) => d.origin === "file",
  );

async function waitRun(url: string, id: string, status: string): Promise<Loose> {
  let run: Loose;
  await until(
    async () => {
      run = (await call(url, "GET", `/api/workflow-executions/${id}`)).json.data;
      return ["completed", "failed", "cancelled"].includes(run.status);
    },
    `run ${id} to end`,
    60_000,
  );
  expect(run.status, JSON.stringify(run.steps?.map((s: Loose) => [s.step_id, s.status, s.error_message]))).toBe(status);
  return run;
}

describe("weft serve: the project's .agent/workflows/definitions/ listed as definitions", () => {
  it("lists the seed's TypeScript and YAML files (origin file, path, steps drawn), read-only through the API", async () => {
    const project = seedProject();
    const { p, url } = await serveIn(project.dir);
    const files = await listFiles(url);
    expect(files.map((d) => [d.name, d.format, d.path, d.step_count, d.system, d.issues])).toEqual([
      ["Implement Feature", "ts", ".agent/workflows/definitions/implement-feature.ts", 5, false, []],
      ["Simple Build Pipeline", "yaml", ".agent/workflows/definitions/simple-pipeline.yaml", 4, false, []],
    ]);
    const ts = files[0];
    expect(ts.project_id).toBe("default");
    expect(ts.description).toBe("Research, plan, implement, and test a new feature");
    expect(ts.phases).toEqual(["research", "plan", "implement", "test"]);
    // The gallery's detail: the steps drawn from the code (the `@repo/workflow-engine` import is read as weft's).
    const detail = (await call(url, "GET", `/api/workflow-definitions/${ts.id}`)).json.data;
    expect(detail.graph).toBe("code");
    expect(detail.steps.map((s: Loose) => s.id)).toEqual(SEED_STEPS);
    expect(detail.source).toBe(SEED_TS);
    expect(detail.args_schema.required).toEqual(["featureName", "requirements"]);

    // The file is the truth: no change or delete through the API; a clone is the API's own.
    const put = await call(url, "PUT", `/api/workflow-definitions/${ts.id}`, { source: SEED_TS, format: "ts" });
    expect(put.status).toBe(409);
    expect(put.json.error.message).toMatch(/definitions folder \(.*implement-feature\.ts\).*edit the file/);
    const del = await call(url, "DELETE", `/api/workflow-definitions/${files[1].id}`);
    expect(del.status).toBe(409);
    expect(del.json.error.message).toContain("delete the file");
    const clone = await call(url, "POST", `/api/workflow-definitions/${ts.id}/clone`, {});
    expect(clone.status).toBe(201);
    expect([clone.json.data.origin, clone.json.data.path, clone.json.data.format]).toEqual(["api", null, "ts"]);

    // The folder's state, file by file.
    const folder = (await call(url, "GET", "/api/workflow-definitions/files")).json.data;
    expect(folder.project_id).toBe("default");
    expect(folder.files.map((f: Loose) => [f.name, f.definition_id, f.issues])).toEqual([
      ["implement-feature.ts", ts.id, []],
      ["simple-pipeline.yaml", files[1].id, []],
    ]);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("follows the files: an edit (rename-replace), a broken file (its issues; launch refused), a fix, a new file, a deletion (its runs go on)", async () => {
    const project = seedProject();
    const pnpm = pnpmStub();
    const { p, url } = await serveIn(project.dir, { PATH: pnpm.path });
    const yamlFile = join(project.defs, "simple-pipeline.yaml");
    const original = readFileSync(yamlFile, "utf8");
    const pipeline = async (): Promise<Loose> =>
      (await listFiles(url)).find((d) => d.path.endsWith("simple-pipeline.yaml"));
    const first = await pipeline();
    expect(first.version).toBe(1);

    // An editor that saves by writing a temporary file and renaming it over the old one.
    const save = (text: string) => {
      writeFileSync(`${yamlFile}.tmp`, text);
      renameSync(`${yamlFile}.tmp`, yamlFile);
    };
    save(original.replace("description: Build, test, and deploy", "description: Build, test and ship"));
    await until(async () => (await pipeline())?.description === "Build, test and ship", "the edit to be listed");
    expect((await pipeline()).id).toBe(first.id);
    expect((await pipeline()).version).toBe(2);

    // A run of it, launched before the file goes away.
    const launched = await call(url, "POST", "/api/workflow-executions", {
      workflow_definition_id: first.id,
      args: { environment: "staging" },
    });
    expect(launched.status, JSON.stringify(launched.json)).toBe(201);
    const runId = launched.json.data.id as string;

    // Broken: the definition stays (its last good version) and shows the file's problems, at their lines.
    save(`${original}\n  - id: [unclosed\n`);
    await until(async () => (await pipeline())?.issues.length > 0, "the broken file's issues");
    const broken = await pipeline();
    expect(broken.version).toBe(2);
    expect(broken.issues[0]).toMatchObject({
      severity: "error",
      file: ".agent/workflows/definitions/simple-pipeline.yaml",
    });
    expect(broken.issues[0].line).toBeGreaterThan(40);
    expect(broken.issues[0].column).toBeGreaterThan(0);
    // …and is not launched until the file is fixed: 422 with the same issues.
    const refused = await call(url, "POST", "/api/workflow-executions", {
      workflow_definition_id: first.id,
      args: { environment: "dev" },
    });
    expect(refused.status).toBe(422);
    expect(refused.json.error.issues[0].file).toBe(".agent/workflows/definitions/simple-pipeline.yaml");
    await until(() => p.stderrLines.some((l) => l.includes("simple-pipeline.yaml:") && l.includes("error")), "stderr");

    // A file that never loaded is listed by the folder's route, without a definition.
    writeFileSync(join(project.defs, "draft.yaml"), "name: Draft\nsteps: nope\n");
    let folder: Loose;
    await until(async () => {
      folder = (await call(url, "GET", "/api/workflow-definitions/files")).json.data;
      return folder.files.some((f: Loose) => f.name === "draft.yaml");
    }, "draft.yaml to be read");
    const draft = folder.files.find((f: Loose) => f.name === "draft.yaml");
    expect(draft.definition_id).toBeNull();
    expect(draft.issues[0]).toMatchObject({
      severity: "error",
      file: ".agent/workflows/definitions/draft.yaml",
      line: 2,
    });
    expect((await listFiles(url)).map((d) => d.name)).not.toContain("Draft");

    // Fixed.
    save(original);
    await until(async () => (await pipeline())?.issues.length === 0, "the fix");
    expect((await pipeline()).description).toBe("Build, test, and deploy");

    // Deleted: its definition goes; the run launched from it still completes, with its own copy.
    rmSync(yamlFile);
    await until(async () => (await pipeline()) === undefined, "the definition to go");
    expect((await call(url, "GET", `/api/workflow-definitions/${first.id}`)).status).toBe(404);
    const run = await waitRun(url, runId, "completed");
    expect(run.workflow_definition_id).toBeNull();
    expect(run.steps.map((s: Loose) => s.step_id)).toEqual(["install-deps", "build-app", "run-tests", "deploy"]);
    expect(fileLines(pnpm.log).map((l) => l.replace(/ \/\S+$/, ""))).toEqual([
      "install",
      "build",
      "test",
      "deploy --env staging",
    ]);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("a file whose workflow takes a name another definition has is an error of that file until the name is free", async () => {
    const project = seedProject();
    copyFileSync(SEED_YAML, join(project.defs, "x-pipeline-copy.yml"));
    const { p, url } = await serveIn(project.dir);
    const folder = (await call(url, "GET", "/api/workflow-definitions/files")).json.data;
    const copy = folder.files.find((f: Loose) => f.name === "x-pipeline-copy.yml");
    expect(copy.definition_id).toBeNull();
    // At its `name:` (line 4, after the seed file's comment).
    expect(copy.issues[0]).toMatchObject({ code: "WEFT_CONFLICT", line: 4, column: 7 });
    expect(copy.issues[0].message).toContain('already has a workflow definition named "Simple Build Pipeline"');
    expect((await listFiles(url)).map((d) => d.path)).toEqual([
      ".agent/workflows/definitions/implement-feature.ts",
      ".agent/workflows/definitions/simple-pipeline.yaml",
    ]);
    // Once the name is free, the waiting file takes it (unchanged itself).
    rmSync(join(project.defs, "simple-pipeline.yaml"));
    await until(
      async () => (await listFiles(url)).some((d) => d.path.endsWith("x-pipeline-copy.yml")),
      "the copy to take the name",
    );
    const files = (await call(url, "GET", "/api/workflow-definitions/files")).json.data.files;
    expect(files.map((f: Loose) => [f.name, f.issues.length, f.definition_id !== null])).toEqual([
      ["implement-feature.ts", 0, true],
      ["x-pipeline-copy.yml", 0, true],
    ]);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("across restarts: an unchanged file keeps its definition; one deleted while no server ran goes at the next start", async () => {
    const project = seedProject();
    const data = tempDir("weft-seed002-data-");
    const first = await serveIn(project.dir, {}, data);
    const before = await listFiles(first.url);
    first.p.kill("SIGTERM");
    expect((await first.p.done()).code).toBe(0);

    rmSync(join(project.defs, "simple-pipeline.yaml"));
    const second = await serveIn(project.dir, {}, data);
    const after = await listFiles(second.url);
    expect(after.map((d) => [d.id, d.version])).toEqual([[before[0].id, 1]]);
    expect((await call(second.url, "GET", `/api/workflow-definitions/${before[1].id}`)).status).toBe(404);
    expect(second.p.stderrLines.join("\n")).toContain("definitions: simple-pipeline.yaml removed");
    second.p.kill("SIGTERM");
    expect((await second.p.done()).code).toBe(0);
  });
});

describe("the seed's implement-feature.ts (import from @repo/workflow-engine) runs unchanged", () => {
  it("through the API from the folder; its step's detail has the agent session, the artifact and the comment", async () => {
    const project = seedProject();
    const pnpm = pnpmStub();
    const { p, url } = await serveIn(project.dir, { PATH: pnpm.path });
    const def = (await listFiles(url)).find((d) => d.format === "ts");
    const launched = await call(url, "POST", "/api/workflow-executions", launchBody(def.id));
    expect(launched.status, JSON.stringify(launched.json)).toBe(201);
    expect(launched.json.data).toMatchObject({ workflow_definition_id: def.id, name: "Implement authentication" });
    const id = launched.json.data.id as string;
    const run = await waitRun(url, id, "completed");
    expect(run.steps.map((s: Loose) => s.step_id)).toEqual(SEED_STEPS);
    expect(fileLines(pnpm.log).map((l) => l.split(" ")[0])).toEqual(["test", "build"]);

    // The seed's upload (multipart: file, step_id, name, file_type) and comment, on the research step.
    const fd = new FormData();
    fd.append("file", new Blob([Buffer.from("\x89PNG\r\n\x1a\n")], { type: "image/png" }), "screenshot.png");
    fd.append("step_id", "research-codebase");
    fd.append("name", "screenshot.png");
    fd.append("file_type", "image");
    const up = await fetch(`${url}/api/workflow-executions/${id}/artifacts`, { method: "POST", body: fd });
    expect(up.status).toBe(201);
    const artifact = ((await up.json()) as Loose).data;
    const comment = await call(url, "POST", `/api/workflow-executions/${id}/comments`, {
      text: "This step looks good!",
      step_id: "research-codebase",
      comment_type: "user",
    });
    expect(comment.status, JSON.stringify(comment.json)).toBe(201);

    const stepId = run.steps.find((s: Loose) => s.step_id === "research-codebase").id as string;
    const got = await call(url, "GET", `/api/workflow-steps/${encodeURIComponent(stepId)}`);
    expect(got.status).toBe(200);
    const step = got.json.data;
    // Seed 002's documented fields.
    expect(step).toMatchObject({
      id: stepId,
      step_id: "research-codebase",
      name: "research-codebase",
      phase: "research",
      status: "completed",
    });
    expect(step.log_directory_path).toBe(`runs/${id}/logs/research-codebase`);
    expect(step.session.exchanges.length).toBeGreaterThan(0);
    expect(step.session.exchanges[0]).toMatchObject({ agent: "claude", provider: "mock" });
    expect(step.artifacts.map((a: Loose) => [a.id, a.name, a.file_type, a.mime_type])).toEqual([
      [artifact.id, "screenshot.png", "image", "image/png"],
    ]);
    expect(step.comments.map((c: Loose) => [c.id, c.text, c.comment_type])).toEqual([
      [comment.json.data.id, "This step looks good!", "user"],
    ]);
    // A script step has no agent session.
    const script = run.steps.find((s: Loose) => s.step_id === "run-tests").id as string;
    expect((await call(url, "GET", `/api/workflow-steps/${encodeURIComponent(script)}`)).json.data.session).toBeNull();
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("through `weft run implement-feature` in the project (the definitions folder)", async () => {
    const project = seedProject();
    const pnpm = pnpmStub();
    const r = await weftIn(
      tempDir("weft-seed002-data-"),
      ["run", "implement-feature", "--context", JSON.stringify(launchBody("").args)],
      { cwd: project.dir, env: { PATH: pnpm.path }, timeoutMs: 60_000 },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.lines[0]).toMatch(UUID);
    expect(r.stdout).toContain("State: completed");
    expect(r.stdout).toContain("Steps: 5 (5 completed, 0 failed, 0 skipped)");
  });

  it("a subpath the package does not export is a clean error naming it", async () => {
    const project = seedProject();
    const file = join(project.defs, "implement-feature.ts");
    writeFileSync(file, SEED_TS.replace('"@repo/workflow-engine"', '"@repo/workflow-engine/nope"'));
    const r = await weftIn(tempDir("weft-seed002-data-"), ["validate", file], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toMatch(
      /implement-feature\.ts:2:\d+: error WEFT_PARSE: "@repo\/workflow-engine\/nope" is not an export of weftflow/,
    );
  });
});

describe("TypeScript definitions through POST/PUT /api/workflow-definitions (format: ts)", () => {
  it("creates the seed's file as a definition, launches it, updates it; errors are 422 at workflow.ts:line:column", async () => {
    const project = seedProject();
    rmSync(project.defs, { recursive: true });
    const pnpm = pnpmStub();
    const { p, url } = await serveIn(project.dir, { PATH: pnpm.path });
    const created = await call(url, "POST", "/api/workflow-definitions", { source: SEED_TS, format: "ts" });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    const def = created.json.data;
    expect([def.name, def.format, def.origin, def.graph, def.step_count]).toEqual([
      "Implement Feature",
      "ts",
      "api",
      "code",
      5,
    ]);
    expect(def.steps.map((s: Loose) => s.id)).toEqual(SEED_STEPS);
    const launched = await call(url, "POST", "/api/workflow-executions", launchBody(def.id));
    expect(launched.status, JSON.stringify(launched.json)).toBe(201);
    await waitRun(url, launched.json.data.id, "completed");

    // Updated from new text: still TypeScript without saying so again.
    const changed = SEED_TS.replace("Research, plan, implement, and test a new feature", "Ship a feature");
    const put = await call(url, "PUT", `/api/workflow-definitions/${def.id}`, { source: changed, version: 1 });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    expect([put.json.data.description, put.json.data.version, put.json.data.format]).toEqual([
      "Ship a feature",
      2,
      "ts",
    ]);

    // A syntax error: 422, located in the text sent.
    const bad = SEED_TS.replace("phases: [", "phases: [[");
    const syntax = await call(url, "POST", "/api/workflow-definitions", { source: bad, format: "ts" });
    expect(syntax.status).toBe(422);
    expect(syntax.json.error.issues[0]).toMatchObject({ severity: "error", file: "workflow.ts" });
    expect(syntax.json.error.issues[0].line).toBeGreaterThan(10);
    // No defineWorkflow default export.
    const noExport = await call(url, "PUT", `/api/workflow-definitions/${def.id}`, {
      source: "export const x = 1;\n",
      format: "ts",
    });
    expect(noExport.status).toBe(422);
    expect(noExport.json.error.issues[0]).toMatchObject({ code: "WEFT_SCHEMA", file: "workflow.ts", line: 1 });
    expect(noExport.json.error.message).toContain("the default export must be `defineWorkflow({ … })`");
    // An unknown step type the code spells out.
    const unknown = await call(url, "POST", "/api/workflow-definitions", {
      source: SEED_TS.replace(
        'type: "script",\n      command: "pnpm build"',
        'type: "scrpt",\n      command: "pnpm build"',
      ),
      format: "ts",
    });
    expect(unknown.status).toBe(422);
    expect(unknown.json.error.issues[0]).toMatchObject({ code: "WEFT_UNKNOWN_STEP_TYPE", file: "workflow.ts" });
    expect((await call(url, "GET", `/api/workflow-definitions/${def.id}`)).json.data.version).toBe(2);
    p.kill("SIGTERM");
    expect((await p.done()).code).toBe(0);
  });

  it("needs the scripts permission, checked before the module is loaded (its top level never runs)", async () => {
    const marker = join(tempDir(), "ran");
    const source = `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "x");\n${SEED_TS.replace(/^\/\/.*\n/, "")}`;
    const s = await serverEnv();
    try {
      const token = async (scripts: boolean) => {
        const secret = `weft_${randomUUID()}`;
        await s.env.store.tokens.create({
          id: randomUUID(),
          name: scripts ? "with scripts" : "admin",
          hash: tokenHash(secret),
          scopes: [{ projectId: "default", role: "admin", scripts }],
          now: Date.now(),
        });
        return { authorization: `Bearer ${secret}` };
      };
      const admin = await token(false);
      const coder = await token(true);
      await new Promise((r) => setTimeout(r, 250)); // the server remembers "no token exists" for up to 200 ms
      const post = (headers: Record<string, string>) =>
        s.app.inject({ method: "POST", url: "/api/workflow-definitions", headers, payload: { source, format: "ts" } });
      const refused = await post(admin);
      expect(refused.statusCode).toBe(403);
      expect(body(refused).error.message).toContain("the workflow itself (TypeScript)");
      expect(body(refused).error.message).toContain("scripts permission");
      expect(existsSync(marker)).toBe(false);
      const made = await post(coder);
      expect(made.statusCode, made.body).toBe(201);
      expect(existsSync(marker)).toBe(true);
      // Updating it needs the permission too.
      rmSync(marker);
      const put = await s.app.inject({
        method: "PUT",
        url: `/api/workflow-definitions/${body(made).data.id}`,
        headers: admin,
        payload: { source },
      });
      expect(put.statusCode).toBe(403);
      expect(existsSync(marker)).toBe(false);
    } finally {
      await s.close();
    }
  });
});
