/**
 * Access control: who is asking (authentication) and whether they may (authorisation), both in one
 * `onRequest` hook attached to each route when it is registered — before the body is read or validated, from
 * the token and the path parameters. Deny by default: every route declares an `AccessRule` in its
 * `config.access`, and registering a route without one throws, so the server cannot start with an unguarded
 * route.
 *
 * Who: with no API tokens anywhere (none in `WEFT_API_TOKENS`, none created with `weft token create`) and a
 * loopback bind, every request is the local user, who may do everything. Once any token exists, every request
 * needs one: `Authorization: Bearer <token>`; on the WebSocket also the subprotocol `weft.bearer.<token>` (what
 * a browser can send); and `?access_token=` on the streaming routes browsers open without headers (WebSocket,
 * Server-Sent Events) — a fallback, since a URL lands in logs and history. Tokens from `WEFT_API_TOKENS` are admin in every project; tokens in
 * the store carry their own scopes (a role per project, or `*`).
 *
 * What: a role per project — `read` (see runs, steps, logs, artifacts, comments, events, definitions),
 * `operate` (also launch and control runs, comment, upload), `admin` (also change workflow definitions).
 * A resource of a project the token has no role in is answered exactly like an unknown id (404), so a token
 * never learns what other projects hold; a role too low for the operation is a 403 (`WEFT_FORBIDDEN`).
 * Sending code — a workflow with script steps, inline or as a definition — is a permission of its own,
 * `scripts`, on top of the role (scripts.ts): it runs as the server's user.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from "fastify";
import { WeftError } from "../core/errors.js";
import type { Store, TokenRecord, TokenRole, TokenScope } from "../store/store.js";
import { isLoopback } from "./loopback.js";
import { parseStepRunId } from "./views.js";

export type Role = TokenRole;

const RANK: Record<Role, number> = { read: 1, operate: 2, admin: 3 };

/**
 * Which project a route's resource belongs to:
 * - `public`: no token needed (the OpenAPI document, health);
 * - `token`: any valid token whose role reaches `role` in some project — the handler narrows by project
 *   (lists, launches, creating definitions, the WebSocket);
 * - `{ run | step | artifact | definition: "<param>" }`: the project of the resource whose id is that path
 *   parameter. An unknown id passes on to the handler, which answers 404.
 */
export type AccessScope =
  | "public"
  | "token"
  | { run: string }
  | { step: string }
  | { artifact: string }
  | { definition: string };

export interface AccessRule {
  role: Role;
  scope: AccessScope;
  /**
   * Also accept the token as `?access_token=` (routes browsers open without headers: WebSocket, SSE) — always,
   * or only for the requests the function picks (a route that streams only some of its answers). Every other
   * request ignores the parameter, so a token in a URL works only where docs/api.md says it does.
   */
  queryToken?: boolean | ((req: FastifyRequest) => boolean);
  /**
   * Also accept the token as a WebSocket subprotocol, `Sec-WebSocket-Protocol: weft.v1, weft.bearer.<token>`
   * (what a browser's `new WebSocket(url, ["weft.v1", "weft.bearer." + token])` sends): a header, so it stays
   * out of URLs and logs. The WebSocket route only.
   */
  protocolToken?: boolean;
  /**
   * The role the handler then requires in the project the operation writes to, when that is more than `role`
   * (clone: `read` of the original here, `admin` in the copy's project in the handler). Not checked by the
   * hook; the OpenAPI document states it as the operation's `x-weft-role`, since a token needs it somewhere.
   */
  targetRole?: Role;
  /**
   * The body may carry code (a workflow with script steps): then the handler also requires the `scripts`
   * permission in the target project (scripts.ts). Stated in the OpenAPI document as `x-weft-scripts`.
   */
  scripts?: boolean;
}

declare module "fastify" {
  interface FastifyContextConfig {
    access?: AccessRule;
  }
  interface FastifyRequest {
    /** Who is asking; set by the access hooks before any handler runs. */
    principal: Principal;
  }
}

/** An authenticated caller: a token (or the local user) and its roles per project. */
export class Principal {
  /** No tokens configured, loopback only: the person at this machine (who may run code here anyway). */
  static readonly local = new Principal("local user", null, [{ projectId: "*", role: "admin", scripts: true }]);

  constructor(
    readonly name: string,
    /** The stored token's id; null for the local user and `WEFT_API_TOKENS` tokens. */
    readonly tokenId: string | null,
    readonly scopes: readonly TokenScope[],
  ) {}

