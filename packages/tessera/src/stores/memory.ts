import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import { rejectUnknownKeys } from '../config-check.ts';
import { ConfigError } from '../errors.ts';
import type { FederatedLookup, SessionRecord, Store, Tombstone, TouchPatch } from '../store/types.ts';
import {
  DuplicateSessionError,
  matchesSearchText,
  recordExpiresAt,
  tombstoneFromTemplate,
} from '../store/types.ts';
import { IdIndex } from './shared/id-index.ts';

/**
 * A frozen copy. `Object.assign` onto a fresh literal, not object spread: V8 gives a frozen
 * spread copy a hidden class of its own (≈ 550 bytes per object, three objects per record), while
 * assigned copies share one.
 */
function freeze(record: SessionRecord): SessionRecord {
  const copy: SessionRecord = Object.assign({}, record);
  return Object.freeze(
    Object.assign(copy, {
      binding: Object.freeze(Object.assign({}, record.binding)),
      device: Object.freeze(Object.assign({}, record.device)),
    }),
  );
}

/** One map key per lookup; JSON keeps issuer and value apart whatever characters they hold. */
function federatedKey(issuer: string, by: FederatedLookup): string {
  return 'sid' in by ? JSON.stringify(['sid', issuer, by.sid]) : JSON.stringify(['sub', issuer, by.sub]);
}

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** The clock expiry is judged by; give it the session manager's clock. Default: the system clock. */
  clock?: Clock;
  /**
   * How often (ms) expired records and tombstones are dropped: by a timer that does not keep the
   * process alive, and on writes once this much time has passed. Default 60 000.
   */
  sweepEvery?: number;
}

/** The memory store: a {@link Store} with counts, for tests and monitoring. */
export interface MemoryStore extends Store {
  /** Live records held. */
  readonly size: number;
  /** Tombstones held. */
  readonly tombstones: number;
}

