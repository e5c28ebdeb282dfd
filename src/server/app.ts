/**
 * buildApp(deps): the Fastify server (REST API of seed 002, events) without `listen()`, so tests drive it
 * with `app.inject()` and a real client alike. Route groups are encapsulated plugins under routes/, each
 * registered below with the same `RouteContext`; zod schemas (schemas.ts) validate every request.
 *
 * Errors: every failure answers `{ "error": { "code", "message" } }` with a 4xx status that says what kind —
 * 400 malformed request, 401 no/unknown token, 404 unknown id or route, 409 state conflict, 413 too large,
 * 415 not JSON, 422 invalid workflow or args (with `issues`) — and a 500 only for a bug of ours.
 */
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyRequest,
  type FastifyServerOptions,
} from "fastify";
import { ValidationError, WeftError } from "../core/errors.js";
import { MAX_NESTING, tooDeep } from "../core/json.js";
import type { StepTypeSchemas } from "../definition/index.js";
import { loadTypeScriptWorkflow } from "../definition/typescript/load.js";
import { createStepTypeRegistry } from "../steps/registry.js";
import { installAccess, Principal, redactUrl } from "./access.js";
import { createBackground } from "./background.js";
import { type DefinitionResolver, data, type RouteContext, type ServerDeps } from "./context.js";
import { definitionCodeFile } from "./definition-code.js";
import type { DefinitionFiles } from "./definition-files.js";
import { EventFeed, eventsPlugin } from "./events/index.js";
import { clientErrorHandler, frameworkErrors, lingerAfterResponse } from "./http-errors.js";
import { packageVersion, RouteCollector } from "./openapi.js";
import { createRevocationWatch } from "./revocation.js";
import { approvalRoutes } from "./routes/approvals.js";
import { artifactRoutes, uploadLimitOf } from "./routes/artifacts.js";
import { commentRoutes } from "./routes/comments.js";
import { seed000Routes } from "./routes/compat/seed000.js";
import { seed001Routes } from "./routes/compat/seed001.js";
import { definitionRoutes } from "./routes/definitions.js";
import { runRoutes } from "./routes/runs.js";
import { stepTypeRoutes } from "./routes/step-types.js";
import { stepRoutes } from "./routes/steps.js";
import { type ErrorResponse, envelope, healthSchema, sessionSchema } from "./schemas.js";
import { apiSecurityHeaders, isAppPage, servedWebRoot, spaFallback, uiPlugin } from "./ui.js";
import { RequestError, zodSerializerCompiler, zodValidatorCompiler } from "./validation.js";
import { issueView } from "./views.js";

export { data, type RouteContext, type ServerDeps } from "./context.js";

/** Maps errors to 4xx with a message; never leaks a stack; a 500 only for a real bug. */
export function statusOf(err: unknown): number {
  if (err instanceof WeftError) {
    switch (err.code) {
      case "WEFT_BAD_REQUEST":
        return 400;
      case "WEFT_UNAUTHORIZED":
        return 401;
      case "WEFT_FORBIDDEN":
        return 403;
      case "WEFT_NOT_FOUND":
        return 404;
      case "WEFT_CONFLICT":
      case "WEFT_FENCED":
      case "WEFT_IDEMPOTENCY_MISMATCH":
        return 409;
      case "WEFT_TOO_LARGE":
        return 413;
      case "WEFT_STORAGE":
        return 503; // the disk is full or the database damaged: not the request's fault, and not a bug
      default:
        return err.code === "WEFT_INTERNAL" ? 500 : 422;
    }
  }
  // The store's ConflictError/FencedError carry a code but are not WeftErrors.
  const code = (err as { code?: unknown }).code;
  if (code === "WEFT_CONFLICT" || code === "WEFT_FENCED") return 409;
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 500;
}

/** The status and `{ error }` body of a failed request. */
export function errorReply(
  err: unknown,
  req: FastifyRequest,
  bodyLimit: number,
): { status: number; body: ErrorResponse } {
  if (err instanceof RequestError) {
    const fields = err.fields.length ? { fields: err.fields } : {};
    return { status: 400, body: { error: { code: err.code, message: err.message, ...fields } } };
  }
  if (err instanceof ValidationError) {
    const n = err.issues.filter((i) => i.severity === "error").length;
    const message = `${n} problem${n === 1 ? "" : "s"}: ${err.message}`;
    return { status: 422, body: { error: { code: err.code, message, issues: err.issues.map(issueView) } } };
  }
  if (err instanceof WeftError) {
    const status = statusOf(err);
    return { status, body: { error: { code: err.code, message: status === 500 ? "internal error" : err.message } } };
  }
  // Fastify's own errors (body parsing, limits) carry FST_ERR_* codes; they become ours.
  const code = (err as FastifyError).code;
  const type = req.headers["content-type"];
  switch (code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return bad(413, "WEFT_TOO_LARGE", `the request body is larger than the limit of ${bodyLimit} bytes`);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return bad(
        415,
        "WEFT_BAD_REQUEST",
        `unsupported content type ${type ? `"${type}"` : "(none)"}; send a JSON body with Content-Type: application/json`,
      );
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return bad(400, "WEFT_BAD_REQUEST", "the request body's length does not match its Content-Length header");
  }
  const status = statusOf(err);
  if (status < 500) return bad(status, "WEFT_BAD_REQUEST", err instanceof Error ? err.message : String(err));
  return bad(500, "WEFT_INTERNAL", "internal error");
}

