import { Plus } from "lucide-react";
import { StepGlyph } from "./StepGlyph";
import type { PaletteItem } from "./step-types";

export const DRAG_MIME = "application/x-weft-step";

function Item({ item, onAdd, disabled }: { item: PaletteItem; onAdd: (item: PaletteItem) => void; disabled: boolean }) {
  return (
    <li
      className="palette-item"
      draggable={!disabled}
      data-palette={item.key}
      title={item.description}
      onDragStart={(e) => {
        e.dataTransfer.setData(DRAG_MIME, item.key);
        e.dataTransfer.effectAllowed = "copy";
      }}
    >
      <span className={`palette-icon palette-icon-${item.type}`}>
        <StepGlyph type={item.nodeType ?? item.key} />
      </span>
      <span className="palette-text">
        <span className="palette-label">{item.label}</span>
        <span className="palette-type">{item.nodeType ? `→ ${item.type}` : item.type}</span>
      </span>
      <button
        type="button"
        className="icon-btn palette-add"
        aria-label={`Add ${item.label}${item.nodeType ? ` (${item.type})` : ""} step`}
        title="Add to the canvas"
        disabled={disabled}
        onClick={() => onAdd(item)}
      >
        <Plus size={15} aria-hidden="true" />
      </button>
    </li>
  );
}

/** The step types to drag onto the canvas (or add with the keyboard): weft's types, then seed 000's nodes. */
export function Palette({
  types,
  nodeTypes,
  onAdd,
  disabled,
}: {
  types: PaletteItem[];
  nodeTypes: PaletteItem[];
  onAdd: (item: PaletteItem) => void;
  disabled: boolean;
}) {
  return (
    <nav className="palette" aria-label="Step types">
      <h2 className="palette-heading">Steps</h2>
      <ul className="palette-list">
        {types.map((t) => (
          <Item key={t.key} item={t} onAdd={onAdd} disabled={disabled} />
        ))}
      </ul>
      {nodeTypes.length > 0 && (
        <>
          <h2 className="palette-heading">Marketing nodes</h2>
          <ul className="palette-list">
            {nodeTypes.map((t) => (
              <Item key={t.key} item={t} onAdd={onAdd} disabled={disabled} />
            ))}
          </ul>
        </>
      )}
      <p className="palette-hint">Drag onto the canvas, or press +.</p>
    </nav>
  );
}
