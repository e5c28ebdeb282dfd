/**
 * The `ui:` block: editor state a workflow may carry in any dialect — today the builder's canvas positions,
 * `ui: { positions: { <step id>: { x: 120, y: 40 } } }`. It is checked (numbers; a position of no step is a
 * warning, so a renamed step does not make the file invalid) and then left out of the normalised Workflow: the
 * engine never sees it, and moving a node does not change the workflow hash.
 */
import { checkKeys, type Field, field, readMapping } from "./fields.js";
import { describe, didYouMean, type Issues } from "./issues.js";
import type { Path } from "./positions.js";

export interface CanvasPosition {
  x: number;
  y: number;
}

/** Positions by step id, with where each was written (for the unknown-step warning). */
export type CanvasPositions = Map<string, CanvasPosition & { path: Path }>;

export const UI_KEYS = ["positions"] as const;
export const POSITION_KEYS = ["x", "y"] as const;

export function readUi(f: Field, iss: Issues): CanvasPositions {
  const out: CanvasPositions = new Map();
  const obj = readMapping(f, iss, "write `ui: { positions: { <step id>: { x: 0, y: 0 } } }`");
  if (!obj) return out;
  checkKeys(obj, f.path, UI_KEYS, iss, "`ui`");
  const positions = field(obj, "positions", f.path);
  if (!positions) return out;
  const byId = readMapping(positions, iss, "write `positions: { <step id>: { x: 0, y: 0 } }`");
  if (!byId) return out;
  for (const id of Object.keys(byId)) {
    const at = field(byId, id, positions.path) as Field;
    const position = readPosition(at, iss);
    if (position) out.set(id, { ...position, path: at.path });
  }
  return out;
}

/** `{ x, y }`, both finite numbers. */
export function readPosition(f: Field, iss: Issues): CanvasPosition | undefined {
  const obj = readMapping(f, iss, "write `{ x: 0, y: 0 }`");
  if (!obj) return undefined;
  checkKeys(obj, f.path, POSITION_KEYS, iss, "a position");
  let ok = true;
  const coordinate = (key: "x" | "y"): number => {
    const c = field(obj, key, f.path);
    if (!c) {
      iss.error("WEFT_SCHEMA", f.path, `the position has no \`${key}\``, "write `{ x: 0, y: 0 }`");
      ok = false;
      return 0;
    }
    if (typeof c.value === "number" && Number.isFinite(c.value)) return c.value;
    iss.error(
      "WEFT_SCHEMA",
      c.path,
      `\`${key}\` must be a number, got ${describe(c.value)}`,
      "write a number of pixels",
    );
    ok = false;
    return 0;
  };
  const x = coordinate("x");
  const y = coordinate("y");
  return ok ? { x, y } : undefined;
}

/** Warns about positions of steps the workflow does not have. */
export function checkPositionIds(positions: CanvasPositions, ids: readonly string[], iss: Issues): void {
  for (const [id, { path }] of positions) {
    if (ids.includes(id)) continue;
    iss.warn(
      "WEFT_UNKNOWN_REF",
      path,
      `\`ui.positions\` has a position for \`${id}\`, but no step has that id`,
      didYouMean(id, ids) ?? "remove it, or rename it to the step's id",
      "key",
    );
  }
}
