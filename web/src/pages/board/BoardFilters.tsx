import { Search, X } from "lucide-react";
import { useEffect, useState } from "react";
import { type Filters, NO_FILTERS, STATUS_COLUMNS } from "./columns";

interface Props {
  filters: Filters;
  onChange: (f: Filters) => void;
  workflows: [string, number][];
  triggeredBy: [string, number][];
}

/** A select of one filter: "any", then each value with how many runs have it. */
function FilterSelect(props: {
  label: string;
  any: string;
  value: string;
  options: [value: string, label: string][];
  onChange: (v: string) => void;
}) {
  // A value from the URL that no run has (yet) stays selectable, so the select shows what filters.
  const options =
    props.value && !props.options.some(([v]) => v === props.value)
      ? [...props.options, [props.value, props.value] as [string, string]]
      : props.options;
  return (
    <select
      className="select"
      aria-label={props.label}
      value={props.value}
      onChange={(e) => props.onChange(e.target.value)}
    >
      <option value="">{props.any}</option>
      {options.map(([v, label]) => (
        <option key={v} value={v}>
          {label}
        </option>
      ))}
    </select>
  );
}

const counted = (list: [string, number][]): [string, string][] => list.map(([v, n]) => [v, `${v} (${n})`]);
const STATUSES: [string, string][] = STATUS_COLUMNS.map((c) => [c.status, c.title]);

/** Workflow, status, triggered-by and text filters (the page keeps them in the URL). */
export function BoardFilters({ filters, onChange, workflows, triggeredBy }: Props) {
  // The text box keeps its own value while typing; the URL follows it.
  const [q, setQ] = useState(filters.q);
  useEffect(() => setQ(filters.q), [filters.q]);
  const set = (patch: Partial<Filters>) => onChange({ ...filters, ...patch });
  const any = filters.workflow || filters.status || filters.by || filters.q;
  return (
    <search className="board-filters" aria-label="Filter runs">
      <div className="search-box">
        <Search size={15} aria-hidden="true" />
        <input
          className="input"
          type="search"
          placeholder="Search runs"
          aria-label="Search runs by name, workflow, id or step"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            set({ q: e.target.value });
          }}
        />
      </div>
      <FilterSelect
        label="Workflow"
        any="All workflows"
        value={filters.workflow}
        options={counted(workflows)}
        onChange={(workflow) => set({ workflow })}
      />
      <FilterSelect
        label="Status"
        any="All statuses"
        value={filters.status}
        options={STATUSES}
        onChange={(status) => set({ status })}
      />
      <FilterSelect
        label="Triggered by"
        any="Anyone"
        value={filters.by}
        options={counted(triggeredBy)}
        onChange={(by) => set({ by })}
      />
      {any && (
        <button type="button" className="btn btn-sm" onClick={() => onChange(NO_FILTERS)}>
          <X size={14} aria-hidden="true" /> Clear
        </button>
      )}
    </search>
  );
}
