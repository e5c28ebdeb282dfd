/**
 * The web UI: the single-page app built into `dist/web` (by `npm run build:web`), served by the API's own
 * server. Hashed assets (`/assets/*`) are immutable and cached for a year; `index.html` is never cached, so a
 * new release is picked up on the next load. Both are compressed (brotli or gzip, by Accept-Encoding) — only
 * here: compression is registered inside this plugin, so API answers, log streams (SSE) and the WebSocket are
 * never buffered by it. Any other GET/HEAD that is not `/api/*` and accepts HTML answers `index.html`
 * (client-side routes like `/runs/<id>`); `/api/*` is never shadowed, a missing asset is a 404 (never the
 * app), and a path that tries to climb out (`..`, encoded slashes or dots) is refused. Everything here is
 * public (the sign-in page must load without a token): the UI holds no data, the API it calls checks the token.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** `dist/web` of this package: next to `dist/server`, where this file is compiled to. */
export function defaultWebRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "web");
}

/** Whether a built UI is there (its index.html). */
export function hasWebUi(root: string): boolean {
  return existsSync(join(root, "index.html"));
}

/** The UI folder a server serves (`ServerDeps.webRoot`: default `dist/web`, null none); undefined when not built. */
export function servedWebRoot(webRoot: string | null | undefined): string | undefined {
  const root = webRoot === undefined ? defaultWebRoot() : webRoot;
  return root !== null && hasWebUi(root) ? root : undefined;
}

/**
 * The headers of every UI response. The UI runs only its own bundled code (`script-src 'self'`, no inline
 * script or eval), loads nothing from elsewhere, and may not be framed; the API it talks to is same-origin.
 */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; "),
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
};

/**
 * The headers every other answer gets unless its route set its own (an artifact download sets a sandboxing
 * policy): JSON is never sniffed as HTML, never framed, and runs nothing if a browser opens it directly.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
};

/** An `onSend` hook for the whole server: API_SECURITY_HEADERS on answers that do not carry their own. */
export function apiSecurityHeaders(
  _req: FastifyRequest,
  reply: FastifyReply,
  payload: unknown,
  done: (err: null, payload: unknown) => void,
): void {
  for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) if (!reply.hasHeader(k)) reply.header(k, v);
  done(null, payload);
}

const PUBLIC = { access: { role: "read", scope: "public" } } as const;

function secure(reply: FastifyReply): FastifyReply {
  for (const [k, v] of Object.entries(UI_SECURITY_HEADERS)) reply.header(k, v);
  return reply;
}

/** An asset's path under `assets/`: plain names only (Vite's `name-hash.ext`), no `.`/`..` segment. */
const ASSET = /^(?:[A-Za-z0-9_-][A-Za-z0-9._-]*\/)*[A-Za-z0-9_-][A-Za-z0-9._-]*$/;

/**
 * A request path (as sent, percent-encoded), decoded — or undefined when it may not be answered by a file or
 * the app: a `..` or `.` segment, a backslash or NUL once decoded (none of which a link of the UI contains, all
 * of which are ways to climb out of the web root: `/assets/..%2f..%2fetc/passwd`), or malformed encoding.
 */
export function safePath(rawPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (/[\\\0]/.test(path)) return undefined;
  return path.split("/").some((s) => s === ".." || s === ".") ? undefined : path;
}

function notFound(reply: FastifyReply, req: FastifyRequest): FastifyReply {
  return reply
    .status(404)
    .send({ error: { code: "WEFT_NOT_FOUND", message: `no such file ${req.url.split("?")[0] ?? ""}` } });
}

/** Registers the UI's routes (an encapsulated plugin: compression applies to these routes only). */
export async function uiPlugin(app: FastifyInstance, opts: { root: string }): Promise<void> {
  // Imported here, not at the top: every `weft` command loads the server's modules, only `serve` needs these.
  const [{ default: fastifyCompress }, { default: fastifyStatic }] = await Promise.all([
    import("@fastify/compress"),
    import("@fastify/static"),
  ]);
  await app.register(fastifyCompress, { global: true, encodings: ["br", "gzip"] });
  await app.register(fastifyStatic, { root: opts.root, serve: false, dotfiles: "deny" });

  const index = (reply: FastifyReply) =>
    secure(reply).header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });

  app.get("/", { config: PUBLIC }, (_req, reply) => index(reply));
  app.get<{ Params: { "*": string } }>("/assets/*", { config: PUBLIC }, (req, reply) => {
    const file = req.params["*"];
    secure(reply);
    if (safePath(req.url.split("?")[0] ?? "") === undefined || !ASSET.test(file)) return notFound(reply, req);
    // Vite names every asset by its content hash: a changed file is a new URL.
    return reply.sendFile(`assets/${file}`, { maxAge: "365d", immutable: true });
  });
  for (const file of ["favicon.svg", "robots.txt"]) {
    if (existsSync(join(opts.root, file))) {
      app.get(`/${file}`, { config: PUBLIC }, (_req, reply) => secure(reply).sendFile(file, { maxAge: "1d" }));
    }
  }
}

/**
 * The SPA fallback, for the server's not-found handler: a GET or HEAD for a page (HTML) outside `/api` that no
 * route answered gets `index.html`, and the UI's router shows the page. Returns false for everything else
 * (`/api/*` in any spelling, a missing asset, a path that climbs), which stays a 404 in the API's envelope.
 */
export function spaFallback(root: string): (req: FastifyRequest, reply: FastifyReply) => boolean {
  return (req, reply) => {
    if (!isAppPage(req)) return false;
    // Read each time (it is small): after a rebuild, a deep link gets the same index.html as `/` — the one whose
    // hashed assets exist.
    const html = readFileSync(join(root, "index.html"));
    void secure(reply).header("cache-control", "no-cache").type("text/html; charset=utf-8").send(html);
    return true;
  };
}

/**
 * Whether a request no route answered is a page of the app (a GET/HEAD for HTML outside `/api` and `/assets`):
 * the fallback answers it with index.html, with no token — the app then signs in (a deep link, a reload).
 */
export function isAppPage(req: FastifyRequest): boolean {
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  const path = safePath(req.url.split("?")[0] ?? "/");
  if (path === undefined) return false;
  // The first segment, however written (`//api/x`, `/API/x`, `/%61pi/x`): never the app where an API answer
  // was meant.
  const first = (path.split("/").find((s) => s !== "") ?? "").toLowerCase();
  if (first === "api" || first === "assets") return false;
  return (req.headers.accept ?? "").includes("text/html");
}
