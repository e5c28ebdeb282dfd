/**
 * Fair share of the engine's global concurrency: with few slots and many runs of several priorities,
 * every run gets its turn, higher priorities first, first come first served within a priority.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { TestEnv } from "../helpers/engine.js";
import { testEnv, until, wf } from "../helpers/engine.js";

let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
});

describe("engine: waiting for a slot", () => {
  it("with 2 slots and 18 waiting runs: higher priority first, FIFO within a priority, every run completes", async () => {
    let open: () => void = () => {};
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const started: string[] = [];
    env = testEnv({
      globalConcurrency: 2,
      functions: {
        work: async (input) => {
          started.push(String(input));
          await gate;
          return null;
        },
      },
    });
    const runs: Array<{ id: string; label: string }> = [];
    for (let i = 0; i < 18; i++) {
      const priority = [0, 5, 10][i % 3] as number;
      const label = `p${priority}#${i}`;
      const w = wf(`name: r${i}\nsteps:\n  - { id: a, type: function, function: work, input: "${label}" }\n`);
      runs.push({ id: (await env.engine.launch(w, { priority })).run.id, label });
    }
    const done = Promise.all(runs.map((r) => env?.engine.execute(r.id)));
    // Two runs hold the two slots; the other sixteen have started and wait for a slot.
    await until(async () => {
      const list = await env?.store.runs.list({ status: ["running"] });
      return started.length === 2 && list?.length === 18;
    });
    const first = [...started];
    open();
    const final = await done;
    expect(final.map((r) => r?.status)).toEqual(runs.map(() => "completed"));
    // The rest took the slots as they freed: priority 10, then 5, then 0, each in launch order.
    const rest = runs.map((r) => r.label).filter((l) => !first.includes(l));
    const rank = (l: string) => Number(l.slice(1, l.indexOf("#")));
    const order = (l: string) => Number(l.slice(l.indexOf("#") + 1));
    expect(started.slice(2)).toEqual([...rest].sort((a, b) => rank(b) - rank(a) || order(a) - order(b)));
  });

  it("runs of several steps share 3 slots: every run progresses and completes", async () => {
    const progress = new Map<string, number>();
    env = testEnv({
      globalConcurrency: 3,
      functions: {
        step: async (input) => {
          progress.set(String(input), (progress.get(String(input)) ?? 0) + 1);
          await new Promise((r) => setImmediate(r));
          return null;
        },
      },
    });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const steps = [0, 1, 2, 3].map((s) => `  - { id: s${s}, type: function, function: step, input: "r${i}" }`);
      const w = wf(`name: r${i}\nmode: sequential\nsteps:\n${steps.join("\n")}\n`);
      ids.push((await env.engine.launch(w, { priority: i % 3 })).run.id);
    }
    const final = await Promise.all(ids.map((id) => env?.engine.execute(id)));
    expect(final.every((r) => r?.status === "completed")).toBe(true);
    expect([...progress.values()]).toEqual(ids.map(() => 4));
  });
});
