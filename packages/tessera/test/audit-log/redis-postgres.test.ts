/**
 * The audit conformance suite on real Redis (single server and a 3-master cluster) and a real
 * PostgreSQL: tampering done with the servers' own commands is named by `verify`, and writers on
 * separate connections (8 × 50 appends at once) neither fork the chain nor lose an entry.
 */
import { after, test } from 'node:test';
import { Cluster, Redis } from 'ioredis';
import pg from 'pg';
import { postgresAuditBackend } from '../../src/audit-log/postgres.ts';
import { redisAuditBackend } from '../../src/audit-log/redis.ts';
import { defineAuditConformanceSuite } from '../../src/testing/audit-conformance.ts';
import {
  type PostgresServer,
  type RedisClusterServers,
  type RedisServer,
  serverSkip,
  startPostgres,
  startRedis,
  startRedisCluster,
} from '../servers/index.ts';

const CONCURRENCY = { writers: 8, appendsPerWriter: 50 };
let n = 0;
const cleanup: Array<() => Promise<void>> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

const redisSkip = serverSkip('redis');
if (redisSkip) test('audit log on redis', { skip: redisSkip }, () => {});
else {
  let single: Promise<RedisServer> | undefined;
  let cluster: Promise<RedisClusterServers> | undefined;
  const suite = (name: string, connect: () => Promise<() => Redis | Cluster>) =>
    defineAuditConformanceSuite(
      name,
      async () => {
        const make = await connect();
        const clients: Array<Redis | Cluster> = [];
        const open = () => {
          const c = make();
          clients.push(c);
          return c;
        };
        const prefix = `case${++n}:`;
        const raw = open();
        const entries = `{${prefix}audit:sessions}:entries`;
        const member = async (seq: number) => (await raw.zrangebyscore(entries, seq, seq))[0]!;
        return {
          open: () => redisAuditBackend({ client: open(), prefix }),
          tamper: {
            async edit(seq, body, rehash) {
              const old = await member(seq);
              const fields = JSON.parse(old) as [number, string, string, string, string];
              fields[2] = body;
              if (rehash) fields[4] = rehash;
              await raw.zrem(entries, old);
              await raw.zadd(entries, seq, JSON.stringify(fields));
            },
            async remove(seq) {
              await raw.zremrangebyscore(entries, seq, seq);
            },
            async swap(a, b) {
              const ma = await member(a);
              const mb = await member(b);
              await raw.zadd(entries, b, ma, a, mb);
            },
          },
          async teardown() {
            for (const c of clients) c.disconnect();
          },
        };
      },
      CONCURRENCY,
    );
  suite('redis (single server)', async () => {
    single ??= startRedis().then((s) => {
      cleanup.push(() => s.destroy());
      return s;
    });
    const server = await single;
    return () => new Redis(server.url, { maxRetriesPerRequest: 1 });
  });
  suite('redis (3-master cluster)', async () => {
    cluster ??= startRedisCluster().then((s) => {
      cleanup.push(() => s.destroy());
      return s;
    });
    const servers = await cluster;
    return () => new Cluster([...servers.nodes], { redisOptions: { maxRetriesPerRequest: 1 } });
  });
}

const pgSkip = serverSkip('postgres');
if (pgSkip) test('audit log on postgres', { skip: pgSkip }, () => {});
else {
  let started: Promise<PostgresServer> | undefined;
  defineAuditConformanceSuite(
    'postgres',
    async () => {
      started ??= startPostgres().then((s) => {
        cleanup.push(() => s.destroy());
        return s;
      });
      const server = await started;
      const pools: pg.Pool[] = [];
      const pool = () => {
        const p = new pg.Pool({ connectionString: server.url, max: 2 }).on('error', () => {});
        pools.push(p);
        return p;
      };
      const prefix = `case${++n}_`;
      const raw = pool();
      await postgresAuditBackend({ pool: raw, tablePrefix: prefix });
      const t = `${prefix}audit`;
      return {
        open: () => postgresAuditBackend({ pool: pool(), tablePrefix: prefix }),
        tamper: {
          async edit(seq, body, rehash) {
            await raw.query(`UPDATE ${t} SET body = $1, hash = COALESCE($2, hash) WHERE seq = $3`, [
              body,
              rehash ?? null,
              seq,
            ]);
          },
          async remove(seq) {
            await raw.query(`DELETE FROM ${t} WHERE seq = $1`, [seq]);
          },
          async swap(a, b) {
            await raw.query(
              `BEGIN; UPDATE ${t} SET seq = -1 WHERE seq = ${Number(a)}; UPDATE ${t} SET seq = ${Number(a)} WHERE seq = ${Number(b)}; UPDATE ${t} SET seq = ${Number(b)} WHERE seq = -1; COMMIT;`,
            );
          },
        },
        async teardown() {
          for (const p of pools) await p.end();
        },
      };
    },
    CONCURRENCY,
  );
}
