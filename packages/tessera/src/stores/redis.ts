import type { Cluster, Redis } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { parseDuration } from '../duration.ts';
import { ConfigError } from '../errors.ts';
import type {
  FederatedIdentity,
  FederatedLookup,
  SessionCounts,
  SessionRecord,
  Store,
  Tombstone,
  TombstoneTemplate,
} from '../store/types.ts';
import { DuplicateSessionError, matchesSearchText, recordExpiresAt } from '../store/types.ts';
import type { InvalidationBus } from './near-cache.ts';
import {
  CREATE,
  DELETE,
  DELETE_IF,
  INDEX_ADD,
  type LuaScript,
  ROTATE_OUT,
  TOUCH,
  UPDATE,
} from './redis/scripts.ts';
import { bounded as boundedBy } from './shared/bounded.ts';
import { withStoreErrors } from './shared/errors.ts';
import type { SharedRateLimitOptions } from './shared/rate-limit.ts';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * A connected ioredis client: `new Redis(url)` for one server (or Valkey), `new Cluster(nodes)`
   * for Redis Cluster. The caller owns it (`close()` does not quit it). For fail-fast behaviour
   * when Redis is down, create it with `enableOfflineQueue: false` and `maxRetriesPerRequest: 1`.
   */
  client: Redis | Cluster;
  /** Key prefix (default `tessera:`). No braces (they would change the Cluster hash slot). */
  prefix?: string;
  /**
   * Keys live this long past their deadline (default 5 s), so a small clock difference between the
   * app servers and Redis never drops a record early. The engine enforces the deadlines itself.
   */
  expiryGraceMs?: number;
  /**
   * Every operation rejects after this long (default 2,000 ms), whatever the client's own retry
   * settings: the engine then answers 503 instead of hanging.
   */
  timeoutMs?: number;
  /**
   * The admin-side `search` and `countLive` walk the record keys with `SCAN` (on every master of a
   * Cluster) and read each record: they read at most this many records per call (default 10,000;
   * shared evenly between the masters) and give up after 5 × `timeoutMs`. Past the cap, `search`
   * answers from the records it read and `countLive` counts those (a lower bound). Nothing is
   * indexed for them, so the session hot path pays nothing.
   */
  scanLimit?: number;
}

type Fields = [string, string, string, string, string, string, string, string, string];

/**
 * Sessions in Redis, Valkey or Redis Cluster (ioredis). Each record is a small hash whose TTL is
 * the nearer of its idle and absolute deadlines; tombstones are strings with their own TTL; a sorted
 * set per user and per rotation family (score = absolute deadline) makes listing and revoke-all
 * cost O(sessions of that user), and one per federated (issuer, sid) and (issuer, sub) makes
 * back-channel logout cost O(sessions it names). Every change to one record is a Lua script on that
 * record's hash slot, so compare-and-set, touch, delete-with-tombstone and the rotate step are atomic
 * on a single server and on Cluster alike; index changes are ordered so that no partial state can
 * hide a live session from "revoke all" or a provider's logout, and every index entry is checked
 * against its record when read (see docs/federated-logout-stores.md). Expiry is Redis's TTL: `sweep` has
 * nothing to do. The admin-side `search` and `countLive` keep no index of their own: they `SCAN`
 * the record keys, at most `scanLimit` of them (see {@link RedisStoreOptions.scanLimit}).
 *
 * @example
 * import { Redis } from 'ioredis';
 * const client = new Redis(process.env.REDIS_URL, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
 * const store = redisStore({ client });
 */
