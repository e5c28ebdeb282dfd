/**
 * The API client of the UI: `weftflow/client` (types generated from the server's OpenAPI document), same
 * origin, with this tab's token. `call()` unwraps `{ data }` or throws the API's error as a WeftApiError.
 */
import { apiError, createWeftClient, WeftApiError } from "@client";
import { getToken, setToken } from "./auth";

export type { components, paths } from "@client";
export { WeftApiError } from "@client";

export const api = createWeftClient({ baseUrl: "", token: getToken });

// A token the server no longer knows (revoked, or from before a restart with other tokens): back to sign-in.
api.use({
  onResponse({ response }) {
    if (response.status === 401 && getToken() !== null) setToken(null);
    return response;
  },
});

/** The `data` of an answer, or throws a WeftApiError with the API's code and message. */
export async function call<T>(
  request: Promise<{ data?: { data: T }; error?: unknown; response: Response }>,
): Promise<T> {
  const result = await request;
  if (result.data !== undefined) return result.data.data;
  throw apiError(result.response, result.error);
}

/** A readable message for any error: the API's message, or what went wrong with the request. */
export function messageOf(err: unknown): string {
  if (err instanceof WeftApiError) return err.message;
  if (err instanceof TypeError) return "The server cannot be reached. Is `weft serve` running?";
  if (err instanceof Error) return err.message;
  return String(err);
}
