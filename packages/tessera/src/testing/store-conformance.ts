/**
 * The Store conformance suite: every promise of the `Store` contract (`store/types.ts`) as a
 * `node:test` case. A store is "done" when this suite is green against it.
 *
 * The suite depends only on the contract, never on a particular store. Records use deadlines
 * relative to `Date.now()` (live ones an hour ahead, expired ones an hour behind) so stores whose
 * backend expires keys by TTL (Redis) behave as they would in production.
 *
 * @example
 * import { defineStoreConformanceSuite } from '@tessera-sessions/core/testing';
 * defineStoreConformanceSuite('my store', async () => {
 *   const client = await connect();
 *   return { store: myStore({ client, prefix: freshPrefix() }), teardown: () => client.quit() };
 * });
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { TesseraError, type TesseraErrorCode } from '../errors.ts';
import type { EndReason, SessionRecord, Store, Tombstone, TombstoneTemplate } from '../store/types.ts';
import { DuplicateSessionError, tombstoneFromTemplate } from '../store/types.ts';

/** What a factory hands the suite: a fresh, empty store and how to dispose of it. */
export interface StoreUnderTest {
  store: Store;
  teardown?: () => Promise<void>;
  /**
   * Makes the store's backend unreachable (close its database, disconnect its client, end its
   * pool), as a crashed or unreachable server would. Case `errors/unavailable-is-typed` needs it; a
   * store with no backend to lose (in-process memory) skips that case with a reason.
   */
  cutOff?: () => Promise<void>;
}

/** Options of {@link defineStoreConformanceSuite}. */
export interface StoreConformanceOptions {
  /** Cases this store opts out of: case id → the reason (shown in the test report). */
  skip?: Partial<Record<StoreConformanceCaseId, string>> & Partial<Record<string, string>>;
}

/** Ids of every case in the suite (use them in `options.skip`). */
export const STORE_CONFORMANCE_CASES = [
  'create/round-trip',
  'create/duplicate-rejects',
  'errors/duplicate-is-typed',
  'errors/unavailable-is-typed',
  'create/concurrent-duplicate',
  'get/missing-is-null',
  'get/sync-agrees',
  'get/peek-agrees',
  'get/records-are-values',
  'update/right-version',
  'update/wrong-version',
  'update/never-resurrects',
  'update/changes-user-index',
  'update/concurrent-one-wins',
  'touch/no-version-change',
  'touch/missing-is-false',
  'touch/never-resurrects',
  'touch/then-update-conflicts-not',
  'rotate/atomic',
  'rotate/wrong-version-changes-nothing',
  'rotate/missing-changes-nothing',
  'rotate/next-exists-changes-nothing',
  'rotate/concurrent-one-wins',
  'delete/writes-tombstone',
  'delete/missing-still-tombstones',
  'delete/replaces-tombstone',
  'tombstone/missing-is-null',
  'records/optional-fields',
  'listByUser/only-that-user',
  'optional-fields/round-trip',
  'listByFederated/by-sid',
  'listByFederated/by-sub',
  'listByFederated/follows-writes',
  'listByFederated/follows-expiry',
  'listByFederated/concurrent-updates',
  'deleteByUser/all',
  'deleteByUser/except',
  'deleteFamily/whole-chain',
  'sweep/removes-expired',
  'sweep/keeps-live',
  'sweep/bounded-batch',
  'concurrency/update-vs-delete',
  'scale/many-sessions',
  'search/optional',
] as const;

/** One case id of the suite. */
export type StoreConformanceCaseId = (typeof STORE_CONFORMANCE_CASES)[number];

const HOUR = 3_600_000;

/** A random session id shaped like the engine's (SHA-256, base64url). */
export function randomSessionId(): string {
  return createHash('sha256').update(randomBytes(32)).digest('base64url');
}

/** A complete, plausible session record; override any field. Deadlines default to an hour from now. */
export function sampleRecord(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  const id = overrides.id ?? randomSessionId();
  return {
    id,
    userId: 'user-1',
    createdAt: now - 1000,
    lastSeenAt: now - 500,
    idleExpiresAt: now + HOUR,
    absoluteExpiresAt: now + 2 * HOUR,
    authenticatedAt: now - 1000,
    authLevel: 2,
    rotatedAt: now - 1000,
    family: id,
    rememberMe: false,
    stepUpRequired: false,
    binding: {
      uaHash: 'uahash0000000000000000',
      uaFamily: 'fam0000000000000000000',
      ipPrefix: '203.0.113.0/24',
    },
    device: {
      browser: 'Firefox 128',
      os: 'Linux',
      deviceType: 'desktop',
      firstIp: '203.0.113.7',
      lastIp: '203.0.113.9',
    },
    data: 'v1.k1.AAAAAAAAAAAAAAAA.c2VhbGVkLWRhdGEtbm90LXJlYWwtYnV0LWZpbmU',
    csrfSecret: randomBytes(32).toString('base64url'),
    version: 1,
    ...overrides,
  };
}

/** A tombstone for `record` (or an id); deadlines default to an hour from now. */
export function sampleTombstone(
  record: Pick<SessionRecord, 'id' | 'family' | 'userId'>,
  reason: EndReason = 'logout',
  overrides: Partial<Tombstone> = {},
): Tombstone {
  const now = Date.now();
  return {
    id: record.id,
    family: record.family,
    userId: record.userId,
    reason,
    successorId: null,
    createdAt: now,
    expiresAt: now + HOUR,
    ...overrides,
  };
}

/** A bulk-delete tombstone template; `keepUntil` defaults to an hour from now. */
export function sampleTemplate(
  reason: EndReason = 'revoked-all',
  overrides: Partial<TombstoneTemplate> = {},
): TombstoneTemplate {
  const now = Date.now();
  return { reason, createdAt: now, keepUntil: now + HOUR, extendMs: 60_000, ...overrides };
}

/** A plain deep copy, for comparing what a store returns with what was written. */
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Registers the Store conformance suite with `node:test`. `factory` is called once per case and
 * must return a fresh, empty store. Plain `node:test` and `node:assert`; no other dependency.
 */
