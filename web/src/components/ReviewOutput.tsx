/**
 * A step's output shown for review: text as text (wrapped, monospace), JSON as a tree whose objects and arrays
 * fold (native <details>, keyboard and screen-reader friendly). Nothing is rendered as HTML.
 */
import "./ReviewOutput.css";

export function ReviewOutput({ value }: { value: unknown }) {
  const empty =
    value === null ||
    value === undefined ||
    value === "" ||
    (typeof value === "object" && Object.keys(value as object).length === 0);
  if (empty) return <p className="muted review-output-none">No output.</p>;
  if (typeof value === "string") return <pre className="review-output-text">{value}</pre>;
  return (
    <div className="json-tree">
      <Node value={value} depth={0} />
    </div>
  );
}

function Node({ name, value, depth }: { name?: string; value: unknown; depth: number }) {
  const label = name !== undefined && <span className="json-key">{name}: </span>;
  if (value !== null && typeof value === "object") {
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    const summary = Array.isArray(value) ? `[${entries.length}]` : `{${entries.length}}`;
    if (entries.length === 0) {
      return (
        <div className="json-row">
          {label}
          <span className="json-punct">{Array.isArray(value) ? "[]" : "{}"}</span>
        </div>
      );
    }
    return (
      <details className="json-node" open={depth < 3 && entries.length <= 50}>
        <summary>
          {label}
          <span className="json-punct">{summary}</span>
        </summary>
        <div className="json-children">
          {entries.map(([k, v]) => (
            <Node key={k} name={k} value={v} depth={depth + 1} />
          ))}
        </div>
      </details>
    );
  }
  return (
    <div className="json-row">
      {label}
      <Scalar value={value} />
    </div>
  );
}

function Scalar({ value }: { value: unknown }) {
  // Strings as they are (newlines kept), quoted: a reviewer reads the text, not its JSON escaping.
  if (typeof value === "string") return <span className="json-string">"{value}"</span>;
  if (typeof value === "number") return <span className="json-number">{value}</span>;
  if (typeof value === "boolean") return <span className="json-bool">{String(value)}</span>;
  return <span className="json-null">null</span>;
}
