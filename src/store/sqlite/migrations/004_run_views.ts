/**
 * Issue 11 (the web UI): indexes for the API's run views, which read many runs at once.
 *
 * - `step_runs_waiting`: the review inbox (`steps.waiting`) finds the steps waiting for a person without
 *   scanning every step run.
 * - `events_usage`: a run's usage totals (`runs.overview`) read its `workflow.step.usage` events only.
 * - `runs_durations`: the estimate of a run's remaining time reads the latest completed runs of its workflow.
 */
export const sql = `
CREATE INDEX step_runs_waiting ON step_runs (waiting_for, updated_at) WHERE status = 'waiting';
CREATE INDEX events_usage ON events (run_id) WHERE type = 'workflow.step.usage';
CREATE INDEX runs_durations ON runs (project_id, workflow_hash, ended_at) WHERE status = 'completed';
`;
