import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Owner } from "../core/model.js";

/** The process start time from /proc (Linux), so a reused pid is not mistaken for the original owner. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2 (comm) may contain spaces and parentheses: split after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return rest[19]; // field 22 overall
  } catch {
    return undefined;
  }
}

/** The one-letter process state from /proc (R, S, D, Z, …), or undefined where /proc is unavailable. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
  } catch {
    return undefined;
  }
}

export function currentOwner(): Owner {
  return { id: randomUUID(), host: hostname(), pid: process.pid, pidStart: processStartTime(process.pid) };
}

/**
 * True only when we can tell for sure that the owner is gone: it ran on this host and its process no longer
 * exists (or the pid now belongs to a different process). Owners on other hosts are judged by lease expiry.
 */
export function isOwnerDead(owner: Owner): boolean {
  if (owner.host !== hostname()) return false;
  if (owner.pid === process.pid) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  // A killed process whose parent has not reaped it yet (a zombie) still answers kill(pid, 0).
  if (processState(owner.pid) === "Z") return true;
  if (owner.pidStart !== undefined) {
    const now = processStartTime(owner.pid);
    if (now !== undefined && now !== owner.pidStart) return true;
  }
  return false;
}
