/**
 * Issue 13 (seed 001's lifecycle): a stored definition's `status` — `draft`, `active` or `archived`
 * (src/core/lifecycle.ts). Every definition stored before this migration, the built-in templates among them, is
 * `active`: it launched before and still does.
 */
export const sql = `
ALTER TABLE workflow_definitions ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
  CHECK (status IN ('draft', 'active', 'archived'));
`;
