import { useVirtualizer } from "@tanstack/react-virtual";
import { memo, useCallback, useRef } from "react";
import type { Column } from "./columns";
import { CARD_GAP, CARD_HEIGHT, RunCard } from "./RunCard";

const itemSize = () => CARD_HEIGHT + CARD_GAP;

/**
 * One column: its title and count, and its cards in a virtualised list (only the visible ones are mounted).
 * Memoised: a column whose cards did not change (columns.ts keeps it the same object) does not re-render.
 */
export const BoardColumn = memo(function BoardColumn({ column, showStatus }: { column: Column; showStatus: boolean }) {
  const scroller = useRef<HTMLDivElement>(null);
  const { runs } = column;
  const itemKey = useCallback((i: number) => runs[i]?.id ?? i, [runs]);
  const virtual = useVirtualizer({
    count: runs.length,
    getScrollElement: () => scroller.current,
    estimateSize: itemSize,
    getItemKey: itemKey,
    overscan: 4,
  });
  const headingId = `col-${column.id}`;
  return (
    <section
      className={`board-column${runs.length === 0 ? " board-column-empty" : ""}`}
      aria-labelledby={headingId}
      data-column={column.id}
    >
      <h2 className="col-head" id={headingId}>
        <span className={`col-dot board-tone-${column.tone}`} aria-hidden="true" />
        <span className="col-title">{column.title}</span>
        <span className="col-count">
          {runs.length.toLocaleString()}
          <span className="visually-hidden"> runs</span>
        </span>
      </h2>
      <div className="col-body" ref={scroller}>
        {runs.length === 0 ? (
          <p className="col-empty">No runs</p>
        ) : (
          <ul className="col-list" style={{ height: virtual.getTotalSize() }}>
            {virtual.getVirtualItems().map((item) => {
              const run = runs[item.index];
              if (!run) return null;
              return (
                <li
                  key={item.key}
                  className="col-item"
                  style={{ transform: `translateY(${item.start}px)`, height: CARD_HEIGHT }}
                  aria-setsize={runs.length}
                  aria-posinset={item.index + 1}
                >
                  <RunCard run={run} showStatus={showStatus} />
                </li>
              );
            })}
          </ul>
        )}
      </div>
    </section>
  );
});

/** A column of placeholder cards while the runs load. */
export function SkeletonColumn({ title }: { title: string }) {
  return (
    <section className="board-column" aria-hidden="true">
      <div className="col-head">
        <span className="col-title">{title}</span>
      </div>
      <div className="col-body">
        {[0, 1, 2].map((i) => (
          <div key={i} className="skeleton-card" style={{ height: CARD_HEIGHT }} />
        ))}
      </div>
    </section>
  );
}
