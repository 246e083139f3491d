/**
 * Back-channel logout across app servers that share a network store (Redis Cluster, Redis behind
 * the near-cache, PostgreSQL):
 * one node receives the provider's logout, the sessions another node issued, rotated and wrote to
 * end, and only those.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { backChannelLogout } from '../../src/oidc/index.ts';
import type { Store } from '../../src/store/types.ts';
import { nearCache } from '../../src/stores/near-cache.ts';
import { postgresStore } from '../../src/stores/postgres.ts';
import { redisInvalidation, redisStore } from '../../src/stores/redis.ts';
import { FrozenClock, keys } from '../helpers/engine.ts';
import { serverSkip, startPostgres, startRedis, startRedisCluster } from '../servers/index.ts';
import { CLIENT_ID, ISSUER, Provider } from './provider.ts';

let provider: Provider;
before(async () => {
  provider = await Provider.start();
});
after(() => provider.close());

/** `settle`: what a node's view needs before it must see the other node's revocations. */
async function scenario(store: () => Store | Promise<Store>, settle: () => Promise<void> = async () => {}) {
  const clock = new FrozenClock(Date.now());
  const node = async () =>
    new SessionManager({
      store: await store(),
      keys: keys(),
      clock,
      creationRateLimit: false,
      logger: { warn() {} },
    });
  const [a, b] = [await node(), await node()];
  const fed = (sid: string | null, sub = 'kc-user-1') => ({ federated: { iss: ISSUER, sub, sid } });
  const named = await b.login(null, 'alice', fed('S1'));
  const sameSid = await b.login(null, 'alice', fed('S1'));
  const otherSid = await b.login(null, 'alice', fed('S2'));
  const otherSub = await b.login(null, 'bob', fed(null, 'kc-user-2'));
  // The named session lives on: data written, then a privilege rotation (a new id).
  const v = await b.validate(named.token);
  assert.ok(v.ok);
  const written = await b.setData(v.session, { cart: 3 });
  const rotated = await b.rotate(written, { authLevel: 2 });

  const receiver = backChannelLogout(a, {
    issuer: ISSUER,
    audience: CLIENT_ID,
    jwks: provider.jwksUrl,
    jwksCooldown: 0,
  });
  const nowS = Math.floor(clock.now() / 1000);
  const bySid = await receiver.handle(`logout_token=${await provider.logoutToken(nowS, { sid: 'S1' })}`);
  assert.equal(bySid.status, 200);
  assert.equal(bySid.revoked, 2, 'the rotated session and the other one of sid S1');
  await settle();
  assert.equal((await b.validate(rotated.token)).ok, false);
  assert.equal((await b.validate(sameSid.token)).ok, false);
  assert.equal((await b.validate(otherSid.token)).ok, true, 'another provider session lives');
  assert.equal((await b.validate(otherSub.token)).ok, true);

  const bySub = await receiver.handle(
    `logout_token=${await provider.logoutToken(nowS, { sid: undefined, sub: 'kc-user-1' })}`,
  );
  assert.equal(bySub.status, 200);
  assert.equal(bySub.revoked, 1);
  await settle();
  assert.equal((await b.validate(otherSid.token)).ok, false);
  assert.equal((await b.validate(otherSub.token)).ok, true, 'another subject lives');
}

describe('back-channel logout over shared network stores', () => {
  const redisSkip = serverSkip('redis');
  test('Redis Cluster', { skip: redisSkip }, async () => {
    const servers = await startRedisCluster();
    const client = new Cluster([...servers.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
    try {
      await scenario(() => redisStore({ client, prefix: 'bcl:' }));
    } finally {
      client.disconnect();
      await servers.destroy();
    }
  });

  test('Redis behind the near-cache (optional methods pass through)', { skip: redisSkip }, async () => {
    const server = await startRedis();
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const subscribers: Redis[] = [];
    try {
      await scenario(
        async () => {
          const subscriber = client.duplicate();
          subscribers.push(subscriber);
          const cached = nearCache(redisStore({ client, prefix: 'bcl-nc:' }), {
            bus: redisInvalidation({ client, subscriber, channel: 'bcl-nc' }),
            ttlMs: 200,
          });
          await cached.start();
          return cached;
          // The other node's cache may serve a revoked session until the announcement arrives, and
          // never longer than ttlMs (the near-cache's documented bound).
        },
        () => new Promise((resolve) => setTimeout(resolve, 250)),
      );
    } finally {
      for (const s of subscribers) s.disconnect();
      client.disconnect();
      await server.destroy();
    }
  });

  const pgSkip = serverSkip('postgres');
  test('PostgreSQL', { skip: pgSkip }, async () => {
    const server = await startPostgres();
    const pool = new pg.Pool({ connectionString: server.url, connectionTimeoutMillis: 2000 }).on(
      'error',
      () => {},
    );
    try {
      await scenario(() => postgresStore({ pool, tablePrefix: 'bcl_' }));
    } finally {
      await pool.end();
      await server.destroy();
    }
  });
});
