/**
 * Named fault points for crash tests (DBOS `debugpoint`): `WEFT_FAULT=after-commit:7` kills this process with
 * SIGKILL the 7th time the engine passes `after-commit`. Several may be given, comma-separated.
 *
 * Points: `after-launch` (run created), `after-launch-group` (the runs of launches grouped in one turn are
 * created in one transaction, no launch has returned), `before-commit`, `after-commit` (a transition is durable,
 * nothing after it has happened), `after-take` (the owner's first commit, which took the lease, is durable),
 * `after-start` (a step is recorded running, its handler not yet called), `after-handler` (a handler returned,
 * its result not yet committed), `after-settle` (a TypeScript step's result was handed to the workflow code,
 * its end not yet durable), `after-end` (the commit that ended the run and released its lease is durable).
 */
export type FaultPoint =
  | "after-launch"
  | "after-launch-group"
  | "before-commit"
  | "after-commit"
  | "after-take"
  | "after-start"
  | "after-handler"
  | "after-settle"
  | "after-end";

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
