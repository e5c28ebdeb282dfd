/**
 * buildApp(deps): the Fastify server (REST API of seed 002, events) without `listen()`, so tests drive it
 * with `app.inject()` and a real client alike. Route groups are encapsulated plugins under routes/.
 */
import Fastify, { type FastifyInstance } from "fastify";
import { WeftError } from "../core/errors.js";
import type { Engine } from "../engine/engine.js";
import type { Store } from "../store/store.js";

export interface ServerDeps {
  engine: Engine;
  store: Store;
  dataDir: string;
  /** Origins allowed to open WebSocket connections (besides same-origin and no Origin header). */
  allowedOrigins?: string[];
  /** Max request body for JSON routes, bytes. Default 1 MiB. */
  bodyLimit?: number;
  logger?: boolean;
}

/** The `{ "data": … }` envelope of every successful response (seed 002). */
export function data<T>(value: T): { data: T } {
  return { data: value };
}

/** Maps errors to 4xx with a message; never leaks a stack; a 500 only for a real bug. */
export function statusOf(err: unknown): number {
  if (err instanceof WeftError) {
    switch (err.code) {
      case "WEFT_NOT_FOUND":
        return 404;
      case "WEFT_CONFLICT":
      case "WEFT_FENCED":
        return 409;
      case "WEFT_TOO_LARGE":
        return 413;
      default:
        return err.code === "WEFT_INTERNAL" ? 500 : 422;
    }
  }
  const status = (err as { statusCode?: unknown }).statusCode;
  return typeof status === "number" && status >= 400 && status < 600 ? status : 500;
}

export async function buildApp(deps: ServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    logger: deps.logger ?? false,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    // Prototype-poisoning JSON (`__proto__`, `constructor.prototype`) is refused with a 400.
    onProtoPoisoning: "error",
    onConstructorPoisoning: "error",
  });
  app.setErrorHandler((err, _req, reply) => {
    const status = statusOf(err);
    const code = err instanceof WeftError ? err.code : ((err as { code?: string }).code ?? "WEFT_INTERNAL");
    const message = status === 500 ? "internal error" : err instanceof Error ? err.message : String(err);
    if (status === 500) app.log.error(err);
    void reply
      .status(status)
      .send({
        error: {
          code,
          message,
          ...(err instanceof WeftError && "issues" in err ? { issues: (err as { issues: unknown }).issues } : {}),
        },
      });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: { code: "WEFT_NOT_FOUND", message: `no route ${req.method} ${req.url}` } });
  });
  return app;
}
