/**
 * The initial schema.
 *
 * Row layout: in `runs`, `step_runs` and `attempts` the small, often-read columns come first and the large
 * JSON columns last, so reading a run's version or lease never follows an overflow chain.
 * `runs.last_seq` / `runs.last_checkpoint` hold the run's highest event seq and checkpoint number: a commit
 * reads them with the version instead of scanning `events`. JSON columns hold JSON text; a JSON `null`
 * is stored as SQL NULL.
 */
export const sql = `
CREATE TABLE runs (
  id                     TEXT PRIMARY KEY,
  version                INTEGER NOT NULL,
  status                 TEXT NOT NULL,
  lease_epoch            INTEGER NOT NULL DEFAULT 0,
  lease_expires_at       INTEGER,
  lease_owner            TEXT,
  last_seq               INTEGER NOT NULL DEFAULT 0,
  last_checkpoint        INTEGER NOT NULL DEFAULT 0,
  priority               INTEGER NOT NULL DEFAULT 0,
  created_at             INTEGER NOT NULL,
  updated_at             INTEGER NOT NULL,
  started_at             INTEGER,
  ended_at               INTEGER,
  paused_at              INTEGER,
  cancelled_at           INTEGER,
  current_phase          TEXT,
  project_id             TEXT NOT NULL,
  name                   TEXT NOT NULL,
  workflow_name          TEXT NOT NULL,
  workflow_hash          TEXT NOT NULL,
  triggered_by           TEXT,
  idempotency_key        TEXT UNIQUE,
  parent_run_id          TEXT,
  forked_from_run_id     TEXT,
  forked_from_checkpoint INTEGER,
  error                  TEXT,
  output                 TEXT,
  args                   TEXT NOT NULL,
  definition             TEXT NOT NULL
);

CREATE INDEX runs_created ON runs (created_at);
CREATE INDEX runs_status_created ON runs (status, created_at);
CREATE INDEX runs_project_created ON runs (project_id, created_at);
CREATE INDEX runs_parent ON runs (parent_run_id) WHERE parent_run_id IS NOT NULL;
-- runs.active(): only unfinished, unpaused runs are in it, already in the order the engine wants them.
CREATE INDEX runs_active ON runs (priority DESC, created_at) WHERE status IN ('pending', 'running', 'waiting');

CREATE TABLE step_runs (
  run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key         TEXT NOT NULL,
  step_id     TEXT NOT NULL,
  iteration   INTEGER,
  status      TEXT NOT NULL,
  attempt     INTEGER NOT NULL,
  not_before  INTEGER,
  waiting_for TEXT,
  items       INTEGER,
  started_at  INTEGER,
  ended_at    INTEGER,
  updated_at  INTEGER NOT NULL,
  error       TEXT,
  input       TEXT,
  output      TEXT,
  PRIMARY KEY (run_id, key)
);

CREATE TABLE attempts (
  run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  status     TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER NOT NULL,
  error      TEXT,
  output     TEXT,
  PRIMARY KEY (run_id, key, attempt)
);

CREATE TABLE events (
  run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq    INTEGER NOT NULL,
  type   TEXT NOT NULL,
  at     INTEGER NOT NULL,
  data   TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;

CREATE TABLE checkpoints (
  run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  number     INTEGER NOT NULL,
  step_key   TEXT,
  event_seq  INTEGER NOT NULL,
  label      TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, number)
) WITHOUT ROWID;
`;