function bad(status: number, code: string, message: string): { status: number; body: ErrorResponse } {
  return { status, body: { error: { code, message } } };
}

/** Why a JSON body was refused: its syntax error, or the prototype-poisoning keys secure parsing rejects. */
function jsonProblem(text: string): RequestError {
  try {
    JSON.parse(text);
    return new RequestError(
      'invalid JSON body: it contains a "__proto__" or "constructor.prototype" key, which is refused (prototype poisoning)',
    );
  } catch (err) {
    return new RequestError(`invalid JSON body: ${(err as Error).message}`);
  }
}

/**
 * Launch by `workflow_definition_id` from the store's definitions. A TypeScript one is loaded from its
 * content-addressed file (definition-code.ts) like `weft run file.ts`.
 */
function storedDefinitions(
  store: ServerDeps["store"],
  dataDir: string,
  stepTypes: StepTypeSchemas,
): DefinitionResolver {
  return async (id) => {
    const def = await store.definitions.get(id);
    if (!def) return undefined;
    const { projectId, system, status } = def;
    if (def.format !== "ts") return { workflow: def.workflow, projectId, system, status };
    const { definition, workflow } = await loadTypeScriptWorkflow(await definitionCodeFile(dataDir, def.source), {
      stepTypes,
    });
    return { workflow, code: definition, projectId, system, status };
  };
}

/**
 * A definition of the definitions folder whose file has errors now is not launched (its last good version would
 * run while the person sees the file they just changed): 422 with the file's problems.
 */
function unlessFileBroken(resolve: DefinitionResolver, files: DefinitionFiles | undefined): DefinitionResolver {
  if (!files) return resolve;
  return async (id) => {
    const errors = files.fileOf(id)?.issues.filter((i) => i.severity === "error") ?? [];
    if (errors.length) throw new ValidationError(errors);
    return resolve(id);
  };
}

/** The longest path parameter, characters (a step run id is `<run id>:<key>`); longer is 414. */
const MAX_PARAM_LENGTH = 600;

/** Fastify's logger options: requests logged without a token (`redactUrl`), and no headers at all. */
function loggerOptions(logger: ServerDeps["logger"]): FastifyServerOptions["logger"] {
  if (!logger) return false;
  return {
    ...(logger === true ? {} : { stream: logger.stream }),
    serializers: {
      req: (req: FastifyRequest) => ({
        method: req.method,
        url: redactUrl(req.url),
        host: req.host,
        remoteAddress: req.ip,
      }),
    },
  };
}

