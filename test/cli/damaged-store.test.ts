/**
 * A damaged, foreign or too-new database file, and a torn WAL, through the real CLI and `weft serve`'s start-up:
 * a clear message naming the file and what to do, exit 2 — never a stack trace, never a silent empty store.
 */
import {
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { createEngine } from "../../src/engine/engine.js";
import { createSqliteStore } from "../../src/store/sqlite/index.js";
import { wf } from "../helpers/engine.js";
import { cleanUpAfterTests, expectCleanFailure, listJson, tempDir, weftIn } from "./helpers.js";

cleanUpAfterTests();

const noop = wf("name: tiny\nsteps:\n  - { id: a, type: noop }\n  - { id: b, type: noop }\n");

/** A data directory whose database holds `n` completed runs (closed: everything checkpointed into weft.db). */
async function dataDirWithRuns(n: number): Promise<{ dir: string; db: string; ids: string[] }> {
  const dir = tempDir();
  const db = join(dir, "weft.db");
  const store = createSqliteStore({ path: db, durability: "normal" });
  const engine = createEngine({ store, dataDir: dir, projectPath: dir });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { run } = await engine.launch(noop);
    await engine.execute(run.id);
    ids.push(run.id);
  }
  await engine.close();
  await store.close();
  return { dir, db, ids };
}

const DAMAGED = /the database \S+weft\.db is damaged .*restore a backup to \S+weft\.db/;

/** `weft list` and `weft serve` both refuse the data directory with the same clean message. */
async function expectRefused(dir: string, message: RegExp): Promise<void> {
  expectCleanFailure(await weftIn(dir, ["list"]), 2, message);
  const served = await weftIn(dir, ["serve", "--port", "0"]);
  expectCleanFailure(served, 2, message);
  expect(served.stdout).not.toContain("listening");
}

describe("a damaged database file", () => {
  it("garbage where the database should be: named, with what to do, exit 2 (CLI and serve)", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "weft.db"), Buffer.alloc(64 * 1024, "not a database, just text. "));
    await expectRefused(dir, DAMAGED);
    expect(statSync(join(dir, "weft.db")).size).toBe(64 * 1024); // left as it was
  });

  it("a database cut to half its pages", async () => {
    const { dir, db } = await dataDirWithRuns(30);
    truncateSync(db, Math.floor(statSync(db).size / 2 / 4096) * 4096);
    await expectRefused(dir, DAMAGED);
  });

  it("a page in the middle overwritten: the read that meets it fails cleanly; serve's quick_check refuses to start", async () => {
    const { dir, db, ids } = await dataDirWithRuns(40);
    const raw = new Database(db, { readonly: true });
    const leaves = raw
      .prepare("SELECT pageno FROM dbstat WHERE name = 'runs' AND pagetype = 'leaf' ORDER BY pageno")
      .pluck()
      .all() as number[];
    const pageSize = raw.pragma("page_size", { simple: true }) as number;
    raw.close();
    expect(leaves.length).toBeGreaterThan(2);
    const page = leaves[Math.floor(leaves.length / 2)] as number;
    const fd = openSync(db, "r+");
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);

    // Opening reads only the schema: the damage shows when `list` reads the runs' pages.
    const listed = await weftIn(dir, ["list", "--limit", String(ids.length)]);
    expectCleanFailure(listed, 2, DAMAGED);
    expect(listed.stderr).toContain("SQLite: database disk image is malformed");
    const served = await weftIn(dir, ["serve", "--port", "0"]);
    expectCleanFailure(served, 2, /PRAGMA quick_check/);
    expectCleanFailure(served, 2, DAMAGED);
  });

  it("a zero-length file is a new, empty store — what SQLite itself creates before the first write", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "weft.db"), "");
    expect(await listJson(dir)).toEqual([]);
    expect(statSync(join(dir, "weft.db")).size).toBeGreaterThan(0); // weft's schema is in it now
  });
});

