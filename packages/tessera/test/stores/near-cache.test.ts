import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { nearCache } from '../../src/stores/near-cache.ts';
import { redisInvalidation, redisStore } from '../../src/stores/redis.ts';
import {
  defineStoreConformanceSuite,
  sampleRecord,
  sampleTemplate,
  sampleTombstone,
} from '../../src/testing/index.ts';
import { until } from '../helpers/until.ts';
import { type RedisServer, serverSkip, startRedis } from '../servers/index.ts';
import { revokeEvictsOnTheOther, touchAndUpdateReachTheOther } from './near-cache-scenarios.ts';

const skip = serverSkip('redis');

if (skip) {
  test('near-cache', { skip }, () => {});
} else {
  let server: RedisServer;
  const clients: Redis[] = [];
  const client = () => {
    const c = new Redis(server.url, { maxRetriesPerRequest: 1 });
    c.on('error', () => {});
    clients.push(c);
    return c;
  };
  let n = 0;
  before(async () => {
    server = await startRedis();
  });
  const caches: Array<{ close?: () => Promise<void> }> = [];
  after(async () => {
    for (const c of caches) await c.close?.();
    // quit (not disconnect): replies still on their way are read first, so nothing rejects later.
    await Promise.all(clients.map((c) => c.quit().catch(() => undefined)));
    await server.destroy();
  });

  /** Two "app servers": own connections, own caches, one Redis. */
  async function pair(ttlMs = 60_000, now?: () => number) {
    const prefix = `nc${++n}:`;
    const channel = `inv${n}`;
    const make = async () => {
      const c = client();
      const inner = redisStore({ client: c, prefix });
      const cached = nearCache(inner, { bus: redisInvalidation({ client: c, channel }), ttlMs, now });
      await cached.start();
      caches.push(cached);
      return { inner, cached, client: c };
    };
    return { a: await make(), b: await make() };
  }

  defineStoreConformanceSuite('near-cache over redis', async () => {
    const { a } = await pair();
    // Cut off the store's connection; the bus's own listener stays up (the cache stays on).
    return { store: a.cached, cutOff: async () => a.client.disconnect() };
  });

  describe('near-cache', () => {
    test('a revoke on one process evicts the record on the other (not the TTL: it is a minute)', async () => {
      const { a, b } = await pair();
      await revokeEvictsOnTheOther(a, b);
    });

    test('rotation, update, touch and revoke-all are announced too', async () => {
      const { a, b } = await pair();
      const r = sampleRecord({ userId: 'alice' });
      const other = sampleRecord({ userId: 'alice' });
      await a.cached.create(r);
      await a.cached.create(other);
      const warm = async () => {
        await b.cached.get(r.id);
        await b.cached.get(other.id);
      };
      await warm();
      await touchAndUpdateReachTheOther(a, b, r);
      await warm();
      const seen = b.cached.stats.invalidations;
      assert.equal((await a.cached.deleteByUser('alice', sampleTemplate())).length, 2);
      await until(() => b.cached.stats.invalidations >= seen + 2, 2000, 'revoke-all announcement');
      assert.equal(await b.cached.get(r.id), null);
      assert.equal(await b.cached.get(other.id), null);
    });

    test('no announcement at all: a record is never served longer than ttlMs after it was read', async () => {
      let t = 1_000_000;
      const { a, b } = await pair(500, () => t);
      const r = sampleRecord();
      await a.inner.create(r);
      assert.ok(await b.cached.get(r.id));
      await a.inner.delete(r.id, sampleTombstone(r)); // behind the cache's back: nothing announced
      t += 499;
      assert.ok(await b.cached.get(r.id), 'within the bound the stale copy may be served');
      t += 1;
      assert.equal(await b.cached.get(r.id), null, 'at the bound it is not');
    });

    test('the pub/sub connection drops: the cache turns itself off at once, and back on (empty) when it returns', async () => {
      const { a, b } = await pair();
      const r = sampleRecord();
      await a.inner.create(r);
      await b.cached.get(r.id);
      assert.equal(b.cached.cacheActive, true);
      // Kill every subscriber connection on the server (both processes' listeners).
      await a.client.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
      await until(() => !b.cached.cacheActive, 2000, 'the cache to turn off');
      // A revoke whose announcement cannot reach B: B asks Redis, so it rejects at once.
      await a.inner.delete(r.id, sampleTombstone(r));
      assert.equal(await b.cached.get(r.id), null);
      await until(() => b.cached.cacheActive, 5000, 'the cache to come back');
      const r2 = sampleRecord();
      await a.cached.create(r2);
      await b.cached.get(r2.id);
      const seen = b.cached.stats.invalidations;
      await a.cached.delete(r2.id, sampleTombstone(r2));
      await until(() => b.cached.stats.invalidations > seen, 2000, 'announcements after reconnecting');
      assert.equal(await b.cached.get(r2.id), null);
      assert.ok(b.cached.stats.disabledPeriods >= 1);
    });
  });
}
