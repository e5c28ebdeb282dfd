import type { ProviderRegistry } from "../agents/provider.js";
import type { EventRecord } from "../core/events.js";
import type { Lease, Owner } from "../core/model.js";
import type { Sandbox } from "../steps/script/sandbox.js";
import type { StepType } from "../steps/step-type.js";
import type { CommitResult, Store, Transition } from "../store/store.js";
import type { Faults } from "./faults.js";
import type { FileWriter } from "./file-writer.js";
import type { WaitQueue } from "./wait-queue.js";

export interface Clock {
  now(): number;
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** The engine-wide cap on handlers running at once (all runs of this process). */
export class Slots {
  private used = 0;
  constructor(readonly capacity: number) {}
  available(): number {
    return Math.max(0, this.capacity - this.used);
  }
  acquire(n: number): void {
    this.used += n;
  }
  release(n: number): void {
    this.used = Math.max(0, this.used - n);
    this.onRelease?.();
  }
  onRelease?: () => void;
}

/** What the engine sees of a run's driver (driver.ts), without importing it: core.ts sits below the driver. */
export interface DriverHandle {
  readonly runId: string;
  /** The run's priority: starved drivers are woken highest first. */
  readonly priority: number;
  /** Schedules a pass. */
  tick(): void;
}

/** What drivers share: the engine's dependencies and a few callbacks. Internal. */
export interface EngineCore {
  store: Store;
  /** Commits a driver's transition, grouped with others handed in at the same time. */
  commit(t: Transition): Promise<CommitResult>;
  clock: Clock;
  random: () => number;
  owner: Owner;
  leaseMs: number;
  pollMs: number;
  dataDir: string;
  /** Writes run folders, step logs and checkpoint files, off the engine's thread. */
  files: FileWriter;
  projectPath: string;
  /** The base environment of the processes steps start. */
  stepEnv: Readonly<Record<string, string>>;
  sandbox: Sandbox | undefined;
  stepTypes: ReadonlyMap<string, StepType<unknown>>;
  providers: ProviderRegistry;
  /** What a test run's steps resolve agents with: every agent answered by the mock of `providers`. */
  testProviders: ProviderRegistry;
  faults: Faults;
  logger: Logger;
  slots: Slots;
  /** Drivers that had more startable steps than capacity: woken (priority, then FIFO) when slots free up. */
  starved: WaitQueue<DriverHandle>;
  isOwnerDead: (owner: Owner) => boolean;
  /** Renews a driver's lease, batched with the other drivers' (renewals.ts). */
  renewLease(lease: Lease): Promise<boolean>;
  publish(events: EventRecord[]): void;
  notice(runId: string, message: string): void;
  /** Work left after a run's driver is done (its checkpoint files, their retention): `close()` waits for it. */
  afterwards(work: Promise<void>): void;
  detach(driver: DriverHandle): void;
}
