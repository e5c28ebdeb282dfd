/**
 * Named fault points for crash tests (DBOS `debugpoint`): `WEFT_FAULT=after-commit:7` kills this process with
 * SIGKILL the 7th time the engine passes `after-commit`. Several may be given, comma-separated.
 *
 * Points: `after-launch` (run created), `before-commit`, `after-commit` (a transition is durable, nothing
 * after it has happened), `after-start` (a step is recorded running, its handler not yet called),
 * `after-handler` (a handler returned, its result not yet committed).
 */
export type FaultPoint = "after-launch" | "before-commit" | "after-commit" | "after-start" | "after-handler";

export interface Faults {
  hit(point: FaultPoint): void;
}

export const noFaults: Faults = { hit() {} };

export function faultsFromSpec(spec: string | undefined): Faults {
  if (!spec) return noFaults;
  const targets = new Map<string, number>();
  for (const part of spec.split(",")) {
    const [name, n] = part.trim().split(":");
    if (name) targets.set(name, Number(n ?? 1) || 1);
  }
  const counts = new Map<string, number>();
  return {
    hit(point) {
      const target = targets.get(point);
      if (target === undefined) return;
      const c = (counts.get(point) ?? 0) + 1;
      counts.set(point, c);
      if (c === target) process.kill(process.pid, "SIGKILL");
    },
  };
}
