import type { Database } from 'better-sqlite3';
import type { Pool } from 'pg';
import { ConfigError } from '../errors.ts';

/** The rules of the detector. */
export type RuleId =
  | 'reuse'
  | 'binding-mismatch'
  | 'distant-networks'
  | 'invalid-token-flood'
  | 'anonymous-flood'
  | 'session-limit'
  | 'device-proof';

/** What a rule does when it fires. Every action but `off` also records a detection. */
export type RuleAction = 'off' | 'flag' | 'step-up' | 'revoke' | 'throttle';

/** One party of a detection (for reuse: the replayer and the holders of the family). */
export interface DetectionParty {
  role: 'replayer' | 'holder' | 'previous' | 'current' | 'client';
  sessionId: string | null;
  ip: string | null;
  /** Raw User-Agent for the request's party; parsed browser/OS for a stored session. */
  agent: string | null;
}

/** Something a rule noticed. Never carries a token or session data. */
export interface Detection {
  /** Random id (UUID). */
  readonly id: string;
  readonly rule: RuleId;
  /** The action taken. */
  readonly action: Exclude<RuleAction, 'off'>;
  readonly severity: 'low' | 'medium' | 'high';
  /** When it was raised (ms since the epoch). */
  readonly at: number;
  /** Hashed session id, when one session is concerned. */
  readonly sessionId: string | null;
  readonly userId: string | null;
  /** The client address that triggered it. */
  readonly ip: string | null;
  /** One sentence for people. */
  readonly summary: string;
  readonly parties: readonly DetectionParty[];
  /** Rule-specific facts (counts, prefixes, windows). */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
  /** Set when someone acknowledged it in the console. */
  readonly acknowledged: { readonly at: number; readonly by: string; readonly note: string | null } | null;
}

/** A query of {@link DetectionStore.list}: newest first. */
export interface DetectionQuery {
  rule?: RuleId;
  /** `false`: only open ones; `true`: only acknowledged ones; absent: both. */
  acknowledged?: boolean;
  userId?: string;
  /** Only detections raised before this time (ms), for paging back. */
  before?: number;
  /** Default 50, at most 1000. */
  limit?: number;
}

/** Where detections are kept for the admin console. */
export interface DetectionStore {
  add(detection: Detection): Promise<void>;
  get(id: string): Promise<Detection | null>;
  list(query?: DetectionQuery): Promise<Detection[]>;
  /** Marks a detection acknowledged (idempotent: a second call keeps the first). Null if unknown. */
  acknowledge(id: string, by: string, note?: string | null): Promise<Detection | null>;
}

const limitOf = (q: DetectionQuery) => Math.min(Math.max(1, q.limit ?? 50), 1000);

/**
 * Detections in process memory, the newest `max` (default 10,000) kept: for development, tests and
 * single-process apps. Use {@link sqliteDetectionStore} (or your own) to keep them across restarts.
 */
export function memoryDetectionStore(
  options: { max?: number } = {},
): DetectionStore & { readonly size: number } {
  const max = options.max ?? 10_000;
  const byId = new Map<string, Detection>();
  return {
    get size() {
      return byId.size;
    },
    async add(d) {
      byId.set(d.id, d);
      while (byId.size > max) byId.delete(byId.keys().next().value as string);
    },
    async get(id) {
      return byId.get(id) ?? null;
    },
    async list(q = {}) {
      const out: Detection[] = [];
      const all = [...byId.values()];
      for (let i = all.length - 1; i >= 0 && out.length < limitOf(q); i--) {
        const d = all[i]!;
        if (q.rule && d.rule !== q.rule) continue;
        if (q.userId !== undefined && d.userId !== q.userId) continue;
        if (q.acknowledged !== undefined && (d.acknowledged !== null) !== q.acknowledged) continue;
        if (q.before !== undefined && d.at >= q.before) continue;
        out.push(d);
      }
      return out;
    },
    async acknowledge(id, by, note = null) {
      const d = byId.get(id);
      if (!d) return null;
      if (d.acknowledged) return d;
      const next = { ...d, acknowledged: { at: Date.now(), by, note } };
      byId.set(id, next);
      return next;
    },
  };
}

