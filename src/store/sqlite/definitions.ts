/**
 * Workflow definitions (templates): `Store.definitions`. Usage stats are computed from `runs.definition_id`
 * on every read (an index range scan per definition), never stored.
 */
import type Database from "better-sqlite3";
import type { DefinitionStatus } from "../../core/lifecycle.js";
import type { Workflow } from "../../core/model.js";
import {
  ConflictError,
  type DefinitionCategory,
  type DefinitionFilter,
  type DefinitionFormat,
  type DefinitionPatch,
  type DefinitionRecord,
  type DefinitionStats,
  type NewDefinition,
} from "../store.js";
import { conflict, missing, uniquely } from "./shared.js";

interface DefinitionRow {
  id: string;
  project_id: string;
  name: string;
  version: number;
  system: number;
  format: string;
  category: string | null;
  created_at: number;
  updated_at: number;
  workflow_hash: string;
  description: string | null;
  tags: string;
  source: string;
  workflow: string;
  status: string;
}

interface StatsRow {
  times_used: number | null;
  avg_ms: number | null;
  completed: number | null;
  finished: number | null;
  last_used: number | null;
}

const COLUMNS = [
  "id",
  "project_id",
  "name",
  "version",
  "system",
  "format",
  "category",
  "created_at",
  "updated_at",
  "workflow_hash",
  "description",
  "tags",
  "source",
  "workflow",
  "status",
] as const;

/** The aggregate of a definition's runs; `FROM runs` follows. */
const STATS = `count(*) AS times_used,
  avg(CASE WHEN status = 'completed' AND started_at IS NOT NULL AND ended_at IS NOT NULL
      THEN ended_at - started_at END) AS avg_ms,
  sum(status = 'completed') AS completed,
  sum(status IN ('completed', 'failed')) AS finished,
  max(created_at) AS last_used`;

const ORDER = {
  usage: "coalesce(s.times_used, 0) DESC, weft_fold(d.name), d.name, d.id",
  newest: "d.created_at DESC, weft_fold(d.name), d.name, d.id",
  name: "weft_fold(d.name), d.name, d.id",
} as const;

function statsFromRow(r: StatsRow | undefined): DefinitionStats {
  const completed = r?.completed ?? 0;
  const finished = r?.finished ?? 0;
  return {
    timesUsed: r?.times_used ?? 0,
    averageDurationMs: r?.avg_ms === null || r?.avg_ms === undefined ? null : Math.round(r.avg_ms),
    successRate: finished === 0 ? null : completed / finished,
    lastUsedAt: r?.last_used ?? null,
  };
}

function recordFromRow(r: DefinitionRow, stats: DefinitionStats): DefinitionRecord {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    description: r.description,
    category: r.category,
    tags: JSON.parse(r.tags) as string[],
    format: r.format as DefinitionFormat,
    source: r.source,
    workflow: JSON.parse(r.workflow) as Workflow,
    workflowHash: r.workflow_hash,
    system: r.system === 1,
    status: r.status as DefinitionStatus,
    version: r.version,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...stats,
  };
}

function rowParams(r: DefinitionRow): unknown[] {
  return COLUMNS.map((c) => r[c]);
}

