/**
 * The server of the flood bench: node:http + Tessera on SQLite (a WAL file), the engine's
 * per-address creation limit, and the detector's anonymous cap. `x-client-ip` stands in for a
 * trusted proxy's client address. `GET /stats` reports the store's row counts.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyRing, createSessionManager } from '@tessera-sessions/core';
import { createDetector } from '@tessera-sessions/core/monitor';
import { nodeSessions } from '@tessera-sessions/core/node';
import { sqliteStore } from '@tessera-sessions/core/stores/sqlite';
import Database from 'better-sqlite3';

const CAP = Number(process.env.CAP ?? 2000);
const db = new Database(join(mkdtempSync(join(tmpdir(), 'tessera-flood-')), 'sessions.db'));
const manager = createSessionManager({
  store: sqliteStore({ database: db }),
  keys: createKeyRing([{ id: 'b', key: randomBytes(32) }]),
  reuseGrace: '2s',
  logger: { warn: () => {} },
});
if (process.env.CAP !== '0') createDetector(manager, { rules: { anonymousFlood: { maxAnonymous: CAP } } });
manager.startSweeper({ every: 500, batch: 10_000 });
const count = (t: string) => (db.prepare(`SELECT count(*) AS n FROM tessera_${t}`).get() as { n: number }).n;
const sessions = nodeSessions(manager, {
  clientIp: (req) => String(req.headers['x-client-ip'] ?? '127.0.0.1'),
});
const server = createServer(async (req, res) => {
  try {
    if (req.url === '/stats') {
      res.end(
        JSON.stringify({
          sessions: count('sessions'),
          tombstones: count('tombstones'),
          rss: process.memoryUsage().rss,
        }),
      );
      return;
    }
    const s = await sessions.getSession(req, res);
    if (req.url === '/cart') await s.set({ cart: ['x'] });
    else if (req.url === '/login') await s.login(`user-${randomBytes(4).toString('hex')}`);
    else s.requireAuth();
    res.end('{}');
  } catch (err) {
    sessions.sendError(req, res, err);
  }
});
server.listen(0, '127.0.0.1', () => {
  process.once('SIGTERM', () => process.exit(0));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`);
});
