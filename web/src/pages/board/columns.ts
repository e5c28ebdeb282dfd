/**
 * Which cards go in which column, and the filters (kept in the URL's query string).
 *
 * - Runs of several workflows: one column per status — queued (pending), running, waiting, paused, completed,
 *   failed, cancelled.
 * - One workflow picked: seed 002's kanban, a column per phase of the workflow, between "Queued" (not
 *   started, no phase yet) and "Done" (completed). A run that failed or was cancelled stays in the phase it
 *   was in, its status on the card. A phase a run is in that the workflow's list lacks (an older version of
 *   the workflow) gets a column too; a workflow without phases has a single "Steps" column.
 */
import type { BoardRun, RunStatus } from "./model";

export interface Filters {
  workflow: string;
  status: string;
  by: string;
  q: string;
}

export const NO_FILTERS: Filters = { workflow: "", status: "", by: "", q: "" };

export function filtersOf(search: string): Filters {
  const p = new URLSearchParams(search);
  return {
    workflow: p.get("workflow") ?? "",
    status: p.get("status") ?? "",
    by: p.get("by") ?? "",
    q: p.get("q") ?? "",
  };
}

export function searchOf(f: Filters): string {
  const p = new URLSearchParams();
  for (const k of ["workflow", "status", "by", "q"] as const) if (f[k]) p.set(k, f[k]);
  const s = p.toString();
  return s ? `?${s}` : "";
}

export function matches(run: BoardRun, f: Filters): boolean {
  if (f.workflow && run.workflow !== f.workflow) return false;
  if (f.status && run.status !== f.status) return false;
  if (f.by && (run.triggeredBy ?? "") !== f.by) return false;
  if (f.q) {
    const q = f.q.toLowerCase();
    const hay = `${run.name}\n${run.workflow}\n${run.id}\n${run.triggeredBy ?? ""}\n${run.current?.name ?? ""}`;
    if (!hay.toLowerCase().includes(q)) return false;
  }
  return true;
}

export interface Column {
  id: string;
  title: string;
  /** The status whose colour the column's dot takes. */
  tone: RunStatus;
  runs: BoardRun[];
}

export const STATUS_COLUMNS: { status: RunStatus; title: string }[] = [
  { status: "pending", title: "Queued" },
  { status: "running", title: "Running" },
  { status: "waiting", title: "Waiting" },
  { status: "paused", title: "Paused" },
  { status: "completed", title: "Completed" },
  { status: "failed", title: "Failed" },
  { status: "cancelled", title: "Cancelled" },
];

export function statusColumns(runs: readonly BoardRun[], status: string): Column[] {
  const cols = STATUS_COLUMNS.filter((c) => !status || c.status === status).map(
    (c): Column => ({ id: c.status, title: c.title, tone: c.status, runs: [] }),
  );
  const by = new Map(cols.map((c) => [c.id, c]));
  for (const r of runs) by.get(r.status)?.runs.push(r);
  return cols;
}

export function phaseColumns(runs: readonly BoardRun[], phases: readonly string[]): Column[] {
  const queued: Column = { id: "queued", title: "Queued", tone: "pending", runs: [] };
  const done: Column = { id: "done", title: "Done", tone: "completed", runs: [] };
  const byPhase = new Map<string, Column>();
  const list: Column[] = [];
  const add = (phase: string): Column => {
    const col: Column = { id: `phase:${phase}`, title: phase, tone: "running", runs: [] };
    byPhase.set(phase, col);
    list.push(col);
    return col;
  };
  for (const p of phases) add(p);
  for (const r of runs) {
    if (r.status === "completed") done.runs.push(r);
    else if (r.phase !== null) (byPhase.get(r.phase) ?? add(r.phase)).runs.push(r);
    else if (r.status === "pending" || phases.length > 0) queued.runs.push(r);
    else (byPhase.get("") ?? add("")).runs.push(r);
  }
  for (const c of list) if (c.title === "") c.title = "Steps";
  return [queued, ...list, done];
}

/** Distinct values with how many runs have each, most first. */
export function facets(runs: readonly BoardRun[], of: (r: BoardRun) => string | null): [string, number][] {
  const counts = new Map<string, number>();
  for (const r of runs) {
    const v = of(r);
    if (v) counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/**
 * `next`, with each column that holds the same cards as in `prev` replaced by its `prev` object: a frame of
 * live events re-renders only the columns they changed.
 */
export function keepUnchanged(prev: readonly Column[], next: Column[]): Column[] {
  const old = new Map(prev.map((c) => [c.id, c]));
  return next.map((c) => {
    const p = old.get(c.id);
    if (!p || p.title !== c.title || p.runs.length !== c.runs.length) return c;
    for (let i = 0; i < c.runs.length; i++) if (p.runs[i] !== c.runs[i]) return c;
    return p;
  });
}
