/**
 * The runs board (seed 002's kanban): a column per status, or per phase once one workflow is picked; cards
 * move between columns live (board/useBoardRuns.ts). Filters live in the URL's query string.
 */
import "./BoardPage.css";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useRef } from "react";
import { useLocation, useSearch } from "wouter";
import { api, call } from "../api/client";
import { ErrorView } from "../components/ErrorView";
import { BoardColumn, SkeletonColumn } from "./board/BoardColumn";
import { BoardFilters } from "./board/BoardFilters";
import {
  type Column,
  type Filters,
  facets,
  filtersOf,
  keepUnchanged,
  matches,
  NO_FILTERS,
  phaseColumns,
  STATUS_COLUMNS,
  searchOf,
  statusColumns,
} from "./board/columns";
import { EmptyBoard } from "./board/EmptyBoard";
import type { BoardRun } from "./board/model";
import { useBoardRuns } from "./board/useBoardRuns";

/** The phases of a workflow: from a run's view when it carried the definition, else from its newest run's detail. */
function usePhases(workflow: string, runs: readonly BoardRun[]): readonly string[] | null {
  const sample = workflow ? runs.find((r) => r.workflow === workflow) : undefined;
  const id = sample && sample.phases === null ? sample.id : null;
  const detail = useQuery({
    queryKey: ["board", "phases", workflow, id],
    queryFn: () => call(api.GET("/api/workflow-executions/{id}", { params: { path: { id: id ?? "" } } })),
    enabled: id !== null,
    staleTime: Number.POSITIVE_INFINITY,
    select: (run) => run.workflow_definition.phases,
  });
  if (!sample) return workflow ? [] : null;
  return sample.phases ?? detail.data ?? null;
}

const plural = (n: number, what: string) => `${n.toLocaleString()} ${what}${n === 1 ? "" : "s"}`;

export function BoardPage() {
  const search = useSearch();
  const [, navigate] = useLocation();
  const filters = useMemo(() => filtersOf(search), [search]);
  const setFilters = (f: Filters) => navigate(`/${searchOf(f)}`, { replace: true });
  const query = useBoardRuns();
  const runs = query.data?.runs;
  const all = runs ?? [];
  const phases = usePhases(filters.workflow, all);

  // A run's workflow and trigger never change and runs are only added: the facets follow the count of runs.
  // biome-ignore lint/correctness/useExhaustiveDependencies: `all` changes with every live event, its length only with new runs
  const workflows = useMemo(() => facets(all, (r) => r.workflow), [all.length]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: as above
  const people = useMemo(() => facets(all, (r) => r.triggeredBy), [all.length]);
  const filtering = filters.workflow || filters.status || filters.by || filters.q;
  const shown = useMemo(() => (filtering ? all.filter((r) => matches(r, filters)) : all), [all, filters, filtering]);
  const byPhase = filters.workflow !== "" && phases !== null;
  const previous = useRef<Column[]>([]);
  const columns = useMemo(() => {
    const next = byPhase ? phaseColumns(shown, phases ?? []) : statusColumns(shown, filters.status);
    return keepUnchanged(previous.current, next);
  }, [byPhase, shown, phases, filters.status]);
  previous.current = columns;

  if (query.error && !runs) {
    return (
      <div className="board-page">
        <h1>Runs</h1>
        <ErrorView error={query.error} retry={() => void query.refetch()} />
      </div>
    );
  }
  const loading = runs === undefined;
  const noRuns = !loading && query.data?.complete && all.length === 0;
  return (
    <div className="board-page">
      <div className="board-toolbar">
        <div className="board-title">
          <h1>Runs</h1>
          {!loading && (
            <span className="muted board-count" aria-live="polite">
              {shown.length === all.length
                ? plural(all.length, "run")
                : `${shown.length.toLocaleString()} of ${plural(all.length, "run")}`}
              {!query.data?.complete && " · loading older runs…"}
            </span>
          )}
        </div>
        {!noRuns && <BoardFilters filters={filters} onChange={setFilters} workflows={workflows} triggeredBy={people} />}
      </div>
      {query.error && <ErrorView error={query.error} retry={() => void query.refetch()} />}
      {noRuns ? (
        <EmptyBoard />
      ) : (
        <>
          {!loading && shown.length === 0 && (
            <p className="board-nomatch">
              No runs match these filters.{" "}
              <button type="button" className="btn btn-sm" onClick={() => setFilters(NO_FILTERS)}>
                Clear filters
              </button>
            </p>
          )}
          <div className="board-columns" aria-busy={loading}>
            {loading
              ? STATUS_COLUMNS.slice(0, 5).map((c) => <SkeletonColumn key={c.status} title={c.title} />)
              : columns.map((c) => <BoardColumn key={c.id} column={c} showStatus={byPhase} />)}
          </div>
        </>
      )}
    </div>
  );
}
