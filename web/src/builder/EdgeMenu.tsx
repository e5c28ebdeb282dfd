import { Trash2, X } from "lucide-react";
import { useEffect, useRef } from "react";
import type { BuilderEdge, EdgeOn } from "./doc/types";

const CHOICES: { on: EdgeOn; label: string; help: string }[] = [
  { on: "success", label: "On success", help: "after it completes" },
  { on: "failure", label: "On failure", help: "only if it fails" },
  { on: "always", label: "Always", help: "once it ends, either way" },
];

/** The small menu of a clicked dependency: when the target runs, and remove. */
export function EdgeMenu({
  edge,
  at,
  readOnly,
  onOn,
  onRemove,
  onClose,
}: {
  edge: BuilderEdge;
  at: { x: number; y: number };
  readOnly: boolean;
  onOn: (on: EdgeOn) => void;
  onRemove: () => void;
  onClose: () => void;
}) {
  const ref = useRef<HTMLFieldSetElement>(null);
  useEffect(() => {
    ref.current?.querySelector<HTMLInputElement>("input:checked")?.focus();
  }, []);
  return (
    <div
      className="edge-menu nokey"
      role="dialog"
      aria-label={`Dependency ${edge.from} → ${edge.to}`}
      style={{ left: at.x, top: at.y }}
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <div className="edge-menu-head">
        <span className="mono">
          {edge.from} → {edge.to}
        </span>
        <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
          <X size={14} aria-hidden="true" />
        </button>
      </div>
      <fieldset ref={ref} className="edge-menu-choices" disabled={readOnly}>
        <legend className="visually-hidden">{edge.to} runs</legend>
        {CHOICES.map((c) => (
          <label key={c.on} className={`edge-choice${edge.on === c.on ? " is-on" : ""}`}>
            <input type="radio" name="edge-on" value={c.on} checked={edge.on === c.on} onChange={() => onOn(c.on)} />
            <span>
              {c.label}
              <span className="muted"> — {c.help}</span>
            </span>
          </label>
        ))}
      </fieldset>
      {!readOnly && (
        <button type="button" className="btn btn-sm edge-remove" onClick={onRemove}>
          <Trash2 size={14} aria-hidden="true" /> Remove dependency
        </button>
      )}
    </div>
  );
}
