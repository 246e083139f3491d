import type { Notification, Pool, PoolClient } from 'pg';
import { RateLimiterPostgres } from 'rate-limiter-flexible';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { parseDuration } from '../duration.ts';
import { ConfigError } from '../errors.ts';
import type { SessionRecord, Store, Tombstone, TombstoneTemplate } from '../store/types.ts';
import { DuplicateSessionError, recordExpiresAt } from '../store/types.ts';
import type { InvalidationBus } from './near-cache.ts';
import { bounded } from './shared/bounded.ts';
import { storeError, withStoreErrors } from './shared/errors.ts';
import type { SharedRateLimitOptions } from './shared/rate-limit.ts';

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /**
   * A node-postgres `Pool` (the caller owns it; `close()` does not end it). Give it a
   * `connectionTimeoutMillis` so a dead server is noticed quickly.
   */
  pool: Pool;
  /** Table name prefix (default `tessera_`). Letters, digits and `_` only. */
  tablePrefix?: string;
  /** Every operation rejects after this long (default 2,000 ms): the engine then answers 503. */
  timeoutMs?: number;
  /**
   * `sweep(now, limit)` deletes in statements of at most this many rows (default 100, a few
   * milliseconds each), so no statement holds its rows, the WAL and a CPU for long.
   */
  sweepChunk?: number;
  /** Wait between two sweep statements of one `sweep` call (default 5 ms): requests run in between. */
  sweepPauseMs?: number;
}

/**
 * Schema migrations, applied in order, each once, in a transaction under an advisory lock. Never
 * edit a released step: append a new one.
 */
function migrations(p: string): string[] {
  return [
    `CREATE TABLE ${p}sessions (
       id text PRIMARY KEY,
       user_id text,
       family text NOT NULL,
       version integer NOT NULL,
       absolute_expires_at bigint NOT NULL,
       idle_expires_at bigint NOT NULL,
       last_seen_at bigint NOT NULL,
       last_ip text,
       expires_at bigint NOT NULL,
       body text NOT NULL
     );
     CREATE INDEX ${p}sessions_user ON ${p}sessions (user_id) WHERE user_id IS NOT NULL;
     CREATE INDEX ${p}sessions_family ON ${p}sessions (family);
     CREATE INDEX ${p}sessions_expires ON ${p}sessions (expires_at);
     CREATE TABLE ${p}tombstones (
       id text PRIMARY KEY,
       expires_at bigint NOT NULL,
       body text NOT NULL
     );
     CREATE INDEX ${p}tombstones_expires ON ${p}tombstones (expires_at);`,
    // 2: the federated identity (OpenID Connect iss/sub/sid) as columns, indexed for back-channel
    // logout; rows written before it get theirs from the record body.
    `ALTER TABLE ${p}sessions ADD COLUMN fed_iss text, ADD COLUMN fed_sub text, ADD COLUMN fed_sid text;
     UPDATE ${p}sessions SET
       fed_iss = (body::jsonb) -> 'federated' ->> 'iss',
       fed_sub = (body::jsonb) -> 'federated' ->> 'sub',
       fed_sid = (body::jsonb) -> 'federated' ->> 'sid'
     WHERE body LIKE '%"federated":{%';
     CREATE INDEX ${p}sessions_fed_sid ON ${p}sessions (fed_iss, fed_sid) WHERE fed_sid IS NOT NULL;
     CREATE INDEX ${p}sessions_fed_sub ON ${p}sessions (fed_iss, fed_sub) WHERE fed_iss IS NOT NULL;`,
  ];
}

interface Row {
  body: string;
  last_seen_at: string;
  idle_expires_at: string;
  last_ip: string | null;
}

const UNIQUE_VIOLATION = '23505';

