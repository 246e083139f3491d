/**
 * Expiry under traffic: how long can removing 1,000,000 expired sessions make a request wait?
 *
 * PostgreSQL: BENCH_EXPIRE rows (default 1,000,000) whose deadlines passed within the last hour are
 * swept while one client validates 1,000 hot sessions back to back through the engine. Twice, on
 * the same server and the same fill: the previous sweep (one statement of 1,000 rows per call, back
 * to back) and the store's sweep as it is now (`sweep(now, 500)` calls, each in statements of
 * `sweepChunk` rows with `sweepPauseMs` between them). Reported: every sweep statement's duration
 * (what one statement holds), and the requests' worst latency, p99.9 and p99 during the sweep
 * against the same traffic with nothing to sweep.
 *
 * Redis: BENCH_EXPIRE sessions reaching their deadline at the same moment, expired by Redis's own
 * TTL cycle while the same traffic runs; with the default `hz 10` and with `hz 100` (Redis bounds
 * one slow expire cycle to 25 % of a tick: 25 ms at hz 10, 2.5 ms at hz 100).
 *
 *   npx tsx bench/stores/sweep-pause.ts                      # both, 1,000,000 each
 *   BENCH_STORES=postgres BENCH_EXPIRE=200000 npx tsx bench/stores/sweep-pause.ts
 */
import { loadavg } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createSessionManager,
  type SessionManager,
} from '../../packages/tessera/src/engine/session-manager.ts';
import { postgresStore } from '../../packages/tessera/src/stores/postgres.ts';
import { redisStore } from '../../packages/tessera/src/stores/redis.ts';
import { sampleRecord } from '../../packages/tessera/src/testing/index.ts';
import { startPostgres, startRedis } from '../../packages/tessera/test/servers/index.ts';
import { CTX, f, hotTokens, keys, pct } from './common.ts';

const EXPIRE = Number(process.env.BENCH_EXPIRE ?? 1_000_000);
const STORES = (process.env.BENCH_STORES ?? 'postgres,redis').split(',');
const maxOf = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');

interface Traffic {
  worst: number;
  p999: number;
  p99: number;
  p50: number;
  n: number;
}

/** Validates back to back (one at a time) while `work` runs; the latencies seen. */
async function trafficDuring(
  manager: SessionManager,
  tokens: string[],
  work: () => Promise<void>,
): Promise<Traffic> {
  const lat: number[] = [];
  let stop = false;
  const traffic = (async () => {
    let i = 0;
    while (!stop) {
      const start = performance.now();
      const r = await manager.validate(tokens[i++ % tokens.length]!, CTX);
      lat.push(performance.now() - start);
      if (!r.ok) throw new Error(`validate failed: ${r.reason}`);
    }
  })();
  await work();
  stop = true;
  await traffic;
  return {
    worst: lat.reduce((a, b) => Math.max(a, b), 0),
    p999: pct(lat, 99.9),
    p99: pct(lat, 99),
    p50: pct(lat, 50),
    n: lat.length,
  };
}
const show = (t: Traffic) =>
  `worst ${f(t.worst)} ms, p99.9 ${f(t.p999)} ms, p99 ${f(t.p99)} ms, p50 ${f(t.p50, 3)} ms (${t.n} requests)`;
const idle = (ms: number) => () => new Promise<void>((r) => setTimeout(r, ms));

const results: Record<string, unknown> = { loadBefore: load() };

