import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AttemptRecord } from "../../src/core/model.js";
import { createSqliteStore, LATEST_SCHEMA_VERSION } from "../../src/store/sqlite/index.js";
import { MIGRATIONS } from "../../src/store/sqlite/migrations/index.js";
import type { NewRun, Store } from "../../src/store/store.js";
import { storeConformanceSuite } from "../../src/testing/store-conformance.js";
import { bundleStore, runChild } from "./child.js";

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "weft-sqlite-"));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

storeConformanceSuite("sqlite", async () => {
  const dir = tempDir();
  const path = join(dir, "nested", "weft.db");
  const store = createSqliteStore({ path, durability: "normal" });
  return {
    store,
    reopen: async () => createSqliteStore({ path }),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

function newRun(id: string): NewRun {
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
    events: [],
    now: 1,
  };
}

/** A new database file migrated up to `version` only, open (as an older weftflow left it). */
function databaseAt(version: number): { path: string; db: Database.Database } {
  const path = join(tempDir(), `v${version}.db`);
  const db = new Database(path);
  db.exec(
    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
  );
  for (const m of MIGRATIONS.filter((m) => m.version <= version)) {
    db.exec(m.sql);
    db.prepare("INSERT INTO schema_migrations VALUES (?, ?, 0)").run(m.version, m.name);
  }
  return { path, db };
}

const versionOf = async (store: Store, id: string) => (await store.runs.versions([id])).get(id);

describe("sqlite store", () => {
  it("sets the pragmas for each durability and busy timeout", async () => {
    const dir = tempDir();
    const full = createSqliteStore({ path: join(dir, "a", "b", "full.db") });
    const normal = createSqliteStore({ path: join(dir, "normal.db"), durability: "normal", busyTimeoutMs: 1234 });
    expect(full.durability).toBe("full");
    expect(full.inspect()).toMatchObject({
      journalMode: "wal",
      synchronous: 2,
      tempStore: 2,
      foreignKeys: true,
      busyTimeoutMs: 5000,
    });
    expect(normal.durability).toBe("normal");
    expect(normal.inspect()).toMatchObject({ journalMode: "wal", synchronous: 1, tempStore: 2, busyTimeoutMs: 1234 });
    await full.close();
    await normal.close();
  });

  it("records migrations once, across reopens", async () => {
    const path = join(tempDir(), "m.db");
    for (let i = 0; i < 3; i++) {
      const store = createSqliteStore({ path });
      expect(store.inspect().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    const rows = db.prepare("SELECT version, name FROM schema_migrations ORDER BY version").all();
    expect(rows).toEqual([
      { version: 1, name: "initial" },
      { version: 2, name: "server" },
      { version: 3, name: "scoped_keys_and_actors" },
      { version: 4, name: "run_views" },
      { version: 5, name: "artifact_search" },
      { version: 6, name: "test_runs" },
      { version: 7, name: "definition_status" },
      { version: 8, name: "attempts_without_rowid" },
    ]);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();
    expect(tables).toEqual([
      "api_tokens",
      "artifacts",
      "attempts",
      "checkpoints",
      "comments",
      "document_attachments",
      "events",
      "runs",
      "schema_migrations",
      "step_runs",
      "workflow_definitions",
    ]);
    db.close();
  });

  it("migration 3 keeps the keys of existing runs, now unique per project", async () => {
    const { path, db } = databaseAt(2);
    const insert = db.prepare(
      `INSERT INTO runs (id, version, status, created_at, updated_at, project_id, name, workflow_name, workflow_hash,
       idempotency_key, args, definition) VALUES (?, 1, 'pending', 1, 1, 'p', 'r', 'w', 'h', ?, '{"x":1}', ?)`,
    );
    const definition = JSON.stringify(newRun("x").definition);
    insert.run("old-keyed", "nightly", definition);
    insert.run("old-plain", null, definition);
    db.close();

    const store = createSqliteStore({ path });
    expect(store.inspect().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await store.runs.get("old-keyed")).toMatchObject({ idempotencyKey: "nightly", args: { x: 1 } });
    expect(await store.runs.get("old-plain")).toMatchObject({ idempotencyKey: null });
    // The old run keeps its key in its project (no fingerprint stored: the workflow hash alone is compared) …
    const repeat = await store.runs.create({
      ...newRun("new-1"),
      idempotencyKey: "nightly",
      idempotencyFingerprint: "f",
    });
    expect(repeat).toMatchObject({ created: false, run: { id: "old-keyed" } });
    const other = store.runs.create({ ...newRun("new-2"), idempotencyKey: "nightly", workflowHash: "h2" });
    await expect(other).rejects.toThrow(expect.objectContaining({ code: "WEFT_IDEMPOTENCY_MISMATCH" }));
    // … and another project may use the same key.
    const elsewhere = await store.runs.create({ ...newRun("new-3"), projectId: "q", idempotencyKey: "nightly" });
    expect(elsewhere).toMatchObject({ created: true, run: { id: "new-3", projectId: "q" } });
    await store.close();
  });

  it("migration 7 makes every definition stored before it active, and refuses an unknown status", async () => {
    const { path, db } = databaseAt(6);
    const insert = db.prepare(
      `INSERT INTO workflow_definitions (id, project_id, name, version, system, format, created_at, updated_at,
       workflow_hash, tags, source, workflow) VALUES (?, ?, ?, 1, ?, 'yaml', 1, 1, 'h', '[]', 's', ?)`,
    );
    const workflow = JSON.stringify(newRun("x").definition);
    insert.run("mine", "p", "Mine", 0, workflow);
    insert.run("built-in", "system", "Built in", 1, workflow);
    db.close();

    const store = createSqliteStore({ path });
    expect(store.inspect().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(await store.definitions.get("mine")).toMatchObject({ status: "active", name: "Mine" });
    expect(await store.definitions.get("built-in")).toMatchObject({ status: "active", system: true });
    await store.close();
    const raw = new Database(path);
    expect(() => raw.prepare("UPDATE workflow_definitions SET status = 'deleted' WHERE id = 'mine'").run()).toThrow(
      /CHECK constraint failed/,
    );
    raw.close();
  });

  it("migration 8 keeps every attempt, one b-tree keyed by (run, key, attempt), with its cascade", async () => {
    const { path, db } = databaseAt(7);
    db.prepare(
      `INSERT INTO runs (id, version, status, created_at, updated_at, project_id, name, workflow_name, workflow_hash,
       args, definition) VALUES (?, 1, 'running', 1, 1, 'p', 'r', 'w', 'h', '{}', ?)`,
    ).run("old", JSON.stringify(newRun("x").definition));
    const insert = db.prepare(
      `INSERT INTO attempts (run_id, key, attempt, status, started_at, ended_at, error, output)
       VALUES ('old', ?, ?, ?, ?, ?, ?, ?)`,
    );
    insert.run("b", 1, "failed", 1, 2, '{"code":"WEFT_STEP_FAILED","message":"no","retryable":true}', null);
    insert.run("a", 1, "completed", 2, 3, null, '{"n":1}');
    insert.run("b", 2, "completed", 3, 4, null, '"text"');
    db.close();

    const store = createSqliteStore({ path });
    expect(store.inspect().schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    const old = await store.steps.attempts("old");
    expect(old.map((a) => [a.key, a.attempt, a.status, a.output])).toEqual([
      ["b", 1, "failed", null],
      ["a", 1, "completed", { n: 1 }],
      ["b", 2, "completed", "text"],
    ]);
    expect(old[0]?.error).toEqual({ code: "WEFT_STEP_FAILED", message: "no", retryable: true });
    const dup = { ...(old[1] as AttemptRecord), endedAt: 9 };
    await expect(store.commit({ runId: "old", expectedVersion: 1, attempts: [dup], now: 9 })).rejects.toThrow(
      expect.objectContaining({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" }),
    );
    await store.close();
    const raw = new Database(path);
    expect(raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'attempts'").pluck().get()).toMatch(/WITHOUT ROWID/);
    expect(raw.prepare("SELECT count(*) FROM sqlite_master WHERE tbl_name = 'attempts'").pluck().get()).toBe(1);
    raw.pragma("foreign_keys = ON");
    raw.prepare("DELETE FROM runs WHERE id = 'old'").run();
    expect(raw.prepare("SELECT count(*) FROM attempts").pluck().get()).toBe(0);
    raw.close();
  });

  it("refuses a database written by a newer weftflow", async () => {
    const path = join(tempDir(), "new.db");
    await createSqliteStore({ path }).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    db.close();
    expect(() => createSqliteStore({ path })).toThrow(/schema version 999, newer than this weftflow knows/);
    expect(() => createSqliteStore({ path })).toThrow(expect.objectContaining({ code: "WEFT_STORAGE" }));
  });

  it("rolls back a whole commit when one of its writes fails", async () => {
    const store = createSqliteStore({ path: join(tempDir(), "rollback.db") });
    await store.runs.create(newRun("r1"));
    const attempt = {
      runId: "r1",
      key: "a",
      attempt: 1,
      status: "completed" as const,
      output: null,
      error: null,
      startedAt: 1,
      endedAt: 2,
    };
    await store.commit({ runId: "r1", expectedVersion: 1, attempts: [attempt], now: 2 });
    const again = store.commit({
      runId: "r1",
      expectedVersion: 2,
      run: { status: "running" },
      events: [{ type: "workflow.step.reset", data: { step_id: "a", key: "a", by: "x" } }],
      attempts: [attempt],
      now: 3,
    });
    await expect(again).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    const foreign = store.commit({ runId: "r1", expectedVersion: 2, attempts: [{ ...attempt, runId: "r2" }], now: 3 });
    await expect(foreign).rejects.toMatchObject({ code: "WEFT_INTERNAL" });
    expect(await store.runs.get("r1")).toMatchObject({ status: "pending", version: 2 });
    expect(await store.events.list("r1")).toEqual([]);
    expect((await store.commit({ runId: "r1", expectedVersion: 2, events: [], now: 4 })).version).toBe(3);
    await store.close();
  });

  it("serves runs.active from its partial index, already ordered", () => {
    const path = join(tempDir(), "plan.db");
    const store = createSqliteStore({ path });
    const db = new Database(path, { readonly: true });
    const plan = db
      .prepare(
        `EXPLAIN QUERY PLAN SELECT * FROM runs INDEXED BY runs_active
         WHERE status IN ('pending', 'running', 'waiting') ORDER BY priority DESC, created_at LIMIT 5`,
      )
      .all() as Array<{ detail: string }>;
    expect(plan.map((p) => p.detail).join("\n")).toMatch(/USING INDEX runs_active/);
    expect(plan.map((p) => p.detail).join("\n")).not.toMatch(/TEMP B-TREE/);
    db.close();
    return store.close();
  });

  it("waits for another process's write lock up to busyTimeoutMs, then fails writing nothing", async () => {
    const path = join(tempDir(), "busy.db");
    const store = createSqliteStore({ path });
    const impatient = createSqliteStore({ path, busyTimeoutMs: 50 });
    await store.runs.create(newRun("r1"));
    const holdLock = (ms: number, onLocked: () => Promise<void>) => {
      let done: Promise<void> = Promise.resolve();
      const child = runChild(
        `const db = new Database(${JSON.stringify(path)});
         db.exec("BEGIN IMMEDIATE");
         console.log("locked");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${ms});
         db.exec("COMMIT");`,
        {
          onLine: (line) => {
            if (line === "locked") done = onLocked();
          },
        },
      );
      return child.then(async (r) => {
        await done;
        return r;
      });
    };

    let waited = 0;
    const r1 = await holdLock(400, async () => {
      const start = Date.now();
      await store.commit({ runId: "r1", expectedVersion: 1, now: 2 });
      waited = Date.now() - start;
    });
    expect(r1.code).toBe(0);
    expect(waited).toBeGreaterThan(200);
    expect(await versionOf(store, "r1")).toBe(2);

    let failure: unknown;
    await holdLock(400, async () => {
      failure = await impatient.commit({ runId: "r1", expectedVersion: 2, now: 3 }).catch((err: unknown) => err);
    });
    expect(failure).toMatchObject({ code: "SQLITE_BUSY" });
    expect(await versionOf(store, "r1")).toBe(2);
    await store.close();
    await impatient.close();
  });
});

describe("sqlite store across processes", () => {
  let bundle: string;
  beforeAll(async () => {
    bundle = await bundleStore(tempDir());
  });

  it("versions() notices a commit another process made while this one holds the file", async () => {
    const path = join(tempDir(), "x.db");
    const store = createSqliteStore({ path, durability: "normal" });
    await store.runs.create(newRun("r1"));
    await store.commit({ runId: "r1", expectedVersion: 1, now: 2 });
    expect(await versionOf(store, "r1")).toBe(2);

    const raw = await runChild(
      `const db = new Database(${JSON.stringify(path)});
       db.prepare("UPDATE runs SET status = 'paused', version = version + 1 WHERE id = 'r1'").run();
       db.close();`,
    );
    expect(raw.stderr).toBe("");
    expect(await versionOf(store, "r1")).toBe(3);

    const viaStore = await runChild(
      `const store = createSqliteStore({ path: ${JSON.stringify(path)} });
       await store.commit({ runId: "r1", expectedVersion: 3, run: { status: "running" }, now: 5 });
       await store.close();`,
      { store: bundle },
    );
    expect(viaStore.stderr).toBe("");
    expect(await versionOf(store, "r1")).toBe(4);
    expect((await store.runs.get("r1"))?.status).toBe("running");
    await expect(store.commit({ runId: "r1", expectedVersion: 2, now: 6 })).rejects.toMatchObject({
      code: "WEFT_CONFLICT",
    });
    await store.close();
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

  it("several processes opening one new file at once all succeed and migrate it once", async () => {
    const path = join(tempDir(), "fresh", "race.db");
    const out = await race(6, (i) => {
      return `const store = createSqliteStore({ path: ${JSON.stringify(path)} });
       await store.runs.create({ ...${JSON.stringify(newRun("x"))}, id: "r${i}" });
       console.log(store.inspect().schemaVersion);
       await store.close();`;
    });
    expect(out).toEqual(Array(6).fill(String(LATEST_SCHEMA_VERSION)));
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT count(*) FROM schema_migrations").pluck().get()).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM runs").pluck().get()).toBe(6);
    db.close();
  });

  it("exactly one of 8 processes acquiring one run at once wins", async () => {
    const path = join(tempDir(), "lease.db");
    const store = createSqliteStore({ path });
    await store.runs.create(newRun("r1"));
    const out = await race(8, (i) => {
      const opts = { owner: { id: `o${i}`, host: "h", pid: i }, leaseMs: 60_000, now: 10 };
      return `const store = createSqliteStore({ path: ${JSON.stringify(path)} });
       const got = await store.leases.acquire("r1", ${JSON.stringify(opts)});
       console.log(JSON.stringify(got ?? null));
       await store.close();`;
    });
    const winners = out.map((line) => JSON.parse(line)).filter((r) => r !== null);
    expect(winners).toHaveLength(1);
    expect((await store.runs.get("r1"))?.lease).toEqual(winners[0].lease);
    expect(await versionOf(store, "r1")).toBe(2);
    await store.close();
  });
});
