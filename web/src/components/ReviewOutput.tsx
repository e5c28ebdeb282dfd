/**
 * A step's output shown for review: text as text (wrapped, monospace), JSON as a tree whose objects and arrays
 * fold (native <details>, keyboard and screen-reader friendly). Nothing is rendered as HTML.
 */
import { JsonTree } from "./JsonTree";
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
    <div className="review-output-tree">
      <JsonTree value={value} label="Output under review" openDepth={3} />
    </div>
  );
}