if (STORES.includes('postgres')) {
  console.log(`\n== postgres: sweeping ${EXPIRE} expired rows under traffic (load ${load()})`);
  const server = await startPostgres();
  const pool = new pg.Pool({ connectionString: server.url, max: 8 });
  pool.on('error', () => {});
  // Time every sweep statement the store sends (the store only calls pool.query and pool.connect).
  const statements: number[] = [];
  const timed = new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (config: { name?: string }, ...rest: unknown[]) => {
        const start = performance.now();
        const p = (target.query as (...a: unknown[]) => Promise<unknown>)(config, ...rest);
        if (typeof config === 'object' && config.name?.includes('sweep'))
          void p.finally(() => statements.push(performance.now() - start)).catch(() => undefined);
        return p;
      };
    },
  });
  const store = postgresStore({ pool: timed });
  await store.migrate();
  const manager = createSessionManager({ store, keys, creationRateLimit: false, loginRateLimit: false });
  const tokens = await hotTokens(manager);
  const template = sampleRecord({ userId: 'filler' });
  const fillExpired = async () => {
    const start = performance.now();
    const now = Date.now();
    for (let done = 0; done < EXPIRE; done += 100_000) {
      // Deadlines spread over the last hour (distinct values, as real sessions have).
      await pool.query(
        `INSERT INTO tessera_sessions (id, user_id, family, version, absolute_expires_at, idle_expires_at, last_seen_at, last_ip, expires_at, body)
         SELECT md5(random()::text || g), 'filler-' || (g % 200000), md5(g::text), 1, e, e, e - 1800000, '203.0.113.9', e,
           replace($3, $4, md5(random()::text || g))
         FROM (SELECT g, ($1::bigint - (random() * 3600000)::bigint) AS e FROM generate_series(1, $2) g) s`,
        [String(now - 1000), Math.min(100_000, EXPIRE - done), JSON.stringify(template), template.id],
      );
    }
    await pool.query('VACUUM ANALYZE tessera_sessions');
    await pool.query('CHECKPOINT');
    console.log(`  filled ${EXPIRE} expired rows in ${f((performance.now() - start) / 1000, 1)} s`);
  };

  // 1. The previous sweep: one statement of 1,000 rows per call, calls back to back.
  await fillExpired();
  const baseline1 = await trafficDuring(manager, tokens, idle(3000));
  statements.length = 0;
  let t0 = performance.now();
  const legacy = await trafficDuring(manager, tokens, async () => {
    for (;;) {
      const start = performance.now();
      const res = await pool.query<{ n: number }>(
        `WITH victims AS (
           SELECT id FROM tessera_sessions WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), d AS (DELETE FROM tessera_sessions x USING victims WHERE x.id = victims.id RETURNING 1)
         SELECT count(*)::int AS n FROM d`,
        [String(Date.now()), 1000],
      );
      statements.push(performance.now() - start);
      if ((res.rows[0]?.n ?? 0) < 1000) break;
    }
  });
  const legacyStatements = [...statements];
  const legacySeconds = (performance.now() - t0) / 1000;
  console.log(
    `  previous sweep (1,000-row statements back to back), ${f(legacySeconds, 1)} s, ${legacyStatements.length} statements: ` +
      `slowest statement ${f(maxOf(legacyStatements))} ms, p50 ${f(pct(legacyStatements, 50))} ms`,
  );
  console.log(`    requests meanwhile: ${show(legacy)}`);
  console.log(`    nothing to sweep:   ${show(baseline1)}`);

  // 2. The store's sweep now, driven as the engine's sweeper drives it (batches of 500).
  await pool.query('VACUUM tessera_sessions');
  await fillExpired();
  const baseline2 = await trafficDuring(manager, tokens, idle(3000));
  statements.length = 0;
  const calls: number[] = [];
  t0 = performance.now();
  const current = await trafficDuring(manager, tokens, async () => {
    for (;;) {
      const start = performance.now();
      const n = await store.sweep(Date.now(), 500);
      calls.push(performance.now() - start);
      if (n < 500) break;
    }
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `  sweep now (sweep(now, 500): statements of 100 rows, 5 ms apart), ${f(seconds, 1)} s, ${statements.length} statements: ` +
      `slowest statement ${f(maxOf(statements))} ms, p99 ${f(pct(statements, 99))} ms, p50 ${f(pct(statements, 50))} ms`,
  );
  console.log(`    requests meanwhile: ${show(current)}`);
  console.log(`    nothing to sweep:   ${show(baseline2)}`);
  const left = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM tessera_sessions WHERE expires_at <= $1',
    [String(Date.now() - 2000)],
  );
  console.log(`  expired rows left: ${left.rows[0]!.n}; load ${load()}`);
  results.postgres = {
    expired: EXPIRE,
    legacy: {
      seconds: legacySeconds,
      statements: legacyStatements.length,
      slowest: maxOf(legacyStatements),
      p50: pct(legacyStatements, 50),
      traffic: legacy,
      baseline: baseline1,
    },
    current: {
      seconds,
      statements: statements.length,
      slowest: maxOf(statements),
      p99: pct(statements, 99),
      p50: pct(statements, 50),
      traffic: current,
      baseline: baseline2,
    },
    load: load(),
  };
  await pool.end();
  await server.destroy();
}

for (const hz of STORES.includes('redis') ? [10, 100] : []) {
  console.log(`\n== redis (hz ${hz}): ${EXPIRE} sessions expiring by TTL under traffic (load ${load()})`);
  const server = await startRedis({ extraArgs: ['--hz', String(hz)] });
  const client = new Redis(server.url, { enableAutoPipelining: true });
  const manager = createSessionManager({
    store: redisStore({ client }),
    keys,
    creationRateLimit: false,
    loginRateLimit: false,
  });
  const tokens = await hotTokens(manager);
  const soon = redisStore({ client, prefix: 'exp:', expiryGraceMs: 0 });
  const before = await client.dbsize();
  // Write them all with one shared deadline far enough ahead, then wait for it.
  const start = performance.now();
  const at = Date.now() + 3_600_000;
  let next = 0;
  await Promise.all(
    Array.from({ length: 256 }, async () => {
      while (next < EXPIRE) {
        next++;
        await soon.create(sampleRecord({ userId: null, authenticatedAt: null, idleExpiresAt: at }));
      }
    }),
  );
  console.log(`  wrote ${EXPIRE} sessions in ${f((performance.now() - start) / 1000, 1)} s`);
  // Give every key the same deadline, 30 s ahead (time to set them all: SCAN + pipelined PEXPIREAT).
  const due = Date.now() + 30_000;
  let cursor = '0';
  do {
    const [nextCursor, batch] = await client.scan(cursor, 'MATCH', 'exp:*', 'COUNT', 5000);
    cursor = nextCursor;
    const pipe = client.pipeline();
    for (const key of batch) pipe.pexpireat(key, due);
    await pipe.exec();
  } while (cursor !== '0');
  if (Date.now() > due - 5000) throw new Error('setting the deadlines took too long; raise the margin');
  const baseline = await trafficDuring(manager, tokens, idle(Math.max(0, due - Date.now() - 200)));
  while (Date.now() < due) await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  const during = await trafficDuring(manager, tokens, async () => {
    while ((await client.dbsize()) > before) await new Promise((r) => setTimeout(r, 100));
  });
  const seconds = (performance.now() - t0) / 1000;
  const stats = await client.info('stats');
  console.log(
    `  all ${EXPIRE} expired by TTL in ${f(seconds, 1)} s (expired_keys ${/expired_keys:(\d+)/.exec(stats)?.[1]})`,
  );
  console.log(`    requests meanwhile: ${show(during)}`);
  console.log(`    nothing expiring:   ${show(baseline)}`);
  console.log(`  load ${load()}`);
  results[`redis hz ${hz}`] = { expired: EXPIRE, seconds, traffic: during, baseline, load: load() };
  client.disconnect();
  await server.destroy();
}

console.log(`\n${JSON.stringify(results, null, 2)}`);
process.exit(0);
