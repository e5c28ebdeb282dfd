/**
 * The OpenAPI 3.1 document of the API (`GET /api/openapi.json`), generated from the same zod schemas that
 * validate requests and describe responses (schemas.ts): buildApp adds `routes.onRoute` as an `onRoute` hook
 * before any route is registered, so every route is collected as it is registered, with its schemas; the
 * document is built from them on the first request (every route is registered by then) and kept.
 *
 * Requests use each schema's input side (`z.toJSONSchema(s, { io: "input" })`: defaults make a field optional,
 * coerced query strings accept strings), responses its output side. The events endpoints (WebSocket upgrade,
 * Server-Sent Events) and the multipart upload declare no zod schemas; they are described by hand below.
 */
import { readFileSync } from "node:fs";
import type { RouteOptions } from "fastify";
import { z } from "zod";
import type { AccessRule } from "./access.js";
import { errorResponse, uploadFields } from "./schemas.js";

// biome-ignore lint/suspicious/noExplicitAny: JSON Schema / OpenAPI objects are plain JSON.
type Json = any;

/** A route as registered: its method, Fastify URL (`/api/x/:id`) and zod schemas. */
export interface CollectedRoute {
  method: string;
  url: string;
  schema?: RouteSchemas | undefined;
  /** Who may call it (access.ts); every route has one. */
  access?: AccessRule | undefined;
}

interface RouteSchemas {
  body?: z.ZodType;
  params?: z.ZodType;
  querystring?: z.ZodType;
  response?: Record<string | number, z.ZodType>;
}

/** Collects routes (`onRoute`) and builds the document from them. One per app. */
export class RouteCollector {
  readonly routes: CollectedRoute[] = [];
  private cached: Json | undefined;

  /** The `onRoute` hook. HEAD routes Fastify adds for each GET are left out (they mirror the GET). */
  readonly onRoute = (opts: RouteOptions): void => {
    const methods = Array.isArray(opts.method) ? opts.method : [opts.method];
    for (const method of methods) {
      // The web UI's routes (ui.ts) serve files, not the API.
      if (method === "HEAD" || !opts.url.startsWith("/api/")) continue;
      this.routes.push({
        method,
        url: opts.url,
        schema: opts.schema as RouteSchemas | undefined,
        access: opts.config?.access,
      });
    }
    this.cached = undefined;
  };

  document(): Json {
    this.cached ??= openApiDocument(this.routes);
    return this.cached;
  }
}

/** Fastify's `/a/:id/b` → OpenAPI's `/a/{id}/b` (a `:name(regex)` loses its regex). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)(\([^)]*\))?/g, "{$1}");
}

/** A zod schema's JSON Schema; a schema that cannot be represented is `{}` (any value). */
export function jsonSchemaOf(schema: z.ZodType, io: "input" | "output"): Json {
  try {
    const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
    return rest;
  } catch {
    return {};
  }
}

const errorRef = { $ref: "#/components/schemas/Error" };
const errorDefault = {
  description: "An error: `{ error: { code, message } }` with a 4xx status (docs/api.md, Errors)",
  content: { "application/json": { schema: errorRef } },
};

function parameters(where: "path" | "query", schema: z.ZodType | undefined): Json[] {
  if (!schema) return [];
  const js = jsonSchemaOf(schema, "input");
  const required = new Set<string>(js.required ?? []);
  return Object.entries((js.properties ?? {}) as Record<string, Json>).map(([name, s]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    schema: s,
  }));
}

function operation(route: CollectedRoute): Json {
  const s = route.schema ?? {};
  const params = parameters("path", s.params);
  // Path parameters the route declares no schema for are still parameters (OpenAPI requires each one).
  for (const m of route.url.matchAll(/:([A-Za-z0-9_]+)/g)) {
    const name = m[1] as string;
    if (!params.some((p) => p.name === name))
      params.push({ name, in: "path", required: true, schema: { type: "string" } });
  }
  const op: Json = { operationId: operationId(route.method, route.url) };
  const all = [...params, ...parameters("query", s.querystring)];
  if (all.length) op.parameters = all;
  if (s.body) {
    op.requestBody = {
      // An optional body (`POST …/pause`) may be left out.
      required: !s.body.safeParse(undefined).success,
      content: { "application/json": { schema: jsonSchemaOf(s.body, "input") } },
    };
  }
  const responses: Json = {};
  for (const [status, schema] of Object.entries(s.response ?? {})) {
    responses[status] = {
      description: `${status} response`,
      content: { "application/json": { schema: jsonSchemaOf(schema, "output") } },
    };
  }
  if (!Object.keys(responses).length) responses["200"] = { description: "200 response" };
  responses.default = errorDefault;
  op.responses = responses;
  Object.assign(op, security(route.access));
  return op;
}

/** The access rule a generated operation recorded (`security` / `x-weft-role`). */
function accessOf(op: Json): AccessRule | undefined {
  if (!op?.["x-weft-role"]) return undefined;
  const query = (op.security as Json[]).some((s) => "queryToken" in s);
  const protocol = (op.security as Json[]).some((s) => "protocolToken" in s);
  return {
    role: op["x-weft-role"],
    scope: "token",
    queryToken: query,
    protocolToken: protocol,
    scripts: op["x-weft-scripts"] === true,
  };
}

/**
 * `security`, the role (`x-weft-role`) an operation needs, and `x-weft-scripts: true` when a body holding code
 * also needs the scripts permission: none for public ones.
 */
