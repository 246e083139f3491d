import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  type PostgresServer,
  type RedisServer,
  serverSkip,
  startPostgres,
  startRedis,
} from '../servers/index.ts';

const run = promisify(execFile);
const worker = fileURLToPath(new URL('./fixtures/limiter-worker.ts', import.meta.url));
const POINTS = 5;
const ATTEMPTS = 8;

/** Two app-server processes, each trying ATTEMPTS creations from the same address at once. */
async function twoProcesses(
  env: Record<string, string>,
): Promise<Array<{ allowed: number; limited: number }>> {
  const shared = {
    ...process.env,
    ...env,
    POINTS: String(POINTS),
    ATTEMPTS: String(ATTEMPTS),
    LIMIT_NAME: `rl_${randomBytes(4).toString('hex')}`,
    START_AT: String(Date.now() + 1500),
  };
  const outs = await Promise.all(
    [0, 1].map(() => run(process.execPath, ['--import', 'tsx', worker], { env: shared, timeout: 30_000 })),
  );
  return outs.map(
    (o) => JSON.parse(o.stdout.trim().split('\n').at(-1)!) as { allowed: number; limited: number },
  );
}

const total = (r: Array<{ allowed: number }>) => r.reduce((a, b) => a + b.allowed, 0);

test('control: the in-process limiter lets two app servers allow twice the limit', async () => {
  const results = await twoProcesses({ LIMITER: 'memory' });
  assert.equal(total(results), 2 * POINTS, JSON.stringify(results));
});

const redisSkip = serverSkip('redis');
let redis: RedisServer | undefined;
test('a Redis-backed creation limit holds across two app-server processes', { skip: redisSkip }, async () => {
  redis = await startRedis();
  const results = await twoProcesses({ LIMITER: 'redis', URL: redis.url });
  assert.equal(total(results), POINTS, JSON.stringify(results));
  assert.equal(
    results.reduce((a, b) => a + b.limited, 0),
    2 * ATTEMPTS - POINTS,
  );
});

const pgSkip = serverSkip('postgres');
let postgres: PostgresServer | undefined;
test('a PostgreSQL-backed creation limit holds across two app-server processes', {
  skip: pgSkip,
}, async () => {
  postgres = await startPostgres();
  const results = await twoProcesses({ LIMITER: 'postgres', URL: postgres.url });
  assert.equal(total(results), POINTS, JSON.stringify(results));
});

test('PostgreSQL limiter: many servers using a fresh limiter at the same moment all create its table without error', {
  skip: pgSkip,
}, async () => {
  postgres ??= await startPostgres();
  const pg = (await import('pg')).default;
  const { postgresRateLimiter } = await import('../../src/stores/postgres.ts');
  const pools = Array.from({ length: 8 }, () => new pg.Pool({ connectionString: postgres!.url, max: 1 }));
  try {
    // Each round a new table: the CREATE TABLE IF NOT EXISTS of 8 pools race (a loser used to fail
    // with "type … already exists" and the request got STORE_UNAVAILABLE).
    for (let round = 0; round < 5; round++) {
      const name = `rl_race_${randomBytes(4).toString('hex')}`;
      const limiters = pools.map((pool) => postgresRateLimiter(pool, { points: 100, window: '1m', name }));
      await Promise.all(limiters.map((l) => l.consume('192.0.2.1')));
    }
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
});

after(async () => {
  await redis?.destroy();
  await postgres?.destroy();
});
