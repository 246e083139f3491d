import { after, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import { redisStore } from '../../src/stores/redis.ts';
import { defineStoreConformanceSuite } from '../../src/testing/index.ts';
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
    const { client } = await single;
    // A fresh key space per case: a prefix of its own.
    return { store: redisStore({ client, prefix: `case${++n}:` }) };
  });

  defineStoreConformanceSuite('redis (3-master cluster)', async () => {
    cluster ??= startRedisCluster().then((servers) => ({
      servers,
      client: new Cluster([...servers.nodes], { redisOptions: { maxRetriesPerRequest: 1 } }),
    }));
    const { client } = await cluster;
    return { store: redisStore({ client, prefix: `case${++n}:` }) };
  });
}
