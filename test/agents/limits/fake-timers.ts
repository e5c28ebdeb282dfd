/** A limiter clock over the fake clock: timers fire only when a test advances time. */
import type { LimiterClock } from "../../../src/agents/limits/index.js";
import { createFakeClock } from "../../../src/testing/index.js";

export interface FakeTimers extends LimiterClock {
  /** Moves time forward by `ms`, firing due timers in time order and letting promises settle between them. */
  advance(ms: number): Promise<void>;
  /** Lets pending promise callbacks run without moving time. */
  settle(): Promise<void>;
  /** Timers not yet fired. */
  pending(): number;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

export function fakeTimers(start = Date.UTC(2026, 0, 1)): FakeTimers {
  const clock = createFakeClock(start);
  let timers: { at: number; seq: number; fn: () => void }[] = [];
  let seq = 0;
  return {
    now: clock.now,
    setTimer(ms, fn) {
      const timer = { at: clock.now() + Math.max(0, ms), seq: seq++, fn };
      timers.push(timer);
      return () => {
        timers = timers.filter((t) => t !== timer);
      };
    },
    async advance(ms) {
      const target = clock.now() + ms;
      for (;;) {
        await tick();
        timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
        const due = timers[0];
        if (!due || due.at > target) break;
        timers.shift();
        clock.set(Math.max(clock.now(), due.at));
        due.fn();
      }
      clock.set(target);
      await tick();
    },
    settle: tick,
    pending: () => timers.length,
  };
}
