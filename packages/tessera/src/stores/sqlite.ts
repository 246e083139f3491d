import type { Database } from 'better-sqlite3';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { ConfigError } from '../errors.ts';
import type { SessionRecord, Store, Tombstone, TombstoneTemplate } from '../store/types.ts';
import { DuplicateSessionError, recordExpiresAt, tombstoneFromTemplate } from '../store/types.ts';
import { withStoreErrors } from './shared/errors.ts';

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
  /**
   * How many records to keep by id in a process-local read cache (default 10,000; 0 turns it
   * off). It stays coherent: every write through this store drops what it changes, and a write by
   * any other connection or process is noticed through `PRAGMA data_version` before each cached
   * read (under `exclusive: true`, or for an in-memory database, no other writer can exist, so a
   * cached read is a map look-up). Writes to Tessera's tables on this same connection that bypass
   * the store are not seen: leave the tables to the store.
   */
  readCacheSize?: number;
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
    // OpenID Connect back-channel logout finds sessions by the provider's (iss, sid) or (iss, sub).
    `CREATE INDEX ${p}sessions_fed_sid ON ${p}sessions(json_extract(body, '$.federated.iss'), json_extract(body, '$.federated.sid'))
       WHERE json_extract(body, '$.federated.iss') IS NOT NULL;
     CREATE INDEX ${p}sessions_fed_sub ON ${p}sessions(json_extract(body, '$.federated.iss'), json_extract(body, '$.federated.sub'))
       WHERE json_extract(body, '$.federated.iss') IS NOT NULL;`,
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
  rejectUnknownKeys(
    options,
    ['database', 'tablePrefix', 'wal', 'exclusive', 'busyTimeout', 'parseCacheSize', 'readCacheSize'],
    'sqliteStore',
  );
  const db = options.database;
  if (typeof db?.prepare !== 'function')
    throw new ConfigError('sqliteStore.database', 'must be a better-sqlite3 Database.');
  const p = options.tablePrefix ?? 'tessera_';
  if (typeof p !== 'string' || !/^[A-Za-z0-9_]*$/.test(p))
    throw new ConfigError('sqliteStore.tablePrefix', 'may contain only letters, digits and _.');
  if (options.exclusive && !db.memory) claimExclusive(db);
  if (options.wal !== false && !db.memory) db.pragma('journal_mode = WAL');
  const busy = integerOption(options.busyTimeout ?? 50, 'sqliteStore.busyTimeout', 0, 60_000);
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
    search: db
      .prepare(
        `SELECT body FROM ${p}sessions WHERE expires_at > @now AND (@auth = 0 OR user_id IS NOT NULL)
         AND (@text IS NULL OR instr(lower(coalesce(user_id, '') || char(10) ||
           coalesce(json_extract(body, '$.device.firstIp'), '') || char(10) ||
           coalesce(json_extract(body, '$.device.lastIp'), '') || char(10) ||
           coalesce(json_extract(body, '$.device.browser'), '') || char(10) ||
           coalesce(json_extract(body, '$.device.os'), '') || char(10) ||
           coalesce(json_extract(body, '$.device.userAgent'), '')), @text) > 0)
         ORDER BY json_extract(body, '$.lastSeenAt') DESC LIMIT @limit`,
      )
      .pluck(),
    count: db.prepare(
      `SELECT count(*) AS live, count(user_id) AS authenticated FROM ${p}sessions WHERE expires_at > ?`,
    ),
    byFedSid: db.prepare(
      `SELECT body FROM ${p}sessions WHERE json_extract(body, '$.federated.iss') IS NOT NULL
         AND json_extract(body, '$.federated.iss') = ? AND json_extract(body, '$.federated.sid') = ?`,
    ),
    byFedSub: db.prepare(
      `SELECT body FROM ${p}sessions WHERE json_extract(body, '$.federated.iss') IS NOT NULL
         AND json_extract(body, '$.federated.iss') = ? AND json_extract(body, '$.federated.sub') = ?`,
    ),
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
  const memoSize = integerOption(options.parseCacheSize ?? 10_000, 'sqliteStore.parseCacheSize', 0);
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

  const cache = readCache(db, options);
  const getSync = (id: string): SessionRecord | null => {
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    const body = q.get.get(id) as string | undefined;
    if (body === undefined) return null;
    const record = parseBody(body);
    cache.set(id, record);
    return record;
  };

  const rotateTx = db.transaction((oldId: string, expected: number, next: SessionRecord, tomb: Tombstone) => {
    cache.forget(oldId);
    cache.forget(next.id);
    if (q.delVersion.run(oldId, expected).changes !== 1) return false;
    writeTomb(tomb);
    q.insert.run(params(next));
    return true;
  });
  const deleteTx = db.transaction((id: string, tomb: Tombstone) => {
    cache.forget(id);
    writeTomb(tomb);
    return q.del.run(id).changes === 1;
  });
  // The rows are read inside the (immediate) transaction, so a session another process creates or
  // rotates meanwhile cannot slip between the read and the delete.
  const deleteManyTx = db.transaction(
    (select: typeof q.byUser, key: string, template: TombstoneTemplate, exceptId: string | undefined) => {
      cache.clear();
      const rows = (select.all(key) as Row[]).map((r) => JSON.parse(r.body) as SessionRecord);
      const ids: string[] = [];
      for (const r of rows) {
        if (r.id === exceptId) continue;
        if (q.del.run(r.id).changes === 1) {
          writeTomb(tombstoneFromTemplate(r, template));
          ids.push(r.id);
        }
      }
      return ids;
    },
  );
  const sweepTx = db.transaction((now: number, limit: number) => {
    cache.clear();
    const a = q.sweepSessions.run(now, limit).changes;
    const b = a < limit ? q.sweepTombs.run(now, limit - a).changes : 0;
    return a + b;
  });

  return withStoreErrors<Store>({
    async create(record) {
      cache.forget(record.id);
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
      cache.forget(next.id);
      return q.update.run({ ...params(next), expected: expectedVersion }).changes === 1;
    },
    async touch(id, patch) {
      cache.forget(id);
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
    async listByFederated(issuer, by) {
      const rows = 'sid' in by ? q.byFedSid.all(issuer, by.sid) : q.byFedSub.all(issuer, by.sub);
      return (rows as Row[]).map((r) => parseBody(r.body));
    },
    async listByUser(userId) {
      return (q.byUser.all(userId) as Row[]).map((r) => JSON.parse(r.body) as SessionRecord);
    },
    async deleteByUser(userId, template, exceptId) {
      return deleteManyTx.immediate(q.byUser, userId, template, exceptId);
    },
    async deleteFamily(family, template) {
      return deleteManyTx.immediate(q.byFamily, family, template, undefined);
    },
    async sweep(now, limit) {
      return sweepTx(now, limit);
    },
    async search(query) {
      const text = query.text ? query.text.toLowerCase() : null;
      const rows = q.search.all({
        now: query.now,
        auth: query.authenticatedOnly ? 1 : 0,
        text,
        limit: query.limit,
      }) as string[];
      return rows.map(parseBody);
    },
    async countLive(now) {
      const row = q.count.get(now) as { live: number; authenticated: number };
      return { live: row.live, authenticated: row.authenticated };
    },
  });
}

