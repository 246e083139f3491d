/**
 * What every near-cache transport (Redis pub/sub, PostgreSQL LISTEN/NOTIFY) must show between two
 * "app servers" sharing one store: a write on one evicts the other's cached copy at once.
 */
import assert from 'node:assert/strict';
import type { SessionRecord } from '../../src/store/types.ts';
import type { NearCachedStore } from '../../src/stores/near-cache.ts';
import { sampleRecord, sampleTombstone } from '../../src/testing/index.ts';
import { until } from '../helpers/until.ts';

/** One app server: its cache over the shared store. */
export interface CacheNode {
  readonly cached: NearCachedStore;
}

/** A revoke on `a` evicts the record `b` serves from its cache (well before the cache's TTL). */
export async function revokeEvictsOnTheOther(a: CacheNode, b: CacheNode): Promise<void> {
  const r = sampleRecord();
  await a.cached.create(r);
  assert.equal((await b.cached.get(r.id))?.id, r.id);
  assert.equal((await b.cached.get(r.id))?.id, r.id);
  assert.equal(b.cached.stats.hits, 1, 'served from the cache');
  const seen = b.cached.stats.invalidations;
  await a.cached.delete(r.id, sampleTombstone(r));
  await until(() => b.cached.stats.invalidations > seen, 2000, 'the announcement of the revoke');
  assert.equal(await b.cached.get(r.id), null);
}

/** A touch and an update of `r` (version 1, cached by `b`) on `a` reach `b`; `r` is then at version 2. */
export async function touchAndUpdateReachTheOther(
  a: CacheNode,
  b: CacheNode,
  r: SessionRecord,
): Promise<void> {
  let seen = b.cached.stats.invalidations;
  await a.cached.touch(r.id, { lastSeenAt: 1, idleExpiresAt: r.idleExpiresAt + 1000, lastIp: '192.0.2.1' });
  await until(() => b.cached.stats.invalidations > seen, 2000, 'the announcement of the touch');
  assert.equal((await b.cached.get(r.id))?.device.lastIp, '192.0.2.1');
  seen = b.cached.stats.invalidations;
  assert.equal(await a.cached.update({ ...r, data: 'changed', version: 2 }, 1), true);
  await until(() => b.cached.stats.invalidations > seen, 2000, 'the announcement of the update');
  assert.equal((await b.cached.get(r.id))?.data, 'changed');
}
