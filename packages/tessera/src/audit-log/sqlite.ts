import type { Database } from 'better-sqlite3';
import { rejectUnknownKeys } from '../config-check.ts';
import { ConfigError } from '../errors.ts';
import type { AuditBackend, AuditCheckpoint, AuditEntry, AuditHead } from './types.ts';

/** Options of {@link sqliteAuditBackend}. */
export interface SqliteAuditBackendOptions {
  /** An open better-sqlite3 database (the caller owns it). May be the session store's. */
  database: Database;
  /** Table name prefix (default `tessera_`). Letters, digits and `_` only. */
  tablePrefix?: string;
  /** Log name, so one database can hold several independent chains (default `sessions`). */
  log?: string;
}

interface Row {
  seq: number;
  at: number;
  kind: string;
  body: string;
  prev_hash: string;
  hash: string;
}

/**
 * The audit log in SQLite. Each append runs in an IMMEDIATE transaction — it takes the
 * database's write lock before reading the head — so appends from several connections or
 * processes on one file are serialised: no two entries build on the same head, none is lost.
 * The sequence number is the primary key, which would refuse a fork even if that were broken.
 *
 * @example
 * const backend = sqliteAuditBackend({ database: new Database('tessera.db') });
 */
export function sqliteAuditBackend(options: SqliteAuditBackendOptions): AuditBackend {
  rejectUnknownKeys(options, ['database', 'tablePrefix', 'log'], 'sqliteAuditBackend');
  const db = options.database;
  const p = options.tablePrefix ?? 'tessera_';
  if (!/^[A-Za-z0-9_]*$/.test(p))
    throw new ConfigError('tablePrefix', 'may contain only letters, digits and _.');
  const log = options.log ?? 'sessions';
  if (!db.memory) db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 10000');
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${p}audit (
       log TEXT NOT NULL,
       seq INTEGER NOT NULL,
       at INTEGER NOT NULL,
       kind TEXT NOT NULL,
       body TEXT NOT NULL,
       prev_hash TEXT NOT NULL,
       hash TEXT NOT NULL,
       PRIMARY KEY (log, seq)
     ) WITHOUT ROWID;
     CREATE TABLE IF NOT EXISTS ${p}audit_checkpoints (
       log TEXT PRIMARY KEY,
       body TEXT NOT NULL
     ) WITHOUT ROWID;`,
  );
  const q = {
    last: db.prepare<[string], Row>(`SELECT * FROM ${p}audit WHERE log = ? ORDER BY seq DESC LIMIT 1`),
    checkpoint: db.prepare<[string], string>(`SELECT body FROM ${p}audit_checkpoints WHERE log = ?`).pluck(),
    insert: db.prepare(
      `INSERT INTO ${p}audit (log, seq, at, kind, body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    read: db.prepare<[string, number, number], Row>(
      `SELECT * FROM ${p}audit WHERE log = ? AND seq >= ? ORDER BY seq LIMIT ?`,
    ),
    saveCheckpoint: db.prepare(
      `INSERT INTO ${p}audit_checkpoints (log, body) VALUES (?, ?) ON CONFLICT (log) DO UPDATE SET body = excluded.body`,
    ),
    prune: db.prepare(`DELETE FROM ${p}audit WHERE log = ? AND seq <= ?`),
  };
  const toEntry = (r: Row): AuditEntry => ({
    seq: r.seq,
    at: r.at,
    kind: r.kind,
    body: r.body,
    prevHash: r.prev_hash,
    hash: r.hash,
  });
  const readCheckpoint = (): AuditCheckpoint | null => {
    const body = q.checkpoint.get(log);
    return body === undefined ? null : (JSON.parse(body) as AuditCheckpoint);
  };
  const append = db.transaction((build: (head: AuditHead | null) => AuditEntry[]) => {
    const last = q.last.get(log);
    const cp = last ? null : readCheckpoint();
    const head = last ? { seq: last.seq, hash: last.hash } : cp ? { seq: cp.seq, hash: cp.hash } : null;
    const entries = build(head);
    for (const e of entries) q.insert.run(log, e.seq, e.at, e.kind, e.body, e.prevHash, e.hash);
    return entries;
  });
  const prune = db.transaction((cp: AuditCheckpoint) => {
    q.saveCheckpoint.run(log, JSON.stringify(cp));
    return q.prune.run(log, cp.seq).changes;
  });
  return {
    async append(build) {
      return append.immediate(build);
    },
    async read(fromSeq, limit) {
      return q.read.all(log, fromSeq, limit).map(toEntry);
    },
    async checkpoint() {
      return readCheckpoint();
    },
    async prune(cp) {
      return prune.immediate(cp);
    },
  };
}