  /** The highest role in the project, or undefined when it has none there. */
  roleIn(projectId: string): Role | undefined {
    let best: Role | undefined;
    for (const s of this.scopes) {
      if (s.projectId !== "*" && s.projectId !== projectId) continue;
      if (best === undefined || RANK[s.role] > RANK[best]) best = s.role;
    }
    return best;
  }

  can(projectId: string, role: Role): boolean {
    const r = this.roleIn(projectId);
    return r !== undefined && RANK[r] >= RANK[role];
  }

  /** Whether it holds the `scripts` permission (send code to run) in the project. */
  mayRunCode(projectId: string): boolean {
    return this.scopes.some((s) => (s.projectId === "*" || s.projectId === projectId) && s.scripts === true);
  }

  /** Whether it has at least `role` in some project. */
  canSomewhere(role: Role): boolean {
    return this.scopes.some((s) => RANK[s.role] >= RANK[role]);
  }

  /** The projects it may read: every one (`"*"`), or these. */
  readable(): "*" | string[] {
    if (this.scopes.some((s) => s.projectId === "*")) return "*";
    return [...new Set(this.scopes.map((s) => s.projectId))];
  }
}

/** The hex sha256 of a token: what the store keeps, never the token itself. */
export function tokenHash(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** Whether the store holds a token that is not revoked. */
export async function hasActiveToken(store: Pick<Store, "tokens">): Promise<boolean> {
  return (await store.tokens.list()).some((t) => t.revokedAt === null);
}

export function forbidden(message: string): WeftError {
  return new WeftError("WEFT_FORBIDDEN", message);
}

/**
 * Throws unless the caller has `role` in `projectId`: a 404 (`notFound`) when it has no role there at all and
 * the resource must stay invisible, else a 403 naming the role it has and the one needed.
 */
export function requireRole(req: FastifyRequest, projectId: string, role: Role, notFound?: () => WeftError): void {
  const p = req.principal;
  const has = p.roleIn(projectId);
  if (has !== undefined && RANK[has] >= RANK[role]) return;
  if (has === undefined && notFound) throw notFound();
  throw forbidden(
    has === undefined
      ? `this token has no access to project "${projectId}"; ${req.method} ${req.routeOptions.url ?? req.url} needs the ${role} role there`
      : `this token's role in project "${projectId}" is ${has}; ${req.method} ${req.routeOptions.url ?? req.url} needs ${role}`,
  );
}

export interface AccessOptions {
  store: Store;
  /** Tokens from `WEFT_API_TOKENS` / `--api-tokens`: admin in every project. */
  envTokens?: readonly string[] | undefined;
  /**
   * Never admit a request without a token, even when no token is configured (a server bound to anything
   * but loopback). Default false.
   */
  requireToken?: boolean | undefined;
  /** Origins besides the server's own that may send requests (the WebSocket Origin check uses them too). */
  allowedOrigins?: readonly string[] | undefined;
  now?: () => number;
}

const TOUCH_EVERY_MS = 60_000;

function unauthorized(message: string): WeftError {
  return new WeftError("WEFT_UNAUTHORIZED", message);
}

/** The WebSocket subprotocol of the event feed: the server selects it when the client offers it. */
export const WS_PROTOCOL = "weft.v1";
/** A subprotocol carrying the API token: `weft.bearer.<token>` (never selected, never echoed). */
export const WS_BEARER_PREFIX = "weft.bearer.";

/** The token of a `Sec-WebSocket-Protocol` header's `weft.bearer.<token>`, if it has one. */
export function protocolTokenOf(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const offered = (Array.isArray(header) ? header.join(",") : header).split(",").map((p) => p.trim());
  const bearer = offered.find((p) => p.startsWith(WS_BEARER_PREFIX));
  if (bearer === undefined) return undefined;
  const token = bearer.slice(WS_BEARER_PREFIX.length);
  if (token === "") throw unauthorized(`malformed subprotocol ${WS_BEARER_PREFIX}: send ${WS_BEARER_PREFIX}<token>`);
  return token;
}

/** A URL with the value of any `access_token` parameter replaced: for log lines and error reports. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, "$1[redacted]");
}

/**
 * A request's token: the Bearer header, or (on routes that allow them) the `weft.bearer.` WebSocket
 * subprotocol, then `?access_token=`.
 */
function tokenOf(req: FastifyRequest, rule: AccessRule | undefined): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m?.[1]) throw unauthorized("malformed Authorization header: send `Authorization: Bearer <token>`");
    return m[1];
  }
  if (rule?.protocolToken) {
    const t = protocolTokenOf(req.headers["sec-websocket-protocol"]);
    if (t !== undefined) return t;
  }
  const inQuery = rule?.queryToken;
  if (inQuery === true || (typeof inQuery === "function" && inQuery(req))) {
    const q = req.query as Record<string, unknown> | undefined;
    const t = q?.access_token;
    if (typeof t === "string" && t !== "") return t;
  }
  return undefined;
}