/**
 * An in-process store for tests and single-process development. Records are frozen on write
 * and shared on read (no copy per request). Expired records and tombstones are dropped by
 * themselves (`sweepEvery`), so memory stays bounded. Everything is lost when the process exits.
 *
 * @example
 * const manager = createSessionManager({ store: memoryStore() });
 */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  const clock = options.clock ?? systemClock;
  const every = options.sweepEvery ?? 60_000;
  rejectUnknownKeys(options, ['clock', 'sweepEvery'], 'memoryStore');
  if (typeof every !== 'number' || !(every > 0) || !Number.isFinite(every))
    throw new ConfigError('memoryStore.sweepEvery', 'must be a positive number of milliseconds.');
  const records = new Map<string, SessionRecord>();
  const tombstones = new Map<string, Tombstone>();
  const byUser = new IdIndex();
  const byFamily = new IdIndex();
  // (iss, sid) and (iss, sub) → ids, for OpenID Connect back-channel logout.
  const byFederated = new IdIndex();
  const federatedKeys = (r: SessionRecord): string[] => {
    const f = r.federated;
    if (!f) return [];
    const keys = [federatedKey(f.iss, { sub: f.sub })];
    if (f.sid !== null) keys.push(federatedKey(f.iss, { sid: f.sid }));
    return keys;
  };
  const index = (r: SessionRecord) => {
    if (r.federated) for (const key of federatedKeys(r)) byFederated.add(key, r.id);
    byFamily.add(r.family, r.id);
    if (r.userId !== null) byUser.add(r.userId, r.id);
  };
  const unindex = (r: SessionRecord) => {
    if (r.federated) for (const key of federatedKeys(r)) byFederated.remove(key, r.id);
    byFamily.remove(r.family, r.id);
    if (r.userId !== null) byUser.remove(r.userId, r.id);
  };
  const put = (r: SessionRecord) => {
    const prev = records.get(r.id);
    if (prev) unindex(prev);
    const frozen = freeze(r);
    records.set(r.id, frozen);
    index(frozen);
  };
  const remove = (id: string): SessionRecord | undefined => {
    const r = records.get(id);
    if (r) {
      records.delete(id);
      unindex(r);
    }
    return r;
  };

  const sweep = (now: number, limit: number): number => {
    let removed = 0;
    for (const r of records.values()) {
      if (removed >= limit) return removed;
      if (recordExpiresAt(r) <= now) {
        remove(r.id);
        removed++;
      }
    }
    for (const t of tombstones.values()) {
      if (removed >= limit) return removed;
      if (t.expiresAt <= now) {
        tombstones.delete(t.id);
        removed++;
      }
    }
    return removed;
  };
  // Expiry without an application sweeper: on writes once `every` has passed, and by a timer for
  // a process that has gone quiet.
  let nextSweep = clock.now() + every;
  const expire = () => {
    const now = clock.now();
    if (now < nextSweep) return;
    nextSweep = now + every;
    sweep(now, Number.POSITIVE_INFINITY);
  };
  const timer = setInterval(expire, every);
  timer.unref();

  return {
    get size() {
      return records.size;
    },
    get tombstones() {
      return tombstones.size;
    },
    async create(record) {
      expire();
      if (records.has(record.id)) throw new DuplicateSessionError();
      put(record);
    },
    async get(id) {
      return records.get(id) ?? null;
    },
    getSync(id) {
      return records.get(id) ?? null;
    },
    async update(next, expectedVersion) {
      const cur = records.get(next.id);
      if (!cur || cur.version !== expectedVersion) return false;
      put(next);
      return true;
    },
    async touch(id, patch: TouchPatch) {
      const cur = records.get(id);
      if (!cur) return false;
      put({
        ...cur,
        lastSeenAt: patch.lastSeenAt,
        idleExpiresAt: patch.idleExpiresAt,
        device: { ...cur.device, lastIp: patch.lastIp },
      });
      return true;
    },
    async rotate(oldId, expectedVersion, next, tombstone) {
      expire();
      const cur = records.get(oldId);
      if (!cur || cur.version !== expectedVersion || records.has(next.id)) return false;
      remove(oldId);
      tombstones.set(oldId, Object.freeze(Object.assign({}, tombstone)));
      put(next);
      return true;
    },
    async delete(id, tombstone) {
      tombstones.set(id, Object.freeze(Object.assign({}, tombstone)));
      return remove(id) !== undefined;
    },
    async getTombstone(id) {
      return tombstones.get(id) ?? null;
    },
    async listByUser(userId) {
      return byUser.ids(userId).map((id) => records.get(id)!);
    },
    async listByFederated(issuer, by) {
      return byFederated.ids(federatedKey(issuer, by)).map((id) => records.get(id)!);
    },
    async deleteByUser(userId, template, exceptId) {
      const ids = byUser.ids(userId).filter((id) => id !== exceptId);
      for (const id of ids) {
        const r = remove(id)!;
        tombstones.set(id, Object.freeze(tombstoneFromTemplate(r, template)));
      }
      return ids;
    },
    async deleteFamily(family, template) {
      const ids = byFamily.ids(family);
      for (const id of ids) {
        const r = remove(id)!;
        tombstones.set(id, Object.freeze(tombstoneFromTemplate(r, template)));
      }
      return ids;
    },
    async sweep(now, limit) {
      return sweep(now, limit);
    },
    async search(query) {
      const out: SessionRecord[] = [];
      for (const r of records.values()) {
        if (recordExpiresAt(r) <= query.now) continue;
        if (query.authenticatedOnly && r.userId === null) continue;
        if (matchesSearchText(r, query.text)) out.push(r);
      }
      return out.sort((a, b) => b.lastSeenAt - a.lastSeenAt).slice(0, query.limit);
    },
    async countLive(now) {
      let live = 0;
      let authenticated = 0;
      for (const r of records.values()) {
        if (recordExpiresAt(r) <= now) continue;
        live++;
        if (r.userId !== null) authenticated++;
      }
      return { live, authenticated };
    },
    async close() {
      clearInterval(timer);
      records.clear();
      byFamily.clear();
      tombstones.clear();
      byUser.clear();
      byFederated.clear();
    },
  };
}
