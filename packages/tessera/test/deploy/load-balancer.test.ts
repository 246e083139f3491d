/**
 * Many app servers behind a load balancer: three instances of the Express example sharing one
 * store (Redis, a 3-master Redis Cluster, then PostgreSQL) behind nginx round-robin on 127.0.0.1.
 * No sticky sessions.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Client } from '../adapters/helpers.ts';
import {
  type NginxServer,
  type PostgresServer,
  type RedisClusterServers,
  type RedisServer,
  type RunningProcess,
  serverSkip,
  startNginx,
  startNodeApp,
  startPostgres,
  startRedis,
  startRedisCluster,
} from '../servers/index.ts';

const app = fileURLToPath(new URL('../../../../examples/express/server.ts', import.meta.url));
const keys = `k1:${randomBytes(32).toString('base64')}`;

interface Cluster {
  nodes: RunningProcess[];
  lb: NginxServer;
}

async function startCluster(store: string): Promise<Cluster> {
  const env = { STORE: store, TESSERA_KEYS: keys, NODE_ENV: 'test' };
  const nodes = await Promise.all(
    [0, 1, 2].map(() => startNodeApp(app, env, /Tessera Express example on http:\/\/[^\s:]+:(\d+)/)),
  );
  const lb = await startNginx(nodes.map((n) => n.port));
  return { nodes, lb };
}

async function stopCluster(c: Cluster | undefined): Promise<void> {
  if (!c) return;
  await c.lb.destroy();
  await Promise.all(c.nodes.map((n) => n.stop()));
}

async function me(
  client: Client,
): Promise<{ status: number; upstream: string; userId?: string; ms: number }> {
  const start = performance.now();
  const res = await client.get('/me');
  const body = (await res.text()) || '{}';
  const ms = performance.now() - start;
  const json = res.headers.get('content-type')?.includes('json')
    ? (JSON.parse(body) as { userId?: string })
    : {};
  return { status: res.status, upstream: res.headers.get('x-upstream') ?? '', userId: json.userId, ms };
}

async function loggedIn(lb: NginxServer): Promise<Client> {
  const c = new Client(lb.url);
  const res = await c.login();
  assert.equal(res.status, 303, `login: ${res.status}`);
  assert.ok(c.token);
  return c;
}

/**
 * The whole story, for one store; `restart` stops and restarts its server (left out where the
 * test cannot restart it with its data: the throwaway Redis Cluster keeps no AOF).
 */
function scenario(
  name: string,
  c: () => Cluster,
  restart?: { stopStore: () => Promise<void>; startStore: () => Promise<void> },
) {
  test(`${name}: log in through one node, the session works through every node`, async () => {
    const browser = await loggedIn(c().lb);
    const seen = new Set<string>();
    for (let i = 0; i < 9; i++) {
      const r = await me(browser);
      assert.equal(r.status, 200);
      assert.equal(r.userId, 'alice');
      seen.add(r.upstream);
    }
    assert.equal(seen.size, 3, `served by ${[...seen]}`);
  });

  test(`${name}: sign out everywhere on one node ends the sessions on all of them`, async () => {
    const laptop = await loggedIn(c().lb);
    const phone = await loggedIn(c().lb);
    for (let i = 0; i < 3; i++) assert.equal((await me(phone)).status, 200);
    const csrf = await laptop.csrf('/account');
    const out = await laptop.post('/logout-everywhere', { _csrf: csrf });
    assert.equal(out.status, 303);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const r = await me(phone);
      assert.equal(r.status, 401, `phone via ${r.upstream}`);
      seen.add(r.upstream);
    }
    assert.equal(seen.size, 3, 'rejected by every node');
  });

  test(`${name}: kill a node mid-traffic; the others keep serving every session`, async () => {
    const browsers = await Promise.all([0, 1, 2, 3].map(() => loggedIn(c().lb)));
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let round = 0; round < 30; round++) {
        const rs = await Promise.all(browsers.map((b) => me(b)));
        for (const r of rs) statuses.push(r.status);
      }
    })();
    await new Promise((r) => setTimeout(r, 100));
    await c().nodes[0]!.kill();
    await traffic;
    assert.equal(statuses.length, 120);
    assert.deepEqual(
      statuses.filter((s) => s !== 200),
      [],
      'every request succeeded',
    );
  });

  if (!restart) return;
  const { stopStore, startStore } = restart;
  test(`${name}: store down → fast 503 (never a hang, never anonymous); back up → sessions intact`, async () => {
    const browser = await loggedIn(c().lb);
    assert.equal((await me(browser)).status, 200);
    await stopStore();
    const down: Array<{ status: number; ms: number }> = [];
    for (let i = 0; i < 6; i++) down.push(await me(browser));
    for (const r of down) assert.equal(r.status, 503, `while the store is down: ${JSON.stringify(down)}`);
    const worst = Math.max(...down.map((r) => r.ms));
    assert.ok(worst < 5000, `a 503 took ${worst} ms`);
    console.log(`# ${name}: 503 while the store is down, worst ${worst.toFixed(0)} ms`);
    await startStore();
    const deadline = Date.now() + 20_000;
    let r = await me(browser);
    while (r.status !== 200 && Date.now() < deadline) {
      assert.ok(r.status === 503, `while reconnecting: ${r.status}`);
      await new Promise((res) => setTimeout(res, 200));
      r = await me(browser);
    }
    assert.equal(r.status, 200, 'service resumed');
    assert.equal(r.userId, 'alice', 'the session survived the restart');
  });
}

const redisSkip = serverSkip('redis') || serverSkip('nginx');
describe('load balancer: 3 Express instances sharing Redis behind nginx', { skip: redisSkip }, () => {
  let redis: RedisServer | undefined;
  let cluster: Cluster | undefined;
  test('start Redis (AOF on), three app servers and nginx', async () => {
    redis = await startRedis({ appendonly: true });
    cluster = await startCluster(redis.url);
  });
  scenario('redis', () => cluster!, {
    // SIGKILL: a crash, not a clean shutdown; AOF with fsync on every write must keep every session.
    stopStore: () => redis!.stop('SIGKILL'),
    startStore: () => redis!.start(),
  });
  after(async () => {
    await stopCluster(cluster);
    await redis?.destroy();
  });
});

describe('load balancer: 3 Express instances sharing a 3-master Redis Cluster behind nginx', {
  skip: redisSkip,
}, () => {
  let servers: RedisClusterServers | undefined;
  let cluster: Cluster | undefined;
  test('start the Redis Cluster, three app servers and nginx', async () => {
    servers = await startRedisCluster();
    cluster = await startCluster(
      `redis+cluster://${servers.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`,
    );
  });
  scenario('redis cluster', () => cluster!);
  after(async () => {
    await stopCluster(cluster);
    await servers?.destroy();
  });
});

const pgSkip = serverSkip('postgres') || serverSkip('nginx');
describe('load balancer: 3 Express instances sharing PostgreSQL behind nginx', { skip: pgSkip }, () => {
  let postgres: PostgresServer | undefined;
  let cluster: Cluster | undefined;
  test('start PostgreSQL, three app servers and nginx', async () => {
    postgres = await startPostgres();
    cluster = await startCluster(postgres.url);
  });
  scenario('postgres', () => cluster!, {
    stopStore: () => postgres!.stop(),
    startStore: () => postgres!.start(),
  });
  after(async () => {
    await stopCluster(cluster);
    await postgres?.destroy();
  });
});
