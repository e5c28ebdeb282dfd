/**
 * Issue 12 (the web UI, part 2): `artifacts.search` lists a project's artifacts across its runs, newest first
 * (the attachments picker, the launch form's documents). `artifacts_created` reads them in that order without
 * sorting every artifact of the database.
 */
export const sql = `
CREATE INDEX artifacts_created ON artifacts (created_at);
`;