/** Detections in a SQLite table (`tessera_detections`), on the caller's better-sqlite3 database. */
export function sqliteDetectionStore(options: { database: Database; tablePrefix?: string }): DetectionStore {
  const db = options.database;
  const p = options.tablePrefix ?? 'tessera_';
  if (!/^[A-Za-z0-9_]*$/.test(p))
    throw new ConfigError('tablePrefix', 'may contain only letters, digits and _.');
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${p}detections (
       id TEXT PRIMARY KEY,
       at INTEGER NOT NULL,
       rule TEXT NOT NULL,
       user_id TEXT,
       acknowledged INTEGER NOT NULL DEFAULT 0,
       body TEXT NOT NULL
     );
     CREATE INDEX IF NOT EXISTS ${p}detections_at ON ${p}detections(at);`,
  );
  const insert = db.prepare(
    `INSERT INTO ${p}detections (id, at, rule, user_id, acknowledged, body) VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const getOne = db.prepare<[string], string>(`SELECT body FROM ${p}detections WHERE id = ?`).pluck();
  const ack = db.prepare(
    `UPDATE ${p}detections SET acknowledged = 1, body = ? WHERE id = ? AND acknowledged = 0`,
  );
  const parse = (body: string | undefined) => (body === undefined ? null : (JSON.parse(body) as Detection));
  return {
    async add(d) {
      insert.run(d.id, d.at, d.rule, d.userId, d.acknowledged ? 1 : 0, JSON.stringify(d));
    },
    async get(id) {
      return parse(getOne.get(id));
    },
    async list(q = {}) {
      const where: string[] = [];
      const args: Array<string | number> = [];
      if (q.rule) where.push('rule = ?') && args.push(q.rule);
      if (q.userId !== undefined) where.push('user_id = ?') && args.push(q.userId);
      if (q.acknowledged !== undefined) where.push('acknowledged = ?') && args.push(q.acknowledged ? 1 : 0);
      if (q.before !== undefined) where.push('at < ?') && args.push(q.before);
      const sql = `SELECT body FROM ${p}detections ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, rowid DESC LIMIT ?`;
      return (
        db
          .prepare(sql)
          .pluck()
          .all(...args, limitOf(q)) as string[]
      ).map((b) => JSON.parse(b) as Detection);
    },
    async acknowledge(id, by, note = null) {
      const d = parse(getOne.get(id));
      if (!d) return null;
      if (d.acknowledged) return d;
      const next = { ...d, acknowledged: { at: Date.now(), by, note } };
      ack.run(JSON.stringify(next), id);
      return parse(getOne.get(id));
    },
  };
}

/**
 * Detections in PostgreSQL (`tessera_detections`), shared by every app server, so one console sees
 * them all. Takes the caller's node-postgres `Pool`; creates its table on first use.
 */
export async function postgresDetectionStore(options: {
  pool: Pool;
  tablePrefix?: string;
}): Promise<DetectionStore> {
  const { pool } = options;
  const p = options.tablePrefix ?? 'tessera_';
  if (!/^[A-Za-z0-9_]*$/.test(p))
    throw new ConfigError('tablePrefix', 'may contain only letters, digits and _.');
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`tessera-detections-ddl:${p}`]);
    await c.query(
      `CREATE TABLE IF NOT EXISTS ${p}detections (
         id TEXT PRIMARY KEY,
         at BIGINT NOT NULL,
         seq BIGSERIAL,
         rule TEXT NOT NULL,
         user_id TEXT,
         acknowledged BOOLEAN NOT NULL DEFAULT false,
         body TEXT NOT NULL
       );
       CREATE INDEX IF NOT EXISTS ${p}detections_at ON ${p}detections (at DESC, seq DESC);`,
    );
    await c.query('COMMIT');
  } catch (err) {
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    c.release();
  }
  const one = async (id: string) => {
    const r = await pool.query<{ body: string }>(`SELECT body FROM ${p}detections WHERE id = $1`, [id]);
    return r.rows[0] ? (JSON.parse(r.rows[0].body) as Detection) : null;
  };
  return {
    async add(d) {
      await pool.query(
        `INSERT INTO ${p}detections (id, at, rule, user_id, acknowledged, body) VALUES ($1, $2, $3, $4, $5, $6)`,
        [d.id, d.at, d.rule, d.userId, d.acknowledged !== null, JSON.stringify(d)],
      );
    },
    get: one,
    async list(q = {}) {
      const where: string[] = [];
      const args: unknown[] = [];
      const add = (sql: string, v: unknown) => {
        args.push(v);
        where.push(sql.replace('?', `$${args.length}`));
      };
      if (q.rule) add('rule = ?', q.rule);
      if (q.userId !== undefined) add('user_id = ?', q.userId);
      if (q.acknowledged !== undefined) add('acknowledged = ?', q.acknowledged);
      if (q.before !== undefined) add('at < ?', q.before);
      args.push(limitOf(q));
      const r = await pool.query<{ body: string }>(
        `SELECT body FROM ${p}detections ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, seq DESC LIMIT $${args.length}`,
        args,
      );
      return r.rows.map((row) => JSON.parse(row.body) as Detection);
    },
    async acknowledge(id, by, note = null) {
      const d = await one(id);
      if (!d) return null;
      if (d.acknowledged) return d;
      const next = { ...d, acknowledged: { at: Date.now(), by, note } };
      // Only the first acknowledgement sticks, even when two admins click at once.
      await pool.query(
        `UPDATE ${p}detections SET acknowledged = true, body = $1 WHERE id = $2 AND NOT acknowledged`,
        [JSON.stringify(next), id],
      );
      return one(id);
    },
  };
}
