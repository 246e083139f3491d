import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { isTesseraError } from '../../src/errors.ts';
import { redisStore } from '../../src/stores/redis.ts';
import {
  defineStoreConformanceSuite,
  sampleRecord,
  sampleTemplate,
  sampleTombstone,
} from '../../src/testing/index.ts';
import {
  type RedisClusterServers,
  type RedisServer,
  serverSkip,
  startRedis,
  startRedisCluster,
} from '../servers/index.ts';

const skip = serverSkip('redis');

if (skip) {
  test('redis store conformance', { skip }, () => {});
} else {
  let single: Promise<{ server: RedisServer; client: Redis }> | undefined;
  let cluster: Promise<{ servers: RedisClusterServers; client: Cluster }> | undefined;
  let n = 0;

  after(async () => {
    if (single) {
      const s = await single;
      s.client.disconnect();
      await s.server.destroy();
    }
    if (cluster) {
      const c = await cluster;
      c.client.disconnect();
      await c.servers.destroy();
    }
  });

  defineStoreConformanceSuite('redis (single server)', async () => {
    single ??= startRedis().then((server) => ({
      server,
      client: new Redis(server.url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 }),
    }));
    const { server } = await single;
    // A fresh key space per case (a prefix of its own) and a connection of its own, to cut off.
    const client = new Redis(server.url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 });
    return {
      store: redisStore({ client, prefix: `case${++n}:` }),
      cutOff: async () => client.disconnect(),
      teardown: async () => {
        if (client.status !== 'end') await client.quit().catch(() => undefined);
      },
    };
  });

  defineStoreConformanceSuite('redis (3-master cluster)', async () => {
    cluster ??= startRedisCluster().then((servers) => ({
      servers,
      client: new Cluster([...servers.nodes], { redisOptions: { maxRetriesPerRequest: 1 } }),
    }));
    const { servers } = await cluster;
    // A Cluster client of its own per case, to cut off.
    const client = new Cluster([...servers.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    return {
      store: redisStore({ client, prefix: `case${++n}:` }),
      cutOff: async () => client.disconnect(),
      teardown: async () => client.disconnect(),
    };
  });

  const getSingle = () => {
    single ??= startRedis().then((server) => ({
      server,
      client: new Redis(server.url, { enableOfflineQueue: true, maxRetriesPerRequest: 1 }),
    }));
    return single;
  };

  describe('redis store specifics', () => {
    test('a record expires with the nearer deadline; a touch moves it; a tombstone with its own', async () => {
      const { client } = await getSingle();
      const store = redisStore({ client, prefix: `ttl${++n}:`, expiryGraceMs: 1000 });
      const now = Date.now();
      const r = sampleRecord({ idleExpiresAt: now + 60_000, absoluteExpiresAt: now + 3_600_000 });
      await store.create(r);
      const key = `ttl${n}:{${r.id}}`;
      assert.equal(await client.pexpiretime(key), r.idleExpiresAt + 1000, 'idle is nearer');
      await store.touch(r.id, { lastSeenAt: now, idleExpiresAt: now + 7_200_000, lastIp: null });
      assert.equal(await client.pexpiretime(key), r.absoluteExpiresAt + 1000, 'now the absolute is nearer');
      const t = sampleTombstone(r, 'logout', { expiresAt: now + 90_000 });
      await store.delete(r.id, t);
      assert.equal(await client.exists(key), 0);
      assert.equal(await client.pexpiretime(`ttl${n}:{${r.id}}:t`), t.expiresAt + 1000);
    });

    test('a record past its deadline is gone, and the per-user index forgets it and expired members', async () => {
      const { client } = await getSingle();
      const store = redisStore({ client, prefix: `idx${++n}:`, expiryGraceMs: 0 });
      const now = Date.now();
      const live = sampleRecord({ userId: 'alice' });
      const idled = sampleRecord({ userId: 'alice', idleExpiresAt: now + 150 });
      const absolute = sampleRecord({
        userId: 'alice',
        idleExpiresAt: now + 150,
        absoluteExpiresAt: now + 150,
      });
      for (const r of [live, idled, absolute]) await store.create(r);
      assert.equal(await client.zcard(`idx${n}:u:alice`), 3);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(await store.get(idled.id), null, 'Redis dropped it by TTL');
      assert.deepEqual(
        (await store.listByUser('alice')).map((r) => r.id),
        [live.id],
      );
      assert.deepEqual(await client.zrange(`idx${n}:u:alice`, '0', '-1'), [live.id], 'index cleaned');
      assert.deepEqual(await store.deleteByUser('alice', sampleTemplate()), [live.id]);
      assert.equal(await client.exists(`idx${n}:u:alice`), 0, 'an empty index is removed');
    });

    test('federated index: one entry per live version, whatever the number of writes; stale entries pruned on read, pending ones kept', async () => {
      const { client } = await getSingle();
      const prefix = `fed${++n}:`;
      const store = redisStore({ client, prefix });
      const iss = 'https://idp.example/realms/a:b{c}';
      const sidKey = `${prefix}x:sid:${encodeURIComponent(iss)}:S1`;
      const subKey = `${prefix}x:sub:${encodeURIComponent(iss)}:alice`;
      const fed = { iss, sub: 'alice', sid: 'S1' };
      let cur = sampleRecord({ federated: fed });
      await store.create(cur);
      for (let v = 1; v <= 40; v++) {
        const next = { ...cur, data: `update-${v}`, version: v + 1 };
        assert.equal(await store.update(next, v), true);
        cur = next;
      }
      const rotated = { ...cur, id: sampleRecord().id, version: cur.version + 1 };
      assert.equal(
        await store.rotate(cur.id, cur.version, rotated, sampleTombstone(cur, 'rotated-renewal')),
        true,
      );
      // O(sessions named): 41 writes and a rotation left one entry, for the live version only.
      assert.deepEqual(await client.zrange(sidKey, '0', '-1'), [`${rotated.id}:${rotated.version}`]);
      assert.deepEqual(await client.zrange(subKey, '0', '-1'), [`${rotated.id}:${rotated.version}`]);

      // Entries a failed clean-up (or a lost race) could leave: a gone record, a left version, a
      // version whose winner wrote another identity. And one for a write still under way.
      const other = sampleRecord({ federated: { iss, sub: 'bob', sid: 'S2' } });
      await store.create(other);
      const stale = [`${cur.id}:${cur.version}`, `${rotated.id}:1`, `${other.id}:${other.version}`];
      const pending = `${rotated.id}:${rotated.version + 1}`;
      for (const m of [...stale, pending]) await client.zadd(sidKey, String(rotated.absoluteExpiresAt), m);
      const found = await store.listByFederated!(iss, { sid: 'S1' });
      assert.deepEqual(
        found.map((r) => r.id),
        [rotated.id],
        'each record once, only if it names the pair',
      );
      assert.deepEqual(
        (await client.zrange(sidKey, '0', '-1')).sort(),
        [`${rotated.id}:${rotated.version}`, pending].sort(),
        'stale entries pruned, the pending one kept',
      );
      // Deletes clear the live entries (sid and sub alike).
      await store.delete(rotated.id, sampleTombstone(rotated));
      assert.deepEqual(await client.zrange(subKey, '0', '-1'), []);
      assert.deepEqual(await client.zrange(sidKey, '0', '-1'), [pending]);
      assert.deepEqual(await store.listByFederated!(iss, { sid: 'S1' }), []);
      assert.equal(await client.zcard(sidKey), 0, 'an entry for a gone record is pruned on read');
    });

    test('a record written before the federated index (no o field) is indexed from its next write', async () => {
      const { client } = await getSingle();
      const prefix = `legacy${++n}:`;
      const store = redisStore({ client, prefix });
      const iss = 'https://idp.example';
      const r = sampleRecord({ federated: { iss, sub: 'alice', sid: 'S1' } });
      await store.create(r);
      // As an older Tessera left it: the record, no federated field, no index entries.
      await client.hdel(`${prefix}{${r.id}}`, 'o');
      await client.del(
        `${prefix}x:sid:${encodeURIComponent(iss)}:S1`,
        `${prefix}x:sub:${encodeURIComponent(iss)}:alice`,
      );
      assert.deepEqual(await store.listByFederated!(iss, { sid: 'S1' }), []);
      assert.equal(await store.update({ ...r, version: 2 }, 1), true);
      assert.deepEqual(
        (await store.listByFederated!(iss, { sid: 'S1' })).map((x) => x.id),
        [r.id],
      );
      assert.equal(await store.delete(r.id, sampleTombstone(r)), true);
      assert.deepEqual(await store.listByFederated!(iss, { sub: 'alice' }), []);
      assert.equal(await client.exists(`${prefix}x:sub:${encodeURIComponent(iss)}:alice`), 0);
    });

    test('keys: a record, its user index; a family index only once the family has a rotated member', async () => {
      const { client } = await getSingle();
      const store = redisStore({ client, prefix: `keys${++n}:` });
      const r = sampleRecord();
      await store.create(r);
      const keys = async () => (await client.keys(`keys${n}:*`)).sort();
      assert.deepEqual(await keys(), [`keys${n}:u:user-1`, `keys${n}:{${r.id}}`].sort());
      const next = sampleRecord({ family: r.family, version: 2 });
      assert.equal(await store.rotate(r.id, 1, next, sampleTombstone(r, 'rotated-renewal')), true);
      assert.deepEqual(
        await keys(),
        [
          `keys${n}:f:${r.family}`,
          `keys${n}:u:user-1`,
          `keys${n}:{${next.id}}`,
          `keys${n}:{${r.id}}:t`,
        ].sort(),
      );
    });

    test('Redis down: every operation rejects within timeoutMs (never hangs), whatever the client retries', async () => {
      const server = await startRedis();
      // The most patient client there is: offline queue on, unlimited retries.
      const client = new Redis(server.url, { maxRetriesPerRequest: null, enableOfflineQueue: true });
      client.on('error', () => {});
      const store = redisStore({ client, timeoutMs: 300 });
      const r = sampleRecord();
      await store.create(r);
      await server.destroy();
      const ops: Array<[string, () => Promise<unknown>]> = [
        ['get', () => store.get(r.id)],
        ['create', () => store.create(sampleRecord())],
        ['update', () => store.update({ ...r, version: 2 }, 1)],
        ['touch', () => store.touch(r.id, { lastSeenAt: 1, idleExpiresAt: Date.now() + 1000, lastIp: null })],
        ['delete', () => store.delete(r.id, sampleTombstone(r))],
        ['deleteByUser', () => store.deleteByUser('user-1', sampleTemplate())],
        ['listByFederated', () => store.listByFederated!('https://idp.example', { sid: 'S1' })],
      ];
      for (const [name, op] of ops) {
        const start = Date.now();
        await assert.rejects(op(), (err: unknown) => {
          assert.ok(isTesseraError(err, 'STORE_UNAVAILABLE'), `${name}: ${String(err)}`);
          assert.match(String((err as Error).cause), /did not complete|Connection|ECONNREFUSED|closed/);
          return true;
        });
        assert.ok(Date.now() - start < 1500, `${name} took ${Date.now() - start} ms`);
      }
      client.disconnect();
    });

    test('Cluster: records spread over all three masters; a record and its tombstone share a slot', async () => {
      cluster ??= startRedisCluster().then((servers) => ({
        servers,
        client: new Cluster([...servers.nodes], { redisOptions: { maxRetriesPerRequest: 1 } }),
      }));
      const { client } = await cluster;
      const store = redisStore({ client, prefix: `spread${++n}:` });
      const records = Array.from({ length: 60 }, () => sampleRecord({ userId: 'alice' }));
      for (const r of records) await store.create(r);
      const perNode = await Promise.all(client.nodes('master').map((node) => node.dbsize()));
      assert.equal(perNode.filter((c) => c > 0).length, 3, `keys per master: ${perNode}`);
      const slot = (await client.cluster('KEYSLOT', `spread${n}:{${records[0]!.id}}`)) as number;
      assert.equal(await client.cluster('KEYSLOT', `spread${n}:{${records[0]!.id}}:t`), slot);
      assert.equal((await store.deleteByUser('alice', sampleTemplate())).length, 60);
      assert.deepEqual(await store.listByUser('alice'), []);
    });

    test('search/countLive: only this store’s live records (prefixes with glob characters, tombstones and indexes never count); scanLimit caps the reads', async () => {
      const { client } = await getSingle();
      const now = Date.now();
      // `g*:` would match `gx:` keys if the prefix were not escaped in the SCAN pattern.
      const glob = redisStore({ client, prefix: `g*${++n}:` });
      const other = redisStore({ client, prefix: `gx${n}:` });
      const nested = redisStore({ client, prefix: `g*${n}:more:` });
      const mine = [sampleRecord({ userId: 'carol' }), sampleRecord({ userId: null, authenticatedAt: null })];
      for (const r of mine) await glob.create(r);
      await other.create(sampleRecord({ userId: 'carol' }));
      await nested.create(sampleRecord({ userId: 'carol' }));
      const gone = sampleRecord({ userId: 'carol' });
      await glob.create(gone);
      await glob.delete(gone.id, sampleTombstone(gone, 'logout'));
      assert.deepEqual(await glob.countLive!(now), { live: 2, authenticated: 1 });
      assert.deepEqual(
        (await glob.search!({ now, limit: 10, text: 'carol' })).map((r) => r.id),
        [mine[0]!.id],
      );
      // A cap smaller than the key space: never more records read than the cap.
      const many = redisStore({ client, prefix: `cap${++n}:`, scanLimit: 5 });
      for (let i = 0; i < 40; i++) await many.create(sampleRecord({ userId: `u${i}` }));
      const counted = await many.countLive!(now);
      assert.ok(counted.live >= 1 && counted.live <= 5, `read ${counted.live} records with scanLimit 5`);
      assert.ok((await many.search!({ now, limit: 100 })).length <= 5);
      assert.deepEqual(await redisStore({ client, prefix: `cap${n}:` }).countLive!(now), {
        live: 40,
        authenticated: 40,
      });
      assert.throws(() => redisStore({ client, scanLimit: 0 }), /scanLimit/);
    });
  });
}
