/**
 * `weft token create|list|revoke`: the API tokens of `weft serve`, kept in the data directory's store (only
 * their sha256; the token itself is printed once, at creation). Once any token exists, the server requires
 * one on every request (docs/api.md, "Access").
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { Command } from "commander";
import { WeftError } from "../../core/errors.js";
import { tokenHash } from "../../server/access.js";
import type { TokenRecord, TokenRole, TokenScope } from "../../store/store.js";
import { formatOf } from "../args.js";
import { EXIT } from "../exit.js";
import { ago, iso, json, stdoutOut, table } from "../output.js";
import type { GlobalOptions } from "../store.js";
import { openStore } from "../store.js";

const ROLES: readonly TokenRole[] = ["read", "operate", "admin"];

/** `<project>:<role>` (or `*:<role>` for every project) → a scope. */
export function parseScope(text: string): TokenScope {
  const at = text.lastIndexOf(":");
  const projectId = at > 0 ? text.slice(0, at).trim() : "";
  const role = at > 0 ? text.slice(at + 1).trim() : "";
  if (!projectId || !ROLES.includes(role as TokenRole)) {
    throw new WeftError(
      "WEFT_ARGS",
      `--project must look like <project>:<role> with a role of ${ROLES.join(", ")} (or *:<role> for every project), not "${text}"`,
    );
  }
  if (projectId.length > 200) throw new WeftError("WEFT_ARGS", "a project id is at most 200 characters");
  return { projectId, role: role as TokenRole };
}

function scopesText(scopes: readonly TokenScope[]): string {
  return scopes.map((s) => `${s.projectId}:${s.role}${s.scripts ? "+scripts" : ""}`).join(", ");
}

function view(t: TokenRecord) {
  return {
    id: t.id,
    name: t.name,
    scopes: t.scopes.map((s) => ({ project_id: s.projectId, role: s.role, scripts: s.scripts === true })),
    created_at: iso(t.createdAt),
    last_used_at: t.lastUsedAt === null ? null : iso(t.lastUsedAt),
    revoked_at: t.revokedAt === null ? null : iso(t.revokedAt),
  };
}

/** `weft token create`. */
export async function createTokenCommand(_o: unknown, cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<
    GlobalOptions & { name: string; project: string[]; scripts?: boolean; format?: string }
  >();
  const format = formatOf(o.format);
  const name = o.name.trim();
  if (!name || name.length > 200) throw new WeftError("WEFT_ARGS", "--name must be 1–200 characters");
  if (o.project.length === 0) {
    throw new WeftError("WEFT_ARGS", "give at least one --project <project>:<role> (e.g. --project default:read)");
  }
  const scopes = o.project.map(parseScope);
  if (o.scripts) {
    const read = scopes.find((s) => s.role === "read");
    if (read) {
      throw new WeftError(
        "WEFT_ARGS",
        `--scripts needs the operate or admin role (a read token launches nothing), not ${read.projectId}:read`,
      );
    }
    for (const s of scopes) s.scripts = true;
  }
  const secret = `weft_${randomBytes(32).toString("base64url")}`;
  const store = openStore(o);
  try {
    const record = await store.tokens.create({
      id: randomUUID(),
      name,
      hash: tokenHash(secret),
      scopes,
      now: Date.now(),
    });
    const out = stdoutOut();
    if (format === "json") out.line(json({ ...view(record), token: secret }));
    else {
      out.line(secret);
      out.err(
        `token ${record.id} (${name}): ${scopesText(scopes)}. Shown once — store it now. ` +
          "Clients send it as `Authorization: Bearer <token>`; the server now requires a token on every request.",
      );
    }
  } finally {
    await store.close();
  }
  process.exitCode = EXIT.ok;
}

/** `weft token list`. */
export async function listTokensCommand(_o: unknown, cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<GlobalOptions & { format?: string }>();
  const format = formatOf(o.format);
  const store = openStore(o);
  try {
    const list = await store.tokens.list();
    const out = stdoutOut();
    if (format === "json") out.line(json(list.map(view)));
    else if (list.length === 0) out.line("no API tokens: `weft serve` on 127.0.0.1 needs none");
    else {
      const now = Date.now();
      out.line(
        table(
          ["ID", "NAME", "SCOPES", "CREATED", "LAST USED", "STATUS"],
          list.map((t) => [
            t.id,
            t.name,
            scopesText(t.scopes),
            ago(t.createdAt, now),
            t.lastUsedAt === null ? "never" : ago(t.lastUsedAt, now),
            t.revokedAt === null ? "active" : `revoked ${ago(t.revokedAt, now)}`,
          ]),
        ),
      );
    }
  } finally {
    await store.close();
  }
  process.exitCode = EXIT.ok;
}

/** `weft token revoke <id>`. */
export async function revokeTokenCommand(id: string, _o: unknown, cmd: Command): Promise<void> {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const store = openStore(o);
  try {
    if (!(await store.tokens.get(id))) {
      throw new WeftError("WEFT_NOT_FOUND", `no API token has id ${id}; see \`weft token list\``);
    }
    const t = await store.tokens.revoke(id, Date.now());
    stdoutOut().err(`revoked token ${t.id} (${t.name})`);
  } finally {
    await store.close();
  }
  process.exitCode = EXIT.ok;
}
