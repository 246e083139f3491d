/**
 * Shared pieces of the HTTP benchmark servers: the session manager (STORE=memory|sqlite), the
 * bench user, and the start-up handshake with the runner (one JSON line on stdout).
 *
 * Every server answers `GET /me` with `{"userId":"alice"}` (401 without a session) and, for the
 * session variants, `GET /bench-login` — a bench-only route that logs alice in and sets the cookie.
 * It is a GET only to keep the runner simple; never ship a login on a safe method.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyRing, createSessionManager, type SessionManager } from '@tessera-sessions/core';
import { memoryStore } from '@tessera-sessions/core/stores/memory';
import { sqliteStore } from '@tessera-sessions/core/stores/sqlite';
import Database from 'better-sqlite3';

export const USER = 'alice';

/**
 * The Tessera manager of a bench server: a memory store, or SQLite in a fresh WAL file
 * (`STORE=sqlite`: shared locking, the default; `STORE=sqlite-exclusive`: `exclusive: true`).
 */
export function benchManager(): SessionManager {
  const kind = process.env.STORE ?? 'memory';
  const store = kind.startsWith('sqlite')
    ? sqliteStore({
        database: new Database(join(mkdtempSync(join(tmpdir(), 'tessera-bench-')), 'sessions.db')),
        exclusive: kind === 'sqlite-exclusive',
      })
    : memoryStore();
  return createSessionManager({
    store,
    keys: createKeyRing([{ id: 'bench', key: randomBytes(32) }]),
    creationRateLimit: false,
    // The runner logs the one bench user in over and over: no login limits, no session cap.
    loginRateLimit: false,
    maxSessionsPerUser: Number.POSITIVE_INFINITY,
  });
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
