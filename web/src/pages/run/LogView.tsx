import { useEffect, useRef, useState } from "react";
import { messageOf } from "../../api/client";
import { followLog, type LogLine } from "./log-stream";

const MAX_LINES = 5000;

/** The step's log, streaming while the step runs; keeps to the bottom unless the reader scrolled up. */
export function LogView({ stepRunId, running }: { stepRunId: string; running: boolean }) {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [ended, setEnded] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);

  // biome-ignore lint/correctness/useExhaustiveDependencies: a retried step (running again) restarts the stream
  useEffect(() => {
    setLines([]);
    setEnded(false);
    setError(null);
    return followLog(stepRunId, {
      onLines: (ls) => setLines((prev) => [...prev, ...ls].slice(-MAX_LINES)),
      onEnd: () => setEnded(true),
      onError: (err) => setError(messageOf(err)),
    });
  }, [stepRunId, running]);

  useEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  });

  return (
    <div className="log-wrap">
      <div
        ref={box}
        className="log mono"
        role="log"
        aria-label="Step log"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling log must be reachable by keyboard
        tabIndex={0}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
      >
        {lines.map((l) => (
          <div key={l.offset} className={`log-line log-${l.stream}`}>
            <span className="log-stream">{l.stream}</span>
            <span className="log-text">{l.text}</span>
          </div>
        ))}
        {lines.length === 0 && !error && (
          <div className="log-empty">{ended ? "No log lines." : running ? "Waiting for output…" : "No log yet."}</div>
        )}
      </div>
      <div className="log-foot" aria-live="polite">
        {error ? (
          <span className="inline-error">{error}</span>
        ) : ended ? (
          <span className="muted">{lines.length} lines · ended</span>
        ) : (
          <span className="log-live">
            <span className="dot" aria-hidden="true" />
            Following · {lines.length} lines
          </span>
        )}
      </div>
    </div>
  );
}
