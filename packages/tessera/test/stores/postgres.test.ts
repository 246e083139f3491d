import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { isTesseraError } from '../../src/errors.ts';
import { postgresStore } from '../../src/stores/postgres.ts';
import {
  defineStoreConformanceSuite,
  sampleRecord,
  sampleTemplate,
  sampleTombstone,
} from '../../src/testing/index.ts';
import { type PostgresServer, serverSkip, startPostgres } from '../servers/index.ts';

const skip = serverSkip('postgres');

if (skip) {
  test('postgres store conformance', { skip }, () => {});
} else {
  let started: Promise<{ server: PostgresServer; pool: pg.Pool }> | undefined;
  const getServer = () => {
    started ??= startPostgres().then((server) => ({
      server,
      pool: new pg.Pool({ connectionString: server.url, max: 20, connectionTimeoutMillis: 2000 }).on(
        'error',
        () => {},
      ),
    }));
    return started;
  };
  let n = 0;
  after(async () => {
    if (!started) return;
    const s = await started;
    await s.pool.end();
    await s.server.destroy();
  });

  defineStoreConformanceSuite('postgres', async () => {
    const { server } = await getServer();
    // A fresh schema per case (tables of its own) and a pool of its own, to cut off.
    const pool = new pg.Pool({ connectionString: server.url, max: 8, connectionTimeoutMillis: 2000 });
    pool.on('error', () => {});
    let ended = false;
    const end = async () => {
      if (!ended) {
        ended = true;
        await pool.end();
      }
    };
    return { store: postgresStore({ pool, tablePrefix: `case${++n}_` }), cutOff: end, teardown: end };
  });

  describe('postgres store specifics', () => {
    test('migrations run once, even when several instances start together; a newer schema is refused', async () => {
      const { pool } = await getServer();
      const prefix = `mig${++n}_`;
      await Promise.all(
        Array.from({ length: 5 }, () => postgresStore({ pool, tablePrefix: prefix }).migrate()),
      );
      const rows = await pool.query(`SELECT version FROM ${prefix}schema_migrations`);
      assert.deepEqual(
        rows.rows.map((r) => r.version),
        [1, 2],
      );
      await pool.query(`INSERT INTO ${prefix}schema_migrations VALUES (99, 0)`);
      await assert.rejects(postgresStore({ pool, tablePrefix: prefix }).migrate(), (err: unknown) => {
        assert.ok(isTesseraError(err, 'STORE_UNAVAILABLE'), String(err));
        assert.match(String((err as Error).cause), /newer than this version/);
        return true;
      });
    });

    test('migration 2 gives rows written before it their federated columns, and lookups use the index', async () => {
      const { pool } = await getServer();
      const prefix = `fedmig${++n}_`;
      const store = postgresStore({ pool, tablePrefix: prefix });
      const iss = 'https://idp.example/realms/shop';
      const fed = sampleRecord({ federated: { iss, sub: 'alice', sid: 'S1' } });
      const noSid = sampleRecord({ federated: { iss, sub: 'alice', sid: null } });
      const plain = sampleRecord();
      for (const r of [fed, noSid, plain]) await store.create(r);
      // Back to a version-1 database holding these rows (as one written by an older Tessera would).
      await pool.query(
        `ALTER TABLE ${prefix}sessions DROP COLUMN fed_iss, DROP COLUMN fed_sub, DROP COLUMN fed_sid;
         DELETE FROM ${prefix}schema_migrations WHERE version = 2`,
      );
      const upgraded = postgresStore({ pool, tablePrefix: prefix });
      await upgraded.migrate();
      const ids = async (by: { sid: string } | { sub: string }) =>
        (await upgraded.listByFederated!(iss, by)).map((r) => r.id).sort();
      assert.deepEqual(await ids({ sid: 'S1' }), [fed.id]);
      assert.deepEqual(await ids({ sub: 'alice' }), [fed.id, noSid.id].sort());
      const cols = await pool.query(`SELECT fed_iss, fed_sid FROM ${prefix}sessions WHERE id = $1`, [
        plain.id,
      ]);
      assert.deepEqual(cols.rows[0], { fed_iss: null, fed_sid: null });

      const client = await pool.connect();
      try {
        await client.query('SET enable_seqscan = off');
        for (const [col, index] of [
          ['fed_sid', 'sessions_fed_sid'],
          ['fed_sub', 'sessions_fed_sub'],
        ] as const) {
          const plan = await client.query(
            `EXPLAIN SELECT body FROM ${prefix}sessions WHERE fed_iss = 'x' AND ${col} = 'y'`,
          );
          const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
          assert.match(text, new RegExp(`${prefix}${index}`), text);
        }
      } finally {
        await client.query('RESET enable_seqscan');
        client.release();
      }
    });

    test('two sweepers at once never collide: together they remove each expired row exactly once', async () => {
      const { pool } = await getServer();
      const prefix = `sw${++n}_`;
      const a = postgresStore({ pool, tablePrefix: prefix });
      const b = postgresStore({ pool, tablePrefix: prefix });
      const now = Date.now();
      const expired = Array.from({ length: 300 }, () => sampleRecord({ idleExpiresAt: now - 1000 }));
      await Promise.all(expired.map((r) => a.create(r)));
      const live = sampleRecord();
      await a.create(live);
      const sweeper = async (s: typeof a) => {
        let total = 0;
        for (;;) {
          const k = await s.sweep(now, 25);
          assert.ok(k <= 25);
          total += k;
          if (k === 0) return total;
        }
      };
      const totals = await Promise.all([sweeper(a), sweeper(b), sweeper(a), sweeper(b)]);
      const [x, y] = [totals[0]! + totals[2]!, totals[1]! + totals[3]!];
      assert.equal(x + y, 300, `swept ${x} + ${y}`);
      assert.ok(await a.get(live.id));
    });

    test('sweep: statements of at most sweepChunk rows, oldest first, through the expiry index; a row locked during one pass is swept by the next', async () => {
      const { pool } = await getServer();
      const prefix = `swc${++n}_`;
      const sweeps: number[] = [];
      // Count the rows each sweep statement removed (the store only calls pool.query and connect).
      const counted = new Proxy(pool, {
        get(target, prop, receiver) {
          if (prop !== 'query') return Reflect.get(target, prop, receiver);
          return async (config: { name?: string }, ...rest: unknown[]) => {
            const res = await (target.query as (...a: unknown[]) => Promise<{ rows: Array<{ n?: number }> }>)(
              config,
              ...rest,
            );
            if (typeof config === 'object' && config.name?.includes('sweep'))
              sweeps.push(res.rows[0]?.n ?? -1);
            return res;
          };
        },
      });
      const store = postgresStore({ pool: counted, tablePrefix: prefix, sweepChunk: 7, sweepPauseMs: 1 });
      const now = Date.now();
      // Distinct deadlines, oldest first in this array.
      const expired = Array.from({ length: 40 }, (_, i) =>
        sampleRecord({ idleExpiresAt: now - 100_000 + i * 1000 }),
      );
      for (const r of [...expired].reverse()) await store.create(r);
      const live = sampleRecord();
      await store.create(live);

      assert.equal(await store.sweep(now, 20), 20);
      assert.deepEqual(sweeps, [7, 7, 6], 'three statements, none over sweepChunk');
      for (const r of expired.slice(0, 20))
        assert.equal(await store.get(r.id), null, 'the oldest went first');
      for (const r of expired.slice(20)) assert.ok(await store.get(r.id), 'the newer wait');

      // A request holds one of the remaining rows: SKIP LOCKED passes it by, the next pass takes it.
      const held = expired[25]!;
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query(`SELECT 1 FROM ${prefix}sessions WHERE id = $1 FOR UPDATE`, [held.id]);
        let total = 0;
        for (let k = await store.sweep(now, 100); k > 0; k = await store.sweep(now, 100)) total += k;
        assert.equal(total, 19);
        assert.ok(await store.get(held.id));
      } finally {
        await client.query('COMMIT');
        client.release();
      }
      assert.equal(await store.sweep(now, 100), 1, 'found again although the scan had moved past it');
      assert.equal(await store.get(held.id), null);
      assert.ok(await store.get(live.id));

      // Index-ordered: the planner can walk the expiry index (forced here: the table is tiny).
      const planner = await pool.connect();
      try {
        await planner.query('SET enable_seqscan = off');
        const plan = await planner.query(
          `EXPLAIN SELECT id FROM ${prefix}sessions WHERE expires_at <= $1 AND expires_at >= $2 ORDER BY expires_at LIMIT 100`,
          [String(now), '0'],
        );
        const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
        assert.match(text, new RegExp(`Index Scan using ${prefix}sessions_expires`), text);
        assert.doesNotMatch(text, /Sort/, text);
      } finally {
        await planner.query('RESET enable_seqscan');
        planner.release();
      }
    });

    test('a user-supplied id or user id cannot inject SQL', async () => {
      const { pool } = await getServer();
      const store = postgresStore({ pool, tablePrefix: `inj${++n}_` });
      const evil = "x'; DROP TABLE inj_sessions; --";
      const r = sampleRecord({ userId: evil });
      await store.create(r);
      assert.equal((await store.listByUser(evil)).length, 1);
      assert.equal(await store.get(evil), null);
      assert.deepEqual(await store.deleteByUser(evil, sampleTemplate()), [r.id]);
      await store.delete(r.id, sampleTombstone(r));
      assert.throws(() => postgresStore({ pool, tablePrefix: 'x; DROP' }), /letters, digits/);
    });

    test('PostgreSQL down: operations reject quickly (never hang)', async () => {
      const server = await startPostgres();
      const pool = new pg.Pool({ connectionString: server.url, connectionTimeoutMillis: 500 });
      pool.on('error', () => {});
      const store = postgresStore({ pool, timeoutMs: 500 });
      const r = sampleRecord();
      await store.create(r);
      await server.destroy();
      for (const op of [
        () => store.get(r.id),
        () => store.create(sampleRecord()),
        () => store.listByUser('x'),
        () => store.listByFederated!('https://idp.example', { sub: 'x' }),
      ]) {
        const start = Date.now();
        await assert.rejects(op(), (err: unknown) => isTesseraError(err, 'STORE_UNAVAILABLE'));
        assert.ok(Date.now() - start < 1500, `took ${Date.now() - start} ms`);
      }
      await pool.end();
    });
  });
}