/** Whether a Host header names this machine (a no-token server answers only those: DNS rebinding). */
function loopbackHost(host: string | undefined): boolean {
  if (!host) return true;
  const name = host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? "");
  return isLoopback(name);
}

/**
 * Installs authentication, authorisation and the deny-by-default registration check on `app`. Call before
 * any route is registered.
 */
export function installAccess(
  app: FastifyInstance,
  o: AccessOptions,
): {
  /** For the not-found handler: an unknown route answers 401 before 404 when a token is needed. */
  notFound: (req: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;
} {
  const now = o.now ?? Date.now;
  const envDigests = (o.envTokens ?? []).map((t) => createHash("sha256").update(t).digest());
  // The operator's own tokens: admin everywhere, and may run code (they configure the server that runs it).
  const envPrincipal = new Principal("WEFT_API_TOKENS token", null, [{ projectId: "*", role: "admin", scripts: true }]);
  const touched = new Map<string, number>();
  // "No token exists" is remembered for at most 200 ms: the first `weft token create` (from any process)
  // closes the open mode within that, without a query on every request. "Some exist" is not remembered.
  let noTokensUntil = 0;
  const anyStoredToken = async (): Promise<boolean> => {
    if (now() < noTokensUntil) return false;
    const any = await hasActiveToken(o.store);
    if (!any) noTokensUntil = now() + 200;
    return any;
  };

  const fromStore = (record: TokenRecord): Principal => {
    const t = now();
    if (t - (touched.get(record.id) ?? 0) >= TOUCH_EVERY_MS) {
      touched.set(record.id, t);
      o.store.tokens.touch(record.id, t).catch(() => undefined);
    }
    return new Principal(`token ${record.name}`, record.id, record.scopes);
  };

  // A plain decoration (part of every request's shape from the start); each non-public route's hook sets it.
  app.decorateRequest("principal", null as unknown as Principal);

  const authenticate = async (req: FastifyRequest, token: string | undefined): Promise<void> => {
    if (token !== undefined) {
      const digest = createHash("sha256").update(token).digest();
      if (envDigests.some((d) => timingSafeEqual(d, digest))) {
        req.principal = envPrincipal;
        return;
      }
      const record = await o.store.tokens.findByHash(digest.toString("hex"));
      if (!record) throw unauthorized("unknown or revoked API token");
      req.principal = fromStore(record);
      return;
    }
    if (o.requireToken || envDigests.length > 0 || (await anyStoredToken())) {
      throw unauthorized(
        "this server requires an API token: send `Authorization: Bearer <token>` (create one with `weft token create`)",
      );
    }
    const refused = openModeRefusal(req);
    if (refused) throw refused;
    req.principal = Principal.local;
  };

  /**
   * No tokens anywhere: the local user — but only through a name of this machine (a page on another site that
   * resolves its name to 127.0.0.1 must not reach the API), and no cross-site writes.
   */
  const openModeRefusal = (req: FastifyRequest): WeftError | undefined => {
    if (!loopbackHost(req.headers.host)) {
      return forbidden(
        `this server has no API tokens and answers only requests addressed to this machine (Host ${req.headers.host}); use http://127.0.0.1:<port>`,
      );
    }
    const origin = req.headers.origin;
    if (origin !== undefined && req.method !== "GET" && req.method !== "HEAD" && !sameOrAllowed(origin, req, o)) {
      return forbidden(`requests from origin ${origin} are not allowed; add it to allowedOrigins`);
    }
    return undefined;
  };

  // Callback-style hooks with a synchronous fast path (the open mode, admin tokens): no promise per request.
  // They are attached to each route as it is registered (below), with its rule: nothing is looked up per request.
  const onRequestFor =
    (rule: AccessRule | undefined) =>
    (req: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void): void => {
      let token: string | undefined;
      try {
        token = tokenOf(req, rule);
      } catch (err) {
        done(err as Error);
        return;
      }
      // Path parameters are known here (routing is done): authorisation needs no body, so it comes first too.
      const authorized = (): void => {
        if (!rule || req.principal.can("*", rule.role)) done();
        else authorize(req, rule).then(() => done(), done);
      };
      if (token === undefined && !o.requireToken && envDigests.length === 0 && now() < noTokensUntil) {
        req.principal = Principal.local;
        const refused = openModeRefusal(req);
        if (refused) done(refused);
        else authorized();
        return;
      }
      authenticate(req, token).then(authorized, done);
    };

  // Deny by default: a route without an access rule is a bug caught when the server starts.
  app.addHook("onRoute", (route: RouteOptions) => {
    const rule = route.config?.access;
    if (!rule) {
      const methods = Array.isArray(route.method) ? route.method.join(",") : route.method;
      throw new Error(`route ${methods} ${route.url} declares no access rule (config.access); every route must`);
    }
    if (rule.scope === "public") return;
    const list = <T>(h: T | T[] | undefined): T[] => (h === undefined ? [] : Array.isArray(h) ? h : [h]);
    route.onRequest = [onRequestFor(rule), ...list(route.onRequest)] as RouteOptions["onRequest"];
  });

  const authorize = async (req: FastifyRequest, rule: AccessRule): Promise<void> => {
    if (rule.scope === "public") return;
    const p = req.principal;
    if (rule.scope === "token") {
      if (!p.canSomewhere(rule.role)) {
        throw forbidden(
          `this token's roles do not include ${rule.role}; ${req.method} ${req.routeOptions.url} needs it`,
        );
      }
      return;
    }
    // A role in every project that is high enough: no need to look the resource's project up.
    if (p.can("*", rule.role)) return;
    const params = req.params as Record<string, string | undefined>;
    const resolved = await projectOf(o.store, rule.scope, params);
    if (resolved === undefined) return; // unknown id: the handler answers 404
    if (resolved.projectId === null) {
      // A built-in template: every token may read it; changing it needs the role somewhere (and is refused anyway).
      if (!p.canSomewhere(rule.role)) {
        throw forbidden(
          `this token's roles do not include ${rule.role}; ${req.method} ${req.routeOptions.url} needs it`,
        );
      }
      return;
    }
    requireRole(req, resolved.projectId, rule.role, () => new WeftError("WEFT_NOT_FOUND", resolved.notFound));
  };

  return { notFound: onRequestFor(undefined) };
}

function sameOrAllowed(origin: string, req: FastifyRequest, o: AccessOptions): boolean {
  const norm = (s: string) => s.trim().toLowerCase().replace(/\/+$/, "");
  const given = norm(origin);
  const host = req.headers.host?.toLowerCase();
  if (host && (given === `http://${host}` || given === `https://${host}`)) return true;
  return (o.allowedOrigins ?? []).some((a) => a === "*" || norm(a) === given);
}

/** The project of a route's resource (null: a built-in template, in no project); undefined for an unknown id. */
async function projectOf(
  store: Store,
  scope: Exclude<AccessScope, "public" | "token">,
  params: Record<string, string | undefined>,
): Promise<{ projectId: string | null; notFound: string } | undefined> {
  const runProject = async (runId: string) => (await store.runs.get(runId))?.projectId;
  if ("run" in scope) {
    const id = params[scope.run] ?? "";
    const projectId = await runProject(id);
    return projectId === undefined ? undefined : { projectId, notFound: `no workflow execution has id ${id}` };
  }
  if ("step" in scope) {
    const id = params[scope.step] ?? "";
    let runId: string;
    try {
      runId = parseStepRunId(id).runId;
    } catch {
      return undefined;
    }
    const projectId = await runProject(runId);
    return projectId === undefined ? undefined : { projectId, notFound: `no step run has id ${id}` };
  }
  if ("artifact" in scope) {
    const id = params[scope.artifact] ?? "";
    const artifact = await store.artifacts.get(id);
    const projectId = artifact ? await runProject(artifact.runId) : undefined;
    return projectId === undefined ? undefined : { projectId, notFound: `no artifact has id ${id}` };
  }
  const id = params[scope.definition] ?? "";
  const def = await store.definitions.get(id);
  if (!def) return undefined;
  return { projectId: def.system ? null : def.projectId, notFound: `no workflow definition has id ${id}` };
}
