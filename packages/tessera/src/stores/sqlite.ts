import type { Database } from 'better-sqlite3';
import type { SessionRecord, Store, Tombstone } from '../store/types.ts';
import { DuplicateSessionError, recordExpiresAt } from '../store/types.ts';

/** Options of {@link sqliteStore}. */
export interface SqliteStoreOptions {
  /** An open better-sqlite3 database (the caller owns it; `close()` does not close it). */
  database: Database;
  /** Table name prefix (default `tessera_`). Letters, digits and `_` only. */
  tablePrefix?: string;
  /** Switch the database to WAL journaling (default true; ignored for in-memory databases). */
  wal?: boolean;
  /**
   * Hold the file's lock for the life of the connection (`PRAGMA locking_mode = EXCLUSIVE`): every
   * read then skips two file-lock system calls, which is most of a session look-up's cost. Only
   * for a file this one connection owns: any other connection or process (a second app
   * instance, the `sqlite3` shell) is locked out until this one closes. Creating the store fails
   * at once, with a clear error, if another connection already has the file open for use.
   * Default false.
   */
  exclusive?: boolean;
  /**
   * How long (ms) a write waits for a lock another connection holds before it fails (the engine
   * then answers STORE_UNAVAILABLE). better-sqlite3 waits synchronously, blocking the event loop,
   * so keep it short. Default 50. The model is one process per file: a second process writing the
   * same file (another app instance, a shell) makes requests wait up to this long, then fail.
   */
  busyTimeout?: number;
  /**
   * How many parsed records to remember by their stored text (default 10,000, about 10–20 MiB at
   * most; 0 turns it off). Only unchanged rows hit it, so it never serves stale data.
   */
  parseCacheSize?: number;
}

/** Schema migrations, applied in order; each runs once inside a transaction. */
function migrations(p: string): string[] {
  return [
    `CREATE TABLE ${p}sessions (
       id TEXT PRIMARY KEY,
       user_id TEXT,
       family TEXT NOT NULL,
       version INTEGER NOT NULL,
       expires_at INTEGER NOT NULL,
       body TEXT NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX ${p}sessions_user ON ${p}sessions(user_id) WHERE user_id IS NOT NULL;
     CREATE INDEX ${p}sessions_family ON ${p}sessions(family);
     CREATE INDEX ${p}sessions_expires ON ${p}sessions(expires_at);
     CREATE TABLE ${p}tombstones (
       id TEXT PRIMARY KEY,
       expires_at INTEGER NOT NULL,
       body TEXT NOT NULL
     ) WITHOUT ROWID;
     CREATE INDEX ${p}tombstones_expires ON ${p}tombstones(expires_at);`,
  ];
}

interface Row {
  body: string;
}

/**
 * The embedded default store: one SQLite file (WAL), prepared statements, indexes for user,
 * family and expiry look-ups, versioned schema migrations, and a sweep that removes expired rows
 * in bounded batches. Takes the caller's better-sqlite3 `Database`; the library does not depend on it.
 *
 * @example
 * import Database from 'better-sqlite3';
 * const store = sqliteStore({ database: new Database('sessions.db') });
 */
