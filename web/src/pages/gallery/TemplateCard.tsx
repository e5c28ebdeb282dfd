import { CheckCircle2, Clock, Layers, type LucideProps, Play } from "lucide-react";
import type { ComponentType } from "react";
import { formatDuration } from "../run/types";
import { categoryLabel, categoryTone } from "./categories";
import { type DefinitionItem, formatRate } from "./queries";

/** A category's badge, coloured per category. */
export function CategoryBadge({ category }: { category: string | null }) {
  if (!category) return null;
  return <span className={`cat-badge cat-tone-${categoryTone(category)}`}>{categoryLabel(category)}</span>;
}

export function TsBadge() {
  return (
    <span className="ts-badge" title="A TypeScript workflow: its steps are code">
      TS
    </span>
  );
}

/**
 * A definition read from the project's `.agent/workflows/definitions/` by `weft serve`: its file, and whether that
 * file has errors now (the definition is then its last good version, not launched until the file is fixed).
 */
export function FileBadge({ def }: { def: Pick<DefinitionItem, "path" | "issues"> }) {
  const errors = def.issues.filter((i) => i.severity === "error");
  const first = errors[0];
  return (
    <span
      className={`file-badge${errors.length ? " file-badge-broken" : ""}`}
      title={first ? `${first.file}:${first.line}:${first.column}: ${first.message}` : (def.path ?? undefined)}
    >
      {errors.length ? `File · ${errors.length} ${errors.length === 1 ? "problem" : "problems"}` : "File"}
    </span>
  );
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString()} ${n === 1 ? one : many}`;

/** One figure of a card: an icon (its name for screen readers) and the value. */
function CardStat(props: { icon: ComponentType<LucideProps>; label: string; title: string; value: string }) {
  const Icon = props.icon;
  return (
    <div title={props.title}>
      <dt>
        <Icon size={13} aria-hidden="true" />
        <span className="visually-hidden">{props.label}</span>
      </dt>
      <dd>{props.value}</dd>
    </div>
  );
}

/** A template in the grid: the whole card opens its preview (the title is the button, stretched over the card). */
export function TemplateCard({ def, onOpen }: { def: DefinitionItem; onOpen: (id: string) => void }) {
  return (
    <li className="tpl-card" data-definition-id={def.id}>
      <div className="tpl-card-top">
        <CategoryBadge category={def.category} />
        {def.format === "ts" && <TsBadge />}
        {def.origin === "file" ? <FileBadge def={def} /> : !def.system && <span className="tpl-own">Yours</span>}
        {def.status === "draft" && (
          <span className="tpl-draft" title="A draft: it launches only as a test run until it is activated">
            Draft
          </span>
        )}
      </div>
      <h2 className="tpl-card-title">
        <button type="button" className="tpl-card-open" onClick={() => onOpen(def.id)} aria-haspopup="dialog">
          {def.name}
        </button>
      </h2>
      <p className="tpl-card-desc">{def.description || <span className="muted">No description.</span>}</p>
      <dl className="tpl-card-stats">
        <CardStat icon={Layers} label="Steps" title="Steps" value={plural(def.step_count, "step")} />
        <CardStat
          icon={Play}
          label="Usage"
          title="Runs launched from this template"
          value={def.times_used === 0 ? "Never run" : plural(def.times_used, "run")}
        />
        {def.success_rate !== null && (
          <CardStat
            icon={CheckCircle2}
            label="Success rate"
            title="Success rate (completed of finished runs)"
            value={formatRate(def.success_rate)}
          />
        )}
        {def.average_duration_ms !== null && (
          <CardStat
            icon={Clock}
            label="Average duration"
            title="Average duration of completed runs"
            value={formatDuration(def.average_duration_ms)}
          />
        )}
      </dl>
    </li>
  );
}

export function SkeletonCard() {
  return (
    <li className="tpl-card tpl-skeleton" aria-hidden="true">
      <span className="sk sk-badge" />
      <span className="sk sk-title" />
      <span className="sk sk-line" />
      <span className="sk sk-line sk-short" />
      <span className="sk sk-stats" />
    </li>
  );
}
