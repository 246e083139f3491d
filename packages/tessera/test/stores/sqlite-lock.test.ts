/**
 * A write lock held by another connection (another process on the same file) must not freeze the
 * server (issue #8, item 7): writes wait at most `busyTimeout` (default 50 ms) and then fail with
 * STORE_UNAVAILABLE; reads go on (WAL).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { StoreUnavailableError } from '../../src/errors.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';
import { keys } from '../helpers/engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('a write lock held elsewhere: bounded wait, then STORE_UNAVAILABLE; reads still answer', async () => {
  const file = join(dir, 'locked.db');
  const db = new Database(file);
  const manager = new SessionManager({
    store: sqliteStore({ database: db }),
    keys: keys(),
    creationRateLimit: false,
    loginRateLimit: false,
    logger: { warn: () => {} },
  });
  assert.equal(db.pragma('busy_timeout', { simple: true }), 50, 'the default wait is tens of milliseconds');
  const alice = await manager.login(null, 'alice');
  const other = new Database(file); // another process on the same file
  other.exec('BEGIN IMMEDIATE');
  try {
    const started = process.hrtime.bigint();
    await assert.rejects(manager.login(null, 'bob'), StoreUnavailableError);
    const waitedMs = Number(process.hrtime.bigint() - started) / 1e6;
    // Not a speed assertion: the old default blocked the event loop for 5 s per write.
    assert.ok(waitedMs < 2500, `the write gave up after ${waitedMs} ms`);
    assert.ok((await manager.validate(alice.token)).ok, 'reads are not blocked');
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  await manager.login(null, 'bob');
  db.close();
});

test('busyTimeout is configurable and validated', () => {
  const db = new Database(':memory:');
  sqliteStore({ database: db, busyTimeout: 200 });
  assert.equal(db.pragma('busy_timeout', { simple: true }), 200);
  assert.throws(() => sqliteStore({ database: db, busyTimeout: -1 }), {
    code: 'CONFIG_INVALID',
    field: 'sqliteStore.busyTimeout',
  });
  db.close();
});
