/**
 * Revoke-to-rejection delay across two processes sharing one Redis (pub/sub invalidation) or one
 * PostgreSQL (LISTEN/NOTIFY invalidation), with the near-cache on both (and, for comparison,
 * without it): process A revokes a session; process B, which has the session in its cache and
 * keeps validating it, reports the moment it is first rejected. 1,000 revocations; p50 / p99 / max
 * of (B's rejection time − A's revoke start), on the same machine's clock.
 *
 *   npx tsx bench/stores/revoke-latency.ts [--n 1000] [--store redis|postgres]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createKeyRing } from '../../packages/tessera/src/crypto/keyring.ts';
import { createSessionManager } from '../../packages/tessera/src/engine/session-manager.ts';
import type { Store } from '../../packages/tessera/src/store/types.ts';
import { nearCache } from '../../packages/tessera/src/stores/near-cache.ts';
import { postgresInvalidation, postgresStore } from '../../packages/tessera/src/stores/postgres.ts';
import { redisInvalidation, redisStore } from '../../packages/tessera/src/stores/redis.ts';
import { startPostgres, startRedis } from '../../packages/tessera/test/servers/index.ts';

const CTX = {
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
};
const keys = createKeyRing([{ id: 'bench', key: Buffer.alloc(32, 7) }]);
const now = () => performance.timeOrigin + performance.now();

async function makeStore(url: string, cached: boolean): Promise<Store> {
  if (url.startsWith('postgres')) {
    const pool = new pg.Pool({ connectionString: url, max: 4 });
    pool.on('error', () => {}); // idle connections see the server stop at the end
    const store = postgresStore({ pool });
    await store.migrate();
    if (!cached) return store;
    const c = nearCache(store, { bus: postgresInvalidation({ pool, channel: 'bench_inv' }), ttlMs: 5000 });
    await c.start();
    return c;
  }
  const client = new Redis(url);
  const store = redisStore({ client });
  if (!cached) return store;
  const c = nearCache(store, { bus: redisInvalidation({ client, channel: 'bench:inv' }), ttlMs: 5000 });
  await c.start();
  return c;
}

type Msg = { tokens: string[]; cached: boolean; url: string } | { watch: number } | { done: true };

if (process.argv[2] === 'child') {
  // Process B: validates; reports when a watched session is first rejected.
  let manager: ReturnType<typeof createSessionManager>;
  let tokens: string[] = [];
  let stats: () => unknown = () => null;
  process.on('message', async (m: Msg) => {
    if ('tokens' in m) {
      const store = await makeStore(m.url, m.cached);
      stats = () => ('stats' in store ? (store as { stats: unknown }).stats : null);
      manager = createSessionManager({ store, keys, creationRateLimit: false, loginRateLimit: false });
      tokens = m.tokens;
      for (const t of tokens) if (!(await manager.validate(t, CTX)).ok) throw new Error('not valid');
      process.send!({ ready: true });
    } else if ('watch' in m) {
      const token = tokens[m.watch]!;
      let first = true;
      for (;;) {
        const r = await manager.validate(token, CTX);
        if (!r.ok) {
          process.send!({ rejectedAt: now() });
          break;
        }
        if (first) {
          first = false;
          process.send!({ watching: true });
        }
        await new Promise((res) => setImmediate(res));
      }
    } else {
      process.send!({ stats: stats() });
      setTimeout(() => process.exit(0), 50);
    }
  });
} else {
  const arg = (name: string) =>
    process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined;
  const n = Number(arg('--n') ?? 1000) || 1000;
  const kind = arg('--store') ?? 'redis';
  const server = kind === 'postgres' ? await startPostgres() : await startRedis();
  const results: Record<string, unknown> = {};
  for (const cached of [true, false]) {
    const store = await makeStore(server.url, cached);
    const manager = createSessionManager({ store, keys, creationRateLimit: false, loginRateLimit: false });
    const sessions: Array<{ id: string; token: string }> = [];
    for (let i = 0; i < n; i++) {
      const issued = await manager.create(CTX);
      const logged = await manager.login(issued.session, `user-${i}`, {}, CTX);
      sessions.push({ id: logged.session.id, token: logged.token });
    }
    const child = fork(fileURLToPath(import.meta.url), ['child'], { execArgv: ['--import', 'tsx'] });
    const next = () => new Promise<Record<string, unknown>>((res) => child.once('message', res));
    child.send({ tokens: sessions.map((s) => s.token), cached, url: server.url });
    await next();
    const delays: number[] = [];
    for (let i = 0; i < n; i++) {
      child.send({ watch: i });
      await next(); // B is validating it (from its cache, when on)
      const started = now();
      const rejected = next();
      await manager.revoke(sessions[i]!.id);
      const { rejectedAt } = (await rejected) as { rejectedAt: number };
      delays.push(rejectedAt - started);
    }
    child.send({ done: true });
    const { stats } = await next();
    delays.sort((a, b) => a - b);
    const q = (p: number) => delays[Math.min(delays.length - 1, Math.floor((p / 100) * delays.length))]!;
    const label = cached
      ? `${kind} near-cache (${kind === 'postgres' ? 'LISTEN/NOTIFY' : 'pub/sub'} invalidation)`
      : `${kind}, no cache (every request reads the store)`;
    console.log(
      `${label}: revoke-to-rejection over ${n} revocations: p50 ${q(50).toFixed(2)} ms, p99 ${q(99).toFixed(2)} ms, max ${delays.at(-1)!.toFixed(2)} ms; B's cache ${JSON.stringify(stats)}`,
    );
    results[label] = { p50: q(50), p99: q(99), max: delays.at(-1), stats };
  }
  await server.destroy();
  console.log(JSON.stringify(results));
  process.exit(0);
}
