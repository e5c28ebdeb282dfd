/**
 * `weftflow/client`: a typed client of weft's HTTP API. Its types are generated from the server's OpenAPI
 * document (schema.ts, `npm run gen:client`), so a call that the API does not accept does not compile. The
 * web UI uses this same client.
 *
 * ```ts
 * import { createWeftClient, unwrap } from "weftflow/client";
 * const api = createWeftClient({ baseUrl: "http://127.0.0.1:4280", token: process.env.WEFT_TOKEN });
 * const run = unwrap(await api.POST("/api/workflow-executions", { body: { workflow_definition_id: "…" } }));
 * ```
 */
import createClient, { type Client } from "openapi-fetch";
import type { paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";

export type WeftClient = Client<paths>;

export interface WeftClientOptions {
  /** The server's origin, e.g. `http://127.0.0.1:4280`; in a browser page served by weft, `""` (same origin). */
  baseUrl?: string;
  /** An API token (`Authorization: Bearer …`), or a function asked before each request (a token that changes). */
  token?: string | (() => string | null | undefined);
  /** A `fetch` to use instead of the global one. */
  fetch?: typeof fetch;
}

export function createWeftClient(opts: WeftClientOptions = {}): WeftClient {
  const client = createClient<paths>({
    baseUrl: opts.baseUrl ?? "",
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const { token } = opts;
  if (token !== undefined) {
    client.use({
      onRequest({ request }) {
        const value = typeof token === "function" ? token() : token;
        if (value) request.headers.set("authorization", `Bearer ${value}`);
        return request;
      },
    });
  }
  return client;
}

/** The API's error envelope: `{ error: { code, message, … } }`. */
export interface ApiErrorBody {
  code: string;
  message: string;
  fields?: unknown;
  issues?: unknown;
}

/** A request the API refused (any 4xx/5xx), with the API's code and message. */
export class WeftApiError extends Error {
  override readonly name = "WeftApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly body?: ApiErrorBody,
  ) {
    super(message);
  }
}

/**
 * The `data` of a successful answer, or a `WeftApiError` thrown for a refused one (a network failure
 * rejects the call itself, before this).
 */
export function unwrap<T>(result: { data?: { data: T }; error?: unknown; response: Response }): T {
  if (result.data !== undefined) return result.data.data;
  throw apiError(result.response, result.error);
}

/** A `WeftApiError` from a failed response and its parsed body (whatever the body is). */
export function apiError(response: Response, body: unknown): WeftApiError {
  const error = (body as { error?: Partial<ApiErrorBody> } | undefined)?.error;
  if (error && typeof error.code === "string" && typeof error.message === "string") {
    return new WeftApiError(response.status, error.code, error.message, error as ApiErrorBody);
  }
  return new WeftApiError(response.status, "WEFT_HTTP", `${response.status} ${response.statusText || "error"}`);
}
