/** Parsing of the events endpoints' query strings and client messages: a clear 400 for anything malformed. */
import { WeftError } from "../../core/errors.js";

export function badRequest(message: string): WeftError {
  return new WeftError("WEFT_BAD_REQUEST", message);
}

/** A query parameter given once or several times (`?run_id=a&run_id=b`) → a list; absent → null. */
export function listParam(value: unknown, name: string): string[] | null {
  if (value === undefined || value === null) return null;
  const values = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const v of values) {
    if (typeof v !== "string" || v === "" || v.length > 200) throw badRequest(`${name} must be a non-empty id`);
    out.push(v);
  }
  return out;
}

/** A seq: an integer ≥ 0. */
export function seqParam(value: unknown, name: string): number | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (Array.isArray(value)) throw badRequest(`${name} is given more than once`);
  const n =
    typeof value === "number" ? value : typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 0)
    throw badRequest(`${name} must be an integer ≥ 0 (a seq), not ${JSON.stringify(value)}`);
  return n;
}

export interface SubscribeMessage {
  runs: string[] | null;
  projects: string[] | null;
  after: Record<string, number>;
}

/** A client's `{ "type": "subscribe", "run_id"?, "project_id"?, "after"? }` (ids: a string or a list). */
export function parseSubscribe(m: Record<string, unknown>): SubscribeMessage {
  const ids = (v: unknown, name: string): string[] | null => {
    if (v === undefined || v === null) return null;
    if (typeof v === "string") return listParam(v, name);
    if (Array.isArray(v) && v.length <= 1000) return listParam(v.length === 0 ? [""] : v, name);
    throw badRequest(`${name} must be an id or a list of ids`);
  };
  const runs = ids(m.run_id, "run_id");
  const projects = ids(m.project_id, "project_id");
  const after: Record<string, number> = Object.create(null);
  if (m.after !== undefined && m.after !== null) {
    if (typeof m.after !== "object" || Array.isArray(m.after))
      throw badRequest('after must be an object { "<run id>": <last seq seen> }');
    const entries = Object.entries(m.after as Record<string, unknown>);
    if (entries.length > 1000) throw badRequest("after names more than 1000 runs");
    for (const [id, seq] of entries) {
      listParam(id, "after's run id");
      const n = seqParam(seq, `after["${id}"]`);
      if (n === undefined) throw badRequest(`after["${id}"] must be an integer ≥ 0 (a seq)`);
      after[id] = n;
    }
  }
  return { runs, projects, after };
}
