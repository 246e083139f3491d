/**
 * Shared pieces of the HTTP benchmark servers: the session manager (STORE=memory|sqlite; MONITOR=1), the
 * bench user, and the start-up handshake with the runner (one JSON line on stdout).
 *
 * Every server answers `GET /me` with `{"userId":"alice"}` (401 without a session) and, for the
 * session variants, `GET /bench-login` — a bench-only route that logs alice in and sets the cookie
 * (`?cart=1`: and stores {@link CART} in the session) — and `GET /bench-seed?n=N`, which creates N
 * more logged-in sessions with a cart in-process (the peak-RSS figure is taken with them live).
 * They are GETs only to keep the runner simple; never ship a login on a safe method.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyRing, createSessionManager, type SessionManager, type Store } from '@tessera-sessions/core';
import { createAuditLog, memoryAuditBackend } from '@tessera-sessions/core/audit-log';
import { auditSink, createDetector, logSink } from '@tessera-sessions/core/monitor';
import { prometheusSink } from '@tessera-sessions/core/monitor/prometheus';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import { nearCache } from '@tessera-sessions/core/stores/near-cache';
import { redisInvalidation, redisStore } from '@tessera-sessions/core/stores/redis';
import { sqliteStore } from '@tessera-sessions/core/stores/sqlite';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pino from 'pino';

export const USER = 'alice';

/** The realistic workload's session data: a 3-item cart (sealed by Tessera like any session data). */
export const CART = {
  cart: [
    { sku: 'SKU-10442', name: 'Espresso beans, 1 kg', qty: 2, priceCents: 2490 },
    { sku: 'SKU-20017', name: 'Ceramic mug', qty: 1, priceCents: 1200 },
    { sku: 'SKU-31808', name: 'Milk frother', qty: 1, priceCents: 3999 },
  ],
};

/** What a bench-only route asks for: `?cart=1` on login, `?n=N` on seed. */
export function benchQuery(url: string | undefined): { cart: boolean; n: number } {
  const q = new URLSearchParams(url?.split('?')[1] ?? '');
  return { cart: q.get('cart') === '1', n: Math.min(100_000, Math.max(0, Number(q.get('n') ?? 0) || 0)) };
}

/**
 * Creates `n` more logged-in sessions (distinct users, each with the cart), straight through the
 * manager, so the store holds as many live sessions as a busy app would.
 */
export async function seedSessions(
  manager: SessionManager,
  n: number,
  userAgent: string | null,
): Promise<void> {
  const ctx = { ip: '127.0.0.1', userAgent };
  for (let i = 0; i < n; i++) {
    const { session } = await manager.login(null, `seed-${i}`, {}, ctx);
    await manager.setData(session, CART);
  }
}

/**
 * The Tessera manager of a bench server: a memory store, SQLite in a fresh WAL file
 * (`STORE=sqlite`: shared locking, the default; `STORE=sqlite-exclusive`: `exclusive: true`), or
 * Redis at REDIS_URL (`STORE=redis`; `STORE=redis-near`: with the near-cache).
 */
export async function benchManager(): Promise<SessionManager> {
  const kind = process.env.STORE ?? 'memory';
  let store: Store;
  if (kind.startsWith('redis')) {
    const client = new Redis(process.env.REDIS_URL!, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    store = redisStore({ client, prefix: `bench${process.pid}:` });
    if (kind === 'redis-near') {
      const cached = nearCache(store, { bus: redisInvalidation({ client, channel: `bench${process.pid}` }) });
      await cached.start();
      store = cached;
    }
  } else if (kind.startsWith('sqlite')) {
    store = sqliteStore({
      database: new Database(join(mkdtempSync(join(tmpdir(), 'tessera-bench-')), 'sessions.db')),
      exclusive: kind === 'sqlite-exclusive',
    });
  } else store = memoryStore();
  const manager = createSessionManager({
    store,
    keys: createKeyRing([{ id: 'bench', key: randomBytes(32) }]),
    creationRateLimit: false,
    // The runner logs the one bench user in over and over: no login limits, no session cap.
    loginRateLimit: false,
    maxSessionsPerUser: Number.POSITIVE_INFINITY,
  });
  // MONITOR=1: every sink on — Prometheus (times each validation), pino logs, detector, audit sink.
  if (process.env.MONITOR === '1') {
    const detector = createDetector(manager);
    prometheusSink(manager, { detector });
    logSink(manager, pino(createWriteStream('/dev/null')));
    auditSink(manager, createAuditLog({ backend: memoryAuditBackend() }));
  }
  return manager;
}

/** The origin the bench servers claim (required with NODE_ENV=production; the bench sends only GETs). */
export const PUBLIC_ORIGIN = 'http://localhost';

/** Tells the runner where the server listens (the first line on stdout). */
export function ready(address: AddressInfo | string | null): void {
  // Exit normally on SIGTERM, so `node --cpu-prof` writes its profile.
  process.once('SIGTERM', () => process.exit(0));
  const port = typeof address === 'object' && address ? address.port : Number(address);
  process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
}

export const HOST = '127.0.0.1';
