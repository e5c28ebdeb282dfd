/**
 * What `weft serve` stores besides runs: workflow definitions (templates), comments, artifacts, document
 * attachments and API tokens; and the link from a run to the definition it was launched from.
 *
 * Comments and artifacts belong to a run (deleted with it). Document attachments link two artifacts and go
 * with either. `runs.definition_id` is set back to NULL when its definition is deleted (the run keeps its
 * snapshot in `definition`). JSON columns hold JSON text.
 */
export const sql = `
CREATE TABLE workflow_definitions (
  id            TEXT PRIMARY KEY,
  project_id    TEXT NOT NULL,
  name          TEXT NOT NULL,
  version       INTEGER NOT NULL,
  system        INTEGER NOT NULL DEFAULT 0,
  format        TEXT NOT NULL,
  category      TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  workflow_hash TEXT NOT NULL,
  description   TEXT,
  tags          TEXT NOT NULL,
  source        TEXT NOT NULL,
  workflow      TEXT NOT NULL,
  UNIQUE (project_id, name)
);
CREATE INDEX workflow_definitions_category ON workflow_definitions (project_id, category);
CREATE INDEX workflow_definitions_system ON workflow_definitions (system) WHERE system = 1;

ALTER TABLE runs ADD COLUMN definition_id TEXT REFERENCES workflow_definitions (id) ON DELETE SET NULL;
CREATE INDEX runs_definition ON runs (definition_id, status) WHERE definition_id IS NOT NULL;

CREATE TABLE comments (
  id           TEXT PRIMARY KEY,
  run_id       TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_key     TEXT,
  comment_type TEXT NOT NULL,
  created_by   TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL,
  text         TEXT NOT NULL
);
CREATE INDEX comments_run ON comments (run_id, step_key);

CREATE TABLE artifacts (
  id          TEXT PRIMARY KEY,
  run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  step_key    TEXT,
  comment_id  TEXT REFERENCES comments (id) ON DELETE SET NULL,
  file_type   TEXT NOT NULL,
  mime_type   TEXT NOT NULL,
  size_bytes  INTEGER NOT NULL,
  sha256      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL,
  name        TEXT NOT NULL,
  storage_key TEXT NOT NULL UNIQUE
);
CREATE INDEX artifacts_run ON artifacts (run_id, step_key);
CREATE INDEX artifacts_comment ON artifacts (comment_id) WHERE comment_id IS NOT NULL;

CREATE TABLE document_attachments (
  document_id TEXT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
  image_id    TEXT NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
  is_primary  INTEGER NOT NULL DEFAULT 0,
  position    INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,
  PRIMARY KEY (document_id, image_id)
) WITHOUT ROWID;
CREATE INDEX document_attachments_image ON document_attachments (image_id);
-- At most one primary image per document.
CREATE UNIQUE INDEX document_attachments_primary ON document_attachments (document_id) WHERE is_primary = 1;

CREATE TABLE api_tokens (
  id           TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  hash         TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at   INTEGER,
  scopes       TEXT NOT NULL
);
`;
