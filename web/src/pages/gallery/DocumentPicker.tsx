/**
 * The documents of a project (`GET /api/artifacts?file_type=document`, newest first) as a list of checkboxes:
 * the value of an args-schema array of `format: "weft-document"` ids (the documents' text reaches the agents).
 */
import { useQuery } from "@tanstack/react-query";
import { FileText } from "lucide-react";
import { ago } from "../../components/ago";
import { ErrorView } from "../../components/ErrorView";
import { formatBytes } from "../run/types";
import { keys, read } from "./queries";

export function DocumentPicker({
  labelledBy,
  describedBy,
  projectId,
  selected,
  onChange,
}: {
  labelledBy: string;
  describedBy: string | undefined;
  projectId: string;
  selected: string[];
  onChange: (ids: string[]) => void;
}) {
  const docs = useQuery({ queryKey: keys.documents(projectId), queryFn: () => read.documents(projectId) });
  if (docs.error) return <ErrorView error={docs.error} retry={() => void docs.refetch()} />;
  if (!docs.data) return <div className="doc-picker doc-picker-loading" aria-busy="true" />;
  const chosen = new Set(selected);
  // Ids from an example or a default that the project no longer has stay visible (and can be removed).
  const missing = selected.filter((id) => !docs.data.some((d) => d.id === id));
  if (docs.data.length === 0 && missing.length === 0) {
    return (
      <p className="doc-picker-empty muted" id={`${labelledBy}-empty`}>
        No documents in project <strong>{projectId}</strong> yet. Documents that runs produce or upload show up here.
      </p>
    );
  }
  const toggle = (id: string, on: boolean) => onChange(on ? [...selected, id] : selected.filter((s) => s !== id));
  return (
    <fieldset className="doc-picker" aria-labelledby={labelledBy} aria-describedby={describedBy}>
      <p className="doc-picker-count muted">
        {selected.length} of {docs.data.length} selected
      </p>
      <ul>
        {docs.data.map((d) => (
          <li key={d.id}>
            <label className="doc-option">
              <input type="checkbox" checked={chosen.has(d.id)} onChange={(e) => toggle(d.id, e.target.checked)} />
              <FileText size={15} aria-hidden="true" className="doc-icon" />
              <span className="doc-name">{d.name}</span>
              <span className="doc-meta muted" title={`From the run ${d.run_name} (${d.workflow_name})`}>
                {d.run_name} · {formatBytes(d.size_bytes)} · {ago(d.created_at)}
              </span>
            </label>
          </li>
        ))}
        {missing.map((id) => (
          <li key={id}>
            <label className="doc-option">
              <input type="checkbox" checked onChange={() => toggle(id, false)} />
              <FileText size={15} aria-hidden="true" className="doc-icon" />
              <span className="doc-name mono">{id}</span>
              <span className="doc-meta muted">not in this project</span>
            </label>
          </li>
        ))}
      </ul>
    </fieldset>
  );
}
