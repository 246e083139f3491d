/** Detection stores (memory, SQLite, real PostgreSQL): newest first, filters, paging, acknowledgement that sticks once. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  type Detection,
  type DetectionStore,
  memoryDetectionStore,
  postgresDetectionStore,
  sqliteDetectionStore,
} from '../../src/monitor/detections.ts';
import { type PostgresServer, serverSkip, startPostgres } from '../servers/index.ts';

const detection = (over: Partial<Detection>): Detection => ({
  id: randomUUID(),
  rule: 'reuse',
  action: 'flag',
  severity: 'high',
  at: 1_000,
  sessionId: null,
  userId: null,
  ip: null,
  summary: 's',
  parties: [],
  details: {},
  acknowledged: null,
  ...over,
});

function suite(name: string, open: () => Promise<DetectionStore>) {
  describe(`detection store: ${name}`, () => {
    test('list: newest first, filtered by rule, user and acknowledgement, paged with before', async () => {
      const store = await open();
      const a = detection({ at: 1000, rule: 'reuse', userId: 'u1' });
      const b = detection({ at: 2000, rule: 'distant-networks', userId: 'u2' });
      const c = detection({ at: 3000, rule: 'reuse', userId: 'u1' });
      for (const d of [a, b, c]) await store.add(d);
      assert.deepEqual(
        (await store.list()).map((d) => d.id),
        [c.id, b.id, a.id],
      );
      assert.deepEqual(
        (await store.list({ rule: 'reuse' })).map((d) => d.id),
        [c.id, a.id],
      );
      assert.deepEqual(
        (await store.list({ userId: 'u2' })).map((d) => d.id),
        [b.id],
      );
      assert.deepEqual(
        (await store.list({ before: 3000, limit: 1 })).map((d) => d.id),
        [b.id],
      );
      assert.deepEqual(await store.get(b.id), b);
      assert.equal(await store.get(randomUUID()), null);
    });

    test('acknowledge: recorded once (a second admin does not overwrite the first), filters follow', async () => {
      const store = await open();
      const d = detection({});
      await store.add(d);
      const first = await store.acknowledge(d.id, 'admin-a', 'checked');
      assert.equal(first?.acknowledged?.by, 'admin-a');
      const second = await store.acknowledge(d.id, 'admin-b');
      assert.equal(second?.acknowledged?.by, 'admin-a');
      assert.equal((await store.list({ acknowledged: false })).length, 0);
      assert.equal((await store.list({ acknowledged: true }))[0]?.acknowledged?.note, 'checked');
      assert.equal(await store.acknowledge(randomUUID(), 'admin-a'), null);
    });
  });
}

suite('memory', async () => memoryDetectionStore());
suite('sqlite', async () => sqliteDetectionStore({ database: new Database(':memory:') }));

const skip = serverSkip('postgres');
if (skip) test('detection store: postgres', { skip }, () => {});
else {
  let started: Promise<{ server: PostgresServer; pool: pg.Pool }> | undefined;
  let n = 0;
  after(async () => {
    if (!started) return;
    const s = await started;
    await s.pool.end();
    await s.server.destroy();
  });
  suite('postgres', async () => {
    started ??= startPostgres().then((server) => ({
      server,
      pool: new pg.Pool({ connectionString: server.url, max: 4 }).on('error', () => {}),
    }));
    const { pool } = await started;
    return postgresDetectionStore({ pool, tablePrefix: `det${++n}_` });
  });
}