export function createDefinitions(db: Database.Database) {
  // Unicode-aware lower case for search and name order (SQLite's lower() folds ASCII only).
  db.function("weft_fold", { deterministic: true }, (v: unknown) => (typeof v === "string" ? v.toLowerCase() : v));

  const st = {
    insert: db.prepare(
      `INSERT INTO workflow_definitions (${COLUMNS.join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
    ),
    update: db.prepare(
      `UPDATE workflow_definitions SET ${COLUMNS.filter((c) => c !== "id")
        .map((c) => `${c} = ?`)
        .join(", ")} WHERE id = ?`,
    ),
    byId: db.prepare("SELECT * FROM workflow_definitions WHERE id = ?"),
    byName: db.prepare("SELECT * FROM workflow_definitions WHERE project_id = ? AND name = ?"),
    stats: db.prepare(`SELECT ${STATS} FROM runs WHERE definition_id = ?`),
    delete: db.prepare("DELETE FROM workflow_definitions WHERE id = ?"),
  };

  /**
   * The `WHERE` terms of a filter's project (and system templates) and statuses; one `?` when `projectId` is
   * given, one when `status` is.
   */
  function projectWhere(f: Pick<DefinitionFilter, "projectId" | "includeSystem" | "status">): string[] {
    const where: string[] = [];
    if (f.projectId !== undefined) {
      const many = typeof f.projectId !== "string";
      const project = many ? "d.project_id IN (SELECT value FROM json_each(?))" : "d.project_id = ?";
      where.push(f.includeSystem ? `(${project} OR d.system = 1)` : project);
    }
    if (f.status !== undefined) where.push("d.status IN (SELECT value FROM json_each(?))");
    return where;
  }
  const projectParams = (f: Pick<DefinitionFilter, "projectId" | "status">): unknown[] => [
    ...(f.projectId === undefined ? [] : [typeof f.projectId === "string" ? f.projectId : JSON.stringify(f.projectId)]),
    ...(f.status === undefined ? [] : [JSON.stringify(f.status)]),
  ];

  const categoryStatements = new Map<string, Database.Statement>();
  function categoryStatement(f: Pick<DefinitionFilter, "projectId" | "includeSystem" | "status">): Database.Statement {
    const key = `${f.projectId === undefined}|${typeof f.projectId === "string"}|${f.includeSystem === true}|${f.status === undefined}`;
    let stmt = categoryStatements.get(key);
    if (stmt === undefined) {
      const where = [...projectWhere(f), "d.category IS NOT NULL"];
      stmt = db.prepare(
        `SELECT d.category AS category, count(*) AS count FROM workflow_definitions d WHERE ${where.join(" AND ")}
         GROUP BY d.category ORDER BY count(*) DESC, weft_fold(d.category), d.category`,
      );
      categoryStatements.set(key, stmt);
    }
    return stmt;
  }

  const listStatements = new Map<string, Database.Statement>();
  function listStatement(f: DefinitionFilter): Database.Statement {
    const sort = f.sort ?? "usage";
    const many = f.projectId !== undefined && typeof f.projectId !== "string";
    const shape = [
      f.projectId !== undefined,
      many,
      f.includeSystem === true,
      f.status !== undefined,
      f.system,
      f.category !== undefined,
    ];
    const key = `${shape.join("|")}|${Boolean(f.search)}|${sort}`;
    let stmt = listStatements.get(key);
    if (stmt === undefined) {
      const where = projectWhere(f);
      if (f.system !== undefined) where.push("d.system = ?");
      if (f.category !== undefined) where.push("d.category = ?");
      if (f.search) {
        where.push(`(instr(weft_fold(d.name), ?) > 0 OR instr(weft_fold(coalesce(d.description, '')), ?) > 0
          OR EXISTS (SELECT 1 FROM json_each(d.tags) t WHERE instr(weft_fold(t.value), ?) > 0))`);
      }
      stmt = db.prepare(
        `SELECT d.*, s.times_used, s.avg_ms, s.completed, s.finished, s.last_used
         FROM workflow_definitions d
         LEFT JOIN (SELECT definition_id, ${STATS} FROM runs WHERE definition_id IS NOT NULL GROUP BY definition_id) s
           ON s.definition_id = d.id
         ${where.length > 0 ? `WHERE ${where.join(" AND ")}` : ""}
         ORDER BY ${ORDER[sort] ?? ORDER.usage} LIMIT ? OFFSET ?`,
      );
      listStatements.set(key, stmt);
    }
    return stmt;
  }

  const withStats = (row: DefinitionRow): DefinitionRecord =>
    recordFromRow(row, statsFromRow(st.stats.get(row.id) as StatsRow | undefined));

  const updateTx = db.transaction((id: string, patch: DefinitionPatch, expectedVersion: number): DefinitionRecord => {
    const row = st.byId.get(id) as DefinitionRow | undefined;
    if (row === undefined) throw missing("workflow definition", id);
    if (row.version !== expectedVersion) throw new ConflictError(id, expectedVersion, row.version, "definition");
    const next: DefinitionRow = {
      ...row,
      version: row.version + 1,
      updated_at: patch.now,
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.description !== undefined && { description: patch.description }),
      ...(patch.category !== undefined && { category: patch.category }),
      ...(patch.tags !== undefined && { tags: JSON.stringify(patch.tags) }),
      ...(patch.format !== undefined && { format: patch.format }),
      ...(patch.source !== undefined && { source: patch.source }),
      ...(patch.workflow !== undefined && { workflow: JSON.stringify(patch.workflow) }),
      ...(patch.workflowHash !== undefined && { workflow_hash: patch.workflowHash }),
      ...(patch.system !== undefined && { system: patch.system ? 1 : 0 }),
      ...(patch.status !== undefined && { status: patch.status }),
    };
    uniquely(`project ${row.project_id} already has a workflow definition named ${JSON.stringify(next.name)}`, () =>
      st.update.run(...rowParams(next).slice(1), id),
    );
    return withStats(next);
  });

  const deleteTx = db.transaction((id: string): void => {
    const row = st.byId.get(id) as DefinitionRow | undefined;
    if (row === undefined) throw missing("workflow definition", id);
    if (row.system === 1) throw conflict(`workflow definition ${id} (${row.name}) is built in and cannot be deleted`);
    st.delete.run(id);
  });

  return {
    create(d: NewDefinition): DefinitionRecord {
      const row: DefinitionRow = {
        id: d.id,
        project_id: d.projectId,
        name: d.name,
        version: 1,
        system: d.system ? 1 : 0,
        format: d.format,
        category: d.category,
        created_at: d.now,
        updated_at: d.now,
        workflow_hash: d.workflowHash,
        description: d.description,
        tags: JSON.stringify(d.tags),
        source: d.source,
        workflow: JSON.stringify(d.workflow),
        status: d.status ?? "active",
      };
      const taken = `workflow definition ${d.id} or a definition named ${JSON.stringify(d.name)} in project ${d.projectId} exists already`;
      uniquely(taken, () => st.insert.run(rowParams(row)));
      return recordFromRow(row, statsFromRow(undefined));
    },

    get(id: string): DefinitionRecord | undefined {
      const row = st.byId.get(id) as DefinitionRow | undefined;
      return row === undefined ? undefined : withStats(row);
    },

    getByName(projectId: string, name: string): DefinitionRecord | undefined {
      const row = st.byName.get(projectId, name) as DefinitionRow | undefined;
      return row === undefined ? undefined : withStats(row);
    },

    list(f: DefinitionFilter = {}): DefinitionRecord[] {
      const params = projectParams(f);
      if (f.system !== undefined) params.push(f.system ? 1 : 0);
      if (f.category !== undefined) params.push(f.category);
      if (f.search) {
        const q = f.search.toLowerCase();
        params.push(q, q, q);
      }
      params.push(f.limit ?? -1, Math.max(0, f.offset ?? 0));
      const rows = listStatement(f).all(params) as Array<DefinitionRow & StatsRow>;
      return rows.map((r) => recordFromRow(r, statsFromRow(r)));
    },

    categories(f: Pick<DefinitionFilter, "projectId" | "includeSystem" | "status"> = {}): DefinitionCategory[] {
      return categoryStatement(f).all(projectParams(f)) as DefinitionCategory[];
    },

    update: (id: string, patch: DefinitionPatch, expectedVersion: number): DefinitionRecord =>
      updateTx.immediate(id, patch, expectedVersion),

    delete: (id: string): void => deleteTx.immediate(id),

    stats(id: string): DefinitionStats | undefined {
      if (st.byId.get(id) === undefined) return undefined;
      return statsFromRow(st.stats.get(id) as StatsRow | undefined);
    },
  };
}