function security(access: AccessRule | undefined): Json {
  if (!access || access.scope === "public") return { security: [] };
  const alt: Json[] = [{ bearer: [] }];
  if (access.protocolToken) alt.push({ protocolToken: [] });
  if (access.queryToken) alt.push({ queryToken: [] });
  return {
    security: alt,
    "x-weft-role": access.targetRole ?? access.role,
    ...(access.scripts ? { "x-weft-scripts": true } : {}),
  };
}

function operationId(method: string, url: string): string {
  const words = url
    .replace(/^\/api\//, "")
    .split("/")
    .filter(Boolean)
    .map((w) => (w.startsWith(":") ? `by_${w.slice(1)}` : w.replace(/[^A-Za-z0-9]+/g, "_")));
  return [method.toLowerCase(), ...words].join("_");
}

const idParam = (name: string, description: string): Json => ({
  name,
  in: "query",
  required: false,
  description,
  schema: {
    anyOf: [
      { type: "string", minLength: 1 },
      { type: "array", items: { type: "string", minLength: 1 } },
    ],
  },
});
const seqSchema = { type: "integer", minimum: 0 };

/** The operations without zod schemas, described by hand (docs/api.md, Events and Artifacts). */
function handWritten(): Record<string, Record<string, Json>> {
  return {
    "/api/ws": {
      get: {
        operationId: "get_ws",
        summary: "Live events over a WebSocket (send `Upgrade: websocket`)",
        description:
          "Upgrades to a WebSocket carrying `subscribed`, event and `pong` messages; the client may send " +
          "`subscribe`, `unsubscribe` and `ping`. A client offering the subprotocol `weft.v1` gets it selected; " +
          "a browser sends its token as the subprotocol `weft.bearer.<token>` beside it. Protocol: docs/api.md, Events.",
        parameters: [
          idParam("run_id", "Only these runs (repeat for several)."),
          idParam("project_id", "Only the runs of these projects (repeat for several)."),
          {
            name: "after_seq",
            in: "query",
            required: false,
            description: "Resume after this seq (needs exactly one `run_id`; 0: the run's whole history).",
            schema: seqSchema,
          },
        ],
        responses: {
          "101": { description: "Switching Protocols: the WebSocket is open" },
          "426": { description: "A plain GET without `Upgrade: websocket`", content: errorDefault.content },
          default: errorDefault,
        },
      },
    },
    "/api/workflow-executions/{id}/events": {
      get: {
        operationId: "get_workflow_executions_by_id_events",
        summary: "One run's events as Server-Sent Events",
        description:
          "`text/event-stream`: each event with `id` (its seq), `event` (its type) and `data` (the event's JSON), " +
          "then `event: end` once the run has finished. Protocol: docs/api.md, Events.",
        parameters: [
          { name: "id", in: "path", required: true, schema: { type: "string", minLength: 1 } },
          {
            name: "after_seq",
            in: "query",
            required: false,
            description: "Resume after this seq (`Last-Event-ID` wins).",
            schema: seqSchema,
          },
          { name: "Last-Event-ID", in: "header", required: false, schema: { type: "string", pattern: "^\\d+$" } },
        ],
        responses: {
          "200": { description: "The event stream", content: { "text/event-stream": { schema: { type: "string" } } } },
          "204": { description: "A resume of a finished run with nothing left to send" },
          default: errorDefault,
        },
      },
    },
  };
}

/** The upload's body: `multipart/form-data` with the `file` part and the fields of `uploadFields`. */
function uploadBody(): Json {
  const fields = jsonSchemaOf(uploadFields, "input");
  return {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          ...fields,
          properties: { file: { type: "string", contentMediaType: "application/octet-stream" }, ...fields.properties },
          required: ["file", ...(fields.required ?? [])],
        },
      },
    },
  };
}

export function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")).version ?? "0.0.0";
  } catch {
    return "0.0.0";
  }
}

/** The document of these routes: paths sorted, so two builds of the same app give the same JSON. */
export function openApiDocument(routes: readonly CollectedRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] = { ...paths[path], [route.method.toLowerCase()]: operation(route) };
  }
  for (const [path, ops] of Object.entries(handWritten())) {
    const current = paths[path];
    if (!current) continue;
    for (const [method, op] of Object.entries(ops)) current[method] = { ...op, ...security(accessOf(current[method])) };
  }
  const upload = paths["/api/workflow-executions/{id}/artifacts"]?.post;
  if (upload) upload.requestBody = uploadBody();

  const sorted: Record<string, Json> = {};
  for (const path of Object.keys(paths).sort()) sorted[path] = paths[path];
  return {
    openapi: "3.1.0",
    info: {
      title: "weft",
      version: packageVersion(),
      description: "The HTTP API of `weft serve` (docs/api.md). Generated from the zod schemas that validate it.",
    },
    paths: sorted,
    components: {
      schemas: { Error: jsonSchemaOf(errorResponse, "output") },
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "An API token (docs/api.md, Access). Needed once any token exists; `x-weft-role` is the role the operation needs in the project of its resource; `x-weft-scripts: true` marks operations whose body, when it holds code (script steps), also needs the scripts permission (it can run code as the server's user).",
        },
        queryToken: {
          type: "apiKey",
          in: "query",
          name: "access_token",
          description:
            "The token as a query parameter, for clients that cannot send headers (WebSocket, EventSource): a fallback, since URLs land in logs and history.",
        },
        protocolToken: {
          type: "apiKey",
          in: "header",
          name: "Sec-WebSocket-Protocol",
          description:
            "The WebSocket's token from a browser: the subprotocols `weft.v1, weft.bearer.<token>`; the answer selects `weft.v1`.",
        },
      },
    },
  };
}
