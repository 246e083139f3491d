/**
 * Opens the session stores named by `STORE`: the shop's (and the API's) sessions, and the console's
 * own, kept apart so an administrator's session never mixes with the users' it manages.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type Store } from '@tessera-sessions/core';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import { sqliteStore } from '@tessera-sessions/core/stores/sqlite';
import Database from 'better-sqlite3';

/** What {@link openStores} returns. */
export interface OpenStores {
  /** `sqlite`, `memory`, `redis` or `postgres`. */
  kind: string;
  /** Sessions of the shop and the API. */
  sessions: Store;
  /** Sessions of the admin console. */
  admin: Store;
  /** The SQLite database with the service's own tables (users, API keys…). */
  db: Database.Database;
  /** The SQLite file, or null when in memory. */
  file: string | null;
  close(): Promise<void>;
}

/**
 * Opens the stores for a `STORE` value. Redis and PostgreSQL are accepted in the configuration but
 * need the matching store of `@tessera-sessions/core`; until it exists this fails with a clear message.
 */
export async function openStores(spec: string, dataDir: string): Promise<OpenStores> {
  if (spec === 'memory') {
    const db = new Database(':memory:');
    return {
      kind: 'memory',
      sessions: memoryStore(),
      admin: memoryStore(),
      db,
      file: null,
      close: async () => {
        db.close();
      },
    };
  }
  if (spec === 'sqlite' || spec.startsWith('sqlite:')) {
    const file = resolve(spec === 'sqlite' ? resolve(dataDir, 'tessera.db') : spec.slice('sqlite:'.length));
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new ConfigError('store', `cannot create the folder for ${file}: ${(err as Error).message}`);
    }
    let db: Database.Database;
    try {
      db = new Database(file);
    } catch (err) {
      throw new ConfigError('store', `cannot open the SQLite file ${file}: ${(err as Error).message}`);
    }
    return {
      kind: 'sqlite',
      sessions: sqliteStore({ database: db }),
      admin: sqliteStore({ database: db, tablePrefix: 'tessera_admin_' }),
      db,
      file,
      close: async () => {
        db.close();
      },
    };
  }
  const kind = spec.startsWith('redis') ? 'redis' : 'postgres';
  throw new ConfigError(
    'store',
    `${kind === 'redis' ? 'Redis' : 'PostgreSQL'} stores are not available in this version of @tessera-sessions/core yet; ` +
      'use STORE=sqlite (the default) or STORE=memory.',
  );
}
