/**
 * The near-cache over PostgreSQL LISTEN/NOTIFY: two "app servers" (two pools, two caches) on one
 * real throwaway PostgreSQL. The listener's backend is killed (`pg_terminate_backend`) and frozen
 * (SIGSTOP: a connection that dies without a word) to show the cache turns itself off.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { isTesseraError } from '../../src/errors.ts';
import { nearCache } from '../../src/stores/near-cache.ts';
import { postgresInvalidation, postgresStore } from '../../src/stores/postgres.ts';
import {
  defineStoreConformanceSuite,
  sampleRecord,
  sampleTemplate,
  sampleTombstone,
} from '../../src/testing/index.ts';
import { until } from '../helpers/until.ts';
import { type PostgresServer, serverSkip, startPostgres } from '../servers/index.ts';
import { revokeEvictsOnTheOther, touchAndUpdateReachTheOther } from './near-cache-scenarios.ts';

const skip = serverSkip('postgres');

if (skip) {
  test('near-cache over postgres', { skip }, () => {});
} else {
  let server: PostgresServer;
  let admin: pg.Pool;
  const pools: pg.Pool[] = [];
  const newPool = (max = 6) => {
    const p = new pg.Pool({ connectionString: server.url, max, connectionTimeoutMillis: 2000 });
    p.on('error', () => {});
    pools.push(p);
    return p;
  };
  const caches: Array<{ close?: () => Promise<void> }> = [];
  let n = 0;
  before(async () => {
    server = await startPostgres();
    admin = new pg.Pool({ connectionString: server.url, max: 2 });
    admin.on('error', () => {});
  });
  after(async () => {
    for (const c of caches) await c.close?.().catch(() => undefined);
    await Promise.all(pools.map((p) => p.end().catch(() => undefined)));
    await admin.end();
    await server.destroy();
  });

  /** Two "app servers": own pools, own caches, one PostgreSQL, one channel. */
  async function pair(ttlMs = 60_000, busOptions: { heartbeatMs?: number; timeoutMs?: number } = {}) {
    const prefix = `ncp${++n}_`;
    const channel = `inv${n}`;
    const make = async () => {
      const pool = newPool();
      const inner = postgresStore({ pool, tablePrefix: prefix });
      await inner.migrate();
      const cached = nearCache(inner, {
        bus: postgresInvalidation({ pool, channel, retryMs: 50, ...busOptions }),
        ttlMs,
      });
      await cached.start();
      caches.push(cached);
      return { inner, cached, pool };
    };
    const a = await make();
    return { a, b: await make(), channel };
  }
  /** Backend pids of the listeners on `channel` (the bus names its connection). */
  const listeners = async () =>
    (
      await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE application_name = 'tessera-invalidation'`,
      )
    ).rows.map((r) => r.pid);

  defineStoreConformanceSuite('near-cache over postgres', async () => {
    const prefix = `ncc${++n}_`;
    // The store's pool is cut off; the bus listens on a pool of its own (the cache stays on).
    const pool = newPool();
    const busPool = newPool(2);
    const cached = nearCache(postgresStore({ pool, tablePrefix: prefix }), {
      bus: postgresInvalidation({ pool: busPool, channel: `c${n}` }),
    });
    await cached.start();
    let ended = false;
    const end = async () => {
      if (!ended) {
        ended = true;
        await pool.end();
      }
    };
    return {
      store: cached,
      cutOff: end,
      teardown: async () => {
        await cached.close?.();
        await end();
      },
    };
  });

  describe('near-cache over postgres', () => {
    test('a revoke on one process evicts the record on the other (not the TTL: it is a minute)', async () => {
      const { a, b } = await pair();
      await revokeEvictsOnTheOther(a, b);
    });

    test('rotation, update, touch and revoke-all are announced too; a long revoke-all is split into several notifications', async () => {
      const { a, b } = await pair();
      const r = sampleRecord({ userId: 'alice' });
      await a.cached.create(r);
      await b.cached.get(r.id);
      await touchAndUpdateReachTheOther(a, b, r);
      let seen = b.cached.stats.invalidations;
      const next = sampleRecord({ userId: 'alice', family: r.family, version: 3 });
      assert.equal(await a.cached.rotate(r.id, 2, next, sampleTombstone(r, 'rotated-renewal')), true);
      await until(() => b.cached.stats.invalidations > seen, 2000, 'rotate notification');
      assert.equal(await b.cached.get(r.id), null);
      // 400 sessions of one user: 400 × 44 bytes is more than one NOTIFY payload may carry.
      const many = Array.from({ length: 400 }, () => sampleRecord({ userId: 'bob' }));
      for (const m of many) await a.inner.create(m);
      for (const m of many) await b.cached.get(m.id);
      seen = b.cached.stats.invalidations;
      assert.equal((await a.cached.deleteByUser('bob', sampleTemplate())).length, 400);
      await until(() => b.cached.stats.invalidations >= seen + 400, 2000, 'every revoked id');
      for (const m of many) assert.equal(await b.cached.get(m.id), null);
    });

    test('the listener backend is terminated (pg_terminate_backend): the cache turns off at once, never serves what it missed, and comes back (empty)', async () => {
      const { a, b } = await pair();
      const r = sampleRecord();
      await a.inner.create(r);
      await b.cached.get(r.id);
      assert.equal(b.cached.cacheActive, true);
      const before = await listeners();
      assert.ok(before.length >= 2, `listeners: ${before}`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) pid', [before]);
      await until(() => !b.cached.cacheActive, 2000, 'the cache to turn off');
      // A revoke whose notification can reach nobody (A's listener is gone too): B asks PostgreSQL.
      await a.inner.delete(r.id, sampleTombstone(r));
      assert.equal(await b.cached.get(r.id), null);
      await until(() => b.cached.cacheActive, 5000, 'the cache to come back');
      assert.ok(
        (await listeners()).every((pid) => !before.includes(pid)),
        'new listener connections',
      );
      const r2 = sampleRecord();
      await a.cached.create(r2);
      await b.cached.get(r2.id);
      const seen = b.cached.stats.invalidations;
      await a.cached.delete(r2.id, sampleTombstone(r2));
      await until(() => b.cached.stats.invalidations > seen, 2000, 'notifications after reconnecting');
      assert.equal(await b.cached.get(r2.id), null);
      assert.ok(b.cached.stats.disabledPeriods >= 1);
    });

    test('the listener backend freezes without a word (SIGSTOP): the missed heartbeat turns the cache off', async (t) => {
      if (process.getuid?.() !== 0) return t.skip('needs root to signal the postgres backend');
      const { a, b } = await pair(60_000, { heartbeatMs: 100, timeoutMs: 200 });
      const r = sampleRecord();
      await a.inner.create(r);
      await b.cached.get(r.id);
      const pids = await listeners();
      for (const pid of pids) process.kill(pid, 'SIGSTOP');
      try {
        const frozenAt = Date.now();
        await until(() => !b.cached.cacheActive, 2000, 'the cache to turn off');
        assert.ok(Date.now() - frozenAt < 1000, `took ${Date.now() - frozenAt} ms`);
        // Behind its back: no notification can be delivered to a frozen listener.
        await a.inner.delete(r.id, sampleTombstone(r));
        assert.equal(await b.cached.get(r.id), null);
      } finally {
        for (const pid of pids) process.kill(pid, 'SIGCONT');
      }
      await until(() => b.cached.cacheActive, 5000, 'the cache to come back');
    });

    test('PostgreSQL down: the cache is off and reads fail closed (STORE_UNAVAILABLE); back up: it resumes', async () => {
      const { a, b } = await pair(60_000, { heartbeatMs: 100, timeoutMs: 300 });
      const r = sampleRecord();
      await a.cached.create(r);
      await b.cached.get(r.id);
      await server.stop();
      try {
        await until(() => !b.cached.cacheActive, 2000, 'the cache to turn off');
        await assert.rejects(b.cached.get(r.id), (err: unknown) => isTesseraError(err, 'STORE_UNAVAILABLE'));
      } finally {
        await server.start();
      }
      await until(() => b.cached.cacheActive, 10_000, 'the cache to come back');
      assert.equal((await b.cached.get(r.id))?.id, r.id);
      // Every pool lost its connections: the other tests' pools reconnect on demand.
    });
  });
}