export function defineStoreConformanceSuite(
  name: string,
  factory: () => Promise<StoreUnderTest>,
  options: StoreConformanceOptions = {},
): void {
  const skip = (options.skip ?? {}) as Partial<Record<string, string>>;
  for (const id of Object.keys(skip)) {
    if (!(STORE_CONFORMANCE_CASES as readonly string[]).includes(id)) {
      throw new Error(`defineStoreConformanceSuite: unknown case id in skip: '${id}'.`);
    }
    if (!skip[id]) throw new Error(`defineStoreConformanceSuite: skipping '${id}' needs a reason.`);
  }

  describe(`Store conformance: ${name}`, () => {
    const c = (
      id: StoreConformanceCaseId,
      title: string,
      fn: (store: Store, under: StoreUnderTest) => Promise<void>,
    ) => {
      const reason = skip[id];
      test(`${id}: ${title}`, reason ? { skip: reason } : {}, async () => {
        const s = await factory();
        try {
          await fn(s.store, s);
        } finally {
          await s.teardown?.();
        }
      });
    };

    // ------------------------------------------------------------------ create / get
    c('create/round-trip', 'get returns what create wrote, field for field', async (store) => {
      const variants = [
        sampleRecord(),
        sampleRecord({
          userId: null,
          authenticatedAt: null,
          authLevel: 0,
          data: null,
          rememberMe: true,
          stepUpRequired: true,
          binding: { uaHash: null, uaFamily: null, ipPrefix: null },
          device: { browser: null, os: null, deviceType: null, firstIp: null, lastIp: null },
          version: 7,
        }),
        sampleRecord({
          userId: 'ünïcødé "quoted" \\ user',
          device: { ...sampleRecord().device, lastIp: '2001:db8::1' },
        }),
      ];
      for (const r of variants) await store.create(r);
      for (const r of variants) {
        const got = await store.get(r.id);
        assert.ok(got, 'created record must be found');
        assert.deepEqual(plain(got), plain(r));
        for (const key of Object.keys(r) as Array<keyof SessionRecord>) {
          assert.deepEqual(got[key], r[key], `field ${key}`);
        }
      }
    });

    c(
      'create/duplicate-rejects',
      'a second create with the same id rejects with DuplicateSessionError and changes nothing',
      async (store) => {
        const r = sampleRecord();
        await store.create(r);
        await assert.rejects(store.create({ ...r, userId: 'intruder', version: 99 }), DuplicateSessionError);
        assert.deepEqual(plain(await store.get(r.id)), plain(r));
      },
    );

    // ------------------------------------------------------------------ errors
    /** Asserts `err` is a TesseraError with `code` whose message names no session id. */
    const typed = (err: unknown, code: TesseraErrorCode, what: string, ids: readonly string[]) => {
      assert.ok(err instanceof TesseraError, `${what}: expected a TesseraError, got ${String(err)}`);
      assert.equal(err.code, code, `${what}: code`);
      for (const id of ids) assert.ok(!err.message.includes(id), `${what}: the message names a session id`);
    };

    c(
      'errors/duplicate-is-typed',
      "create of an existing id is a TesseraError 'SESSION_CONFLICT' (409) that names no id",
      async (store) => {
        const r = sampleRecord();
        await store.create(r);
        const err = await store.create({ ...r }).then(
          () => assert.fail('a duplicate create must reject'),
          (e: unknown) => e,
        );
        typed(err, 'SESSION_CONFLICT', 'duplicate create', [r.id]);
        assert.equal((err as TesseraError).status, 409);
      },
    );

    c(
      'errors/unavailable-is-typed',
      "backend gone: every operation rejects with a TesseraError 'STORE_UNAVAILABLE' (never a driver error, never a hang)",
      async (store, under) => {
        assert.ok(
          under.cutOff,
          'the factory must provide cutOff() (or skip this case with a reason: nothing to lose)',
        );
        const r = sampleRecord({ userId: 'alice' });
        const other = sampleRecord({ userId: 'alice' });
        await store.create(r);
        await store.create(other);
        await under.cutOff();
        const next = sampleRecord({ family: r.family, version: 2, userId: 'alice' });
        const t = sampleTemplate();
        const ops: Array<[string, () => Promise<unknown>]> = [
          ['create', () => store.create(sampleRecord())],
          ['get (unknown id)', () => store.get(randomSessionId())],
          ['update', () => store.update({ ...r, data: null, version: 2 }, 1)],
          ['touch', () => store.touch(r.id, { lastSeenAt: 1, idleExpiresAt: r.idleExpiresAt, lastIp: null })],
          ['rotate', () => store.rotate(r.id, 1, next, sampleTombstone(r, 'rotated-renewal'))],
          ['delete', () => store.delete(other.id, sampleTombstone(other))],
          ['getTombstone', () => store.getTombstone(r.id)],
          ['listByUser', () => store.listByUser('alice')],
          ['deleteByUser', () => store.deleteByUser('alice', t)],
          ['deleteFamily', () => store.deleteFamily(r.family, t)],
        ];
        if (store.search) ops.push(['search', () => store.search!({ now: Date.now(), limit: 10 })]);
        if (store.countLive) ops.push(['countLive', () => store.countLive!(Date.now())]);
        if (store.listByFederated)
          ops.push(['listByFederated', () => store.listByFederated!('https://idp.example', { sub: 'x' })]);
        // All at once: a store that waits out its own timeout does so once, not per operation.
        const settled = await Promise.all(
          ops.map(([what, op]) =>
            op().then(
              (value) => ({ what, rejected: false as const, value }),
              (err: unknown) => ({ what, rejected: true as const, err }),
            ),
          ),
        );
        for (const o of settled) {
          if (!o.rejected) assert.fail(`${o.what} answered ${JSON.stringify(o.value)} with its backend gone`);
          typed(o.err, 'STORE_UNAVAILABLE', o.what, [r.id, other.id]);
        }
        if (store.getSync) {
          assert.throws(
            () => store.getSync!(randomSessionId()),
            (err: unknown) => {
              typed(err, 'STORE_UNAVAILABLE', 'getSync', []);
              return true;
            },
          );
        }
        // Expiry may be the backend's own business (Redis TTL): sweep may resolve, but never with a driver error.
        await store
          .sweep(Date.now(), 10)
          .catch((err: unknown) => typed(err, 'STORE_UNAVAILABLE', 'sweep', []));
      },
    );

    c('create/concurrent-duplicate', 'concurrent creates of one id: exactly one succeeds', async (store) => {
      const id = randomSessionId();
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) => store.create(sampleRecord({ id, family: id, userId: `u${i}` }))),
      );
      const ok = results.filter((r) => r.status === 'fulfilled');
      assert.equal(ok.length, 1);
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof DuplicateSessionError, String(r.reason));
      }
      const winner = results.findIndex((r) => r.status === 'fulfilled');
      assert.equal((await store.get(id))?.userId, `u${winner}`);
    });

    c('get/missing-is-null', 'get of an unknown id is null', async (store) => {
      assert.equal(await store.get(randomSessionId()), null);
    });

    c(
      'get/sync-agrees',
      'getSync, where a store offers it, answers exactly as get after every kind of write',
      async (store) => {
        if (!store.getSync) return;
        const getSync = store.getSync.bind(store);
        const r = sampleRecord({ userId: 'sync-user' });
        assert.equal(getSync(r.id), null);
        await store.create(r);
        assert.deepEqual(plain(getSync(r.id)), plain(r));
        const next = { ...r, authLevel: 2, version: r.version + 1 };
        assert.equal(await store.update(next, r.version), true);
        assert.deepEqual(plain(getSync(r.id)), plain(await store.get(r.id)));
        assert.equal(getSync(r.id)?.authLevel, 2);
        assert.equal(
          await store.touch(r.id, { lastSeenAt: 5, idleExpiresAt: r.idleExpiresAt, lastIp: '192.0.2.9' }),
          true,
        );
        assert.equal(getSync(r.id)?.device.lastIp, '192.0.2.9');
        assert.deepEqual(plain(getSync(r.id)), plain(await store.get(r.id)));
        await store.delete(r.id, sampleTombstone(r));
        assert.equal(getSync(r.id), null);
      },
    );

    c(
      'get/peek-agrees',
      'peekSync, where a store offers it, answers undefined or exactly as get, and never a record that was written over or deleted',
      async (store) => {
        if (!store.peekSync) return;
        const peek = store.peekSync.bind(store);
        const agrees = async (id: string) => {
          const seen = peek(id);
          if (seen !== undefined) assert.deepEqual(plain(seen), plain(await store.get(id)));
        };
        const r = sampleRecord({ userId: 'peek-user' });
        await agrees(r.id);
        await store.create(r);
        await store.get(r.id); // a cache may fill here
        await agrees(r.id);
        const next = { ...r, authLevel: 2, version: r.version + 1 };
        assert.equal(await store.update(next, r.version), true);
        assert.notEqual(peek(r.id)?.authLevel, 1, 'peekSync answered the record as it was before the update');
        await store.get(r.id);
        await agrees(r.id);
        assert.equal(
          await store.touch(r.id, { lastSeenAt: 5, idleExpiresAt: r.idleExpiresAt, lastIp: '192.0.2.9' }),
          true,
        );
        const touched = peek(r.id);
        if (touched !== undefined) assert.equal(touched?.device.lastIp, '192.0.2.9');
        await store.get(r.id);
        await store.delete(r.id, sampleTombstone(r));
        const gone = peek(r.id);
        assert.ok(gone === undefined || gone === null, 'peekSync answered a deleted record');
        await agrees(r.id);
      },
    );

    c(
      'get/records-are-values',
      'changing the object passed to create does not change the stored record',
      async (store) => {
        const r = sampleRecord();
        const copy = plain(r);
        const mutable = plain(r) as { -readonly [K in keyof SessionRecord]: SessionRecord[K] };
        await store.create(mutable);
        mutable.userId = 'mallory';
        mutable.version = 42;
        (mutable.device as { lastIp: string | null }).lastIp = '198.51.100.1';
        assert.deepEqual(plain(await store.get(r.id)), copy);
      },
    );

    // ------------------------------------------------------------------ update
    c('update/right-version', 'update with the stored version replaces the record', async (store) => {
      const r = sampleRecord({ version: 3 });
      await store.create(r);
      const next = { ...r, data: 'v1.k1.BBBB.changed', authLevel: 3, version: 4 };
      assert.equal(await store.update(next, 3), true);
      assert.deepEqual(plain(await store.get(r.id)), plain(next));
    });

    c(
      'update/wrong-version',
      'update with another version returns false and changes nothing',
      async (store) => {
        const r = sampleRecord({ version: 3 });
        await store.create(r);
        assert.equal(await store.update({ ...r, data: 'stale', version: 3 }, 2), false);
        assert.equal(await store.update({ ...r, data: 'future', version: 5 }, 4), false);
        assert.deepEqual(plain(await store.get(r.id)), plain(r));
      },
    );

    c(
      'update/never-resurrects',
      'update of a deleted or never-created id returns false and creates nothing',
      async (store) => {
        const r = sampleRecord();
        await store.create(r);
        assert.equal(await store.delete(r.id, sampleTombstone(r)), true);
        assert.equal(await store.update({ ...r, version: 2 }, 1), false);
        assert.equal(await store.get(r.id), null);
        const ghost = sampleRecord();
        assert.equal(await store.update({ ...ghost, version: 2 }, 1), false);
        assert.equal(await store.get(ghost.id), null);
        assert.deepEqual(await store.listByUser(r.userId!), []);
      },
    );

    c(
      'update/changes-user-index',
      'an update that sets userId moves the record between users',
      async (store) => {
        const r = sampleRecord({ userId: null });
        await store.create(r);
        assert.equal(await store.update({ ...r, userId: 'alice', version: 2 }, 1), true);
        assert.deepEqual(
          (await store.listByUser('alice')).map((x) => x.id),
          [r.id],
        );
        assert.equal(await store.update({ ...r, userId: 'bob', version: 3 }, 2), true);
        assert.deepEqual(await store.listByUser('alice'), []);
        assert.deepEqual(
          (await store.listByUser('bob')).map((x) => x.id),
          [r.id],
        );
      },
    );

    c(
      'update/concurrent-one-wins',
      'concurrent updates from one version: exactly one wins, its write is kept',
      async (store) => {
        const r = sampleRecord({ version: 1 });
        await store.create(r);
        const attempts = Array.from({ length: 10 }, (_, i) => ({ ...r, data: `writer-${i}`, version: 2 }));
        const results = await Promise.all(attempts.map((next) => store.update(next, 1)));
        assert.equal(results.filter(Boolean).length, 1, `winners: ${results}`);
        const winner = results.indexOf(true);
        const got = await store.get(r.id);
        assert.equal(got?.data, `writer-${winner}`);
        assert.equal(got?.version, 2);
      },
    );

    // ------------------------------------------------------------------ touch
    c('touch/no-version-change', 'touch sets lastSeenAt, idleExpiresAt and lastIp only', async (store) => {
      const r = sampleRecord({ version: 5 });
      await store.create(r);
      const patch = {
        lastSeenAt: r.lastSeenAt + 60_000,
        idleExpiresAt: r.idleExpiresAt + 60_000,
        lastIp: '198.51.100.23',
      };
      assert.equal(await store.touch(r.id, patch), true);
      const got = await store.get(r.id);
      assert.deepEqual(
        plain(got),
        plain({
          ...r,
          lastSeenAt: patch.lastSeenAt,
          idleExpiresAt: patch.idleExpiresAt,
          device: { ...r.device, lastIp: patch.lastIp },
        }),
      );
      assert.equal(await store.touch(r.id, { ...patch, lastIp: null }), true);
      assert.equal((await store.get(r.id))?.device.lastIp, null);
      assert.equal((await store.get(r.id))?.version, 5);
    });

    c('touch/missing-is-false', 'touch of an unknown id returns false and creates nothing', async (store) => {
      const id = randomSessionId();
      const now = Date.now();
      assert.equal(
        await store.touch(id, { lastSeenAt: now, idleExpiresAt: now + HOUR, lastIp: null }),
        false,
      );
      assert.equal(await store.get(id), null);
    });

    c('touch/never-resurrects', 'touch after delete returns false; the record stays gone', async (store) => {
      const r = sampleRecord();
      await store.create(r);
      await store.delete(r.id, sampleTombstone(r));
      assert.equal(
        await store.touch(r.id, { lastSeenAt: Date.now(), idleExpiresAt: Date.now() + HOUR, lastIp: null }),
        false,
      );
      assert.equal(await store.get(r.id), null);
      assert.deepEqual(await store.listByUser(r.userId!), []);
    });

    c(
      'touch/then-update-conflicts-not',
      'a touch between read and update does not make the update fail',
      async (store) => {
        const r = sampleRecord({ version: 1 });
        await store.create(r);
        const read = await store.get(r.id);
        assert.ok(read);
        await store.touch(r.id, {
          lastSeenAt: r.lastSeenAt + 1,
          idleExpiresAt: r.idleExpiresAt + 1,
          lastIp: null,
        });
        assert.equal(await store.update({ ...read, data: 'after-touch', version: 2 }, 1), true);
        assert.equal((await store.get(r.id))?.data, 'after-touch');
      },
    );

    // ------------------------------------------------------------------ rotate
    c(
      'rotate/atomic',
      'rotate deletes the old id, writes its tombstone and creates the successor',
      async (store) => {
        const old = sampleRecord({ version: 4 });
        await store.create(old);
        const next = sampleRecord({ family: old.family, version: 5 });
        const tomb = sampleTombstone(old, 'rotated-renewal', { successorId: next.id });
        assert.equal(await store.rotate(old.id, 4, next, tomb), true);
        assert.equal(await store.get(old.id), null);
        assert.deepEqual(plain(await store.getTombstone(old.id)), plain(tomb));
        assert.deepEqual(plain(await store.get(next.id)), plain(next));
        assert.deepEqual(
          (await store.listByUser(old.userId!)).map((x) => x.id),
          [next.id],
        );
      },
    );

    c(
      'rotate/wrong-version-changes-nothing',
      'rotate with a stale version returns false and changes nothing',
      async (store) => {
        const old = sampleRecord({ version: 4 });
        await store.create(old);
        const next = sampleRecord({ family: old.family, version: 4 });
        assert.equal(
          await store.rotate(
            old.id,
            3,
            next,
            sampleTombstone(old, 'rotated-login', { successorId: next.id }),
          ),
          false,
        );
        assert.deepEqual(plain(await store.get(old.id)), plain(old));
        assert.equal(await store.get(next.id), null);
        assert.equal(await store.getTombstone(old.id), null);
      },
    );

    c(
      'rotate/missing-changes-nothing',
      'rotate of a deleted id returns false and creates no successor',
      async (store) => {
        const old = sampleRecord();
        await store.create(old);
        const logout = sampleTombstone(old, 'logout');
        await store.delete(old.id, logout);
        const next = sampleRecord({ family: old.family, version: 2 });
        assert.equal(
          await store.rotate(
            old.id,
            1,
            next,
            sampleTombstone(old, 'rotated-renewal', { successorId: next.id }),
          ),
          false,
        );
        assert.equal(await store.get(next.id), null);
        assert.equal(await store.get(old.id), null);
        assert.deepEqual(
          plain(await store.getTombstone(old.id)),
          plain(logout),
          'the logout tombstone is not overwritten',
        );
      },
    );

    c(
      'rotate/next-exists-changes-nothing',
      'rotate onto an existing id returns false and changes nothing',
      async (store) => {
        const old = sampleRecord({ userId: 'alice' });
        const other = sampleRecord({ userId: 'bob' });
        await store.create(old);
        await store.create(other);
        const next = { ...sampleRecord({ family: old.family, version: 2, userId: 'alice' }), id: other.id };
        const rejected = await store
          .rotate(old.id, 1, next, sampleTombstone(old, 'rotated-renewal', { successorId: other.id }))
          .catch((err: unknown) => err);
        assert.ok(rejected === false || rejected instanceof DuplicateSessionError, `got ${String(rejected)}`);
        assert.deepEqual(plain(await store.get(old.id)), plain(old));
        assert.deepEqual(plain(await store.get(other.id)), plain(other));
        assert.equal(await store.getTombstone(old.id), null);
      },
    );

    c('rotate/concurrent-one-wins', 'concurrent rotations of one record: exactly one wins', async (store) => {
      const old = sampleRecord();
      await store.create(old);
      const nexts = Array.from({ length: 6 }, () => sampleRecord({ family: old.family, version: 2 }));
      const results = await Promise.all(
        nexts.map((n) =>
          store.rotate(old.id, 1, n, sampleTombstone(old, 'rotated-renewal', { successorId: n.id })),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      const winner = nexts[results.indexOf(true)]!;
      for (const n of nexts) {
        assert.equal((await store.get(n.id)) !== null, n === winner, 'only the winning successor exists');
      }
      assert.equal((await store.getTombstone(old.id))?.successorId, winner.id);
    });

    // ------------------------------------------------------------------ delete / tombstones
    c('delete/writes-tombstone', 'delete removes the record and stores its tombstone', async (store) => {
      const r = sampleRecord();
      await store.create(r);
      const tomb = sampleTombstone(r, 'revoked');
      assert.equal(await store.delete(r.id, tomb), true);
      assert.equal(await store.get(r.id), null);
      assert.deepEqual(plain(await store.getTombstone(r.id)), plain(tomb));
      assert.deepEqual(await store.listByUser(r.userId!), []);
      assert.equal(await store.delete(r.id, tomb), false, 'a second delete finds nothing');
    });

    c(
      'delete/missing-still-tombstones',
      'delete of an unknown id returns false but writes the tombstone',
      async (store) => {
        const r = sampleRecord();
        const tomb = sampleTombstone(r, 'expired');
        assert.equal(await store.delete(r.id, tomb), false);
        assert.deepEqual(plain(await store.getTombstone(r.id)), plain(tomb));
      },
    );

    c(
      'delete/replaces-tombstone',
      'delete of an already tombstoned id replaces its tombstone (the engine re-marks a replayed token as reuse)',
      async (store) => {
        const r = sampleRecord();
        await store.create(r);
        await store.delete(r.id, sampleTombstone(r, 'rotated-renewal', { successorId: randomSessionId() }));
        const again = sampleTombstone(r, 'reuse');
        assert.equal(await store.delete(r.id, again), false);
        assert.deepEqual(plain(await store.getTombstone(r.id)), plain(again));
      },
    );

    c(
      'records/optional-fields',
      'optional fields round-trip: tokenSeenAt (null or a time), binding.uaBrowser, a tombstone’s tokenSeenAt',
      async (store) => {
        const pending = sampleRecord({ tokenSeenAt: null });
        const seen = sampleRecord({
          tokenSeenAt: Date.now(),
          binding: { uaHash: null, uaFamily: 'fam1', uaBrowser: 'brw1', ipPrefix: null },
        });
        for (const r of [pending, seen]) {
          await store.create(r);
          assert.deepEqual(plain(await store.get(r.id)), plain(r));
        }
        const tomb = sampleTombstone(pending, 'rotated-renewal', { tokenSeenAt: null, successorId: seen.id });
        await store.delete(pending.id, tomb);
        assert.deepEqual(plain(await store.getTombstone(pending.id)), plain(tomb));
      },
    );

    c('tombstone/missing-is-null', 'getTombstone of a live or unknown id is null', async (store) => {
      const r = sampleRecord();
      await store.create(r);
      assert.equal(await store.getTombstone(r.id), null);
      assert.equal(await store.getTombstone(randomSessionId()), null);
    });

    // ------------------------------------------------------------------ by user / family
    c('listByUser/only-that-user', 'listByUser returns exactly the user’s records', async (store) => {
      const a = [
        sampleRecord({ userId: 'alice' }),
        sampleRecord({ userId: 'alice' }),
        sampleRecord({ userId: 'alice' }),
      ];
      const b = [sampleRecord({ userId: 'bob' })];
      const anon = [sampleRecord({ userId: null })];
      for (const r of [...a, ...b, ...anon]) await store.create(r);
      assert.deepEqual(plain((await store.listByUser('alice')).sort(byId)), plain([...a].sort(byId)));
      assert.deepEqual(plain(await store.listByUser('bob')), plain(b));
      assert.deepEqual(await store.listByUser('carol'), []);
    });

    // ------------------------------------------------------------------ optional record fields
    c(
      'optional-fields/round-trip',
      'federated and deviceBinding survive create, touch, update and rotate, field for field',
      async (store) => {
        const r = sampleRecord({
          federated: { iss: 'https://idp.example/realms/shop', sub: 'sub-1', sid: 'sid-1' },
          deviceBinding: {
            id: 'dbsc-1',
            alg: 'ES256',
            jwk: { kty: 'EC', crv: 'P-256', x: 'x-coordinate', y: 'y-coordinate' },
            boundAt: Date.now(),
            secret: randomBytes(32).toString('base64url'),
            challenge: null,
            challengeExpiresAt: 0,
          },
        });
        await store.create(r);
        assert.deepEqual(plain(await store.get(r.id)), plain(r));
        const next = {
          ...r,
          deviceBinding: { ...r.deviceBinding!, challenge: 'c-hash', challengeExpiresAt: Date.now() + HOUR },
          version: 2,
        };
        assert.equal(await store.update(next, 1), true);
        assert.deepEqual(plain(await store.get(r.id)), plain(next));
        const rotated = { ...next, id: randomSessionId(), version: 3 };
        assert.equal(await store.rotate(r.id, 2, rotated, sampleTombstone(r, 'rotated-renewal')), true);
        assert.deepEqual(plain(await store.get(rotated.id)), plain(rotated));
        // A touch rewrites only lastSeenAt, idleExpiresAt and lastIp; the optional fields stay.
        const now = Date.now();
        assert.equal(
          await store.touch(rotated.id, {
            lastSeenAt: now,
            idleExpiresAt: now + HOUR,
            lastIp: '198.51.100.4',
          }),
          true,
        );
        const touched = {
          ...rotated,
          lastSeenAt: now,
          idleExpiresAt: now + HOUR,
          device: { ...rotated.device, lastIp: '198.51.100.4' },
        };
        assert.deepEqual(plain(await store.get(rotated.id)), plain(touched));
        // The other shapes: an RSA key, a provider without sid; then both cleared by an update.
        const rsa = {
          ...touched,
          federated: { iss: 'https://login.example.com', sub: 'sub-2', sid: null },
          deviceBinding: {
            id: 'dbsc-2',
            alg: 'RS256' as const,
            jwk: { kty: 'RSA', n: 'modulus-base64url', e: 'AQAB' },
            boundAt: now,
            secret: randomBytes(32).toString('base64url'),
            challenge: 'another-hash',
            challengeExpiresAt: now + 60_000,
          },
          version: 4,
        };
        assert.equal(await store.update(rsa, 3), true);
        assert.deepEqual(plain(await store.get(rotated.id)), plain(rsa));
        const cleared = { ...rsa, federated: null, deviceBinding: null, version: 5 };
        assert.equal(await store.update(cleared, 4), true);
        const back5 = await store.get(rotated.id);
        assert.ok(back5 && (back5.federated ?? null) === null && (back5.deviceBinding ?? null) === null);
        assert.deepEqual(plain({ ...back5, federated: null, deviceBinding: null }), plain(cleared));
        const plainOne = sampleRecord();
        await store.create(plainOne);
        const back = await store.get(plainOne.id);
        assert.ok(back && (back.federated ?? null) === null && (back.deviceBinding ?? null) === null);
      },
    );

    const federatedStore = (store: Store) => {
      assert.equal(
        typeof store.listByFederated,
        'function',
        'listByFederated is needed for back-channel logout (skip these cases with a reason if not offered)',
      );
      return store as Store & Required<Pick<Store, 'listByFederated'>>;
    };
    const ISS = 'https://idp.example/realms/shop';
    c('listByFederated/by-sid', 'listByFederated finds exactly the records of (iss, sid)', async (s) => {
      const store = federatedStore(s);
      const mine = [
        sampleRecord({ federated: { iss: ISS, sub: 'alice', sid: 'S1' } }),
        sampleRecord({ federated: { iss: ISS, sub: 'alice', sid: 'S1' } }),
      ];
      const others = [
        sampleRecord({ federated: { iss: ISS, sub: 'alice', sid: 'S2' } }),
        sampleRecord({ federated: { iss: 'https://other.example', sub: 'alice', sid: 'S1' } }),
        sampleRecord({ federated: { iss: ISS, sub: 'S1', sid: null } }),
        sampleRecord(),
      ];
      for (const r of [...mine, ...others]) await store.create(r);
      const found = await store.listByFederated(ISS, { sid: 'S1' });
      assert.deepEqual(plain([...found].sort(byId)), plain([...mine].sort(byId)));
      assert.deepEqual(await store.listByFederated(ISS, { sid: 'nope' }), []);
      assert.deepEqual(await store.listByFederated(`${ISS}/`, { sid: 'S1' }), [], 'issuers compare exactly');
      // Any characters: braces (Redis Cluster hash tags), quotes, separators, non-ASCII.
      const odd = sampleRecord({
        federated: { iss: 'https://idp.example/{realm}"x"', sub: 'ä:{1}', sid: "s 1\n';--" },
      });
      await store.create(odd);
      assert.deepEqual(
        (await store.listByFederated('https://idp.example/{realm}"x"', { sid: "s 1\n';--" })).map(
          (r) => r.id,
        ),
        [odd.id],
      );
      assert.deepEqual(
        (await store.listByFederated('https://idp.example/{realm}"x"', { sub: 'ä:{1}' })).map((r) => r.id),
        [odd.id],
      );
    });

    c('listByFederated/by-sub', 'listByFederated finds every record of (iss, sub)', async (s) => {
      const store = federatedStore(s);
      const mine = [
        sampleRecord({ federated: { iss: ISS, sub: 'alice', sid: 'S1' } }),
        sampleRecord({ federated: { iss: ISS, sub: 'alice', sid: null } }),
      ];
      const others = [
        sampleRecord({ federated: { iss: ISS, sub: 'bob', sid: 'alice' } }),
        sampleRecord({ federated: { iss: 'https://other.example', sub: 'alice', sid: null } }),
        sampleRecord({ userId: 'alice' }),
      ];
      for (const r of [...mine, ...others]) await store.create(r);
      const found = await store.listByFederated(ISS, { sub: 'alice' });
      assert.deepEqual(plain([...found].sort(byId)), plain([...mine].sort(byId)));
    });

    c(
      'listByFederated/follows-writes',
      'the (iss, sid) index follows rotate, update, delete, deleteByUser and deleteFamily',
      async (s) => {
        const store = federatedStore(s);
        const fed = { iss: ISS, sub: 'alice', sid: 'S9' };
        const ids = async () => (await store.listByFederated(ISS, { sid: 'S9' })).map((r) => r.id).sort();
        const a = sampleRecord({ federated: fed });
        await store.create(a);
        const a2 = { ...a, id: randomSessionId(), version: 2 };
        assert.equal(await store.rotate(a.id, 1, a2, sampleTombstone(a, 'rotated-renewal')), true);
        assert.deepEqual(await ids(), [a2.id], 'rotation moves the entry to the successor');
        assert.equal(await store.update({ ...a2, federated: null, version: 3 }, 2), true);
        assert.deepEqual(await ids(), [], 'an update that clears the identity removes the entry');
        assert.equal(await store.update({ ...a2, federated: fed, version: 4 }, 3), true);
        assert.deepEqual(await ids(), [a2.id]);
        await store.delete(a2.id, sampleTombstone(a2, 'logout'));
        assert.deepEqual(await ids(), [], 'delete removes the entry');
        const b = sampleRecord({ userId: 'bob', federated: fed });
        const c2 = sampleRecord({ federated: fed });
        await store.create(b);
        await store.create(c2);
        await store.deleteByUser('bob', sampleTemplate('revoked-all'));
        assert.deepEqual(await ids(), [c2.id]);
        await store.deleteFamily(c2.family, sampleTemplate('reuse'));
        assert.deepEqual(await ids(), []);
        assert.deepEqual(await store.listByFederated(ISS, { sub: 'alice' }), []);
      },
    );

    c(
      'listByFederated/concurrent-updates',
      'racing updates that change the identity: the index names exactly what the winner wrote, once',
      async (s) => {
        const store = federatedStore(s);
        const x = { iss: ISS, sub: 'alice', sid: 'SX' };
        const y = { iss: ISS, sub: 'bob', sid: 'SY' };
        const list = async (by: { sid: string } | { sub: string }) =>
          (await store.listByFederated(ISS, by)).map((r) => r.id);
        let cur = sampleRecord({ federated: x });
        await store.create(cur);
        for (let round = 0; round < 12; round++) {
          // Several writers from the same version, half moving it to x, half to y: one wins.
          const attempts = Array.from({ length: 4 }, (_, i) => ({
            ...cur,
            federated: (i + round) % 2 === 0 ? x : y,
            data: `writer-${i}`,
            version: cur.version + 1,
          }));
          const wins = await Promise.all(attempts.map((a) => store.update(a, cur.version)));
          assert.equal(wins.filter(Boolean).length, 1, 'exactly one compare-and-set wins');
          cur = (await store.get(cur.id))!;
          const onX = cur.federated?.sid === 'SX';
          assert.deepEqual(await list({ sid: 'SX' }), onX ? [cur.id] : [], `round ${round}: sid SX`);
          assert.deepEqual(await list({ sid: 'SY' }), onX ? [] : [cur.id], `round ${round}: sid SY`);
          assert.deepEqual(await list({ sub: 'alice' }), onX ? [cur.id] : [], `round ${round}: sub alice`);
          assert.deepEqual(await list({ sub: 'bob' }), onX ? [] : [cur.id], `round ${round}: sub bob`);
        }
        // Back and forth in sequence, with touches between: still exactly one entry, never two.
        for (let i = 0; i < 10; i++) {
          const next = { ...cur, federated: i % 2 === 0 ? x : y, version: cur.version + 1 };
          assert.equal(await store.update(next, cur.version), true);
          const now = Date.now();
          await store.touch(cur.id, { lastSeenAt: now, idleExpiresAt: now + HOUR, lastIp: null });
          cur = next;
        }
        assert.deepEqual(await list({ sid: 'SY' }), [cur.id]);
        assert.deepEqual(await list({ sid: 'SX' }), []);
      },
    );

    c('deleteByUser/all', 'deleteByUser removes every record of the user with tombstones', async (store) => {
      const now = Date.now();
      const a = [
        sampleRecord({ userId: 'alice' }),
        // The tombstone's deadline follows the record's absolute deadline when that is later.
        sampleRecord({ userId: 'alice', absoluteExpiresAt: now + 3 * HOUR }),
      ];
      const b = sampleRecord({ userId: 'bob' });
      for (const r of [...a, b]) await store.create(r);
      const template = sampleTemplate('revoked-all');
      const ids = await store.deleteByUser('alice', template);
      assert.deepEqual([...ids].sort(), a.map((r) => r.id).sort());
      for (const r of a) {
        assert.equal(await store.get(r.id), null);
        assert.deepEqual(
          plain(await store.getTombstone(r.id)),
          plain(tombstoneFromTemplate(r, template)),
          'the tombstone is made from the template and the deleted record',
        );
      }
      assert.equal((await store.getTombstone(a[1]!.id))?.expiresAt, now + 3 * HOUR + 60_000);
      assert.deepEqual(await store.listByUser('alice'), []);
      assert.ok(await store.get(b.id), 'other users keep their sessions');
      assert.equal(await store.getTombstone(b.id), null);
      assert.deepEqual(await store.deleteByUser('nobody', sampleTemplate()), []);
    });

    c('deleteByUser/except', 'deleteByUser keeps the excepted record', async (store) => {
      const a = [
        sampleRecord({ userId: 'alice' }),
        sampleRecord({ userId: 'alice' }),
        sampleRecord({ userId: 'alice' }),
      ];
      for (const r of a) await store.create(r);
      const keep = a[1]!;
      const ids = await store.deleteByUser('alice', sampleTemplate('revoked-all'), keep.id);
      assert.deepEqual(
        [...ids].sort(),
        a
          .filter((r) => r !== keep)
          .map((r) => r.id)
          .sort(),
      );
      assert.deepEqual(plain(await store.get(keep.id)), plain(keep));
      assert.equal(await store.getTombstone(keep.id), null);
      assert.deepEqual(
        (await store.listByUser('alice')).map((r) => r.id),
        [keep.id],
      );
    });

    c(
      'deleteFamily/whole-chain',
      'deleteFamily removes every record of the family with tombstones, nothing else',
      async (store) => {
        const head = sampleRecord({ userId: 'alice' });
        const sibling = sampleRecord({ userId: 'alice', family: head.family });
        const anonSibling = sampleRecord({ userId: null, family: head.family });
        const stranger = sampleRecord({ userId: 'alice' });
        for (const r of [head, sibling, anonSibling, stranger]) await store.create(r);
        const template = sampleTemplate('reuse');
        const ids = await store.deleteFamily(head.family, template);
        assert.deepEqual([...ids].sort(), [head.id, sibling.id, anonSibling.id].sort());
        for (const r of [head, sibling, anonSibling]) {
          assert.equal(await store.get(r.id), null);
          assert.deepEqual(plain(await store.getTombstone(r.id)), plain(tombstoneFromTemplate(r, template)));
        }
        assert.equal(await store.getTombstone(stranger.id), null);
        assert.deepEqual(plain(await store.get(stranger.id)), plain(stranger));
        assert.deepEqual(
          (await store.listByUser('alice')).map((r) => r.id),
          [stranger.id],
        );
      },
    );

    // ------------------------------------------------------------------ sweep
    const seedExpiry = async (store: Store) => {
      const now = Date.now();
      const expired = [
        ...Array.from({ length: 12 }, () => sampleRecord({ idleExpiresAt: now - HOUR })),
        ...Array.from({ length: 6 }, () =>
          sampleRecord({ idleExpiresAt: now + HOUR, absoluteExpiresAt: now - HOUR }),
        ),
      ];
      const liveRecords = [
        sampleRecord({ idleExpiresAt: now + HOUR }),
        sampleRecord({ idleExpiresAt: now + 60_000, absoluteExpiresAt: now + HOUR }),
        sampleRecord({ userId: null, idleExpiresAt: now + HOUR }),
      ];
      for (const r of [...expired, ...liveRecords]) await store.create(r);
      const deadTombs = Array.from({ length: 7 }, () =>
        sampleTombstone(sampleRecord(), 'logout', { expiresAt: now - HOUR }),
      );
      const liveTombs = Array.from({ length: 3 }, () =>
        sampleTombstone(sampleRecord(), 'logout', { expiresAt: now + HOUR }),
      );
      for (const t of [...deadTombs, ...liveTombs]) await store.delete(t.id, t);
      return { now, expired, liveRecords, deadTombs, liveTombs };
    };
    const sweepAll = async (store: Store, now: number, limit: number) => {
      const batches: number[] = [];
      for (let i = 0; i < 100; i++) {
        const n = await store.sweep(now, limit);
        batches.push(n);
        if (n === 0) break;
      }
      return batches;
    };

    c('sweep/removes-expired', 'repeated sweeps remove every expired record and tombstone', async (store) => {
      const s = await seedExpiry(store);
      const batches = await sweepAll(store, s.now, 5);
      for (const r of s.expired) assert.equal(await store.get(r.id), null, 'expired record swept');
      for (const t of s.deadTombs)
        assert.equal(await store.getTombstone(t.id), null, 'expired tombstone swept');
      assert.ok(
        batches.reduce((a, b) => a + b, 0) <= s.expired.length + s.deadTombs.length,
        `removed more than expired: ${batches}`,
      );
    });

    c(
      'listByFederated/follows-expiry',
      'once expired records are swept (or dropped by TTL), listByFederated no longer names them',
      async (s) => {
        const store = federatedStore(s);
        const now = Date.now();
        const fed = { iss: ISS, sub: 'carol', sid: 'SE' };
        const expired = [
          sampleRecord({ federated: fed, idleExpiresAt: now - HOUR }),
          sampleRecord({ federated: fed, idleExpiresAt: now + HOUR, absoluteExpiresAt: now - HOUR }),
        ];
        const live = sampleRecord({ federated: fed });
        for (const r of [...expired, live]) await store.create(r);
        await sweepAll(store, now, 1000);
        for (const by of [{ sid: 'SE' }, { sub: 'carol' }]) {
          const found = await store.listByFederated(ISS, by);
          assert.deepEqual(plain(found), plain([live]), `by ${JSON.stringify(by)}`);
        }
      },
    );

    c('sweep/keeps-live', 'sweep never removes a live record or tombstone', async (store) => {
      const s = await seedExpiry(store);
      await sweepAll(store, s.now, 1000);
      for (const r of s.liveRecords)
        assert.deepEqual(plain(await store.get(r.id)), plain(r), 'live record kept');
      for (const t of s.liveTombs)
        assert.deepEqual(plain(await store.getTombstone(t.id)), plain(t), 'live tombstone kept');
    });

    c(
      'sweep/bounded-batch',
      'sweep removes at most `limit` per call and reports exactly what it removed',
      async (store) => {
        const s = await seedExpiry(store);
        // A store whose backend drops expired keys itself (Redis TTL) may already have dropped
        // some; sweep then owes only what is still there.
        let present = 0;
        for (const r of s.expired) if ((await store.get(r.id)) !== null) present++;
        for (const t of s.deadTombs) if ((await store.getTombstone(t.id)) !== null) present++;
        const batches = await sweepAll(store, s.now, 4);
        assert.ok(
          batches.every((n) => n >= 0 && n <= 4),
          `batches ${batches}`,
        );
        if (present > 4) assert.equal(batches[0], 4, 'a full first batch when more than `limit` are expired');
        assert.equal(
          batches.reduce((a, b) => a + b, 0),
          present,
          'the counts add up to the expired entries that were still there',
        );
        assert.equal(await store.sweep(s.now, 4), 0);
        for (const r of s.expired) assert.equal(await store.get(r.id), null);
      },
    );

    // ------------------------------------------------------------------ concurrency / scale
    c(
      'concurrency/update-vs-delete',
      'an update racing a delete never brings the record back',
      async (store) => {
        for (let round = 0; round < 20; round++) {
          const r = sampleRecord();
          await store.create(r);
          const [, updated, touched] = await Promise.all([
            store.delete(r.id, sampleTombstone(r, 'logout')),
            store.update({ ...r, data: 'late-save', version: 2 }, 1),
            store.touch(r.id, { lastSeenAt: Date.now(), idleExpiresAt: Date.now() + HOUR, lastIp: null }),
          ]);
          void updated;
          void touched;
          assert.equal(await store.get(r.id), null, `round ${round}: record resurrected`);
          assert.equal((await store.getTombstone(r.id))?.reason, 'logout');
        }
      },
    );

    c(
      'scale/many-sessions',
      '1,000 sessions over 20 users: lists, deletes and gets stay exact',
      async (store) => {
        const users = Array.from({ length: 20 }, (_, i) => `user-${i}`);
        const records = Array.from({ length: 1000 }, (_, i) =>
          sampleRecord({ userId: users[i % users.length]! }),
        );
        await Promise.all(records.map((r) => store.create(r)));
        for (const u of users) assert.equal((await store.listByUser(u)).length, 50);
        const victim = users[3]!;
        const deleted = await store.deleteByUser(victim, sampleTemplate('revoked-all'));
        assert.equal(deleted.length, 50);
        assert.equal((await store.listByUser(victim)).length, 0);
        const gets = await Promise.all(records.map((r) => store.get(r.id)));
        gets.forEach((g, i) => {
          const r = records[i]!;
          if (r.userId === victim) assert.equal(g, null);
          else assert.equal(g?.id, r.id);
        });
      },
    );

    c(
      'search/optional',
      'search and count (optional methods): live records only, matched on user, address, browser or OS',
      async (store) => {
        if (!store.search || !store.countLive) return; // optional: stores that cannot search leave both out
        const now = Date.now();
        const a = sampleRecord({ userId: 'Alice', lastSeenAt: now - 100 });
        const b = sampleRecord({
          userId: 'bob',
          lastSeenAt: now - 50,
          device: { ...sampleRecord().device, browser: 'Chrome 130', lastIp: '198.51.100.23' },
        });
        const anon = sampleRecord({ userId: null, authenticatedAt: null, lastSeenAt: now - 10 });
        const dead = sampleRecord({ userId: 'alice-old', idleExpiresAt: now - HOUR });
        for (const r of [a, b, anon, dead]) await store.create(r);
        const ids = (rs: SessionRecord[]) => rs.map((r) => r.id);
        assert.deepEqual(ids(await store.search({ now, limit: 10 })), [anon.id, b.id, a.id]);
        assert.deepEqual(ids(await store.search({ now, limit: 10, authenticatedOnly: true })), [b.id, a.id]);
        assert.deepEqual(ids(await store.search({ now, limit: 10, text: 'aLiCe' })), [a.id]);
        assert.deepEqual(ids(await store.search({ now, limit: 10, text: '198.51.100' })), [b.id]);
        assert.deepEqual(ids(await store.search({ now, limit: 10, text: 'chrome' })), [b.id]);
        assert.deepEqual(ids(await store.search({ now, limit: 1 })), [anon.id]);
        assert.deepEqual(await store.search({ now, limit: 10, text: 'nobody' }), []);
        assert.deepEqual(await store.countLive(now), { live: 3, authenticated: 2 });
      },
    );
  });
}