/** The store's process-local read cache (see `readCacheSize`). */
interface ReadCache {
  /** The cached record, or undefined (also when another writer may have changed anything since). */
  get(id: string): SessionRecord | undefined;
  set(id: string, record: SessionRecord): void;
  /** Drops one record; called before every write of this store that changes it. */
  forget(id: string): void;
  clear(): void;
}

function readCache(db: Database, options: SqliteStoreOptions): ReadCache {
  const size = integerOption(options.readCacheSize ?? 10_000, 'sqliteStore.readCacheSize', 0);
  const map = new Map<string, SessionRecord>();
  // `data_version` changes when another connection (this process or another) commits; this
  // connection's own commits go through the store, which forgets what they change. No other
  // connection can write an in-memory database, or a file held with `exclusive: true`.
  const version = options.exclusive || db.memory ? null : db.prepare('PRAGMA data_version').pluck();
  let seen: unknown = version?.get();
  return {
    get(id) {
      if (size === 0) return undefined;
      if (version !== null) {
        const now = version.get();
        if (now !== seen) {
          map.clear();
          seen = now;
          return undefined;
        }
      }
      return map.get(id);
    },
    set(id, record) {
      if (size === 0) return;
      if (map.size >= size) map.delete(map.keys().next().value as string);
      map.set(id, record);
    },
    forget(id) {
      map.delete(id);
    },
    clear() {
      map.clear();
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
