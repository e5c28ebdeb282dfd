/**
 * A stored workflow definition's lifecycle (seed 001: draft → active → archived). Pure: the rules, no storage.
 *
 * Rules
 * 1. `draft`: being written; it launches only as a test run (`test_run: true`: agents answered by the mock).
 * 2. `active`: launches. New definitions are active unless created as drafts; built-in templates always are
 *    (they cannot be archived: clone one and archive or change the copy).
 * 3. `archived`: retired; never launches, not even as a test run; lists hide it unless asked for it.
 * 4. Two operations move a definition: activate (draft or archived → active; re-activating undoes an archive)
 *    and archive (draft or active → archived). Nothing goes back to draft: an active definition is edited in
 *    place (each run keeps its own snapshot), so a draft is only ever what has not been released yet.
 * 5. An operation towards the status a definition already has is a no-op (as pausing a paused run is).
 */

export const DEFINITION_STATUSES = ["draft", "active", "archived"] as const;
export type DefinitionStatus = (typeof DEFINITION_STATUSES)[number];

/**
 * Why a definition of this status may not launch (the reason for a 409), or undefined when it may: active ones
 * always, drafts only as test runs, archived ones never.
 */
export function launchRefusal(status: DefinitionStatus, testRun: boolean): string | undefined {
  if (status === "active") return undefined;
  if (status === "draft") return testRun ? undefined : "it is a draft";
  return "it is archived";
}
