import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { sessionIdFromToken } from '../../src/crypto/token.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { sqliteStore } from '../../src/stores/sqlite.ts';
import {
  defineStoreConformanceSuite,
  sampleRecord,
  sampleTemplate,
  sampleTombstone,
} from '../../src/testing/index.ts';
import { FrozenClock, keys, tokenForms } from '../helpers/engine.ts';

const dir = mkdtempSync(join(tmpdir(), 'tessera-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `s${++n}.db`);

defineStoreConformanceSuite('sqlite (file, WAL)', async () => {
  const db = new Database(dbPath());
  return {
    store: sqliteStore({ database: db }),
    teardown: async () => void db.close(),
    cutOff: async () => void db.close(),
  };
});

defineStoreConformanceSuite('sqlite (in-memory)', async () => {
  const db = new Database(':memory:');
  return {
    store: sqliteStore({ database: db }),
    teardown: async () => void db.close(),
    cutOff: async () => void db.close(),
  };
});

defineStoreConformanceSuite('sqlite (custom table prefix)', async () => {
  const db = new Database(':memory:');
  return {
    store: sqliteStore({ database: db, tablePrefix: 'app_sess_' }),
    teardown: async () => void db.close(),
    cutOff: async () => void db.close(),
  };
});

defineStoreConformanceSuite('sqlite (file, WAL, exclusive)', async () => {
  const db = new Database(dbPath());
  return {
    store: sqliteStore({ database: db, exclusive: true }),
    teardown: async () => void db.close(),
    cutOff: async () => void db.close(),
  };
});

describe('sqlite store: exclusive locking', () => {
  test('holds the file: another connection can neither read it nor open a second exclusive store', async () => {
    const path = dbPath();
    const owner = new Database(path);
    const store = sqliteStore({ database: owner, exclusive: true });
    const record = sampleRecord();
    await store.create(record);
    assert.equal(owner.pragma('locking_mode', { simple: true }), 'exclusive');
    assert.equal(owner.pragma('journal_mode', { simple: true }), 'wal');

    const other = new Database(path, { timeout: 50 });
    assert.throws(() => other.prepare('SELECT count(*) FROM tessera_sessions').get(), /locked|busy/i);
    const started = Date.now();
    assert.throws(
      () => sqliteStore({ database: other, exclusive: true }),
      /exclusive: true, but another connection or process is using .*s\d+\.db/,
    );
    assert.ok(Date.now() - started < 2000, 'fails at once, without waiting out the busy timeout');
    other.close();

    // The owner is unaffected, and after it closes the file is shared again, data intact.
    assert.equal((await store.get(record.id))?.id, record.id);
    owner.close();
    const later = new Database(path);
    assert.equal((await sqliteStore({ database: later }).get(record.id))?.id, record.id);
    later.close();
  });

  test('refuses a file another connection already has open in WAL mode', () => {
    const path = dbPath();
    const first = new Database(path);
    sqliteStore({ database: first });
    first.prepare('SELECT 1').get();
    const second = new Database(path);
    assert.throws(() => sqliteStore({ database: second, exclusive: true }), /another connection or process/);
    // The refused connection is left in normal locking mode, usable as a shared one.
    assert.equal(second.pragma('locking_mode', { simple: true }), 'normal');
    second.close();
    first.close();
  });
});

describe('sqlite store specifics', () => {
  test('a file database is switched to WAL', () => {
    const db = new Database(dbPath());
    sqliteStore({ database: db });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  test('wal: false leaves the journal mode alone', () => {
    const db = new Database(dbPath());
    sqliteStore({ database: db, wal: false });
    assert.notEqual(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  test('the back-channel logout look-ups use the (iss, sid) and (iss, sub) indexes, not a scan', () => {
    const db = new Database(':memory:');
    sqliteStore({ database: db });
    for (const field of ['sid', 'sub']) {
      const plan = db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT body FROM tessera_sessions WHERE json_extract(body, '$.federated.iss') IS NOT NULL
             AND json_extract(body, '$.federated.iss') = ? AND json_extract(body, '$.federated.${field}') = ?`,
        )
        .all('i', 's') as Array<{ detail: string }>;
      const text = plan.map((p) => p.detail).join(' | ');
      assert.match(text, new RegExp(`USING INDEX tessera_sessions_fed_${field}`), text);
    }
    db.close();
  });

  test('migrations are versioned and idempotent: reopening the file keeps data and schema version', async () => {
    const path = dbPath();
    const record = sampleRecord();
    {
      const db = new Database(path);
      await sqliteStore({ database: db }).create(record);
      db.close();
    }
    for (let i = 0; i < 3; i++) {
      const db = new Database(path);
      const store = sqliteStore({ database: db });
      assert.equal((await store.get(record.id))?.id, record.id);
      const rows = db
        .prepare('SELECT version FROM tessera_schema_migrations ORDER BY version')
        .all() as Array<{ version: number }>;
      assert.deepEqual(
        rows.map((r) => r.version),
        [1, 2],
      );
      db.close();
    }
  });

  test('indexes exist for user, family and expiry look-ups', () => {
    const db = new Database(':memory:');
    sqliteStore({ database: db });
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all() as Array<{ name: string }>
    ).map((r) => r.name);
    for (const n of [
      'tessera_sessions_user',
      'tessera_sessions_family',
      'tessera_sessions_expires',
      'tessera_tombstones_expires',
    ]) {
      assert.ok(names.includes(n), `missing index ${n}`);
    }
    db.close();
  });

  test('a database from a newer Tessera is refused with a clear error, and left untouched', () => {
    const path = dbPath();
    {
      const db = new Database(path);
      sqliteStore({ database: db });
      db.prepare('INSERT INTO tessera_schema_migrations (version, applied_at) VALUES (?, ?)').run(
        99,
        Date.now(),
      );
      db.close();
    }
    const db = new Database(path);
    assert.throws(() => sqliteStore({ database: db }), /schema \(version 99\) is newer/);
    const max = db.prepare('SELECT MAX(version) AS v FROM tessera_schema_migrations').get() as { v: number };
    assert.equal(max.v, 99);
    db.close();
  });

  test('two connections to one file (two processes) share sessions, and compare-and-set holds across them', async () => {
    const path = dbPath();
    const dbA = new Database(path);
    const dbB = new Database(path);
    const a = sqliteStore({ database: dbA });
    const b = sqliteStore({ database: dbB });
    const r = sampleRecord({ version: 1 });
    await a.create(r);
    assert.equal((await b.get(r.id))?.id, r.id);
    assert.equal(await b.update({ ...r, data: 'from-b', version: 2 }, 1), true);
    assert.equal(await a.update({ ...r, data: 'from-a', version: 2 }, 1), false, 'A lost the race');
    assert.equal((await a.get(r.id))?.data, 'from-b');
    const other = sampleRecord({ userId: r.userId });
    await a.create(other);
    assert.deepEqual(
      (await b.deleteByUser(r.userId!, sampleTemplate('revoked-all'))).sort(),
      [r.id, other.id].sort(),
    );
    assert.equal(await a.get(other.id), null);
    assert.equal((await a.getTombstone(other.id))?.reason, 'revoked-all');
    dbA.close();
    dbB.close();
  });

  test('the parse cache never serves a stale record when another connection touches or updates it', async () => {
    const path = dbPath();
    const dbA = new Database(path);
    const dbB = new Database(path);
    const a = sqliteStore({ database: dbA });
    const b = sqliteStore({ database: dbB });
    const r = sampleRecord({ version: 1 });
    await a.create(r);
    const first = await a.get(r.id);
    assert.equal(await a.get(r.id), first, 'an unchanged row is served from the cache (same frozen object)');
    assert.ok(Object.isFrozen(first) && Object.isFrozen(first?.device), 'cached records are frozen');
    await b.touch(r.id, {
      lastSeenAt: r.lastSeenAt + 1000,
      idleExpiresAt: r.idleExpiresAt + 1000,
      lastIp: '192.0.2.9',
    });
    const touched = await a.get(r.id);
    assert.equal(touched?.lastSeenAt, r.lastSeenAt + 1000);
    assert.equal(touched?.device.lastIp, '192.0.2.9');
    assert.equal(await b.update({ ...touched!, data: 'from-b', version: 2 }, 1), true);
    assert.equal((await a.get(r.id))?.data, 'from-b');
    await b.delete(r.id, sampleTombstone(r, 'logout'));
    assert.equal(await a.get(r.id), null, 'a deleted row is gone, cache or not');
    dbA.close();
    dbB.close();
  });

  test('the read cache: a logout or revocation by another process ends the session here at once', async () => {
    const path = dbPath();
    const dbA = new Database(path);
    const dbB = new Database(path);
    const clock = new FrozenClock();
    const options = { keys: keys(), clock, creationRateLimit: false, logger: { warn: () => {} } } as const;
    const a = new SessionManager({ ...options, store: sqliteStore({ database: dbA }) });
    const b = new SessionManager({ ...options, store: sqliteStore({ database: dbB }) });
    const ctx = { ip: '192.0.2.1', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0' };
    const stolen = await a.login(null, 'alice', {}, ctx);
    const other = await a.login(null, 'bob', {}, ctx);
    // Warm A's cache: both sessions are read (and cached) by instance A.
    for (let i = 0; i < 3; i++) {
      assert.equal((await a.validate(stolen.token, ctx)).ok, true);
      assert.equal((await a.validate(other.token, ctx)).ok, true);
    }
    // Instance B (another process on the same file) revokes alice everywhere and logs bob out.
    const seenByB = await b.validate(stolen.token, ctx);
    assert.ok(seenByB.ok);
    await b.revokeAllForUser('alice');
    const bobAtB = await b.validate(other.token, ctx);
    assert.ok(bobAtB.ok);
    await b.logout(bobAtB.session);
    assert.deepEqual(await a.validate(stolen.token, ctx), { ok: false, reason: 'revoked' });
    assert.deepEqual(await a.validate(other.token, ctx), { ok: false, reason: 'revoked' });
    dbA.close();
    dbB.close();
  });

  test("the read cache serves unchanged records without a query, and the store's own writes replace them", async () => {
    for (const exclusive of [false, true]) {
      const db = new Database(dbPath());
      const store = sqliteStore({ database: db, exclusive });
      const r = sampleRecord({ version: 1 });
      await store.create(r);
      const first = store.getSync!(r.id);
      // Emptied behind the store's back (the same connection, not through the store): a cached
      // record is still served, which is what saves the query — and why the tables are the store's alone.
      db.prepare('DELETE FROM tessera_sessions').run();
      assert.equal(store.getSync!(r.id), first, `exclusive: ${exclusive}`);
      db.prepare(
        'INSERT INTO tessera_sessions (id, user_id, family, version, expires_at, body) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(r.id, r.userId, r.family, 1, r.absoluteExpiresAt, JSON.stringify(r));
      await store.touch(r.id, {
        lastSeenAt: r.lastSeenAt + 5,
        idleExpiresAt: r.idleExpiresAt + 5,
        lastIp: '192.0.2.7',
      });
      assert.equal(store.getSync!(r.id)?.device.lastIp, '192.0.2.7');
      const touched = store.getSync!(r.id)!;
      assert.equal(await store.update({ ...touched, data: 'v2', version: 2 }, 1), true);
      assert.equal(store.getSync!(r.id)?.data, 'v2');
      const next = sampleRecord({ family: r.family, version: 3 });
      assert.equal(await store.rotate(r.id, 2, next, sampleTombstone(r, 'rotated-renewal')), true);
      assert.equal(store.getSync!(r.id), null);
      assert.equal(store.getSync!(next.id)?.id, next.id);
      await store.delete(next.id, sampleTombstone(next, 'logout'));
      assert.equal(store.getSync!(next.id), null);
      const u = sampleRecord({ userId: 'carol' });
      await store.create(u);
      assert.ok(store.getSync!(u.id));
      await store.deleteByUser('carol', sampleTemplate('revoked-all'));
      assert.equal(store.getSync!(u.id), null);
      db.close();
    }
  });

  test('readCacheSize: 0 turns the read cache off; a bad size is refused', () => {
    const db = new Database(':memory:');
    const store = sqliteStore({ database: db, readCacheSize: 0 });
    const r = sampleRecord();
    void store.create(r);
    assert.ok(store.getSync!(r.id));
    db.prepare('DELETE FROM tessera_sessions').run();
    assert.equal(store.getSync!(r.id), null);
    assert.throws(
      () => sqliteStore({ database: new Database(':memory:'), readCacheSize: -1 }),
      /readCacheSize/,
    );
    db.close();
  });

  test('a table prefix with SQL in it is refused', () => {
    const db = new Database(':memory:');
    assert.throws(() => sqliteStore({ database: db, tablePrefix: 'x; DROP TABLE users; --' }), {
      code: 'CONFIG_INVALID',
      field: 'sqliteStore.tablePrefix',
    });
    db.close();
  });

  test('the database file never contains a usable token (nor its hex/base64 form); it holds the hashed ids', async () => {
    const path = dbPath();
    const db = new Database(path);
    const clock = new FrozenClock();
    const manager = new SessionManager({
      store: sqliteStore({ database: db }),
      keys: keys(),
      clock,
      creationRateLimit: false,
      renewalInterval: '1m',
      reuseGrace: '1s',
      logger: { warn: () => {} },
    });
    const tokens: string[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const anon = await manager.create(
        { ip: `198.51.100.${i}`, userAgent: 'Mozilla/5.0 Firefox/128.0' },
        { cart: [`sku-${i}`] },
      );
      tokens.push(anon.token);
      const user = await manager.login(anon.session, `user-${i % 7}`, {}, { ip: `198.51.100.${i}` });
      tokens.push(user.token);
      if (i % 3 === 0) {
        // Periodic renewal issues another token; its predecessor becomes a tombstone.
        clock.advance(61_000);
        const renewed = await manager.validate(user.token, { ip: `198.51.100.${i}` });
        assert.ok(renewed.ok && renewed.token);
        tokens.push(renewed.token);
        clock.advance(-61_000);
      }
      const live = tokens[tokens.length - 1]!;
      ids.push(sessionIdFromToken(live));
    }
    // Read the files while the database is open (the WAL still holds recent pages) and after close (checkpointed).
    const whileOpen = [readFileSync(path), readOptional(`${path}-wal`)];
    assert.ok(whileOpen[1]!.length > 0, 'the WAL file is in use');
    db.close();
    const bytes = Buffer.concat([...whileOpen, readFileSync(path), readOptional(`${path}-wal`)]);
    const text = bytes.toString('latin1');
    for (const token of tokens) {
      for (const form of tokenForms(token))
        assert.ok(!text.includes(form), 'a token form appears in the database file');
      assert.ok(
        bytes.indexOf(Buffer.from(token, 'base64url')) === -1,
        'raw token bytes appear in the database file',
      );
    }
    for (const id of ids) assert.ok(text.includes(id), 'each live session id (the hash) is stored');
    assert.ok(!text.includes('sku-'), 'session data is stored sealed, not in clear');
  });
});

function readOptional(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch {
    return Buffer.alloc(0);
  }
}
