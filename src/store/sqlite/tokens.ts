/** API tokens: `Store.tokens`. Only the sha256 of a secret is stored; each write is one statement. */
import type Database from "better-sqlite3";
import type { NewToken, TokenRecord, TokenScope } from "../store.js";
import { missing, uniquely } from "./shared.js";

interface TokenRow {
  id: string;
  name: string;
  hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
  scopes: string;
}

function tokenFromRow(r: TokenRow): TokenRecord {
  return {
    id: r.id,
    name: r.name,
    hash: r.hash,
    scopes: JSON.parse(r.scopes) as TokenScope[],
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

export function createTokens(db: Database.Database) {
  const st = {
    insert: db.prepare(
      "INSERT INTO api_tokens (id, name, hash, created_at, last_used_at, revoked_at, scopes) VALUES (?, ?, ?, ?, NULL, NULL, ?)",
    ),
    get: db.prepare("SELECT * FROM api_tokens WHERE id = ?"),
    byHash: db.prepare("SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL"),
    list: db.prepare("SELECT * FROM api_tokens ORDER BY created_at, rowid"),
    revoke: db.prepare("UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ? RETURNING *"),
    touch: db.prepare(
      `UPDATE api_tokens SET last_used_at = @now
       WHERE id = @id AND revoked_at IS NULL AND (last_used_at IS NULL OR last_used_at < @now)`,
    ),
  };

  return {
    create(t: NewToken): TokenRecord {
      uniquely(`token ${t.id} or a token with this hash exists already`, () =>
        st.insert.run(t.id, t.name, t.hash, t.now, JSON.stringify(t.scopes)),
      );
      return {
        id: t.id,
        name: t.name,
        hash: t.hash,
        scopes: structuredClone(t.scopes),
        createdAt: t.now,
        lastUsedAt: null,
        revokedAt: null,
      };
    },
    findByHash(hash: string): TokenRecord | undefined {
      const row = st.byHash.get(hash) as TokenRow | undefined;
      return row === undefined ? undefined : tokenFromRow(row);
    },
    get(id: string): TokenRecord | undefined {
      const row = st.get.get(id) as TokenRow | undefined;
      return row === undefined ? undefined : tokenFromRow(row);
    },
    list: (): TokenRecord[] => (st.list.all() as TokenRow[]).map(tokenFromRow),
    revoke(id: string, now: number): TokenRecord {
      const row = st.revoke.get(now, id) as TokenRow | undefined;
      if (row === undefined) throw missing("token", id);
      return tokenFromRow(row);
    },
    touch(id: string, now: number): void {
      st.touch.run({ now, id });
    },
  };
}