export function redisStore(options: RedisStoreOptions): Store {
  rejectUnknownKeys(options, ['client', 'prefix', 'expiryGraceMs', 'timeoutMs', 'scanLimit'], 'redisStore');
  const client = options.client;
  if (typeof client?.hmget !== 'function')
    throw new ConfigError('redisStore.client', 'must be an ioredis Redis or Cluster client.');
  const p = options.prefix ?? 'tessera:';
  if (typeof p !== 'string' || /[{}]/.test(p))
    throw new ConfigError('redisStore.prefix', 'must be a string without { or }.');
  const grace = integerOption(options.expiryGraceMs ?? 5_000, 'redisStore.expiryGraceMs', 0);
  const timeoutMs = integerOption(options.timeoutMs ?? 2_000, 'redisStore.timeoutMs', 1);
  const scanLimit = integerOption(options.scanLimit ?? 10_000, 'redisStore.scanLimit', 1);

  const recKey = (id: string) => `${p}{${id}}`;
  const tombKey = (id: string) => `${p}{${id}}:t`;
  const userKey = (userId: string) => `${p}u:${userId}`;
  const familyKey = (family: string) => `${p}f:${family}`;
  // Federated indexes: `x:sid:` / `x:sub:` + issuer + value, each part URI-encoded (so ':' and the
  // Cluster hash-tag braces never appear inside a part and two pairs never share a key).
  const federatedKey = (issuer: string, by: FederatedLookup) =>
    'sid' in by
      ? `${p}x:sid:${encodeURIComponent(issuer)}:${encodeURIComponent(by.sid)}`
      : `${p}x:sub:${encodeURIComponent(issuer)}:${encodeURIComponent(by.sub)}`;
  const federatedKeys = (f: FederatedIdentity | null | undefined): string[] =>
    f
      ? f.sid === null
        ? [federatedKey(f.iss, { sub: f.sub })]
        : [federatedKey(f.iss, { sub: f.sub }), federatedKey(f.iss, { sid: f.sid })]
      : [];
  /** The federated identity kept in the record's `o` field ('' or absent: none). */
  const storedFederated = (o: string | null | undefined): FederatedIdentity | null =>
    o ? (JSON.parse(o) as FederatedIdentity) : null;
  /**
   * A federated index member names a record AND the version it was written for: `id:version`. Each
   * write that makes a version visible adds its member first; a member whose record is gone, or has
   * moved past that version, can never become true again, so it may be removed at any time.
   */
  const fedMember = (id: string, version: number | string) => `${id}:${version}`;

  const run = async (script: LuaScript, keys: string[], args: Array<string | number>): Promise<unknown> => {
    try {
      return await client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.eval(script.source, keys.length, ...keys, ...args);
    }
  };

  const bounded = <T>(operation: string, work: Promise<T>) =>
    boundedBy('redisStore', operation, timeoutMs, work);
  /** Index clean-ups whose failure is harmless (a stale member is filtered and pruned later). */
  const bestEffort = (work: Promise<unknown>) => work.catch(() => undefined);

  const fields = (r: SessionRecord): Fields => [
    JSON.stringify(r),
    String(r.version),
    JSON.stringify(r.userId),
    r.family,
    String(r.absoluteExpiresAt),
    String(r.lastSeenAt),
    String(r.idleExpiresAt),
    JSON.stringify(r.device.lastIp),
    r.federated ? JSON.stringify(r.federated) : '',
  ];
  const expireAt = (r: SessionRecord) => String(recordExpiresAt(r) + grace);
  const indexScore = (r: SessionRecord) => String(r.absoluteExpiresAt + grace);

  /**
   * Adds a record to its user's, family's and federated indexes (before the record can be seen
   * under them). The head of a family (id = family, every session until its first rotation) needs
   * no family entry: `deleteFamily` always checks it.
   */
  const indexRecord = (r: SessionRecord) =>
    Promise.all([
      r.userId === null ? null : run(INDEX_ADD, [userKey(r.userId)], [indexScore(r), r.id]),
      r.id === r.family ? null : run(INDEX_ADD, [familyKey(r.family)], [indexScore(r), r.id]),
      ...federatedKeys(r.federated).map((key) =>
        run(INDEX_ADD, [key], [indexScore(r), fedMember(r.id, r.version)]),
      ),
    ]);
  /** Removes a version's federated entries, which can never be true again (best effort). */
  const unindexFederated = (
    federated: FederatedIdentity | null | undefined,
    id: string,
    version: number | string | null,
  ) =>
    version === null
      ? undefined
      : bestEffort(
          Promise.all(federatedKeys(federated).map((key) => client.zrem(key, fedMember(id, version)))),
        );
  const unindex = (id: string, userId: string | null, family: string | null) =>
    bestEffort(
      Promise.all([
        userId === null ? null : client.zrem(userKey(userId), id),
        family === null ? null : client.zrem(familyKey(family), id),
      ]),
    );

  const parse = (h: Array<string | null>): SessionRecord | null => {
    const [b, ls, ie, ip] = h;
    if (!b || ls == null || ie == null || ip == null) return null;
    const r = JSON.parse(b) as SessionRecord;
    const device = Object.freeze({ ...r.device, lastIp: JSON.parse(ip) as string | null });
    return Object.freeze({
      ...r,
      lastSeenAt: Number(ls),
      idleExpiresAt: Number(ie),
      binding: Object.freeze(r.binding),
      device,
    });
  };
  const readRecord = async (id: string) => parse(await client.hmget(recKey(id), 'b', 'ls', 'ie', 'ip'));

  /** Live members of an index, after dropping those past their absolute deadline. */
  const liveMembers = async (key: string): Promise<string[]> => {
    await client.zremrangebyscore(key, '-inf', `(${Date.now()}`);
    return client.zrange(key, '0', '-1');
  };

  const deleteMany = async (
    key: string,
    field: 'u' | 'f',
    expected: string,
    template: TombstoneTemplate,
    exceptId: string | undefined,
  ): Promise<string[]> => {
    const listed = await liveMembers(key);
    // A family's head is not in its index (see indexRecord).
    if (field === 'f' && !listed.includes(expected)) listed.push(expected);
    const ids = listed.filter((id) => id !== exceptId);
    const outcomes = await Promise.all(
      ids.map(
        (id) =>
          run(
            DELETE_IF,
            [recKey(id), tombKey(id)],
            [
              field,
              expected,
              id,
              template.reason,
              String(template.createdAt),
              String(template.keepUntil),
              String(template.extendMs),
              String(grace),
            ],
          ) as Promise<[number, string | null, string | null] | [number]>,
      ),
    );
    const deleted = ids.filter((_, i) => outcomes[i]![0] === 1);
    const gone = ids.filter((_, i) => outcomes[i]![0] !== -1);
    await Promise.all([
      gone.length > 0 ? bestEffort(client.zrem(key, ...gone)) : null,
      ...outcomes.map((o, i) =>
        o[0] === 1 ? unindexFederated(storedFederated(o[1]), ids[i]!, o[2] ?? null) : null,
      ),
    ]);
    return deleted;
  };

  /**
   * Every record key of this store (`<prefix>{<id>}`, a hash), by `SCAN` on each master, each
   * master's share of `scanLimit` at most; hands each batch of records live at `now` to `visit`.
   */
  const scanLive = async (now: number, visit: (batch: SessionRecord[]) => void): Promise<void> => {
    const masters: Redis[] =
      'isCluster' in client && client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    // A Cluster client that does not know its masters yet must not answer "no sessions".
    if (masters.length === 0) throw new Error('redisStore: no Redis Cluster master is known yet.');
    const share = Math.max(1, Math.ceil(scanLimit / masters.length));
    const match = `${p.replace(/[*?[\]\\]/g, '\\$&')}{*}`;
    await Promise.all(
      masters.map(async (node) => {
        let cursor = '0';
        // SCAN may return a key more than once (when the table is resized mid-walk): read each once.
        const seen = new Set<string>();
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', match, 'COUNT', 500, 'TYPE', 'hash');
          cursor = next;
          const batch = keys.filter((k) => !seen.has(k)).slice(0, share - seen.size);
          for (const k of batch) seen.add(k);
          if (batch.length === 0) continue;
          const pipe = node.pipeline();
          for (const key of batch) pipe.hmget(key, 'b', 'ls', 'ie', 'ip');
          const replies = (await pipe.exec()) ?? [];
          const records: SessionRecord[] = [];
          for (const [err, h] of replies) {
            if (err) throw err;
            const r = parse(h as Array<string | null>);
            if (r && recordExpiresAt(r) > now) records.push(r);
          }
          visit(records);
        } while (cursor !== '0' && seen.size < share);
      }),
    );
  };

  const tombArgs = (t: Tombstone) => [JSON.stringify(t), String(t.expiresAt + grace)];

  const store: Store = {
    async create(record) {
      await bounded(
        'create',
        (async () => {
          // The record first, then its index entries: a session's token is handed out only after
          // both, so no usable session is ever missing from its user's index.
          const created = await run(CREATE, [recKey(record.id)], [...fields(record), expireAt(record)]);
          if (created !== 1) throw new DuplicateSessionError();
          try {
            await indexRecord(record);
          } catch (err) {
            await bestEffort(client.del(recKey(record.id)));
            throw err;
          }
        })(),
      );
    },
    get(id) {
      return bounded('get', readRecord(id));
    },
    update(next, expectedVersion) {
      return bounded(
        'update',
        (async () => {
          // Index under the (possibly new) user before the write makes the record theirs.
          await indexRecord(next);
          const previous = (await run(
            UPDATE,
            [recKey(next.id)],
            [String(expectedVersion), ...fields(next), expireAt(next)],
          )) as [string, string | null] | null;
          if (previous === null) return false;
          const prevUser = JSON.parse(previous[0]) as string | null;
          await Promise.all([
            prevUser !== null && prevUser !== next.userId ? unindex(next.id, prevUser, null) : null,
            // The previous version's federated entries are stale now, whatever the new identity is.
            unindexFederated(storedFederated(previous[1]), next.id, expectedVersion),
          ]);
          return true;
        })(),
      );
    },
    touch(id, patch) {
      return bounded(
        'touch',
        (async () =>
          (await run(
            TOUCH,
            [recKey(id)],
            [
              String(patch.lastSeenAt),
              String(patch.idleExpiresAt),
              JSON.stringify(patch.lastIp),
              String(grace),
            ],
          )) === 1)(),
      );
    },
    rotate(oldId, expectedVersion, next, tombstone) {
      return bounded(
        'rotate',
        (async () => {
          // 1. Reserve the successor (fails if the id exists), 2. index it, 3. compare-and-set the
          // old record away with its tombstone. Only step 3 decides; a loser undoes 1 and 2, whose
          // successor token nobody holds.
          const created = await run(CREATE, [recKey(next.id)], [...fields(next), expireAt(next)]);
          if (created !== 1) return false;
          let won = false;
          let oldFederated: FederatedIdentity | null = null;
          try {
            await indexRecord(next);
            const out = (await run(
              ROTATE_OUT,
              [recKey(oldId), tombKey(oldId)],
              [String(expectedVersion), ...tombArgs(tombstone)],
            )) as [number, string | null] | [number];
            won = out[0] === 1;
            oldFederated = storedFederated(out[1]);
          } finally {
            if (!won) {
              await bestEffort(client.del(recKey(next.id)));
              await unindex(next.id, next.userId, next.family);
              await unindexFederated(next.federated, next.id, next.version);
            }
          }
          if (won)
            await Promise.all([
              unindex(oldId, tombstone.userId, tombstone.family),
              unindexFederated(oldFederated, oldId, expectedVersion),
            ]);
          return won;
        })(),
      );
    },
    delete(id, tombstone) {
      return bounded(
        'delete',
        (async () => {
          const [n, u, o, v] = (await run(DELETE, [recKey(id), tombKey(id)], tombArgs(tombstone))) as [
            number,
            string | null,
            string | null,
            string | null,
          ];
          const userId = u ? (JSON.parse(u) as string | null) : tombstone.userId;
          await Promise.all([
            unindex(id, userId, tombstone.family),
            unindexFederated(storedFederated(o), id, v),
          ]);
          return n === 1;
        })(),
      );
    },
    getTombstone(id) {
      return bounded(
        'getTombstone',
        (async () => {
          const t = await client.get(tombKey(id));
          return t === null ? null : (Object.freeze(JSON.parse(t)) as Tombstone);
        })(),
      );
    },
    listByUser(userId) {
      return bounded(
        'listByUser',
        (async () => {
          const key = userKey(userId);
          const ids = await liveMembers(key);
          const records = await Promise.all(ids.map(readRecord));
          // A missing record is gone for good (ids are never reused): prune it. A record now owned by
          // someone else is skipped but kept until its deadline (an update may be moving it here).
          const gone = ids.filter((_, i) => records[i] === null);
          if (gone.length > 0) await bestEffort(client.zrem(key, ...gone));
          return records.filter((r): r is SessionRecord => r !== null && r.userId === userId);
        })(),
      );
    },
    deleteByUser(userId, template, exceptId) {
      return bounded(
        'deleteByUser',
        deleteMany(userKey(userId), 'u', JSON.stringify(userId), template, exceptId),
      );
    },
    deleteFamily(family, template) {
      return bounded('deleteFamily', deleteMany(familyKey(family), 'f', family, template, undefined));
    },
    listByFederated(issuer, by) {
      return bounded(
        'listByFederated',
        (async () => {
          const key = federatedKey(issuer, by);
          const members = await liveMembers(key);
          const entries = members.map((m) => {
            const at = m.lastIndexOf(':');
            return { member: m, id: m.slice(0, at), version: Number(m.slice(at + 1)) };
          });
          const ids = [...new Set(entries.map((e) => e.id))];
          const records = new Map(
            (await Promise.all(ids.map(readRecord))).map((r, i) => [ids[i]!, r] as const),
          );
          const names = (r: SessionRecord) =>
            r.federated?.iss === issuer &&
            ('sid' in by ? r.federated.sid === by.sid : r.federated.sub === by.sub);
          // Verify every entry against its record. An entry for a version the record has left (or a
          // record that is gone; ids are never reused) can never become true again: prune it. One for
          // a later version than the record's is a write under way: keep it, it proves nothing yet.
          const stale = entries.filter(({ id, version }) => {
            const r = records.get(id);
            return !r || r.version > version || (r.version === version && !names(r));
          });
          if (stale.length > 0) await bestEffort(client.zrem(key, ...stale.map((e) => e.member)));
          return [...records.values()].filter((r): r is SessionRecord => r !== null && names(r));
        })(),
      );
    },
    search(query) {
      return boundedBy(
        'redisStore',
        'search',
        5 * timeoutMs,
        (async () => {
          const found: SessionRecord[] = [];
          await scanLive(query.now, (batch) => {
            for (const r of batch)
              if ((!query.authenticatedOnly || r.userId !== null) && matchesSearchText(r, query.text))
                found.push(r);
          });
          return found
            .sort((a, b) => b.lastSeenAt - a.lastSeenAt || (a.id < b.id ? -1 : 1))
            .slice(0, query.limit);
        })(),
      );
    },
    countLive(now) {
      return boundedBy(
        'redisStore',
        'countLive',
        5 * timeoutMs,
        (async (): Promise<SessionCounts> => {
          const counts = { live: 0, authenticated: 0 };
          await scanLive(now, (batch) => {
            counts.live += batch.length;
            for (const r of batch) if (r.userId !== null) counts.authenticated++;
          });
          return counts;
        })(),
      );
    },
    async sweep() {
      // Redis drops expired records and tombstones by TTL, and index members past their
      // deadline on the next list; there is nothing left to sweep.
      return 0;
    },
  };
  return withStoreErrors(store);
}