export function sqliteStore(options: SqliteStoreOptions): Store {
  const db = options.database;
  const p = options.tablePrefix ?? 'tessera_';
  if (!/^[A-Za-z0-9_]*$/.test(p)) throw new TypeError('tablePrefix may contain only letters, digits and _.');
  if (options.exclusive && !db.memory) claimExclusive(db);
  if (options.wal !== false && !db.memory) db.pragma('journal_mode = WAL');
  const busy = options.busyTimeout ?? 50;
  if (!Number.isInteger(busy) || busy < 0 || busy > 60_000)
    throw new TypeError('busyTimeout must be an integer number of milliseconds from 0 to 60000.');
  db.pragma(`busy_timeout = ${busy}`);
  migrate(db, p);

  const q = {
    insert: db.prepare(
      `INSERT INTO ${p}sessions (id, user_id, family, version, expires_at, body) VALUES (@id, @userId, @family, @version, @expiresAt, @body)`,
    ),
    get: db.prepare(`SELECT body FROM ${p}sessions WHERE id = ?`).pluck(),
    update: db.prepare(
      `UPDATE ${p}sessions SET user_id = @userId, family = @family, version = @version, expires_at = @expiresAt, body = @body WHERE id = @id AND version = @expected`,
    ),
    touch: db.prepare(
      `UPDATE ${p}sessions SET expires_at = MIN(@idle, json_extract(body, '$.absoluteExpiresAt')),
         body = json_set(body, '$.lastSeenAt', @lastSeenAt, '$.idleExpiresAt', @idle, '$.device.lastIp', @lastIp)
       WHERE id = @id`,
    ),
    del: db.prepare(`DELETE FROM ${p}sessions WHERE id = ?`),
    delVersion: db.prepare(`DELETE FROM ${p}sessions WHERE id = ? AND version = ?`),
    tomb: db.prepare(`INSERT OR REPLACE INTO ${p}tombstones (id, expires_at, body) VALUES (?, ?, ?)`),
    getTomb: db.prepare(`SELECT body FROM ${p}tombstones WHERE id = ?`),
    byUser: db.prepare(`SELECT body FROM ${p}sessions WHERE user_id = ?`),
    byFamily: db.prepare(`SELECT body FROM ${p}sessions WHERE family = ?`),
    sweepSessions: db.prepare(
      `DELETE FROM ${p}sessions WHERE id IN (SELECT id FROM ${p}sessions WHERE expires_at <= ? LIMIT ?)`,
    ),
    sweepTombs: db.prepare(
      `DELETE FROM ${p}tombstones WHERE id IN (SELECT id FROM ${p}tombstones WHERE expires_at <= ? LIMIT ?)`,
    ),
  };

  const params = (r: SessionRecord) => ({
    id: r.id,
    userId: r.userId,
    family: r.family,
    version: r.version,
    expiresAt: recordExpiresAt(r),
    body: JSON.stringify(r),
  });
  const writeTomb = (t: Tombstone) => q.tomb.run(t.id, t.expiresAt, JSON.stringify(t));
  // Parsed records are memoised by their exact stored text: a session read again without having
  // changed is not parsed again. Records are frozen, since the same object is handed out repeatedly.
  const memo = new Map<string, SessionRecord>();
  const memoSize = options.parseCacheSize ?? 10_000;
  if (!Number.isInteger(memoSize) || memoSize < 0)
    throw new TypeError('parseCacheSize must be a non-negative integer.');
  const parseBody = (body: string): SessionRecord => {
    const hit = memo.get(body);
    if (hit) return hit;
    const r = JSON.parse(body) as SessionRecord;
    Object.freeze(r.binding);
    Object.freeze(r.device);
    Object.freeze(r);
    if (memoSize === 0) return r;
    if (memo.size >= memoSize) memo.delete(memo.keys().next().value as string);
    memo.set(body, r);
    return r;
  };

  const getSync = (id: string): SessionRecord | null => {
    const body = q.get.get(id) as string | undefined;
    return body === undefined ? null : parseBody(body);
  };

  const rotateTx = db.transaction((oldId: string, expected: number, next: SessionRecord, tomb: Tombstone) => {
    if (q.delVersion.run(oldId, expected).changes !== 1) return false;
    writeTomb(tomb);
    q.insert.run(params(next));
    return true;
  });
  const deleteTx = db.transaction((id: string, tomb: Tombstone) => {
    writeTomb(tomb);
    return q.del.run(id).changes === 1;
  });
  // The rows are read inside the (immediate) transaction, so a session another process creates or
  // rotates meanwhile cannot slip between the read and the delete.
  const deleteManyTx = db.transaction(
    (
      select: typeof q.byUser,
      key: string,
      tombstoneFor: (r: SessionRecord) => Tombstone,
      exceptId: string | undefined,
    ) => {
      const rows = (select.all(key) as Row[]).map((r) => JSON.parse(r.body) as SessionRecord);
      const ids: string[] = [];
      for (const r of rows) {
        if (r.id === exceptId) continue;
        if (q.del.run(r.id).changes === 1) {
          writeTomb(tombstoneFor(r));
          ids.push(r.id);
        }
      }
      return ids;
    },
  );
  const sweepTx = db.transaction((now: number, limit: number) => {
    const a = q.sweepSessions.run(now, limit).changes;
    const b = a < limit ? q.sweepTombs.run(now, limit - a).changes : 0;
    return a + b;
  });

  return {
    async create(record) {
      try {
        q.insert.run(params(record));
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY')
          throw new DuplicateSessionError();
        throw err;
      }
    },
    async get(id) {
      return getSync(id);
    },
    getSync,
    async update(next, expectedVersion) {
      return q.update.run({ ...params(next), expected: expectedVersion }).changes === 1;
    },
    async touch(id, patch) {
      return (
        q.touch.run({ id, lastSeenAt: patch.lastSeenAt, idle: patch.idleExpiresAt, lastIp: patch.lastIp })
          .changes === 1
      );
    },
    async rotate(oldId, expectedVersion, next, tombstone) {
      try {
        return rotateTx(oldId, expectedVersion, next, tombstone);
      } catch (err) {
        if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return false;
        throw err;
      }
    },
    async delete(id, tombstone) {
      return deleteTx(id, tombstone);
    },
    async getTombstone(id) {
      const row = q.getTomb.get(id) as Row | undefined;
      return row ? (JSON.parse(row.body) as Tombstone) : null;
    },
    async listByUser(userId) {
      return (q.byUser.all(userId) as Row[]).map((r) => JSON.parse(r.body) as SessionRecord);
    },
    async deleteByUser(userId, tombstoneFor, exceptId) {
      return deleteManyTx.immediate(q.byUser, userId, tombstoneFor, exceptId);
    },
    async deleteFamily(family, tombstoneFor) {
      return deleteManyTx.immediate(q.byFamily, family, tombstoneFor, undefined);
    },
    async sweep(now, limit) {
      return sweepTx(now, limit);
    },
  };
}

