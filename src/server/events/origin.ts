/**
 * The Origin check of WebSocket upgrades (cross-site WebSocket hijacking: a page on another site opening a
 * socket to the local server with the browser's credentials). Allowed: no Origin header (CLI tools, scripts:
 * not a browser), the server's own origin (`http(s)://<Host>`), and the configured `allowedOrigins`.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[] = [],
): boolean {
  if (origin === undefined || origin === "") return true;
  const o = origin.trim().toLowerCase().replace(/\/+$/, "");
  if (host !== undefined && host !== "") {
    const h = host.trim().toLowerCase();
    if (o === `http://${h}` || o === `https://${h}`) return true;
  }
  return allowed.some((a) => a === "*" || a.trim().toLowerCase().replace(/\/+$/, "") === o);
}