/**
 * A limiter shared by every app server through the same Redis (or Cluster): pass it as
 * `creationRateLimit`, and the per-address creation limit holds across instances. Fails closed: if
 * Redis cannot answer, creation is refused with STORE_UNAVAILABLE (no in-process fallback).
 */
export function redisRateLimiter(
  client: Redis | Cluster,
  options: SharedRateLimitOptions = {},
): RateLimiterRedis {
  return new RateLimiterRedis({
    storeClient: client,
    keyPrefix: options.name ?? 'tessera_rl_create',
    points: options.points ?? 60,
    duration: Math.max(1, parseDuration(options.window ?? '1m', 'window') / 1000),
  });
}
export type { SharedRateLimitOptions } from './shared/rate-limit.ts';

/** Options of {@link redisInvalidation}. */
export interface RedisInvalidationOptions {
  /** The client that publishes (the store's own client is fine). */
  client: Redis | Cluster;
  /** A connection for listening (default `client.duplicate()`; a subscribed connection can do nothing else). */
  subscriber?: Redis | Cluster;
  /** Channel name (default `tessera:invalidate`). */
  channel?: string;
}

/**
 * Near-cache invalidation over Redis pub/sub (see `nearCache`). Reports "not listening" from the
 * moment the subscriber connection closes until it has subscribed again, so the cache is off
 * while announcements could be missed.
 */
