/**
 * Back-channel logout across app servers that share a network store (Redis Cluster, PostgreSQL):
 * one node receives the provider's logout, the sessions another node issued, rotated and wrote to
 * end, and only those.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster } from 'ioredis';
import pg from 'pg';
import { SessionManager } from '../../src/engine/session-manager.ts';
import { backChannelLogout } from '../../src/oidc/index.ts';
import type { Store } from '../../src/store/types.ts';
import { postgresStore } from '../../src/stores/postgres.ts';
import { redisStore } from '../../src/stores/redis.ts';
import { FrozenClock, keys } from '../helpers/engine.ts';
import { serverSkip, startPostgres, startRedisCluster } from '../servers/index.ts';
import { CLIENT_ID, ISSUER, Provider } from './provider.ts';

let provider: Provider;
before(async () => {
  provider = await Provider.start();
});
after(() => provider.close());

async function scenario(store: () => Store) {
  const clock = new FrozenClock(Date.now());
  const node = () =>
    new SessionManager({
      store: store(),
      keys: keys(),
      clock,
      creationRateLimit: false,
      logger: { warn() {} },
    });
  const [a, b] = [node(), node()];
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
  assert.equal((await b.validate(rotated.token)).ok, false);
  assert.equal((await b.validate(sameSid.token)).ok, false);
  assert.equal((await b.validate(otherSid.token)).ok, true, 'another provider session lives');
  assert.equal((await b.validate(otherSub.token)).ok, true);

  const bySub = await receiver.handle(
    `logout_token=${await provider.logoutToken(nowS, { sid: undefined, sub: 'kc-user-1' })}`,
  );
  assert.equal(bySub.status, 200);
  assert.equal(bySub.revoked, 1);
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
