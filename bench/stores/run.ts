/**
 * Store benchmark for the shared stores (Redis, Redis + near-cache, PostgreSQL), each on a throwaway
 * server started on 127.0.0.1 (the test-suite's server helpers):
 *
 * - validate latency p50/p99 (sequential) and throughput (64 in flight) through the engine, with
 *   1,000 live sessions and again after filling the store to BENCH_LIVE sessions (default 1,000,000);
 * - bytes per session: Redis `MEMORY USAGE` of a record (+ its index entries), PostgreSQL row size;
 * - expiry of BENCH_EXPIRE sessions (default = BENCH_LIVE) while traffic runs: the worst request
 *   latency during the expiry (Redis: TTL expiry; PostgreSQL: the engine's bounded sweep, 1,000
 *   rows per batch, FOR UPDATE SKIP LOCKED) against the same traffic's p99 when nothing expires.
 *
 *   npx tsx bench/stores/run.ts                 # full run
 *   BENCH_LIVE=100000 BENCH_STORES=redis npx tsx bench/stores/run.ts
 */
import { Redis } from 'ioredis';
import pg from 'pg';
import { sessionIdFromToken } from '../../packages/tessera/src/crypto/token.ts';
import {
  createSessionManager,
  type SessionManager,
} from '../../packages/tessera/src/engine/session-manager.ts';
import type { Store } from '../../packages/tessera/src/store/types.ts';
import { nearCache } from '../../packages/tessera/src/stores/near-cache.ts';
import { postgresStore } from '../../packages/tessera/src/stores/postgres.ts';
import { redisInvalidation, redisStore } from '../../packages/tessera/src/stores/redis.ts';
import { sampleRecord } from '../../packages/tessera/src/testing/index.ts';
import { startPostgres, startRedis } from '../../packages/tessera/test/servers/index.ts';
import { CTX, f, HOT, hotTokens, keys, pct } from './common.ts';

const LIVE = Number(process.env.BENCH_LIVE ?? 1_000_000);
const EXPIRE = Number(process.env.BENCH_EXPIRE ?? LIVE);
const STORES = (process.env.BENCH_STORES ?? 'redis,postgres').split(',');

/** Sequential latencies, then throughput with 64 requests in flight. */
async function measure(manager: SessionManager, tokens: string[], label: string) {
  const lat: number[] = [];
  for (let i = 0; i < 5000; i++) {
    const t = tokens[i % tokens.length]!;
    const start = performance.now();
    const r = await manager.validate(t, CTX);
    lat.push(performance.now() - start);
    if (!r.ok) throw new Error(`validate failed: ${r.reason}`);
  }
  let done = 0;
  const until = performance.now() + 3000;
  await Promise.all(
    Array.from({ length: 64 }, async (_, w) => {
      let i = w;
      while (performance.now() < until) {
        await manager.validate(tokens[i++ % tokens.length]!, CTX);
        done++;
      }
    }),
  );
  const row = { label, p50: pct(lat, 50), p99: pct(lat, 99), opsPerSec: done / 3 };
  console.log(
    `  ${label}: p50 ${f(row.p50, 3)} ms, p99 ${f(row.p99, 3)} ms, ${f(row.opsPerSec, 0)} validate/s`,
  );
  return row;
}

/** Fills the store with `n` live sessions of 200,000 users (5 each), `conc` creates in flight. */
async function fill(store: Store, n: number, conc = 512) {
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        await store.create(sampleRecord({ userId: `filler-${i % 200_000}` }));
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(`  filled ${n} sessions in ${f(seconds, 1)} s`);
  return n / seconds;
}

/** Runs traffic (sequential validates) while `work` runs; the worst and p99 latency seen. */
async function trafficDuring(manager: SessionManager, tokens: string[], work: () => Promise<void>) {
  const lat: number[] = [];
  let stop = false;
  const traffic = (async () => {
    let i = 0;
    while (!stop) {
      const start = performance.now();
      await manager.validate(tokens[i++ % tokens.length]!, CTX);
      lat.push(performance.now() - start);
    }
  })();
  await work();
  stop = true;
  await traffic;
  return { worst: lat.reduce((a, b) => Math.max(a, b), 0), p99: pct(lat, 99), n: lat.length };
}

const results: Record<string, unknown> = {};

