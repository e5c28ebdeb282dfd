import { useEffect, useState } from "react";
import { formatDuration } from "./types";

/** A duration that ticks every second while it runs (`end` null), fixed once it has ended. */
export function Elapsed({ start, end, ms }: { start: string | null; end: string | null; ms?: number | null }) {
  const running = start !== null && end === null;
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!running) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [running]);
  if (ms !== null && ms !== undefined && !running) return <>{formatDuration(ms)}</>;
  if (start === null) return <>—</>;
  return <>{formatDuration((end ? Date.parse(end) : now) - Date.parse(start))}</>;
}
