/**
 * The shapes the run page shows, derived from the generated API types (never restated), plus the status
 * vocabulary of the page.
 */
import { api, call, type paths } from "../../api/client";

/** The reads of the page; their answers' types are the page's types (what `call` really returns). */
export const read = {
  run: (id: string) => call(api.GET("/api/workflow-executions/{id}", { params: { path: { id } } })),
  step: (id: string) => call(api.GET("/api/workflow-steps/{id}", { params: { path: { id } } })),
  comments: (id: string) => call(api.GET("/api/workflow-executions/{id}/comments", { params: { path: { id } } })),
  checkpoints: (id: string) => call(api.GET("/api/workflow-executions/{id}/checkpoints", { params: { path: { id } } })),
  forks: (id: string) =>
    call(api.GET("/api/workflow-executions", { params: { query: { forked_from: id, view: "summary", limit: 50 } } })),
};

type Answer<F extends (id: string) => Promise<unknown>> = Awaited<ReturnType<F>>;
export type RunDetail = Answer<typeof read.run>;
export type StepSummary = RunDetail["steps"][number];
export type StepDef = RunDetail["workflow_definition"]["steps"][number];
export type StepDetail = Answer<typeof read.step>;
export type Attempt = StepDetail["attempts"][number];
export type RunListItem = Answer<typeof read.forks>[number];
export type Checkpoint = Answer<typeof read.checkpoints>[number];
export type Comment = Answer<typeof read.comments>[number];
/** An artifact as the API shows it (the upload's answer). */
export type Artifact =
  paths["/api/workflow-executions/{id}/artifacts"]["post"]["responses"][201]["content"]["application/json"]["data"];

export type RunStatus = RunDetail["status"];
export type StepStatus = StepSummary["status"];

export const RUN_FINISHED: ReadonlySet<RunStatus> = new Set(["completed", "failed", "cancelled"]);
export const STEP_FINISHED: ReadonlySet<StepStatus> = new Set(["completed", "failed", "skipped", "cancelled"]);

/** The query keys of the page: one place, so a live event and a mutation patch the same cache entries. */
export const keys = {
  run: (id: string) => ["run", id] as const,
  step: (stepRunId: string) => ["step", stepRunId] as const,
  comments: (id: string) => ["run", id, "comments"] as const,
  artifacts: (id: string) => ["run", id, "artifacts"] as const,
  checkpoints: (id: string) => ["run", id, "checkpoints"] as const,
  forks: (id: string) => ["run", id, "forks"] as const,
};

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Elapsed time of something started at `start` and (maybe) finished at `end`, at `now`. */
export function elapsed(start: string | null, end: string | null, now: number): number | null {
  if (!start) return null;
  return (end ? Date.parse(end) : now) - Date.parse(start);
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function formatTokens(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function formatCost(usd: number | null | undefined): string {
  if (usd === null || usd === undefined) return "—";
  return usd < 0.01 && usd > 0 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** The step run id of a step key in a run (`<run id>:<key>`). */
export const stepRunId = (runId: string, key: string) => `${runId}:${key}`;
