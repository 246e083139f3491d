/**
 * What every example app shares: the demo user, the store choice (STORE=sqlite (default), memory,
 * redis://…, redis+cluster://host:port,host:port, postgres://…), the
 * session manager, and the HTML pages. Each framework example wires these into its own idiom.
 */

import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import {
  createSessionManager,
  type SessionManager,
  type SessionManagerOptions,
} from '@tessera-sessions/core';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import { postgresRateLimiter, postgresStore } from '@tessera-sessions/core/stores/postgres';
import { redisRateLimiter, redisStore } from '@tessera-sessions/core/stores/redis';
import { sqliteStore } from '@tessera-sessions/core/stores/sqlite';
import Database from 'better-sqlite3';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';

/** Demo credentials: alice / wonderland. */
export const USERS: Readonly<Record<string, string>> = Object.freeze({ alice: 'wonderland' });

/** Constant-time password check against the demo user table. */
export function checkPassword(username: unknown, password: unknown): string | null {
  if (typeof username !== 'string' || typeof password !== 'string') return null;
  const expected = Object.hasOwn(USERS, username) ? USERS[username]! : 'x'.repeat(password.length || 1);
  const a = Buffer.from(password);
  const b = Buffer.from(expected);
  const ok = a.length === b.length && timingSafeEqual(a, b) && Object.hasOwn(USERS, username);
  return ok ? username : null;
}

/**
 * The origin users reach the example at, from PUBLIC_ORIGIN (required with NODE_ENV=production:
 * the CSRF check then compares Origin with it instead of the Host header).
 */
export function publicOrigin(): string | undefined {
  return process.env.PUBLIC_ORIGIN || undefined;
}

/** The port a server really listens on: with PORT=0 the OS picks one (the tests start examples so). */
export function boundPort(server: { address(): unknown }): number {
  const address = server.address();
  return typeof address === 'object' && address !== null ? (address as { port: number }).port : 0;
}

/** Host and port from HOST (default 127.0.0.1) and PORT (default 3000; 0 lets the OS pick). */
export function listenAddress(): { host: string; port: number } {
  return { host: process.env.HOST ?? '127.0.0.1', port: Number(process.env.PORT ?? 3000) };
}

/**
 * New anonymous sessions per client address per minute, from SESSION_CREATION_LIMIT (default 60,
 * the library default; `off` disables it — e.g. to let the auditor sample 20,000 tokens quickly).
 */
function creationLimitFromEnv(): SessionManagerOptions['creationRateLimit'] {
  const raw = process.env.SESSION_CREATION_LIMIT;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'off') return false;
  const points = Number(raw);
  if (!Number.isInteger(points) || points < 1)
    throw new Error('SESSION_CREATION_LIMIT must be a positive integer or "off".');
  return { points, window: '1m' };
}

/**
 * Data keys for the examples: TESSERA_KEYS when set; otherwise a development key kept beside the
 * SQLite file (`.tessera/dev.key`, mode 0600), so that sessions stored in the file stay readable
 * across restarts. Says so loudly: production must set TESSERA_KEYS.
 */
