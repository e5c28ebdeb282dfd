/**
 * Issue 12 (the web UI, part 2): a test run (`NewRun.testRun`) has every agent call answered by the offline mock
 * provider, whatever its agents are configured with. The flag is the run's, kept for its whole life: a resume, a
 * takeover by another process and a rewind all read it here.
 */
export const sql = `
ALTER TABLE runs ADD COLUMN test_run INTEGER NOT NULL DEFAULT 0;
`;