/**
 * Sessions in PostgreSQL (node-postgres). Versioned migrations (run once, under an advisory lock,
 * when the store is created); indexes on user, family, expiry and federated (issuer, sid) and
 * (issuer, sub); every operation is ONE SQL
 * statement (compare-and-set by `version`; rotate, delete and the bulk deletes with their
 * tombstones in data-modifying CTEs), so each is atomic without a client-side transaction; a sweep
 * that deletes expired rows in bounded batches with `FOR UPDATE SKIP LOCKED`, so several app
 * servers sweeping at once never wait on each other.
 *
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, connectionTimeoutMillis: 2000 });
 * const store = postgresStore({ pool });
 * await store.migrate(); // optional: otherwise the first operation migrates
 */
export function postgresStore(options: PostgresStoreOptions): Store & { migrate(): Promise<void> } {
  rejectUnknownKeys(
    options,
    ['pool', 'tablePrefix', 'timeoutMs', 'sweepChunk', 'sweepPauseMs'],
    'postgresStore',
  );
  const pool = options.pool;
  if (typeof pool?.query !== 'function') throw new ConfigError('postgresStore.pool', 'must be a pg Pool.');
  const p = options.tablePrefix ?? 'tessera_';
  if (typeof p !== 'string' || !/^[A-Za-z0-9_]*$/.test(p))
    throw new ConfigError('postgresStore.tablePrefix', 'may contain only letters, digits and _.');
  const timeoutMs = integerOption(options.timeoutMs ?? 2_000, 'postgresStore.timeoutMs', 1);
  const sweepChunk = integerOption(options.sweepChunk ?? 100, 'postgresStore.sweepChunk', 1);
  const sweepPauseMs = integerOption(options.sweepPauseMs ?? 5, 'postgresStore.sweepPauseMs', 0);
  // Migrations run once, before the first operation (or on `migrate()`); a failed attempt (the
  // database was down at start-up) is retried by the next operation.
  let migrated: Promise<void> | null = null;
  const ready = () => {
    migrated ??= migrate(pool, p).catch((err: unknown) => {
      migrated = null;
      throw err;
    });
    return migrated;
  };

  const S = `${p}sessions`;
  const T = `${p}tombstones`;
  const q = async <R extends object>(operation: string, text: string, values: unknown[]) =>
    bounded(
      'postgresStore',
      operation,
      timeoutMs,
      ready().then(() => pool.query<R>({ name: `${p}${operation}`, text, values })),
    );

  const columns = (r: SessionRecord) => [
    r.id,
    r.userId,
    r.family,
    r.version,
    String(r.absoluteExpiresAt),
    String(r.idleExpiresAt),
    String(r.lastSeenAt),
    r.device.lastIp,
    String(recordExpiresAt(r)),
    JSON.stringify(r),
    r.federated?.iss ?? null,
    r.federated?.sub ?? null,
    r.federated?.sid ?? null,
  ];
  const COLS =
    'id, user_id, family, version, absolute_expires_at, idle_expires_at, last_seen_at, last_ip, expires_at, body, ' +
    'fed_iss, fed_sub, fed_sid';
  const VALUES = '$1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13';
  const parse = (row: Row): SessionRecord => {
    const r = JSON.parse(row.body) as SessionRecord;
    return Object.freeze({
      ...r,
      lastSeenAt: Number(row.last_seen_at),
      idleExpiresAt: Number(row.idle_expires_at),
      binding: Object.freeze(r.binding),
      device: Object.freeze({ ...r.device, lastIp: row.last_ip }),
    });
  };
  const READ = 'body, last_seen_at, idle_expires_at, last_ip';
  const UPSERT_TOMB = `ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at, body = EXCLUDED.body`;
  // The TombstoneTemplate formula in SQL: max(absoluteExpiresAt, keepUntil) + extendMs.
  const bulkDelete = (where: string) => `
    WITH d AS (
      DELETE FROM ${S} WHERE ${where}
      RETURNING id, family, user_id, GREATEST(absolute_expires_at, $3::bigint) + $4::bigint AS tomb_expires
    ), t AS (
      INSERT INTO ${T} (id, expires_at, body)
      SELECT id, tomb_expires, json_build_object('id', id, 'family', family, 'userId', user_id,
        'reason', $5::text, 'successorId', NULL, 'createdAt', $6::numeric, 'expiresAt', tomb_expires)::text
      FROM d ${UPSERT_TOMB}
    )
    SELECT id FROM d`;
  const templateArgs = (t: TombstoneTemplate) => [
    String(t.keepUntil),
    String(t.extendMs),
    t.reason,
    String(t.createdAt),
  ];

  /**
   * Where the last sweep statement of each table stopped (its highest `expires_at`): the next one
   * starts its index scan there instead of walking again over the index entries of rows already
   * deleted (they stay in the index until VACUUM). Reset when a statement finds less than it asked
   * for; a row skipped meanwhile (locked by a request or another sweeper, or whose deadline was moved
   * earlier) is found by the next pass.
   */
  const sweptUpTo = new Map<string, string>();
  /** One bounded, index-ordered sweep statement: at most `n` expired rows of `table`, oldest first. */
  const sweepChunkOf = async (table: string, now: number, n: number): Promise<number> => {
    const from = sweptUpTo.get(table) ?? '-9223372036854775808';
    // SKIP LOCKED: rows another sweeper (or a request) holds are left for a later statement.
    const res = await q<{ n: number; upto: string | null }>(
      `sweep_${table === S ? 's' : 't'}`,
      `WITH victims AS (
         SELECT id FROM ${table} WHERE expires_at <= $1 AND expires_at >= $3
         ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
       ), d AS (DELETE FROM ${table} x USING victims WHERE x.id = victims.id RETURNING x.expires_at)
       SELECT count(*)::int AS n, max(expires_at)::text AS upto FROM d`,
      [String(now), n, from],
    );
    const got = res.rows[0]?.n ?? 0;
    const upto = res.rows[0]?.upto;
    if (got < n || !upto) sweptUpTo.delete(table);
    else sweptUpTo.set(table, upto);
    return got;
  };

  return withStoreErrors({
    migrate: () => ready().catch((err: unknown) => Promise.reject(storeError('migrate', err))),
    async create(record) {
      try {
        await q('create', `INSERT INTO ${S} (${COLS}) VALUES (${VALUES})`, columns(record));
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw new DuplicateSessionError();
        throw err;
      }
    },
    async get(id) {
      const res = await q<Row>('get', `SELECT ${READ} FROM ${S} WHERE id = $1`, [id]);
      return res.rows[0] ? parse(res.rows[0]) : null;
    },
    async update(next, expectedVersion) {
      const res = await q(
        'update',
        `UPDATE ${S} SET user_id = $2, family = $3, version = $4, absolute_expires_at = $5, idle_expires_at = $6,
           last_seen_at = $7, last_ip = $8, expires_at = $9, body = $10, fed_iss = $11, fed_sub = $12, fed_sid = $13
         WHERE id = $1 AND version = $14`,
        [...columns(next), expectedVersion],
      );
      return res.rowCount === 1;
    },
    async touch(id, patch) {
      const res = await q(
        'touch',
        `UPDATE ${S} SET last_seen_at = $2, idle_expires_at = $3, last_ip = $4,
           expires_at = LEAST($3::bigint, absolute_expires_at)
         WHERE id = $1`,
        [id, String(patch.lastSeenAt), String(patch.idleExpiresAt), patch.lastIp],
      );
      return res.rowCount === 1;
    },
    async rotate(oldId, expectedVersion, next, tombstone) {
      try {
        const res = await q<{ n: number }>(
          'rotate',
          `WITH old AS (
             DELETE FROM ${S} WHERE id = $14 AND version = $15 RETURNING id
           ), tomb AS (
             INSERT INTO ${T} (id, expires_at, body) SELECT id, $16, $17 FROM old ${UPSERT_TOMB}
           ), ins AS (
             INSERT INTO ${S} (${COLS}) SELECT ${VALUES} FROM old RETURNING 1
           )
           SELECT count(*)::int AS n FROM ins`,
          [...columns(next), oldId, expectedVersion, String(tombstone.expiresAt), JSON.stringify(tombstone)],
        );
        return res.rows[0]?.n === 1;
      } catch (err) {
        // The successor's id exists: the whole statement rolled back, nothing changed.
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) return false;
        throw err;
      }
    },
    async delete(id, tombstone) {
      const res = await q<{ n: number }>(
        'delete',
        `WITH d AS (DELETE FROM ${S} WHERE id = $1 RETURNING 1),
              t AS (INSERT INTO ${T} (id, expires_at, body) VALUES ($1, $2, $3) ${UPSERT_TOMB})
         SELECT count(*)::int AS n FROM d`,
        [id, String(tombstone.expiresAt), JSON.stringify(tombstone)],
      );
      return res.rows[0]?.n === 1;
    },
    async getTombstone(id) {
      const res = await q<{ body: string }>('getTombstone', `SELECT body FROM ${T} WHERE id = $1`, [id]);
      return res.rows[0] ? (Object.freeze(JSON.parse(res.rows[0].body)) as Tombstone) : null;
    },
    async listByUser(userId) {
      const res = await q<Row>('listByUser', `SELECT ${READ} FROM ${S} WHERE user_id = $1`, [userId]);
      return res.rows.map(parse);
    },
    async listByFederated(issuer, by) {
      // One index scan: (fed_iss, fed_sid) or (fed_iss, fed_sub). The columns are written in the same
      // statement as the body, so they follow every write, delete and sweep with it.
      const res =
        'sid' in by
          ? await q<Row>(
              'listByFederatedSid',
              `SELECT ${READ} FROM ${S} WHERE fed_iss = $1 AND fed_sid = $2`,
              [issuer, by.sid],
            )
          : await q<Row>(
              'listByFederatedSub',
              `SELECT ${READ} FROM ${S} WHERE fed_iss = $1 AND fed_sub = $2`,
              [issuer, by.sub],
            );
      return res.rows.map(parse);
    },
    async deleteByUser(userId, template, exceptId) {
      const res = await q<{ id: string }>(
        'deleteByUser',
        bulkDelete('user_id = $1 AND id IS DISTINCT FROM $2'),
        [userId, exceptId ?? null, ...templateArgs(template)],
      );
      return res.rows.map((r) => r.id);
    },
    async deleteFamily(family, template) {
      const res = await q<{ id: string }>('deleteFamily', bulkDelete('family = $1 AND $2::text IS NULL'), [
        family,
        null,
        ...templateArgs(template),
      ]);
      return res.rows.map((r) => r.id);
    },
    async search(query) {
      const text = query.text ? query.text.toLowerCase() : null;
      const res = await q<Row>(
        'search',
        `SELECT ${READ} FROM ${S}
          WHERE expires_at > $1 AND ($2::boolean IS FALSE OR user_id IS NOT NULL)
            AND ($3::text IS NULL OR strpos(lower(concat_ws(E'\\n', user_id, last_ip,
                  body::jsonb #>> '{device,firstIp}', body::jsonb #>> '{device,browser}',
                  body::jsonb #>> '{device,os}', body::jsonb #>> '{device,userAgent}')), $3) > 0)
          ORDER BY last_seen_at DESC LIMIT $4`,
        [String(query.now), query.authenticatedOnly === true, text, query.limit],
      );
      return res.rows.map(parse);
    },
    async countLive(now) {
      const res = await q<{ live: number; authenticated: number }>(
        'countLive',
        `SELECT count(*)::int AS live, count(user_id)::int AS authenticated FROM ${S} WHERE expires_at > $1`,
        [String(now)],
      );
      return { live: res.rows[0]?.live ?? 0, authenticated: res.rows[0]?.authenticated ?? 0 };
    },
    async sweep(now, limit) {
      let removed = 0;
      for (const table of [S, T]) {
        for (;;) {
          const want = Math.min(sweepChunk, limit - removed);
          if (want <= 0) return removed;
          if (removed > 0 && sweepPauseMs > 0) await new Promise((r) => setTimeout(r, sweepPauseMs));
          const n = await sweepChunkOf(table, now, want);
          removed += n;
          if (n < want) break; // this table is done (for now)
        }
      }
      return removed;
    },
  });
}

