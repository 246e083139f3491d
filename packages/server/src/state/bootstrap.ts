/**
 * The first administrator is created with a one-time code, printed at start-up while no admin
 * exists (or by `tessera admin bootstrap-code`) — never a default password. Only the code's hash
 * is stored; it expires after an hour and is consumed by its first use.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from 'better-sqlite3';

const TTL_MS = 60 * 60 * 1000;
const hash = (code: string) => createHash('sha256').update(`tessera-bootstrap:${code}`).digest();

/** Issues a new code (replacing any earlier one) and returns it. Format `XXXX-XXXX-XXXX-XXXX`. */
export function issueBootstrapCode(db: Database, now = Date.now()): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O, 1/I
  const bytes = randomBytes(16);
  let code = '';
  for (let i = 0; i < 16; i++) {
    if (i > 0 && i % 4 === 0) code += '-';
    code += alphabet[bytes[i]! % 32];
  }
  db.prepare(
    'INSERT OR REPLACE INTO tessera_server_bootstrap (id, code_hash, expires_at) VALUES (1, ?, ?)',
  ).run(hash(code).toString('base64url'), now + TTL_MS);
  return code;
}

/** True once for the live code: a matching, unexpired code is consumed in the same step. */
export function consumeBootstrapCode(db: Database, code: unknown, now = Date.now()): boolean {
  if (typeof code !== 'string' || code.length > 64) return false;
  const normalized = code.trim().toUpperCase();
  return db
    .transaction(() => {
      const row = db
        .prepare('SELECT code_hash, expires_at FROM tessera_server_bootstrap WHERE id = 1')
        .get() as { code_hash: string; expires_at: number } | undefined;
      if (!row || row.expires_at <= now) return false;
      if (!timingSafeEqual(hash(normalized), Buffer.from(row.code_hash, 'base64url'))) return false;
      db.prepare('DELETE FROM tessera_server_bootstrap WHERE id = 1').run();
      return true;
    })
    .immediate();
}
