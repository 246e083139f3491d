/**
 * Opens the session stores named by `STORE`: the shop's (and the API's) sessions, and the console's
 * own, kept apart so an administrator's session never mixes with the users' it manages.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, type SessionManagerOptions, type Store } from '@tessera-sessions/core';
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
  /** The SQLite file of the sessions, or null when they are not in SQLite. */
  file: string | null;
  /** Where the service's own tables live when the sessions are elsewhere (Redis, PostgreSQL). */
  stateFile?: string;
  /** A creation limiter shared by every instance (shared stores only). */
  creationLimiter?: (points: number) => NonNullable<SessionManagerOptions['creationRateLimit']>;
  /** Applies pending schema migrations now (stores that otherwise migrate on first use). */
  migrate?: () => Promise<void>;
  close(): Promise<void>;
}

/**
 * Opens the stores for a `STORE` value: `memory`, `sqlite[:file]` (default `<dataDir>/tessera.db`),
 * `redis://…` / `rediss://…` (needs `ioredis`) or `postgres://…` (needs `pg`).
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
  // Shared stores for several service instances. Their clients are optional dependencies, loaded
  // only when asked for. The service's own tables (accounts, API keys) stay in a local SQLite file.
  const stateFile = resolve(dataDir, 'server.db');
  mkdirSync(dirname(stateFile), { recursive: true });
  if (/^rediss?:\/\//.test(spec)) {
    const { Redis } = await optional<typeof import('ioredis')>('ioredis', 'STORE=redis://…');
    const { redisStore, redisRateLimiter } = await import('@tessera-sessions/core/stores/redis');
    const client = new Redis(spec, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
    });
    client.on('error', () => {}); // each request reports its own failure (503 STORE_UNAVAILABLE)
    // Without an offline queue, commands sent before the connection is up fail: wait for it (briefly;
    // if Redis is down at start, requests answer 503 until it is back).
    await new Promise<void>((done) => {
      const timer = setTimeout(done, 5000);
      client.once('ready', () => {
        clearTimeout(timer);
        done();
      });
    });
    const db = new Database(stateFile);
    return {
      kind: 'redis',
      sessions: redisStore({ client, prefix: 'tessera:' }),
      admin: redisStore({ client, prefix: 'tessera-admin:' }),
      creationLimiter: (points) => redisRateLimiter(client, { points, window: '1m' }),
      db,
      file: null,
      stateFile,
      close: async () => {
        client.disconnect();
        db.close();
      },
    };
  }
  const pg = await optional<typeof import('pg')>('pg', 'STORE=postgres://…');
  const { postgresStore, postgresRateLimiter } = await import('@tessera-sessions/core/stores/postgres');
  const Pool = pg.Pool ?? (pg as unknown as { default: typeof import('pg') }).default.Pool;
  const pool = new Pool({ connectionString: spec, connectionTimeoutMillis: 2000, max: 10 });
  pool.on('error', () => {}); // idle-client errors; requests see their own
  const sessions = postgresStore({ pool });
  const admin = postgresStore({ pool, tablePrefix: 'tessera_admin_' });
  const db = new Database(stateFile);
  return {
    kind: 'postgres',
    sessions,
    admin,
    creationLimiter: (points) => postgresRateLimiter(pool, { points, window: '1m' }),
    db,
    file: null,
    stateFile,
    migrate: async () => {
      await sessions.migrate();
      await admin.migrate();
    },
    close: async () => {
      db.close();
      await pool.end();
    },
  };
}

/** Imports an optional dependency, or says clearly how to install it. */
async function optional<T>(name: string, forWhat: string): Promise<T> {
  try {
    return (await import(name)) as T;
  } catch (err) {
    throw new ConfigError(
      'store',
      `${forWhat} needs the \`${name}\` package: npm install ${name} (${(err as Error).message.split('\n')[0]})`,
    );
  }
}
