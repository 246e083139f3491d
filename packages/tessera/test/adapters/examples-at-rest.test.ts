/**
 * The examples and data at rest (issue #8, item 10): production without TESSERA_KEYS refuses to
 * start; the SQLite file and its WAL are owner-only in an owner-only directory; the database holds
 * no CSRF secret (a token forged from what it holds is refused); Hono's truncated multipart is a
 * 400 reported through the configured logger, not console.error.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, test } from 'node:test';
import { createAdaptorServer } from '@hono/node-server';
import Database from 'better-sqlite3';
import { Hono } from 'hono';
import { exampleManager } from '../../../../examples/shared/app.ts';
import { honoSessions, type TesseraEnv } from '../../src/adapters/hono/index.ts';
import { listen, testManager } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'tessera-examples-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const saved = { ...process.env };
afterEach(() => {
  for (const k of ['NODE_ENV', 'TESSERA_KEYS', 'SESSION_DB', 'STORE']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

test('NODE_ENV=production without TESSERA_KEYS: the examples refuse to start', () => {
  process.env.NODE_ENV = 'production';
  delete process.env.TESSERA_KEYS;
  process.env.SESSION_DB = join(dir, 'prod', 'sessions.db');
  assert.throws(() => exampleManager(), /TESSERA_KEYS/);
});

test('the SQLite file and its -wal are 0600 in a 0700 directory; the database holds no CSRF secret', async () => {
  process.env.NODE_ENV = 'development';
  process.env.TESSERA_KEYS = `k1:${randomBytes(32).toString('base64')}`;
  const file = join(dir, 'data', 'sessions.db');
  process.env.SESSION_DB = file;
  const manager = exampleManager({ logger: { warn: () => {} }, loginRateLimit: false });
  const user = await manager.login(null, 'alice');
  const mode = (p: string) => statSync(p).mode & 0o777;
  assert.equal(mode(join(dir, 'data')), 0o700);
  assert.equal(mode(file), 0o600);
  assert.equal(mode(`${file}-wal`), 0o600);
  // What the database holds for CSRF is no secret: a token made from it the old way is refused.
  const db = new Database(file, { readonly: true });
  const row = db.prepare('SELECT body FROM tessera_sessions WHERE id = ?').get(user.session.id) as {
    body: string;
  };
  db.close();
  const stored = (JSON.parse(row.body) as { csrfSecret: string }).csrfSecret;
  assert.match(stored, /^k1\.k1\./);
  const salt = randomBytes(16).toString('base64url');
  const forge = (key: Buffer) =>
    `${salt}.${createHmac('sha256', key).update(`csrf:${salt}`).digest('base64url')}`;
  for (const key of [Buffer.from(stored, 'base64url'), Buffer.from(stored.split('.').at(-1)!, 'base64url')])
    assert.equal(manager.verifyCsrfToken(user.session, forge(key)), false);
  assert.equal(manager.verifyCsrfToken(user.session, manager.csrfToken(user.session)), true);
});

test('Hono: a truncated multipart body is a 400 problem, reported through the configured logger', async (t) => {
  const { manager } = testManager();
  const logged: string[] = [];
  const errors = t.mock.method(console, 'error', () => {});
  const sessions = honoSessions(manager, { logger: { warn: (m) => logged.push(m) } });
  const app = new Hono<TesseraEnv>();
  app.use(sessions);
  app.onError(sessions.onError);
  app.post('/upload', async (c) => c.json(await c.req.parseBody()));
  const server = await listen(createAdaptorServer({ fetch: app.fetch }) as Server);
  try {
    const res = await fetch(`${server.url}/upload`, {
      method: 'POST',
      headers: { origin: server.url, 'content-type': 'multipart/form-data; boundary=XyZ' },
      body: '--XyZ\r\nContent-Disposition: form-data; name="item"\r\n\r\nap',
    });
    assert.equal(res.status, 400);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
    const body = (await res.json()) as { code: string; detail: string };
    assert.equal(body.code, 'BAD_REQUEST');
    assert.equal(errors.mock.callCount(), 0, 'nothing on console.error');
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /could not be read/);
  } finally {
    await server.close();
  }
});