async function migrate(pool: Pool, p: string): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One migrator at a time, however many app servers start together.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`tessera-migrate:${p}`]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS ${p}schema_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)`,
    );
    const res = await client.query<{ v: number | null }>(
      `SELECT MAX(version) AS v FROM ${p}schema_migrations`,
    );
    const current = res.rows[0]?.v ?? 0;
    const steps = migrations(p);
    if (current > steps.length) {
      throw new Error(
        `The database schema (version ${current}) is newer than this version of Tessera understands (${steps.length}).`,
      );
    }
    for (let i = current; i < steps.length; i++) {
      await client.query(steps[i]!);
      await client.query(`INSERT INTO ${p}schema_migrations (version, applied_at) VALUES ($1, $2)`, [
        i + 1,
        Date.now(),
      ]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** What a losing `CREATE TABLE IF NOT EXISTS` race reports: unique_violation, duplicate_object, duplicate_table. */
const DUPLICATE_CODES = new Set(['23505', '42710', '42P07']);

/**
 * A limiter shared by every app server through the same PostgreSQL (a table of its own, created on
 * first use, and again after a failed attempt): pass it as `creationRateLimit`. Fails closed
 * (STORE_UNAVAILABLE) when PostgreSQL cannot answer.
 */
export function postgresRateLimiter(pool: Pool, options: SharedRateLimitOptions = {}): RateLimiterPostgres {
  const table = options.name ?? 'tessera_rl_create';
  if (typeof table !== 'string' || !/^[A-Za-z0-9_]+$/.test(table))
    throw new ConfigError('postgresRateLimiter.name', 'may contain only letters, digits and _.');
  let created: Promise<unknown> | null = null;
  const ensure = () => {
    // The table rate-limiter-flexible expects (its own definition).
    created ??= pool
      .query(
        `CREATE TABLE IF NOT EXISTS "${table}" (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`,
      )
      .catch((err: unknown) => {
        // Two servers creating it at once: the loser sees a duplicate (the row type in pg_type,
        // 23505 or 42710, or the table, 42P07); the table exists then.
        if (DUPLICATE_CODES.has((err as { code?: string }).code ?? '')) return;
        created = null; // a real failure: try again on the next call
        throw err;
      });
    return created;
  };
  class SharedPostgresLimiter extends RateLimiterPostgres {
    override async consume(key: string | number, points?: number, opts?: { [key: string]: unknown }) {
      await ensure();
      return super.consume(key, points, opts);
    }
  }
  return new SharedPostgresLimiter({
    storeClient: pool,
    storeType: 'pool',
    tableName: table,
    tableCreated: true,
    points: options.points ?? 60,
    duration: Math.max(1, parseDuration(options.window ?? '1m', 'window') / 1000),
  });
}

export type { SharedRateLimitOptions } from './shared/rate-limit.ts';

/** Options of {@link postgresInvalidation}. */
export interface PostgresInvalidationOptions {
  /**
   * The pool to notify through and to take the listening connection from: the bus holds one of its
   * connections for as long as it listens (size the pool one larger).
   */
  pool: Pool;
  /** Channel name (default `tessera_invalidate`). Lower-case letters, digits and `_`. */
  channel?: string;
  /**
   * How often the listening connection is checked with a `SELECT 1` (default 1,000 ms): a
   * connection that died without a word (a silent network drop) is noticed within this plus
   * `timeoutMs`, and the cache is off from then until a new connection listens.
   */
  heartbeatMs?: number;
  /** A heartbeat or `LISTEN` that has not answered after this long counts as a lost connection (default 1,000 ms). */
  timeoutMs?: number;
  /** Wait between attempts to listen again after the connection was lost (default 500 ms). */
  retryMs?: number;
}

/** Ids per NOTIFY: 150 × 44 bytes stays well under PostgreSQL's 8,000-byte payload limit. */
const IDS_PER_NOTIFY = 150;

/**
 * Near-cache invalidation over PostgreSQL `LISTEN/NOTIFY` (see `nearCache`): the same semantics as
 * `redisInvalidation`. Announcements are `pg_notify` through the pool (delivered on commit, to
 * every listener, this process included). The listener is one pooled connection held for the
 * purpose. It reports "not listening" from the moment that connection errors, ends (for example
 * `pg_terminate_backend`, a server restart) or misses a heartbeat, until a new connection has run
 * `LISTEN` again, so the cache is off while announcements could be missed. Its backend shows in
 * `pg_stat_activity` as `application_name = 'tessera-invalidation'`.
 *
 * @example
 * const store = nearCache(postgresStore({ pool }), { bus: postgresInvalidation({ pool }) });
 * await store.start();
 */
export function postgresInvalidation(options: PostgresInvalidationOptions): InvalidationBus {
  rejectUnknownKeys(
    options,
    ['pool', 'channel', 'heartbeatMs', 'timeoutMs', 'retryMs'],
    'postgresInvalidation',
  );
  const pool = options.pool;
  const channel = options.channel ?? 'tessera_invalidate';
  if (typeof channel !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(channel))
    throw new ConfigError('postgresInvalidation.channel', 'may contain only a-z, 0-9 and _ (at most 63).');
  const heartbeatMs = integerOption(options.heartbeatMs ?? 1_000, 'postgresInvalidation.heartbeatMs', 1);
  const timeoutMs = integerOption(options.timeoutMs ?? 1_000, 'postgresInvalidation.timeoutMs', 1);
  const retryMs = integerOption(options.retryMs ?? 500, 'postgresInvalidation.retryMs', 1);

  return {
    async publish(ids) {
      for (let i = 0; i < ids.length; i += IDS_PER_NOTIFY) {
        await pool.query('SELECT pg_notify($1, $2)', [channel, ids.slice(i, i + IDS_PER_NOTIFY).join(',')]);
      }
    },
    async subscribe(onIds, onState) {
      let up = false;
      let stopped = false;
      let current: PoolClient | null = null;
      let retry: NodeJS.Timeout | undefined;
      let heartbeat: NodeJS.Timeout | undefined;
      const state = (next: boolean) => {
        if (next !== up) {
          up = next;
          onState(next);
        }
      };
      /** Gives up on `client` (destroyed, never back to the pool), reports "not listening", and retries. */
      const lost = (client: PoolClient) => {
        if (current !== client) return;
        current = null;
        clearInterval(heartbeat);
        state(false);
        try {
          client.release(true);
        } catch {
          // released already
        }
        if (!stopped) retry = setTimeout(() => void listen(), retryMs).unref();
      };
      const listen = async (): Promise<boolean> => {
        let client: PoolClient;
        const connecting = pool.connect();
        try {
          client = await bounded('postgresInvalidation', 'connect', timeoutMs, connecting);
        } catch {
          // A connection that arrives after the timeout goes straight back (closed).
          connecting.then((late) => late.release(true)).catch(() => undefined);
          if (!stopped) retry = setTimeout(() => void listen(), retryMs).unref();
          return false;
        }
        if (stopped) {
          client.release();
          return false;
        }
        current = client;
        client.on('error', () => lost(client));
        client.on('end', () => lost(client));
        client.on('notification', (msg: Notification) => {
          if (msg.channel === channel && msg.payload) onIds(msg.payload.split(','));
        });
        try {
          await bounded(
            'postgresInvalidation',
            'listen',
            timeoutMs,
            client.query(`SET application_name = 'tessera-invalidation'; LISTEN "${channel}"`),
          );
        } catch {
          lost(client);
          return false;
        }
        if (current !== client) return false;
        heartbeat = setInterval(() => {
          bounded('postgresInvalidation', 'heartbeat', timeoutMs, client.query('SELECT 1')).catch(() =>
            lost(client),
          );
        }, heartbeatMs);
        heartbeat.unref();
        state(true);
        return true;
      };
      await listen();
      return async () => {
        stopped = true;
        clearTimeout(retry);
        clearInterval(heartbeat);
        state(false);
        const client = current;
        current = null;
        if (client) {
          await client.query(`UNLISTEN "${channel}"`).catch(() => undefined);
          client.release(true);
        }
      };
    },
  };
}
