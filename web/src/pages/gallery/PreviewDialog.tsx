/**
 * A template's preview: what it does (its DAG, read-only, and its phases), what it takes (the arguments, an
 * example), how it has done (usage, success rate, its last runs), and the two ways on: Use (the launch form)
 * and Clone & customise (a copy of one's own, opened in the builder).
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Copy, FileCode2, PenLine, Rocket } from "lucide-react";
import { lazy, Suspense, useState } from "react";
import { Link, useLocation } from "wouter";
import { messageOf } from "../../api/client";
import { useCan, useSession } from "../../api/session";
import { ago } from "../../components/ago";
import { ErrorView } from "../../components/ErrorView";
import { formatDuration } from "../run/types";
import { Modal } from "./Modal";
import { clone, type Definition, formatRate, keys, launchProjectOf, read } from "./queries";
import { type Field, fieldsOf } from "./schema-form";
import { CategoryBadge, FileBadge, TsBadge } from "./TemplateCard";
import "./preview.css";

const DefinitionGraph = lazy(() => import("./DefinitionGraph"));

export function PreviewDialog({ id, onClose }: { id: string; onClose: () => void }) {
  const def = useQuery({ queryKey: keys.definition(id), queryFn: () => read.definition(id) });
  return (
    <Modal
      onClose={onClose}
      labelledBy="preview-title"
      footer={def.data ? <PreviewActions def={def.data} /> : undefined}
    >
      {def.error ? (
        <>
          <h2 id="preview-title">Template</h2>
          <ErrorView error={def.error} retry={() => void def.refetch()} />
        </>
      ) : !def.data ? (
        <div className="preview-loading" aria-busy="true">
          <h2 id="preview-title" className="visually-hidden">
            Loading template
          </h2>
          <span className="sk sk-title" />
          <span className="sk sk-line" />
          <span className="sk sk-graph" />
        </div>
      ) : (
        <PreviewBody def={def.data} />
      )}
    </Modal>
  );
}

function PreviewBody({ def }: { def: Definition }) {
  const fields = fieldsOf(def.args_schema);
  return (
    <div className="preview">
      <div className="preview-top">
        <div className="preview-badges">
          <CategoryBadge category={def.category} />
          {def.format === "ts" && <TsBadge />}
          {def.origin === "file" && <FileBadge def={def} />}
          <span className="muted">v{def.version}</span>
        </div>
        <h2 id="preview-title" className="preview-title">
          {def.name}
        </h2>
        {def.description && <p className="preview-desc">{def.description}</p>}
        {def.origin === "file" && (
          <p className="preview-note">
            {/* One flex item: the note lays out an icon beside its text, and this text has none. */}
            <span>
              From the project's definitions folder: <code>{def.path}</code>. Edit the file to change it.
            </span>
          </p>
        )}
        {def.tags.length > 0 && (
          <ul className="preview-tags" aria-label="Tags">
            {def.tags.map((t) => (
              <li key={t}>{t}</li>
            ))}
          </ul>
        )}
      </div>

      <dl className="preview-stats" aria-label="Usage">
        <Stat label="Runs" value={def.times_used.toLocaleString()} />
        <Stat label="Success rate" value={formatRate(def.success_rate)} />
        <Stat label="Avg duration" value={formatDuration(def.average_duration_ms)} />
        <Stat label="Steps" value={String(def.step_count)} />
        <Stat label="Last used" value={def.last_used_at ? ago(def.last_used_at) : "never"} />
      </dl>

      <section className="preview-section" aria-labelledby="preview-graph">
        <h3 id="preview-graph">Steps</h3>
        {def.format === "ts" && (
          <p className="preview-note">
            <FileCode2 size={14} aria-hidden="true" /> A TypeScript workflow: this is its graph before a run; steps it
            adds while running show on the run page.
          </p>
        )}
        <div className="preview-graph">
          <Suspense fallback={<div className="sk sk-graph" />}>
            <DefinitionGraph steps={def.steps} edges={def.edges} maxHeight={320} />
          </Suspense>
        </div>
        {def.phases.length > 0 && (
          <ol className="preview-phases" aria-label="Phases">
            {def.phases.map((p, i) => (
              <li key={p}>
                <span className="phase-n">{i + 1}</span>
                <span className="phase-name">{p}</span>
                <span className="muted">{plural(def.steps.filter((s) => s.phase === p).length, "step")}</span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="preview-section" aria-labelledby="preview-args">
        <h3 id="preview-args">Arguments</h3>
        {fields.length === 0 ? (
          <p className="muted">This workflow takes no arguments.</p>
        ) : (
          <div className="args-table-wrap">
            <table className="args-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Type</th>
                  <th scope="col">Default</th>
                  <th scope="col">Description</th>
                </tr>
              </thead>
              <tbody>
                {fields.map((f) => (
                  <tr key={f.name}>
                    <td>
                      <code>{f.name}</code>
                      {f.required && <span className="req-badge">required</span>}
                    </td>
                    <td className="arg-type">{typeOf(f)}</td>
                    <td className="arg-default">
                      {f.default === undefined ? <span className="muted">—</span> : <code>{short(f.default)}</code>}
                    </td>
                    <td className="arg-desc">{f.description ?? <span className="muted">—</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {def.example_args && Object.keys(def.example_args).length > 0 && (
          <details className="preview-example">
            <summary>Example inputs</summary>
            <pre>{JSON.stringify(def.example_args, null, 2)}</pre>
          </details>
        )}
      </section>

      <section className="preview-section" aria-labelledby="preview-runs">
        <h3 id="preview-runs">Recent runs</h3>
        {def.recent_runs.length === 0 ? (
          <p className="muted">Not run yet.</p>
        ) : (
          <ul className="recent-runs">
            {def.recent_runs.map((r) => (
              <li key={r.id}>
                <span className={`status status-${r.status}`}>{r.status === "pending" ? "queued" : r.status}</span>
                <Link href={`/runs/${r.id}`} className="recent-run-name">
                  {r.name}
                </Link>
                <span className="muted recent-run-meta">
                  {formatDuration(r.duration_ms)} · {ago(r.created_at)}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}

function typeOf(f: Field): string {
  switch (f.kind) {
    case "text":
      return f.format ? `string (${f.format})` : "string";
    case "enum":
      return f.options.map((o) => o.label).join(" | ");
    case "number": {
      const range = f.min !== undefined && f.max !== undefined ? ` ${f.min}–${f.max}` : "";
      return `${f.integer ? "integer" : "number"}${range}`;
    }
    case "boolean":
      return "boolean";
    case "list":
      return `${f.item}[]`;
    case "documents":
      return "documents";
    case "json":
      return "JSON";
  }
}

function short(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}

function PreviewActions({ def }: { def: Definition }) {
  const [, navigate] = useLocation();
  const qc = useQueryClient();
  const can = useCan();
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const project = launchProjectOf(def, session.data?.scopes);
  const cloneProject = def.system ? "default" : def.project_id;
  const mayClone = can(cloneProject, "admin");
  const mayLaunch = can(project, "operate");

  async function onClone() {
    setBusy(true);
    setError(null);
    try {
      const copy = await clone(def.id);
      void qc.invalidateQueries({ queryKey: ["workflow-definitions"] });
      navigate(`/builder/${copy.id}`);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  }

  return (
    <>
      {error && (
        <p className="preview-error" role="alert">
          {error}
        </p>
      )}
      <Link
        href={`/builder/${def.id}`}
        className="btn"
        title={
          def.system || def.format === "ts" || def.origin === "file" || !mayClone
            ? "See it in the builder (read-only)"
            : "Edit this workflow in the builder"
        }
      >
        <PenLine size={15} aria-hidden="true" />{" "}
        {def.system || def.format === "ts" || def.origin === "file" ? "Open in builder" : "Edit in builder"}
      </Link>
      <button
        type="button"
        className="btn"
        disabled={busy || !mayClone}
        title={
          mayClone ? "Copy this template into your project and open it in the builder" : "Cloning needs the admin role"
        }
        onClick={() => void onClone()}
      >
        <Copy size={15} aria-hidden="true" /> {busy ? "Cloning…" : "Clone & customise"}
      </button>
      {mayLaunch ? (
        <Link href={`/templates/${def.id}/launch`} className="btn btn-primary">
          <Rocket size={15} aria-hidden="true" /> Use template
        </Link>
      ) : (
        <button type="button" className="btn btn-primary" disabled title="Launching needs the operate role">
          <Rocket size={15} aria-hidden="true" /> Use template
        </button>
      )}
    </>
  );
}