/**
 * Switches the connection to exclusive locking and takes the lock now (a write transaction), so a
 * file in use elsewhere fails here rather than on the first request. Set before WAL is entered, the
 * WAL index lives in the process's memory instead of a shared-memory file.
 */
function claimExclusive(db: Database): void {
  const timeout = db.pragma('busy_timeout', { simple: true });
  db.pragma('busy_timeout = 0');
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN IMMEDIATE; COMMIT');
  } catch (err) {
    db.pragma('locking_mode = NORMAL');
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new Error(
        `sqliteStore: exclusive: true, but another connection or process is using ${db.name}. ` +
          'Close it, or leave exclusive off to share the file (each read then takes a file lock).',
        { cause: err },
      );
    }
    throw err;
  } finally {
    db.pragma(`busy_timeout = ${Number(timeout)}`);
  }
}

function migrate(db: Database, p: string): void {
  db.exec(
    `CREATE TABLE IF NOT EXISTS ${p}schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
  );
  const row = db.prepare(`SELECT MAX(version) AS v FROM ${p}schema_migrations`).get() as { v: number | null };
  const current = row.v ?? 0;
  const steps = migrations(p);
  if (current > steps.length) {
    throw new Error(
      `The database schema (version ${current}) is newer than this version of Tessera understands (${steps.length}).`,
    );
  }
  steps.slice(current).forEach((sql, i) => {
    db.transaction(() => {
      db.exec(sql);
      db.prepare(`INSERT INTO ${p}schema_migrations (version, applied_at) VALUES (?, ?)`).run(
        current + i + 1,
        Date.now(),
      );
    })();
  });
}
