/**
 * API keys for the session API: `tsk_<id>_<secret>`, shown once at creation. The service keeps
 * only SHA-256 of the secret (256 random bits: a slow hash adds nothing) and compares in constant
 * time. Each key has scopes: `validate` (check sessions), `manage` (issue, rotate, revoke),
 * `admin` (read events, everything else).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';

/** What a key may do. */
export type Scope = 'validate' | 'manage' | 'admin';
/** Every scope. */
export const SCOPES: readonly Scope[] = ['validate', 'manage', 'admin'];

/** A key as listed (never the secret). */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scopes: Scope[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

interface Row {
  id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_at: number;
  last_used_at: number | null;
  revoked_at: number | null;
}

const KEY = /^tsk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const hash = (secret: string) => createHash('sha256').update(secret).digest();
const info = (r: Row): ApiKeyInfo => ({
  id: r.id,
  name: r.name,
  scopes: r.scopes.split(',').filter(Boolean) as Scope[],
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

/** The service's API keys. */
export class ApiKeys {
  readonly #db: Database;
  constructor(db: Database) {
    this.#db = db;
  }

  /** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
  create(name: string, scopes: readonly Scope[]): { key: string; info: ApiKeyInfo } {
    const cleanName = name.trim();
    if (cleanName.length < 1 || cleanName.length > 100) throw new RangeError('name: 1-100 characters.');
    const set = [...new Set(scopes)];
    if (set.length === 0 || set.some((s) => !SCOPES.includes(s)))
      throw new RangeError(`scopes: one or more of ${SCOPES.join(', ')}.`);
    const id = randomBytes(9).toString('base64url').replace(/[-_]/g, 'x').slice(0, 12);
    const secret = randomBytes(32).toString('base64url');
    const now = Date.now();
    this.#db
      .prepare(
        'INSERT INTO tessera_server_api_keys (id, name, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(id, cleanName, set.join(','), hash(secret).toString('base64url'), now);
    return {
      key: `tsk_${id}_${secret}`,
      info: { id, name: cleanName, scopes: set, createdAt: now, lastUsedAt: null, revokedAt: null },
    };
  }

  /** The key's info when `key` is a live key; null for anything else (malformed, unknown, revoked). */
  verify(key: string): ApiKeyInfo | null {
    const m = KEY.exec(key);
    if (!m) return null;
    const row = this.#db.prepare('SELECT * FROM tessera_server_api_keys WHERE id = ?').get(m[1]) as
      | Row
      | undefined;
    const expected = row ? Buffer.from(row.secret_hash, 'base64url') : hash('no such key');
    const ok = timingSafeEqual(hash(m[2]!), expected) && row !== undefined && row.revoked_at === null;
    if (!ok || !row) return null;
    this.#db
      .prepare('UPDATE tessera_server_api_keys SET last_used_at = ? WHERE id = ?')
      .run(Date.now(), row.id);
    return info(row);
  }

  /** Revokes a key; false when there is no live key with this id. */
  revoke(id: string): boolean {
    return (
      this.#db
        .prepare('UPDATE tessera_server_api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL')
        .run(Date.now(), id).changes === 1
    );
  }

  /** Every key, newest first. */
  list(): ApiKeyInfo[] {
    return (
      this.#db.prepare('SELECT * FROM tessera_server_api_keys ORDER BY created_at DESC').all() as Row[]
    ).map(info);
  }
}
