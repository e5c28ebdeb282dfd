import { isIP } from "node:net";

/** The port `weft serve` listens on unless told otherwise. */
export const DEFAULT_PORT = 4280;

/** True for hosts only this machine can reach: `localhost`, 127.0.0.0/8, ::1 (also `[::1]`, `::ffff:127.x`). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (h === "localhost" || h === "::1" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  return h.startsWith("::ffff:127.");
}
