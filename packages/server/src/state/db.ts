/**
 * The service's own tables (users, API keys, the bootstrap code, demo orders) in SQLite: the same
 * file as the sessions for the SQLite store, an in-memory database otherwise. Schema changes are
 * versioned migrations, applied once each inside a transaction.
 */
import type { Database } from 'better-sqlite3';

const MIGRATIONS = [
  `CREATE TABLE tessera_server_users (
     username TEXT PRIMARY KEY,
     password_hash TEXT NOT NULL,
     role TEXT NOT NULL CHECK (role IN ('customer', 'admin')),
     created_at INTEGER NOT NULL,
     password_changed_at INTEGER NOT NULL
   );
   CREATE TABLE tessera_server_api_keys (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     scopes TEXT NOT NULL,
     secret_hash TEXT NOT NULL,
     created_at INTEGER NOT NULL,
     last_used_at INTEGER,
     revoked_at INTEGER
   );
   CREATE TABLE tessera_server_bootstrap (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     code_hash TEXT NOT NULL,
     expires_at INTEGER NOT NULL
   );
   CREATE TABLE tessera_server_orders (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     username TEXT NOT NULL,
     items TEXT NOT NULL,
     total_cents INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );`,
];

/** Applies the service's pending migrations; returns how many ran. */
export function migrateServerTables(db: Database): number {
  db.exec(
    'CREATE TABLE IF NOT EXISTS tessera_server_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
  );
  const current =
    (db.prepare('SELECT MAX(version) AS v FROM tessera_server_migrations').get() as { v: number | null }).v ??
    0;
  if (current > MIGRATIONS.length)
    throw new Error(
      `The service's tables are at version ${current}, newer than this version of Tessera understands (${MIGRATIONS.length}).`,
    );
  MIGRATIONS.slice(current).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO tessera_server_migrations (version, applied_at) VALUES (?, ?)').run(
        current + i + 1,
        Date.now(),
      );
    })();
  });
  return MIGRATIONS.length - current;
}
