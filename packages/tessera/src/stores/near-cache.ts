import { integerOption, rejectUnknownKeys } from '../config-check.ts';
import { ConfigError } from '../errors.ts';
import { type FederatedLookup, recordExpiresAt, type SessionRecord, type Store } from '../store/types.ts';
import { storeError, withStoreErrors } from './shared/errors.ts';

/**
 * How the processes sharing a store tell each other which session ids changed. `redisInvalidation`
 * (`@tessera-sessions/core/stores/redis`) uses Redis pub/sub, `postgresInvalidation`
 * (`@tessera-sessions/core/stores/postgres`) PostgreSQL `LISTEN/NOTIFY`.
 */
export interface InvalidationBus {
  /** Announces changed or deleted ids to every other process (and this one). */
  publish(ids: readonly string[]): Promise<void>;
  /**
   * Starts listening. `onIds` gets every announced batch; `onState(false)` whenever the listening
   * connection is lost (announcements may be missed from then on), `onState(true)` once it listens again.
   * Resolves with a function that stops listening.
   */
  subscribe(
    onIds: (ids: string[]) => void,
    onState: (listening: boolean) => void,
  ): Promise<() => Promise<void>>;
}

/** Options of {@link nearCache}. */
export interface NearCacheOptions {
  /** Cross-process invalidation. */
  bus: InvalidationBus;
  /** At most this many records are kept (least recently used go first). Default 10,000. */
  maxEntries?: number;
  /**
   * No record is served from the cache longer than this after it was read from the store (default
   * 1,000 ms): the bound on staleness even if an announcement is lost.
   */
  ttlMs?: number;
  /** Clock (milliseconds), for tests. */
  now?: () => number;
}

/** A store with a near-cache in front (see {@link nearCache}). */
export interface NearCachedStore extends Store {
  /** Whether records are currently served from the cache (false while the bus is not listening). */
  readonly cacheActive: boolean;
  /** Counters for dashboards and benchmarks. */
  readonly stats: { hits: number; misses: number; invalidations: number; disabledPeriods: number };
  /** Starts listening for invalidations; the cache serves nothing until this has resolved. */
  start(): Promise<void>;
}

interface Entry {
  record: SessionRecord;
  at: number;
}

/**
 * An optional per-process cache of hot sessions in front of a shared store (Redis, PostgreSQL): a
 * bounded LRU with a short TTL, invalidated across processes through `bus`. A revoke, rotation,
 * update or touch on any process evicts the id everywhere (typically within a millisecond or two);
 * however an announcement is lost, no record is served more than `ttlMs` after it was read, nor past
 * its own deadline (sweeps are not announced). When the bus stops listening the cache empties and
 * turns itself off until it listens again (then it empties once more: announcements in the gap were
 * missed). Writes always go to the store.
 *
 * @example
 * const store = nearCache(redisStore({ client }), { bus: redisInvalidation({ client }) });
 * await store.start();
 */
export function nearCache(inner: Store, options: NearCacheOptions): NearCachedStore {
  rejectUnknownKeys(options, ['bus', 'maxEntries', 'ttlMs', 'now'], 'nearCache');
  const max = options.maxEntries ?? 10_000;
  const ttl = options.ttlMs ?? 1_000;
  const now = options.now ?? Date.now;
  integerOption(max, 'nearCache.maxEntries', 1);
  integerOption(ttl, 'nearCache.ttlMs', 0);
  if (typeof options.bus?.subscribe !== 'function' || typeof options.bus.publish !== 'function')
    throw new ConfigError(
      'nearCache.bus',
      'must be an InvalidationBus (redisInvalidation or postgresInvalidation).',
    );
  const entries = new Map<string, Entry>();
  // Bumped by every invalidation: a read that started before one must not fill the cache after it.
  let epoch = 0;
  let listening = false;
  const stats = { hits: 0, misses: 0, invalidations: 0, disabledPeriods: 0 };
  let unsubscribe: (() => Promise<void>) | null = null;

  const evict = (ids: readonly string[]) => {
    epoch++;
    for (const id of ids) entries.delete(id);
    stats.invalidations += ids.length;
  };
  const setListening = (up: boolean) => {
    if (!up && listening) stats.disabledPeriods++;
    listening = up;
    epoch++;
    entries.clear();
  };
  /** Evicts here at once, then tells the others (a lost announcement is bounded by the TTL). */
  const announce = async (ids: readonly string[]) => {
    if (ids.length === 0) return;
    evict(ids);
    await options.bus.publish(ids).catch(() => undefined);
  };

  /** The cached record (a hit), or undefined (the store must be asked). */
  const cached = (id: string): SessionRecord | undefined => {
    if (!listening) return undefined;
    const hit = entries.get(id);
    if (hit === undefined) return undefined;
    const t = now();
    // Never from the cache past the record's own deadline: a sweep (here or on another
    // process) may have removed it, and that is not announced.
    if (t - hit.at < ttl && recordExpiresAt(hit.record) > t) {
      // Most recently used goes last.
      entries.delete(id);
      entries.set(id, hit);
      stats.hits++;
      return hit.record;
    }
    entries.delete(id);
    return undefined;
  };

  const store: NearCachedStore = {
    get cacheActive() {
      return listening;
    },
    stats,
    async start() {
      try {
        unsubscribe ??= await options.bus.subscribe(evict, setListening);
      } catch (err) {
        throw storeError('start', err);
      }
    },
    async create(record) {
      await inner.create(record);
    },
    peekSync(id) {
      return cached(id);
    },
    async get(id) {
      const hit = cached(id);
      if (hit !== undefined) return hit;
      stats.misses++;
      const seenEpoch = epoch;
      const at = now();
      const record = await inner.get(id);
      if (record && listening && epoch === seenEpoch) {
        if (entries.size >= max) entries.delete(entries.keys().next().value as string);
        entries.set(id, { record, at });
      }
      return record;
    },
    async update(next, expectedVersion) {
      try {
        return await inner.update(next, expectedVersion);
      } finally {
        await announce([next.id]);
      }
    },
    async touch(id, patch) {
      try {
        return await inner.touch(id, patch);
      } finally {
        await announce([id]);
      }
    },
    async rotate(oldId, expectedVersion, next, tombstone) {
      try {
        return await inner.rotate(oldId, expectedVersion, next, tombstone);
      } finally {
        await announce([oldId]);
      }
    },
    async delete(id, tombstone) {
      try {
        return await inner.delete(id, tombstone);
      } finally {
        await announce([id]);
      }
    },
    getTombstone: (id) => inner.getTombstone(id),
    listByUser: (userId) => inner.listByUser(userId),
    // Optional methods pass through when the inner store has them (federated logout needs this one).
    ...(inner.listByFederated && {
      listByFederated: (issuer: string, by: FederatedLookup) => inner.listByFederated!(issuer, by),
    }),
    async deleteByUser(userId, template, exceptId) {
      const ids = await inner.deleteByUser(userId, template, exceptId);
      await announce(ids);
      return ids;
    },
    async deleteFamily(family, template) {
      const ids = await inner.deleteFamily(family, template);
      await announce(ids);
      return ids;
    },
    sweep: (now, limit) => inner.sweep(now, limit),
    /** Stops listening (closes the bus's own connection) and closes the inner store. */
    async close() {
      await unsubscribe?.();
      unsubscribe = null;
      setListening(false);
      await inner.close?.();
    },
  };
  return withStoreErrors(store);
}
