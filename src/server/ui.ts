/**
 * The web UI: the single-page app built into `dist/web` (by `npm run build:web`), served by the API's own
 * server. Hashed assets (`/assets/*`) are immutable and cached for a year; `index.html` is never cached, so a
 * new release is picked up on the next load. Any other GET that is not `/api/*` and accepts HTML answers
 * `index.html` (client-side routes like `/runs/<id>`); `/api/*` is never shadowed. Everything here is public
 * (the sign-in page must load without a token): the UI holds no data, the API it calls checks the token.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyCompress from "@fastify/compress";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/** `dist/web` of this package: next to `dist/server`, where this file is compiled to. */
export function defaultWebRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), "..", "web");
}

/** Whether a built UI is there (its index.html). */
export function hasWebUi(root: string): boolean {
  return existsSync(join(root, "index.html"));
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

const PUBLIC = { access: { role: "read", scope: "public" } } as const;

function secure(reply: FastifyReply): FastifyReply {
  for (const [k, v] of Object.entries(UI_SECURITY_HEADERS)) reply.header(k, v);
  return reply;
}

/** Registers the UI's routes (an encapsulated plugin: compression applies to these routes only). */
export async function uiPlugin(app: FastifyInstance, opts: { root: string }): Promise<void> {
  await app.register(fastifyCompress, { global: true, encodings: ["br", "gzip"] });
  await app.register(fastifyStatic, { root: opts.root, serve: false, dotfiles: "deny" });

  const index = (reply: FastifyReply) =>
    secure(reply).header("cache-control", "no-cache").sendFile("index.html", { cacheControl: false });

  app.get("/", { config: PUBLIC }, (_req, reply) => index(reply));
  app.get<{ Params: { "*": string } }>("/assets/*", { config: PUBLIC }, (req, reply) =>
    // Vite names every asset by its content hash: a changed file is a new URL.
    secure(reply).sendFile(join("assets", req.params["*"]), { maxAge: "365d", immutable: true }),
  );
  for (const file of ["favicon.svg", "robots.txt"]) {
    if (existsSync(join(opts.root, file))) {
      app.get(`/${file}`, { config: PUBLIC }, (_req, reply) => secure(reply).sendFile(file, { maxAge: "1d" }));
    }
  }
}

/**
 * The SPA fallback, for the server's not-found handler: a GET for a page (HTML) outside `/api` that no route
 * answered gets `index.html`, and the UI's router shows the page. Returns false for everything else (`/api/*`,
 * a missing asset), which stays a 404 in the API's envelope.
 */
export function spaFallback(root: string): (req: FastifyRequest, reply: FastifyReply) => boolean {
  let html: Buffer | undefined;
  return (req, reply) => {
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    const path = req.url.split("?")[0] ?? "/";
    if (path === "/api" || path.startsWith("/api/") || path.startsWith("/assets/")) return false;
    if (!(req.headers.accept ?? "").includes("text/html")) return false;
    html ??= readFileSync(join(root, "index.html"));
    void secure(reply).header("cache-control", "no-cache").type("text/html; charset=utf-8").send(html);
    return true;
  };
}