function devKeys(): string | undefined {
  if (process.env.TESSERA_KEYS) return undefined; // the engine reads it
  if (process.env.NODE_ENV === 'production') {
    throw new Error(
      'NODE_ENV=production and no TESSERA_KEYS: refusing to start with the development key file. ' +
        'Set TESSERA_KEYS=id:base64key (32 random bytes).',
    );
  }
  const file = resolve(process.env.SESSION_DB ? dirname(process.env.SESSION_DB) : '.tessera', 'dev.key');
  if (!existsSync(file)) {
    privateDir(dirname(file));
    writeFileSync(file, `dev:${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  }
  console.warn(
    `tessera example: using the development data key in ${file} (set TESSERA_KEYS in production).`,
  );
  return readFileSync(file, 'utf8').trim();
}

/** Creates `dir` (and parents) if needed and makes it owner-only (0700). */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** A session store (and, for the shared ones, a shared creation limiter) from STORE. */
function storeFromEnv(points: number | false | undefined): {
  kind: string;
  store: SessionManagerOptions['store'];
  limiter?: SessionManagerOptions['creationRateLimit'];
} {
  const spec = process.env.STORE ?? 'sqlite';
  const limit = { points: points === false || points === undefined ? 60 : points };
  if (spec === 'memory') return { kind: 'memory', store: memoryStore() };
  if (spec === 'sqlite') {
    const file = resolve(process.env.SESSION_DB ?? '.tessera/sessions.db');
    if (file !== ':memory:') {
      if (process.env.NODE_ENV === 'production' && !process.env.TESSERA_KEYS) devKeys(); // refuses
      // Owner-only at rest: the directory 0700, the file 0600 (SQLite gives -wal and -shm the file's mode).
      privateDir(dirname(file));
      closeSync(openSync(file, 'a', 0o600));
      chmodSync(file, 0o600);
    }
    return { kind: 'sqlite', store: sqliteStore({ database: new Database(file) }) };
  }
  if (/^rediss?:\/\//.test(spec) || spec.startsWith('redis+cluster://')) {
    // Fail fast when Redis is down: no offline queue, one retry; the store bounds every call too.
    const fast = { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2000 };
    const client = spec.startsWith('redis+cluster://')
      ? new Cluster(
          spec
            .slice('redis+cluster://'.length)
            .split(',')
            .map((hp) => ({ host: hp.split(':')[0]!, port: Number(hp.split(':')[1]) })),
          { redisOptions: fast, enableOfflineQueue: false },
        )
      : new Redis(spec, fast);
    client.on('error', () => {}); // reported per request as 503 (STORE_UNAVAILABLE)
    return {
      kind: 'redis',
      store: redisStore({ client }),
      limiter: points === false ? false : redisRateLimiter(client, limit),
    };
  }
  if (/^postgres(ql)?:\/\//.test(spec)) {
    const pool = new pg.Pool({ connectionString: spec, connectionTimeoutMillis: 2000, max: 10 });
    pool.on('error', () => {}); // idle-client errors; requests see their own
    return {
      kind: 'postgres',
      store: postgresStore({ pool }),
      limiter: points === false ? false : postgresRateLimiter(pool, limit),
    };
  }
  throw new Error(
    `STORE must be sqlite, memory, redis://…, redis+cluster://host:port,… or postgres://…, not ${JSON.stringify(spec)}.`,
  );
}

/**
 * The session manager of the examples: SQLite file by default (SESSION_DB), STORE=memory for
 * in-memory, STORE=redis://… or postgres://… for several app servers behind a load balancer (the
 * creation limit is then shared through the same backend).
 */
export function exampleManager(overrides: Partial<SessionManagerOptions> = {}): SessionManager {
  const limit = creationLimitFromEnv();
  const { kind, store, limiter } = storeFromEnv(
    limit === false ? false : limit === undefined ? undefined : (limit as { points: number }).points,
  );
  const manager = createSessionManager({
    store,
    keys: kind === 'memory' ? undefined : devKeys(),
    creationRateLimit: limiter ?? limit,
    ...overrides,
  });
  // SQLite and PostgreSQL keep expired rows until they are swept (Redis expires them by TTL); the
  // timer does not keep the process alive.
  if (kind === 'sqlite' || kind === 'postgres') manager.startSweeper({ every: '5m' });
  return manager;
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body>${body}</body></html>`;
}

/** GET /login */
export function loginPage(csrfToken: string, error?: string): string {
  return page(
    'Log in',
    `<h1>Log in</h1>${error ? `<p role="alert">${esc(error)}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="_csrf" value="${esc(csrfToken)}">
<label>Username <input name="username" autocomplete="username"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<label><input type="checkbox" name="remember" value="1"> Remember me</label>
<button type="submit">Log in</button>
</form>`,
  );
}

/** GET /account */
export function accountPage(userId: string, cart: readonly string[], csrfToken: string): string {
  return page(
    'Account',
    `<h1>Hello ${esc(userId)}</h1><p>Cart: <span id="cart">${cart.map(esc).join(', ') || 'empty'}</span></p>
<form method="post" action="/cart"><input type="hidden" name="_csrf" value="${esc(csrfToken)}"><input name="item" value="book"><button>Add to cart</button></form>
<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${esc(csrfToken)}"><button>Log out</button></form>`,
  );
}

/** Session data of the example apps. */
export interface CartData {
  cart?: string[];
}

/** The cart after adding `item` (bounded, so the session stays small). */
export function addToCart(data: CartData | undefined, item: unknown): CartData {
  const name = typeof item === 'string' && item.length > 0 ? item.slice(0, 64) : 'item';
  return { ...data, cart: [...(data?.cart ?? []), name].slice(-50) };
}