export function redisInvalidation(options: RedisInvalidationOptions): InvalidationBus {
  rejectUnknownKeys(options, ['client', 'subscriber', 'channel'], 'redisInvalidation');
  const channel = options.channel ?? 'tessera:invalidate';
  if (typeof channel !== 'string' || channel.length === 0)
    throw new ConfigError('redisInvalidation.channel', 'must be a non-empty string.');
  const client = options.client;
  return {
    async publish(ids) {
      await client.publish(channel, ids.join(','));
    },
    async subscribe(onIds, onState) {
      const sub: Redis | Cluster =
        options.subscriber ??
        ('isCluster' in client && client.isCluster
          ? (client as Cluster).duplicate()
          : // This bus subscribes again itself on every 'ready'; ioredis's own resubscribe would be a
            // second, unawaited SUBSCRIBE that rejects if the connection closes meanwhile.
            (client as Redis).duplicate({ autoResubscribe: false }));
      let up = false;
      const state = (next: boolean) => {
        if (next !== up) {
          up = next;
          onState(next);
        }
      };
      const listen = () =>
        sub.subscribe(channel).then(
          () => state(true),
          () => state(false),
        );
      sub.on('message', (ch: string, message: string) => {
        if (ch === channel && message) onIds(message.split(','));
      });
      sub.on('close', () => state(false));
      sub.on('end', () => state(false));
      sub.on('error', () => state(false));
      sub.on('ready', () => {
        if (!up) void listen();
      });
      await listen();
      return async () => {
        state(false);
        if (!options.subscriber) sub.disconnect();
      };
    },
  };
}