describe("a database that is not this weft's", () => {
  it("another application's SQLite file is refused and left untouched", async () => {
    const dir = tempDir();
    const path = join(dir, "weft.db");
    const other = new Database(path);
    other.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes (body) VALUES ('mine')");
    other.close();
    await expectRefused(dir, /weft\.db is a SQLite database, but not weft's.*another data directory/);
    const after = new Database(path, { readonly: true });
    const tables = after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    after.close();
    expect(tables).toEqual(["notes"]);
  });

  it("another application's `schema_migrations` table (Rails, Knex…) is not mistaken for weft's", async () => {
    const dir = tempDir();
    const other = new Database(join(dir, "weft.db"));
    other.exec("CREATE TABLE schema_migrations (version TEXT PRIMARY KEY); INSERT INTO schema_migrations VALUES ('1')");
    other.close();
    await expectRefused(dir, /not weft's/);
  });

  it("a schema newer than this weft knows: upgrade, or use another file", async () => {
    const { dir, db } = await dataDirWithRuns(1);
    const raw = new Database(db);
    raw.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 0)").run();
    raw.close();
    await expectRefused(dir, /schema version 999, newer than this weftflow knows.*Upgrade weftflow/);
  });
});

describe("a torn write-ahead log", () => {
  /**
   * A live store (its WAL not checkpointed) with runs committed one by one; the size of the WAL after each
   * run, and a copy of weft.db + weft.db-wal taken while it is still open (as a `kill -9` leaves them).
   */
  async function liveCopy(n: number) {
    const dir = tempDir();
    const store = createSqliteStore({ path: join(dir, "weft.db"), durability: "normal" });
    const engine = createEngine({ store, dataDir: dir, projectPath: dir });
    const walSizes: number[] = [];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const { run } = await engine.launch(noop);
      await engine.execute(run.id);
      ids.push(run.id);
      walSizes.push(statSync(join(dir, "weft.db-wal")).size);
    }
    const copy = tempDir();
    mkdirSync(copy, { recursive: true });
    copyFileSync(join(dir, "weft.db"), join(copy, "weft.db"));
    copyFileSync(join(dir, "weft.db-wal"), join(copy, "weft.db-wal"));
    await engine.close();
    await store.close();
    return { copy, walSizes, ids };
  }

  it("cut in the middle of a frame: every commit before the cut is kept, the store opens", async () => {
    const { copy, walSizes, ids } = await liveCopy(4);
    // Cut half-way into the first frame written after run 2 completed.
    truncateSync(join(copy, "weft.db-wal"), (walSizes[1] as number) + 2000);
    const runs = await listJson(copy);
    expect(runs.map((r: { id: string }) => r.id).sort()).toEqual(ids.slice(0, 2).sort());
    expect(runs.every((r: { status: string }) => r.status === "completed")).toBe(true);
    const check = new Database(join(copy, "weft.db"), { readonly: true });
    expect(check.pragma("integrity_check", { simple: true })).toBe("ok");
    check.close();
  });

  it("a WAL of garbage is refused (SQLite would silently drop it), and moving it aside opens what weft.db holds", async () => {
    const { copy, walSizes } = await liveCopy(2);
    const wal = join(copy, "weft.db-wal");
    writeFileSync(wal, Buffer.alloc(walSizes[1] as number, 0x5a));
    await expectRefused(copy, /the write-ahead log \S+weft\.db-wal is damaged.*mv \S+weft\.db-wal/);
    expect(readFileSync(wal)[0]).toBe(0x5a); // still there for the operator to decide
    renameSync(wal, `${wal}.damaged`);
    // Everything was still in the WAL (never checkpointed): the main file holds the schema and nothing else.
    expect(await listJson(copy)).toEqual([]);
  });

  it("a WAL of zeros (a power loss before it was ever synced) is not refused", async () => {
    const { copy, walSizes } = await liveCopy(1);
    writeFileSync(join(copy, "weft.db-wal"), Buffer.alloc(walSizes[0] as number, 0));
    expect(await listJson(copy)).toEqual([]);
  });
});