for (const kind of STORES) {
  console.log(`\n== ${kind}`);
  if (kind === 'redis') {
    // Plain Redis and Redis + near-cache on the same server and the same fill.
    const server = await startRedis();
    const client = new Redis(server.url, { enableAutoPipelining: true });
    const plain = createSessionManager({
      store: redisStore({ client }),
      keys,
      creationRateLimit: false,
      loginRateLimit: false,
    });
    const cached = nearCache(redisStore({ client }), { bus: redisInvalidation({ client }), ttlMs: 1000 });
    await cached.start();
    const near = createSessionManager({
      store: cached,
      keys,
      creationRateLimit: false,
      loginRateLimit: false,
    });
    const tokens = await hotTokens(plain);
    const small = await measure(plain, tokens, `${HOT} live`);
    const smallNear = await measure(near, tokens, `${HOT} live, near-cache`);
    const rate = await fill(redisStore({ client }), LIVE - HOT);
    const big = await measure(plain, tokens, `${LIVE} live`);
    const bigNear = await measure(near, tokens, `${LIVE} live, near-cache`);
    // Bytes per session: the record hash plus its share of the user and family indexes.
    const probe = sampleRecord({ userId: 'probe' });
    await redisStore({ client, prefix: 'probe:' }).create(probe);
    const rec = Number(await client.call('MEMORY', 'USAGE', `probe:{${probe.id}}`, 'SAMPLES', '0'));
    const info = await client.info('memory');
    const used = Number(/used_memory:(\d+)/.exec(info)?.[1]);
    console.log(`  MEMORY USAGE of one record: ${rec} B; used_memory / sessions: ${f(used / LIVE, 0)} B`);
    // Sessions whose idle deadline comes soon: Redis expires them by TTL while traffic runs.
    const soon = redisStore({ client, prefix: 'exp:', expiryGraceMs: 0 });
    const before = await client.dbsize();
    // All of them expire together, after they have all been written (from the fill rate, with margin).
    const at = Date.now() + 3000 + Math.ceil((1.5 * EXPIRE * 1000) / rate);
    let next = 0;
    await Promise.all(
      Array.from({ length: 512 }, async () => {
        while (next < EXPIRE) {
          next++;
          await soon.create(sampleRecord({ userId: null, idleExpiresAt: at }));
        }
      }),
    );
    const baseline = await trafficDuring(plain, tokens, () => new Promise((r) => setTimeout(r, 1000)));
    const t0 = performance.now();
    const during = await trafficDuring(plain, tokens, async () => {
      // Anonymous, never-rotated sessions have no index keys: the key count returns to `before`.
      while ((await client.dbsize()) > before) await new Promise((r) => setTimeout(r, 200));
    });
    console.log(
      `  expiring ${EXPIRE} sessions by TTL (${f((performance.now() - t0) / 1000, 1)} s): worst request ${f(during.worst)} ms, ` +
        `p99 ${f(during.p99)} ms (${during.n} requests); without expiry: worst ${f(baseline.worst)} ms, p99 ${f(baseline.p99)} ms`,
    );
    results[kind] = {
      small,
      big,
      smallNear,
      bigNear,
      ratioP50: big.p50 / small.p50,
      recordBytes: rec,
      usedPerSession: used / LIVE,
      expiry: { during, baseline },
    };
    await cached.close?.();
    client.disconnect();
    await server.destroy();
  } else if (kind === 'postgres') {
    const server = await startPostgres();
    const pool = new pg.Pool({ connectionString: server.url, max: 20 });
    pool.on('error', () => {}); // idle clients see the server stop at the end
    const store = postgresStore({ pool });
    const manager = createSessionManager({ store, keys, creationRateLimit: false, loginRateLimit: false });
    const tokens = await hotTokens(manager);
    const small = await measure(manager, tokens, `${HOT} live`);
    // How PostgreSQL answers the store's `get` for a hot session: plan, buffers, execution time.
    const hotId = sessionIdFromToken(tokens[0]!);
    const plan = async (label: string) => {
      const res = await pool.query<{
        'QUERY PLAN': Array<{ Plan: Record<string, unknown>; 'Execution Time': number }>;
      }>(
        'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT body, last_seen_at, idle_expires_at, last_ip FROM tessera_sessions WHERE id = $1',
        [hotId],
      );
      const top = res.rows[0]!['QUERY PLAN'][0]!;
      const p = top.Plan;
      const line = `${p['Node Type']} using ${p['Index Name']}, shared hit ${p['Shared Hit Blocks']} read ${p['Shared Read Blocks']}, execution ${top['Execution Time']} ms`;
      console.log(`  plan of get (${label}): ${line}`);
      return line;
    };
    const planSmall = await plan(`${HOT} live`);
    // Bulk fill in SQL (the store's own row shape, one statement per 100,000 rows).
    const template = sampleRecord({ userId: 'filler' });
    const start = performance.now();
    const fillRows = async (n: number, expiresAt: number) => {
      for (let done = 0; done < n; done += 100_000) {
        const k = Math.min(100_000, n - done);
        await pool.query(
          `INSERT INTO tessera_sessions (id, user_id, family, version, absolute_expires_at, idle_expires_at, last_seen_at, last_ip, expires_at, body)
           SELECT md5(random()::text || g), 'filler-' || (g % 200000), md5(g::text), 1, $1, $1, $2, '203.0.113.9', $1,
             replace($3, $4, md5(random()::text || g))
           FROM generate_series(1, $5) g`,
          [String(expiresAt), String(Date.now()), JSON.stringify(template), template.id, k],
        );
      }
    };
    await fillRows(LIVE - HOT, Date.now() + 3_600_000);
    await pool.query('ANALYZE tessera_sessions');
    console.log(`  filled ${LIVE - HOT} rows in ${f((performance.now() - start) / 1000, 1)} s`);
    // Right after the fill, PostgreSQL is still busy with it (autovacuum of the inserted rows, the
    // checkpoint of their WAL): measured once like that, then once it has settled.
    const busy = await measure(manager, tokens, `${LIVE} live, right after the fill`);
    await pool.query('VACUUM (ANALYZE) tessera_sessions');
    await pool.query('CHECKPOINT');
    const big = await measure(manager, tokens, `${LIVE} live, after VACUUM + CHECKPOINT`);
    const planBig = await plan(`${LIVE} live`);
    const size = await pool.query<{ avg: string; total: string; n: string }>(
      `SELECT avg(pg_column_size(s.*))::int AS avg, pg_total_relation_size('tessera_sessions') AS total, count(*) AS n FROM tessera_sessions s`,
    );
    const row = size.rows[0]!;
    console.log(
      `  row size ${row.avg} B; table + indexes / sessions: ${f(Number(row.total) / Number(row.n), 0)} B`,
    );
    await fillRows(EXPIRE, Date.now() - 1000);
    const baseline = await trafficDuring(manager, tokens, () => new Promise((r) => setTimeout(r, 1000)));
    const batches: number[] = [];
    let swept = 0;
    const during = await trafficDuring(manager, tokens, async () => {
      for (;;) {
        const t = performance.now();
        const n = await store.sweep(Date.now(), 1000);
        batches.push(performance.now() - t);
        swept += n;
        if (n === 0) break;
      }
    });
    console.log(
      `  sweeping ${swept} expired rows by sweep(now, 1000) calls (each in statements of 100 rows, 5 ms apart; ` +
        `sweep-pause.ts times the statements): slowest call ${f(batches.reduce((a, b) => Math.max(a, b), 0))} ms, ` +
        `p50 ${f(pct(batches, 50))} ms; worst request meanwhile ${f(during.worst)} ms, p99 ${f(during.p99)} ms ` +
        `(${during.n} requests); without sweeping: worst ${f(baseline.worst)} ms, p99 ${f(baseline.p99)} ms`,
    );
    results[kind] = {
      small,
      big,
      busy,
      ratioP50: big.p50 / small.p50,
      ratioOps: big.opsPerSec / small.opsPerSec,
      plans: [planSmall, planBig],
      rowBytes: Number(row.avg),
      totalPerSession: Number(row.total) / Number(row.n),
      sweep: { swept, slowestBatch: batches.reduce((a, b) => Math.max(a, b), 0), during, baseline },
    };
    await pool.end();
    await server.destroy();
  }
}
console.log(
  `load average at the end: ${(await import('node:os'))
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

console.log(`\n${JSON.stringify(results, null, 2)}`);
if (process.env.BENCH_JSON)
  (await import('node:fs')).writeFileSync(process.env.BENCH_JSON, JSON.stringify(results));
