import type { Pool, PoolClient } from 'pg';
import { rejectUnknownKeys } from '../config-check.ts';
import { ConfigError } from '../errors.ts';
import type { AuditBackend, AuditCheckpoint, AuditEntry, AuditHead } from './types.ts';

/** Options of {@link postgresAuditBackend}. */
export interface PostgresAuditBackendOptions {
  /** A node-postgres `Pool` (the caller owns it). */
  pool: Pool;
  /** Table name prefix (default `tessera_`). Letters, digits and `_` only. */
  tablePrefix?: string;
  /** Log name, so one database can hold several independent chains (default `sessions`). */
  log?: string;
}

interface Row {
  seq: string;
  at: string;
  kind: string;
  body: string;
  prev_hash: string;
  hash: string;
}

const toEntry = (r: Row): AuditEntry => ({
  seq: Number(r.seq),
  at: Number(r.at),
  kind: r.kind,
  body: r.body,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/**
 * The audit log in PostgreSQL. Each append is one transaction that first takes a transaction-level
 * advisory lock for the log, then reads the head and inserts: appends from every app server are
 * serialised by the database, so the chain never forks and no entry is lost. `(log, seq)` is the
 * primary key, which would refuse a fork even if that were broken.
 *
 * @example
 * const backend = await postgresAuditBackend({ pool: new pg.Pool({ connectionString }) });
 */
export async function postgresAuditBackend(options: PostgresAuditBackendOptions): Promise<AuditBackend> {
  rejectUnknownKeys(options, ['pool', 'tablePrefix', 'log'], 'postgresAuditBackend');
  const { pool } = options;
  const p = options.tablePrefix ?? 'tessera_';
  if (!/^[A-Za-z0-9_]*$/.test(p))
    throw new ConfigError('tablePrefix', 'may contain only letters, digits and _.');
  const log = options.log ?? 'sessions';
  const lockKey = `tessera-audit:${p}:${log}`;
  const transaction = async <T>(work: (c: PoolClient) => Promise<T>): Promise<T> => {
    const c = await pool.connect();
    try {
      await c.query('BEGIN');
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [lockKey]);
      const out = await work(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  };
  // Several servers may start at once: the DDL runs under a lock of its own.
  const ddlClient = await pool.connect();
  try {
    await ddlClient.query('BEGIN');
    await ddlClient.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `tessera-audit-ddl:${p}`,
    ]);
    await ddlClient.query(
      `CREATE TABLE IF NOT EXISTS ${p}audit (
         log TEXT NOT NULL,
         seq BIGINT NOT NULL,
         at BIGINT NOT NULL,
         kind TEXT NOT NULL,
         body TEXT NOT NULL,
         prev_hash TEXT NOT NULL,
         hash TEXT NOT NULL,
         PRIMARY KEY (log, seq)
       );
       CREATE TABLE IF NOT EXISTS ${p}audit_checkpoints (log TEXT PRIMARY KEY, body TEXT NOT NULL);`,
    );
    await ddlClient.query('COMMIT');
  } catch (err) {
    await ddlClient.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    ddlClient.release();
  }
  const checkpointOf = async (c: Pool | PoolClient): Promise<AuditCheckpoint | null> => {
    const r = await c.query<{ body: string }>(`SELECT body FROM ${p}audit_checkpoints WHERE log = $1`, [log]);
    return r.rows[0] ? (JSON.parse(r.rows[0].body) as AuditCheckpoint) : null;
  };
  return {
    append: (build) =>
      transaction(async (c) => {
        const last = await c.query<Row>(`SELECT * FROM ${p}audit WHERE log = $1 ORDER BY seq DESC LIMIT 1`, [
          log,
        ]);
        let head: AuditHead | null = last.rows[0]
          ? { seq: Number(last.rows[0].seq), hash: last.rows[0].hash }
          : null;
        if (!head) {
          const cp = await checkpointOf(c);
          head = cp ? { seq: cp.seq, hash: cp.hash } : null;
        }
        const entries = build(head);
        if (entries.length > 0) {
          const values: unknown[] = [];
          const rows = entries.map((e, i) => {
            values.push(log, e.seq, e.at, e.kind, e.body, e.prevHash, e.hash);
            const b = i * 7;
            return `($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}, $${b + 6}, $${b + 7})`;
          });
          await c.query(
            `INSERT INTO ${p}audit (log, seq, at, kind, body, prev_hash, hash) VALUES ${rows.join(', ')}`,
            values,
          );
        }
        return entries;
      }),
    async read(fromSeq, limit) {
      const r = await pool.query<Row>(
        `SELECT * FROM ${p}audit WHERE log = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
        [log, fromSeq, limit],
      );
      return r.rows.map(toEntry);
    },
    checkpoint: () => checkpointOf(pool),
    prune: (cp) =>
      transaction(async (c) => {
        await c.query(
          `INSERT INTO ${p}audit_checkpoints (log, body) VALUES ($1, $2)
           ON CONFLICT (log) DO UPDATE SET body = EXCLUDED.body`,
          [log, JSON.stringify(cp)],
        );
        const r = await c.query(`DELETE FROM ${p}audit WHERE log = $1 AND seq <= $2`, [log, cp.seq]);
        return r.rowCount ?? 0;
      }),
  };
}
