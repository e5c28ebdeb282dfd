/**
 * Two changes of issue 10.
 *
 * 1. Idempotency keys are scoped per project, and a run remembers the fingerprint of the request that created
 * it (so a key reused with another workflow or other arguments is refused, not answered with the old run).
 *
 * SQLite cannot drop the `UNIQUE` of `runs.idempotency_key` (001) without rebuilding the table, and a
 * rebuild inside the migration's transaction (foreign keys on) would cascade-delete every run's steps,
 * events and comments. So the old column is renamed `idempotency_key_v1`, emptied (its UNIQUE allows any
 * number of NULLs) and left unused; the keys move to a new column, unique per (project, key). Existing runs
 * keep their keys, in their own project. Their fingerprint is unknown (NULL): a repeat of one is compared on
 * its workflow hash only.
 *
 * 2. A comment records who the client said wrote it (`claimed_by`) beside who did (`created_by`: through the
 *    API, the token's name). Existing comments have no claim (NULL).
 */
export const sql = `
ALTER TABLE runs RENAME COLUMN idempotency_key TO idempotency_key_v1;
ALTER TABLE runs ADD COLUMN idempotency_key TEXT;
ALTER TABLE runs ADD COLUMN idempotency_fingerprint TEXT;
UPDATE runs SET idempotency_key = idempotency_key_v1, idempotency_key_v1 = NULL WHERE idempotency_key_v1 IS NOT NULL;
CREATE UNIQUE INDEX runs_project_idempotency ON runs (project_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

ALTER TABLE comments ADD COLUMN claimed_by TEXT;
`;
