import { describe, expect, it } from "vitest";
import { WaitQueue } from "../../src/engine/wait-queue.js";

const run = (name: string, priority: number) => ({ name, priority });
type Run = ReturnType<typeof run>;
const names = (q: WaitQueue<Run>) => q.ordered().map((r) => r.name);

/** Takes everything `serve` hands out, up to `n`. */
function take(q: WaitQueue<Run>, n: number, visit: (r: Run) => void = () => {}): string[] {
  const out: string[] = [];
  q.serve(
    () => out.length < n,
    (r) => {
      out.push(r.name);
      visit(r);
    },
  );
  return out;
}

describe("WaitQueue: runs waiting for a slot", () => {
  it.each([
    ["one priority: first come, first served", [run("a", 0), run("b", 0), run("c", 0)], ["a", "b", "c"]],
    ["higher priority first", [run("low", 0), run("high", 5), run("mid", 2)], ["high", "mid", "low"]],
    [
      "FIFO within each priority",
      [run("l1", 0), run("h1", 1), run("l2", 0), run("h2", 1), run("l3", 0)],
      ["h1", "h2", "l1", "l2", "l3"],
    ],
    ["negative priorities after zero", [run("neg", -1), run("zero", 0)], ["zero", "neg"]],
  ])("%s", (_, runs, order) => {
    const q = new WaitQueue<Run>();
    for (const r of runs) q.add(r);
    expect(names(q)).toEqual(order);
    expect(take(q, runs.length)).toEqual(order);
    expect(q.size).toBe(0);
  });

  it("adding a run already waiting keeps its place", () => {
    const q = new WaitQueue<Run>();
    const a = run("a", 0);
    q.add(a);
    q.add(run("b", 0));
    q.add(a);
    expect(q.size).toBe(2);
    expect(names(q)).toEqual(["a", "b"]);
  });

  it("a run removed from anywhere leaves the others in order", () => {
    const q = new WaitQueue<Run>();
    const runs = Array.from({ length: 50 }, (_, i) => run(`r${i}`, i % 5));
    for (const r of runs) q.add(r);
    for (const r of runs.filter((_, i) => i % 3 === 0)) expect(q.delete(r)).toBe(true);
    expect(q.delete(run("stranger", 0))).toBe(false);
    const left = runs.filter((_, i) => i % 3 !== 0);
    const expected = [...left].sort((x, y) => y.priority - x.priority || runs.indexOf(x) - runs.indexOf(y));
    expect(take(q, 100)).toEqual(expected.map((r) => r.name));
  });

  it("serve stops when asked and leaves the rest waiting", () => {
    const q = new WaitQueue<Run>();
    for (const r of [run("a", 0), run("b", 0), run("c", 0)]) q.add(r);
    expect(take(q, 2)).toEqual(["a", "b"]);
    expect(names(q)).toEqual(["c"]);
  });

  it("a run that waits again while served goes behind its priority and is not served twice in one call", () => {
    const q = new WaitQueue<Run>();
    const a = run("a", 1);
    for (const r of [a, run("b", 1), run("c", 0)]) q.add(r);
    // `a` still wants more after its turn: it waits again, behind `b` but before the lower `c`.
    expect(take(q, 10, (r) => r === a && q.add(a))).toEqual(["a", "b", "c"]);
    expect(names(q)).toEqual(["a"]);
  });

  it("a run removed while parked during serve is gone afterwards; serve re-entered does nothing", () => {
    const q = new WaitQueue<Run>();
    const a = run("a", 0);
    q.add(a);
    q.add(run("b", 0));
    const inner: string[] = [];
    take(q, 1, () => {
      q.add(a);
      expect(q.has(a)).toBe(true);
      q.delete(a);
      inner.push(...take(q, 10));
    });
    expect(inner).toEqual([]);
    expect(names(q)).toEqual(["b"]);
  });

  it("keeps order over many adds and removals (a heap, checked against a sort)", () => {
    const q = new WaitQueue<Run>();
    const live: Run[] = [];
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      if (live.length > 0 && rnd() < 0.4) {
        const r = live.splice(Math.floor(rnd() * live.length), 1)[0] as Run;
        q.delete(r);
      } else {
        const r = run(`r${i}`, Math.floor(rnd() * 4));
        live.push(r);
        q.add(r);
      }
    }
    const expected = [...live].sort((x, y) => y.priority - x.priority || live.indexOf(x) - live.indexOf(y));
    expect(take(q, live.length)).toEqual(expected.map((r) => r.name));
  });
});
