/**
 * Issue 14 (fewer pages per step): `attempts` becomes a `WITHOUT ROWID` table keyed by `(run_id, key, attempt)`.
 *
 * A rowid table with a composite primary key is two b-trees, the rows and the key's index: every attempt a step
 * records wrote a page of each. Keyed by its primary key, the table is one b-tree, and a step's commit writes one
 * page fewer. Attempt rows are small (an attempt's output is usually a step's, stored inline in both).
 *
 * Nothing references `attempts`, so the table is rebuilt in place (foreign keys stay on: dropping a child table
 * deletes no other row). Rows keep every column; with no rowid to order by, `steps.attempts` lists them oldest
 * first by `ended_at` (then key and attempt).
 */
export const sql = `
CREATE TABLE attempts_008 (
  run_id     TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key        TEXT NOT NULL,
  attempt    INTEGER NOT NULL,
  status     TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  ended_at   INTEGER NOT NULL,
  error      TEXT,
  output     TEXT,
  PRIMARY KEY (run_id, key, attempt)
) WITHOUT ROWID;
INSERT INTO attempts_008 (run_id, key, attempt, status, started_at, ended_at, error, output)
  SELECT run_id, key, attempt, status, started_at, ended_at, error, output FROM attempts;
DROP TABLE attempts;
ALTER TABLE attempts_008 RENAME TO attempts;
`;
