/**
 * A JSON value as a collapsible tree (native <details>: keyboard and screen reader friendly); strings with
 * newlines as text blocks. Nothing is rendered as HTML. Used by the step drawer, the transcript and the review
 * inbox.
 */
import "./JsonTree.css";

const MAX_CHILDREN = 200;

function Scalar({ value }: { value: unknown }) {
  if (value === null) return <span className="jt-null">null</span>;
  if (typeof value === "string") return <span className="jt-string">"{value}"</span>;
  if (typeof value === "number") return <span className="jt-number">{value}</span>;
  if (typeof value === "boolean") return <span className="jt-bool">{String(value)}</span>;
  return <span className="jt-null">{String(value)}</span>;
}

function Node({
  name,
  value,
  depth,
  openDepth,
}: {
  name: string | null;
  value: unknown;
  depth: number;
  openDepth: number;
}) {
  const label = name === null ? null : <span className="jt-key">{name}: </span>;
  if (typeof value === "string" && value.includes("\n")) {
    return (
      <div className="jt-row">
        {label}
        {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling block must be reachable by keyboard */}
        <pre className="jt-multiline" tabIndex={0}>
          {value}
        </pre>
      </div>
    );
  }
  if (value === null || typeof value !== "object") {
    return (
      <div className="jt-row">
        {label}
        <Scalar value={value} />
      </div>
    );
  }
  const entries: [string, unknown][] = Array.isArray(value)
    ? value.map((v, i) => [String(i), v])
    : Object.entries(value as Record<string, unknown>);
  const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
  if (entries.length === 0) {
    return (
      <div className="jt-row">
        {label}
        <span className="jt-null">{Array.isArray(value) ? "[]" : "{}"}</span>
      </div>
    );
  }
  return (
    <details className="jt-node" open={depth < openDepth}>
      <summary>
        {label}
        <span className="jt-summary">{summary}</span>
      </summary>
      <div className="jt-children">
        {entries.slice(0, MAX_CHILDREN).map(([k, v]) => (
          <Node key={k} name={k} value={v} depth={depth + 1} openDepth={openDepth} />
        ))}
        {entries.length > MAX_CHILDREN && <div className="jt-row muted">… {entries.length - MAX_CHILDREN} more</div>}
      </div>
    </details>
  );
}

/** `openDepth`: objects and arrays nested less deep than this start open. */
export function JsonTree({ value, label, openDepth = 2 }: { value: unknown; label: string; openDepth?: number }) {
  return (
    <section className="json-tree mono" aria-label={label}>
      <Node name={null} value={value} depth={0} openDepth={openDepth} />
    </section>
  );
}