export async function buildApp(deps: ServerDeps): Promise<FastifyInstance> {
  const bodyLimit = deps.bodyLimit ?? 1024 * 1024;
  const app = Fastify({
    logger: loggerOptions(deps.logger),
    bodyLimit,
    // Prototype-poisoning JSON (`__proto__`, `constructor.prototype`) is refused with a 400.
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
    // Step run ids (`<run id>:<key>`) are longer than find-my-way's default of 100 characters.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors raised before any route runs answer in the envelope too (http-errors.ts).
    frameworkErrors: frameworkErrors(MAX_PARAM_LENGTH),
    clientErrorHandler: clientErrorHandler(),
  });
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(zodSerializerCompiler(deps.validateResponses ?? false));

  // JSON only (no text/plain): an empty body counts as none, so `POST …/pause` needs no `{}`.
  const json = app.getDefaultJsonParser("error", "error");
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => {
    const text = body as string;
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    void json(req, text, (err, value) => {
      if (err) {
        done(jsonProblem(text), undefined);
        return;
      }
      // Refused before a route, a schema or the engine walks it recursively (which would overflow the stack).
      const deep = tooDeep(value, "body");
      if (deep !== undefined) {
        done(new RequestError(`the JSON body is nested deeper than ${MAX_NESTING} levels (at ${deep})`), undefined);
        return;
      }
      done(null, value);
    });
  });

  const access = installAccess(app, {
    store: deps.store,
    envTokens: deps.apiTokens,
    requireToken: deps.requireToken,
    allowedOrigins: deps.allowedOrigins,
  });
  app.setErrorHandler((err, req, reply) => {
    const { status, body } = errorReply(err, req, bodyLimit);
    if (status === 500) {
      // A bug of ours: the client gets no details, the operator does.
      if (deps.logger) req.log.error(err);
      else
        process.stderr.write(
          `weft serve: internal error on ${req.method} ${redactUrl(req.url)}: ${(err as Error).stack ?? String(err)}\n`,
        );
    }
    // A body refused before it was read (413): the client must still be able to read this answer.
    lingerAfterResponse(req.raw);
    void reply.status(status).send(body);
  });
  // An upgrade request refused before the WebSocket plugin saw it (401 from the access hook, 404): its socket
  // left Node's HTTP server when the upgrade began, so nothing would close it — and `close()` would wait on it.
  app.addHook("onResponse", (req, _reply, done) => {
    const h = req.raw.headers;
    if (h.upgrade !== undefined && /\bupgrade\b/i.test(h.connection ?? "")) req.raw.socket?.destroy();
    done();
  });
  // close() closes idle keep-alive connections once, when it starts; a response still finishing then (the last
  // bytes of a download) leaves its connection open until the keep-alive timeout. Keep closing them until done.
  app.addHook("preClose", async () => {
    const server = app.server;
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    sweep.unref();
    server.once("close", () => clearInterval(sweep));
    if (!server.listening) clearInterval(sweep);
  });
  // nosniff, no framing, no script on every answer whose route did not set its own (ui.ts).
  app.addHook("onSend", apiSecurityHeaders);
  // The web UI (ui.ts), when built: its files, and index.html for its client-side routes.
  const ui = servedWebRoot(deps.webRoot);
  if (ui) await app.register(uiPlugin, { root: ui });
  const fallback = ui ? spaFallback(ui) : () => false;
  // A page of the app needs no token (it holds no data; the app signs in): only other unknown routes are checked,
  // so that an unknown API route answers like a known one to a caller without a token (401, not 404).
  const notFoundAccess: typeof access.notFound = (req, reply, done) =>
    ui && isAppPage(req) ? done() : access.notFound(req, reply, done);
  app.setNotFoundHandler({ preHandler: notFoundAccess }, (req, reply) => {
    if (fallback(req, reply)) return;
    void reply
      .status(404)
      .send({ error: { code: "WEFT_NOT_FOUND", message: `no route ${req.method} ${redactUrl(req.url)}` } });
  });

  const background = deps.background ?? createBackground({ engine: deps.engine });
  if (!deps.background) app.addHook("onClose", async () => background.stop());
  // One event feed for the WebSocket/SSE clients and the routes that write events through the store.
  const feed = new EventFeed({
    store: deps.store,
    engine: deps.engine,
    pollMs: 100,
    warn: (m) => app.log.warn(m),
  });
  // Streams end when their token is revoked (revocation.ts); stopped before the store closes.
  const revocations = createRevocationWatch(deps.store, { warn: (m) => app.log.warn(m) });
  app.addHook("preClose", async () => revocations.stop());
  const stepTypes = deps.stepTypes ?? createStepTypeRegistry();
  const ctx: RouteContext = {
    feed,
    engine: deps.engine,
    store: deps.store,
    dataDir: deps.dataDir,
    background,
    stepTypes,
    resolveDefinition: unlessFileBroken(
      deps.resolveDefinition ?? storedDefinitions(deps.store, deps.dataDir, stepTypes),
      deps.definitionFiles,
    ),
    revocations,
    definitionFiles: deps.definitionFiles,
  };
  // Every route below is collected as it is registered, for the OpenAPI document (openapi.ts).
  const routes = new RouteCollector();
  app.addHook("onRoute", routes.onRoute);
  const pub = { access: { role: "read", scope: "public" } } as const;
  app.get("/api/openapi.json", { config: pub }, async () => routes.document());
  app.get("/api/health", { config: pub, schema: { response: { 200: envelope(healthSchema) } } }, async () =>
    data({ status: "ok" as const, version: packageVersion() }),
  );
  app.get(
    "/api/session",
    { config: { access: { role: "read", scope: "token" } }, schema: { response: { 200: envelope(sessionSchema) } } },
    async (req) => {
      const p = req.principal;
      return data({
        mode: p === Principal.local ? ("open" as const) : ("token" as const),
        name: p.name,
        token_id: p.tokenId,
        scopes: p.scopes.map((s) => ({ project_id: s.projectId, role: s.role, scripts: s.scripts === true })),
        version: packageVersion(),
      });
    },
  );
  await app.register(runRoutes, { prefix: "/api", ctx });
  await app.register(stepRoutes, { prefix: "/api", ctx });
  await app.register(artifactRoutes, { prefix: "/api", ctx, maxUploadBytes: uploadLimitOf(deps) });
  await app.register(definitionRoutes, { prefix: "/api", ctx });
  await app.register(commentRoutes, { prefix: "/api", ctx });
  await app.register(approvalRoutes, { prefix: "/api", ctx });
  await app.register(stepTypeRoutes, { prefix: "/api", ctx });
  await app.register(seed001Routes, { prefix: "/api", ctx });
  await app.register(seed000Routes, { prefix: "/api", ctx });
  await app.register(eventsPlugin, {
    deps,
    feed,
    revocations,
    access: (req) => {
      const p = req.principal;
      return (projectId) => p.can(projectId, "read");
    },
  });
  return app;
}
