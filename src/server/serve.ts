/**
 * serve(): the API listening, plus the background loop that gives runs an owner — what `weft serve` runs.
 * Split from buildApp so tests can build the app without a socket, and start a real one when they need it.
 *
 * Access: with no API tokens the server only binds to loopback (127.0.0.0/8, ::1, localhost); any other
 * host is refused before anything starts, since the API runs scripts on this machine (access.ts).
 */

import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { WeftError } from "../core/errors.js";
import type { Store } from "../store/store.js";
import { hasActiveToken } from "./access.js";
import { buildApp, type ServerDeps } from "./app.js";
import { createBackground } from "./background.js";
import { DEFAULT_PORT, isLoopback } from "./loopback.js";
import { servedWebRoot } from "./ui.js";
import { sweepOrphanUploads } from "./uploads.js";

export { isLoopback } from "./loopback.js";

export interface ServeOptions extends Omit<ServerDeps, "background"> {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 4280; 0 picks a free port. */
  port?: number;
  /** How often runs that need an owner are looked for, ms. Default 1000. */
  sweepMs?: number;
  /** Unexpected failures of background executions. Default: stderr. */
  warn?: (message: string) => void;
}

export interface Server {
  app: FastifyInstance;
  /** `http://host:port`, the port resolved when 0 was asked. */
  url: string;
  /** The built web UI served at `url` (its folder), or undefined: the API only. */
  webRoot: string | undefined;
  /** Stops taking runs, closes the server (in-flight requests finish, log streams end), then the engine. The store stays open. */
  close(): Promise<void>;
}

/** The shortest API token accepted in `apiTokens` (`WEFT_API_TOKENS`, `--api-tokens`): a short one is guessable. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Throws `WEFT_ARGS` (before anything listens) when an API token is shorter than `MIN_TOKEN_LENGTH`. The message
 * says which one by its position, never the token itself.
 */
export function checkApiTokens(apiTokens: readonly string[] | undefined): void {
  const tokens = apiTokens ?? [];
  tokens.forEach((token, i) => {
    if (token.length >= MIN_TOKEN_LENGTH) return;
    const which = tokens.length === 1 ? "the API token" : `API token ${i + 1} of ${tokens.length}`;
    throw new WeftError(
      "WEFT_ARGS",
      `${which} (WEFT_API_TOKENS or --api-tokens) is ${token.length} characters long; tokens must be at least ` +
        `${MIN_TOKEN_LENGTH} characters: use a random one (\`openssl rand -base64 32\`), or \`weft token create\``,
    );
  });
}

/**
 * Throws (before anything listens) when `host` is not loopback and no API token is configured: none in
 * `apiTokens` and none active in the store.
 */
export async function checkBind(
  host: string,
  apiTokens: readonly string[] | undefined,
  store: Pick<Store, "tokens"> | undefined,
): Promise<void> {
  if (isLoopback(host) || (apiTokens?.length ?? 0) > 0) return;
  if (store && (await hasActiveToken(store))) return;
  throw new WeftError(
    "WEFT_UNAUTHORIZED",
    `refusing to listen on ${host} without API tokens: anyone who can reach it could run commands on this machine. ` +
      "Create one with `weft token create --project <project>:<role>`, set WEFT_API_TOKENS (comma-separated " +
      "admin tokens) or --api-tokens, or bind to 127.0.0.1 (the default)",
  );
}

export async function serve(opts: ServeOptions): Promise<Server> {
  const host = opts.host ?? "127.0.0.1";
  checkApiTokens(opts.apiTokens);
  await checkBind(host, opts.apiTokens, opts.store);
  // Upload temp files a killed process left behind (none of ours can be in flight: nothing listens yet).
  await sweepOrphanUploads(opts.dataDir);
  const background = createBackground({ engine: opts.engine, warn: opts.warn });
  // Bound beyond this machine: never fall back to the no-token mode, even if every token is revoked later.
  const app = await buildApp({ ...opts, background, requireToken: opts.requireToken || !isLoopback(host) });
  try {
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (err) {
    background.stop();
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    const where = `${host}:${opts.port ?? DEFAULT_PORT}`;
    if (code === "EADDRINUSE")
      throw new WeftError("WEFT_CONFLICT", `${where} is in use; pick another port with --port`);
    if (code === "EACCES") throw new WeftError("WEFT_ARGS", `not allowed to listen on ${where}; use a port above 1023`);
    if (code === "EADDRNOTAVAIL" || code === "ENOTFOUND")
      throw new WeftError("WEFT_ARGS", `cannot listen on ${host}: no such address on this machine`);
    throw err;
  }
  // Runs launched by other processes that nobody drives, and runs left by a crashed process, get an owner.
  background.start(opts.sweepMs ?? 1000);
  // The project's definitions folder, read once by the caller before this, is watched from now on.
  opts.definitionFiles?.start();
  const addr = app.server.address() as AddressInfo;
  const shown = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  let closing: Promise<void> | undefined;
  return {
    app,
    url: `http://${shown}:${addr.port}`,
    webRoot: servedWebRoot(opts.webRoot),
    close() {
      closing ??= (async () => {
        background.stop();
        await opts.definitionFiles?.stop();
        await app.close();
        await background.shutdown();
      })();
      return closing;
    },
  };
}
