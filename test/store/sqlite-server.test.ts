/**
 * SQLite specifics of what `weft serve` stores (migration 002): upgrading a version-1 database, cascades,
 * query plans, and real multi-process races on attachments and run events.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSqliteStore, LATEST_SCHEMA_VERSION } from "../../src/store/sqlite/index.js";
import { sql as initialSql } from "../../src/store/sqlite/migrations/001_initial.js";
import { MAX_DOCUMENT_ATTACHMENTS, type NewArtifact, type NewRun } from "../../src/store/store.js";
import { bundleStore, runChild } from "./child.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-sqlite-server-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function newRun(id: string, patch: Partial<NewRun> = {}): NewRun {
  return {
    id,
    projectId: "p",
    name: "r",
    definition: { name: "w", tags: [], phases: [], steps: [] },
    workflowHash: "h",
    args: {},
    priority: 0,
    triggeredBy: null,
    idempotencyKey: null,
    parentRunId: null,
    forkedFrom: null,
    steps: [],
    events: [
      {
        type: "workflow.execution.created",
        data: { workflow_name: "w", workflow_hash: "h", args: {}, triggered_by: null },
      },
    ],
    now: 1,
    ...patch,
  };
}

function artifact(id: string, runId: string, fileType: NewArtifact["fileType"]): NewArtifact {
  return {
    id,
    runId,
    stepKey: null,
    name: `${id}.bin`,
    storageKey: `runs/${runId}/${id}`,
    fileType,
    mimeType: "application/octet-stream",
    sizeBytes: 1,
    sha256: "00",
    now: 2,
  };
}

describe("sqlite store: migration 002", () => {
  it("upgrades a version-1 database in place: runs are kept, unlinked, and the new tables work", async () => {
    const path = join(tempDir(), "v1.db");
    const v1 = new Database(path);
    v1.exec(initialSql);
    v1.exec(
      "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
    );
    v1.prepare("INSERT INTO schema_migrations VALUES (1, 'initial', 0)").run();
    v1.prepare(
      `INSERT INTO runs (id, version, status, created_at, updated_at, project_id, name, workflow_name, workflow_hash, args, definition)
       VALUES ('old', 3, 'completed', 1, 2, 'p', 'r', 'w', 'h', '{}', '{"name":"w","tags":[],"phases":[],"steps":[]}')`,
    ).run();
    v1.close();

    const store = createSqliteStore({ path });
    expect(store.inspect().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await store.runs.get("old")).toMatchObject({
      id: "old",
      version: 3,
      status: "completed",
      definitionId: null,
    });
    const def = await store.definitions.create({
      id: "d1",
      projectId: "p",
      name: "w",
      description: null,
      category: null,
      tags: [],
      format: "json",
      source: "{}",
      workflow: { name: "w", tags: [], phases: [], steps: [] },
      workflowHash: "h",
      system: false,
      now: 5,
    });
    await store.runs.create(newRun("new", { definitionId: def.id }));
    expect((await store.definitions.stats("d1"))?.timesUsed).toBe(1);
    const { event } = await store.comments.create({
      id: "c1",
      runId: "old",
      stepKey: null,
      text: "on an old run",
      commentType: "system",
      createdBy: null,
      now: 6,
    });
    expect(event.seq).toBe(1);
    await store.close();
  });
});

describe("sqlite store: server records", () => {
  it("deleting a run (by hand) takes its comments, artifacts and attachments with it", async () => {
    const path = join(tempDir(), "cascade.db");
    const store = createSqliteStore({ path });
    await store.runs.create(newRun("r1"));
    await store.runs.create(newRun("r2"));
    await store.comments.create({
      id: "c1",
      runId: "r1",
      stepKey: null,
      text: "x",
      commentType: "user",
      createdBy: null,
      now: 2,
    });
    await store.artifacts.create(artifact("doc", "r1", "document"));
    await store.artifacts.create(artifact("img", "r1", "image"));
    await store.artifacts.attachToComment("img", "c1", 3);
    await store.attachments.attach("doc", ["img"], 3);
    await store.artifacts.create(artifact("keep", "r2", "image"));

    const db = new Database(path);
    db.pragma("foreign_keys = ON");
    db.prepare("DELETE FROM runs WHERE id = 'r1'").run();
    // r2 keeps its artifact and its two events (created, artifact.created).
    const count = (table: string) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
    expect([count("comments"), count("artifacts"), count("document_attachments"), count("events")]).toEqual([
      0, 1, 0, 2,
    ]);
    db.close();
    expect(await store.artifacts.get("keep")).toBeDefined();
    await store.close();
  });

  it("reads a definition's usage stats and a run's comments and artifacts through their indexes", async () => {
    const path = join(tempDir(), "plan.db");
    const store = createSqliteStore({ path });
    const db = new Database(path, { readonly: true });
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>).map((p) => p.detail).join("\n");
    expect(plan("SELECT count(*) FROM runs WHERE definition_id = 'x'")).toMatch(
      /USING (COVERING )?INDEX runs_definition/,
    );
    expect(plan("SELECT * FROM comments WHERE run_id = 'x' ORDER BY created_at")).toMatch(/USING INDEX comments_run/);
    expect(plan("SELECT * FROM artifacts WHERE run_id = 'x' AND step_key = 'a'")).toMatch(/USING INDEX artifacts_run/);
    expect(plan("SELECT * FROM document_attachments WHERE image_id = 'x'")).toMatch(/document_attachments_image/);
    db.close();
    await store.close();
  });

  it("keeps one primary per document even against a hand-written second one", async () => {
    const path = join(tempDir(), "primary.db");
    const store = createSqliteStore({ path });
    await store.runs.create(newRun("r1"));
    await store.artifacts.create(artifact("doc", "r1", "document"));
    await store.artifacts.create(artifact("i1", "r1", "image"));
    await store.artifacts.create(artifact("i2", "r1", "image"));
    await store.attachments.attach("doc", ["i1", "i2"], 3);
    const db = new Database(path);
    expect(() => db.prepare("UPDATE document_attachments SET is_primary = 1 WHERE image_id = 'i2'").run()).toThrow(
      /UNIQUE constraint failed/,
    );
    db.close();
    await store.close();
  });
});

describe("sqlite store: server records across processes", () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await bundleStore(tempDir());
  });

  /** Starts `n` children that each run `body` at the same moment; returns what each printed. */
  async function race(n: number, body: (i: number) => string): Promise<string[]> {
    const startAt = Date.now() + 1500;
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => runChild(`while (Date.now() < ${startAt});\n${body(i)}`, { store: bundle })),
    );
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: "" });
    return results.map((r) => r.stdout.trim());
  }

  it("of 4 processes each attaching 6 images to one document at once, exactly one is refused", async () => {
    const path = join(tempDir(), "attach.db");
    const store = createSqliteStore({ path });
    await store.runs.create(newRun("r1"));
    await store.artifacts.create(artifact("doc", "r1", "document"));
    for (let i = 0; i < 24; i++) await store.artifacts.create(artifact(`img${i}`, "r1", "image"));
    const out = await race(4, (p) => {
      const ids = Array.from({ length: 6 }, (_, k) => `img${p * 6 + k}`);
      return `const store = createSqliteStore({ path: ${JSON.stringify(path)} });
       try {
         const list = await store.attachments.attach("doc", ${JSON.stringify(ids)}, 10);
         console.log("ok " + list.length);
       } catch (err) {
         console.log(err.code);
       }
       await store.close();`;
    });
    expect(out.filter((o) => o === "WEFT_CONFLICT")).toHaveLength(1);
    expect(out.filter((o) => o.startsWith("ok "))).toHaveLength(3);
    const list = await store.attachments.list("doc");
    expect(list).toHaveLength(18);
    expect(list.length).toBeLessThanOrEqual(MAX_DOCUMENT_ATTACHMENTS);
    expect(list.filter((a) => a.primary)).toHaveLength(1);
    expect(new Set(list.map((a) => a.position)).size).toBe(18);
    await store.close();
  });

  it("comments and artifacts from 4 processes and commits from this one get contiguous seqs", async () => {
    const path = join(tempDir(), "seqs.db");
    const store = createSqliteStore({ path });
    await store.runs.create(newRun("r1"));
    const children = race(
      4,
      (p) =>
        `const store = createSqliteStore({ path: ${JSON.stringify(path)} });
       for (let i = 0; i < 10; i++) {
         await store.comments.create({ id: "c${p}-" + i, runId: "r1", stepKey: null, text: "t", commentType: "agent", createdBy: null, now: 5 });
         await store.artifacts.create({ id: "a${p}-" + i, runId: "r1", stepKey: null, name: "n", storageKey: "k/${p}/" + i,
           fileType: "other", mimeType: "text/plain", sizeBytes: 1, sha256: "00", now: 5 });
       }
       await store.close();`,
    );
    // Meanwhile this process commits as a controller would: reload the version on conflict.
    let committed = 0;
    const deadline = Date.now() + 20_000;
    const progress = {
      type: "workflow.step.progress" as const,
      data: { step_id: "a", key: "a", output: "x", stream: "info" as const },
    };
    let done = false;
    void children.then(() => {
      done = true;
    });
    while (!done && Date.now() < deadline) {
      const v = (await store.runs.versions(["r1"])).get("r1")!;
      try {
        await store.commit({ runId: "r1", expectedVersion: v, events: [progress], now: 6 });
        committed++;
      } catch (err) {
        expect(err).toMatchObject({ code: "WEFT_CONFLICT" });
      }
      await new Promise((r) => setTimeout(r, 1));
    }
    await children;
    const seqs = (await store.events.list("r1")).map((e) => e.seq);
    const total = 1 + 80 + committed;
    expect(seqs).toEqual(Array.from({ length: total }, (_, i) => i + 1));
    expect(await store.comments.list("r1")).toHaveLength(40);
    expect(await store.artifacts.list("r1")).toHaveLength(40);
    expect((await store.runs.get("r1"))?.version).toBe(1 + 80 + committed);
    await store.close();
  });
});
