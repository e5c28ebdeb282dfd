/**
 * Process groups: a child weft starts (a script's shell, a CLI agent) leads its own group, so one signal reaches
 * every process it started.
 */
import { readdirSync, readFileSync } from "node:fs";

/**
 * Whether any process of group `pgid` is still alive. Zombies count as gone: some init processes (microVMs,
 * minimal containers) never reap orphans, and a zombie holds no resources a script could still use.
 */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== "ESRCH";
  }
  if (process.platform !== "linux") return true;
  return liveGroupMembers(pgid).length > 0;
}

/** Linux: the pids of the group's processes that are not zombies, read from /proc. */
export function liveGroupMembers(pgid: number): number[] {
  const live: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [pgid];
  }
  for (const name of entries) {
    if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) === pgid && fields[0] !== "Z" && fields[0] !== "X") live.push(Number(name));
  }
  return live;
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone.
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * SIGTERM to the whole group; SIGKILL to whatever is still alive after `graceMs`. Resolves once the group is
 * gone (or, after SIGKILL, after at most one more second). Returns whether SIGKILL was needed.
 */
export async function terminateGroup(pgid: number, graceMs: number): Promise<boolean> {
  signalGroup(pgid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!groupAlive(pgid)) return false;
    await sleep(Math.min(25, Math.max(1, deadline - Date.now())));
  }
  if (!groupAlive(pgid)) return false;
  signalGroup(pgid, "SIGKILL");
  for (let i = 0; i < 40 && groupAlive(pgid); i++) await sleep(25);
  return true;
}
