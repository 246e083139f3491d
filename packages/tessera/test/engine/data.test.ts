/**
 * Session data at rest: tampered and swapped envelopes, key rotation, compare-and-set under
 * concurrency, logout racing a save, and the size limit.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { envelopeKeyId } from '../../src/crypto/envelope.ts';
import type { Session } from '../../src/engine/session.ts';
import { SessionManager } from '../../src/engine/session-manager.ts';
import {
  SessionConflictError,
  SessionDataInvalidError,
  SessionDataTooLargeError,
  SessionRevokedError,
} from '../../src/errors.ts';
import type { SessionRecord } from '../../src/store/types.ts';
import { type Harness, harness, KEY_A, KEY_B, keys, STORE_KINDS } from '../helpers/engine.ts';

for (const kind of STORE_KINDS) {
  describe(`session data (${kind})`, () => {
    let h: Harness | undefined;
    afterEach(() => h?.close());

    /** Replaces a stored record's data behind the engine's back (an attacker with write access to the store). */
    const overwrite = async (id: string, change: (r: SessionRecord) => Partial<SessionRecord>) => {
      const r = await h!.store.inner.get(id);
      assert.ok(r);
      assert.equal(
        await h!.store.inner.update({ ...r, ...change(r), version: r.version + 1 }, r.version),
        true,
      );
    };
    const session = async (token: string): Promise<Session> => {
      const v = await h!.manager.validate(token);
      assert.ok(v.ok);
      return v.session;
    };

    test('data round-trips sealed: the store holds an envelope, never the plaintext', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      await h.manager.setData(u.session, { cart: ['secret-sku-42'], n: 1 });
      const raw = await h.store.inner.get(u.session.id);
      const sealed = raw?.data ?? '';
      assert.ok(sealed.startsWith('v1.ka.'), sealed);
      assert.ok(!sealed.includes('secret-sku'));
      assert.deepEqual(h.manager.readData(await session(u.token)), { cart: ['secret-sku-42'], n: 1 });
    });

    test('tampering: flipping any byte of the stored envelope is detected', async () => {
      h = harness(kind);
      const data = { role: 'user', cart: [1, 2, 3] };
      let u = await h.manager.create({}, data);
      let original = (await h.store.inner.get(u.session.id))!.data!;
      const positions = Array.from(original, (_, i) => i);
      // An envelope whose key id no longer names a key ends the session at validation ("no
      // session"); any other alteration is caught when the data is opened.
      const check = async (bad: string, what: string) => {
        await overwrite(u.session.id, () => ({ data: bad }));
        const v = await h!.manager.validate(u.token);
        if (!v.ok) {
          assert.equal(v.reason, 'unreadable', what);
          u = await h!.manager.create({}, data);
          original = (await h!.store.inner.get(u.session.id))!.data!;
          return;
        }
        assert.throws(() => h!.manager.readData(v.session), SessionDataInvalidError, what);
        await assert.rejects(
          h!.manager.updateData(v.session, () => ({ role: 'admin' })),
          SessionDataInvalidError,
        );
      };
      for (const pos of positions) {
        const ch = original[pos]!;
        await check(
          original.slice(0, pos) + (ch === 'A' ? 'B' : 'A') + original.slice(pos + 1),
          `byte ${pos}`,
        );
      }
      for (const bad of [original.slice(0, -10), `${original}AAAA`, 'v1.ka..', 'garbage', ''])
        await check(bad, JSON.stringify(bad));
    });

    test('swapping: session A’s envelope copied into session B does not open', async () => {
      h = harness(kind);
      const a = await h.manager.login(null, 'admin-user');
      const b = await h.manager.login(null, 'mallory');
      await h.manager.setData(a.session, { role: 'admin' });
      await h.manager.setData(b.session, { role: 'user' });
      const aEnvelope = (await h.store.inner.get(a.session.id))!.data;
      await overwrite(b.session.id, () => ({ data: aEnvelope }));
      const sb = await session(b.token);
      assert.throws(
        () => h!.manager.readData(sb),
        (err: unknown) => err instanceof SessionDataInvalidError && err.code === 'SESSION_DATA_INVALID',
      );
      assert.deepEqual(h.manager.readData(await session(a.token)), { role: 'admin' });
    });

    test('rotation re-seals data for the new id (the old envelope is not reused)', async () => {
      h = harness(kind);
      const anon = await h.manager.create({}, { cart: ['x'] });
      const before = (await h.store.inner.get(anon.session.id))!.data;
      const u = await h.manager.login(anon.session, 'alice');
      const after = (await h.store.inner.get(u.session.id))!.data;
      assert.notEqual(after, before);
      assert.deepEqual(h.manager.readData(u.session), { cart: ['x'] });
      const noCarry = await h.manager.login((await h.manager.create({}, { cart: ['y'] })).session, 'bob', {
        carryData: false,
      });
      assert.equal(h.manager.readData(noCarry.session), undefined);
    });

    test('key rotation: old envelopes open with the old key second in the ring; new writes use the new key', async () => {
      h = harness(kind);
      const old = await h.manager.login(null, 'alice');
      await h.manager.setData(old.session, { v: 'sealed-with-ka' });
      assert.equal(envelopeKeyId((await h.store.inner.get(old.session.id))!.data!), 'ka');

      const rotated = new SessionManager({
        store: h.store,
        clock: h.clock,
        keys: keys(['kb', KEY_B], ['ka', KEY_A]),
        creationRateLimit: false,
        logger: { warn: () => {} },
      });
      const v = await rotated.validate(old.token);
      assert.ok(v.ok);
      assert.deepEqual(rotated.readData(v.session), { v: 'sealed-with-ka' });
      await rotated.updateData<{ v: string }>(v.session, (d) => ({ v: `${d?.v}+kb` }));
      assert.equal(envelopeKeyId((await h.store.inner.get(old.session.id))!.data!), 'kb');
      const fresh = await rotated.create({}, { n: 1 });
      assert.equal(envelopeKeyId((await h.store.inner.get(fresh.session.id))!.data!), 'kb');

      // Once the old key is retired, envelopes still sealed with it no longer open.
      const other = await h.manager.create({}, { still: 'ka' });
      const retired = new SessionManager({
        store: h.store,
        clock: h.clock,
        keys: keys(['kb', KEY_B]),
        creationRateLimit: false,
      });
      // Such a session is "no session" (ended), not an error on every request.
      assert.deepEqual(await retired.validate(other.token), { ok: false, reason: 'unreadable' });
      const nv = await retired.validate(old.token);
      assert.ok(nv.ok);
      assert.deepEqual(retired.readData(nv.session), { v: 'sealed-with-ka+kb' });
    });

    test('compare-and-set: 8 concurrent requests each appending an item lose nothing', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const s = await session(u.token);
          return h!.manager.updateData<number[]>(s, (items) => [...(items ?? []), i]);
        }),
      );
      const items = h.manager.readData<number[]>(await session(u.token));
      assert.deepEqual(
        [...(items ?? [])].sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7],
      );
    });

    test('compare-and-set under heavy contention: every call either lands or says SESSION_CONFLICT; nothing is lost or doubled', async () => {
      h = harness(kind);
      const u = await h.manager.login(null, 'alice');
      const stale = u.session;
      const results = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          h!.manager.updateData<number[]>(stale, (items) => [...(items ?? []), i]),
        ),
      );
      const landed = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
      for (const r of results) {
        if (r.status === 'rejected') assert.ok(r.reason instanceof SessionConflictError, String(r.reason));
      }
      const items = h.manager.readData<number[]>(await session(u.token)) ?? [];
      assert.deepEqual(
        [...items].sort((a, b) => a - b),
        landed,
      );
      assert.ok(landed.length >= 8);
    });

    test('logout racing updateData never resurrects the session', async () => {
      h = harness(kind);
      for (let round = 0; round < 10; round++) {
        const u = await h.manager.login(null, `user-${round}`);
        const s = await session(u.token);
        const ops: Array<Promise<unknown>> = [
          h.manager.updateData<number>(s, (n) => (n ?? 0) + 1),
          h.manager.logout(s),
          h.manager.updateData<number>(s, (n) => (n ?? 0) + 1),
        ];
        if (round % 2 === 1) ops.reverse();
        const results = await Promise.allSettled(ops);
        for (const r of results) {
          if (r.status === 'rejected') assert.ok(r.reason instanceof SessionRevokedError, String(r.reason));
        }
        assert.equal(await h.store.inner.get(s.id), null, `round ${round}`);
        assert.deepEqual(await h.manager.validate(u.token), { ok: false, reason: 'revoked' });
        assert.deepEqual(await h.manager.listForUser(`user-${round}`), []);
      }
      // A save that arrives after the logout (a slow request) is refused.
      const u = await h.manager.login(null, 'late');
      const s = await session(u.token);
      await h.manager.logout(s);
      await assert.rejects(h.manager.setData(s, { cart: [] }), SessionRevokedError);
      assert.equal(await h.store.inner.get(s.id), null);
    });

    test('size limit: SESSION_DATA_TOO_LARGE, nothing stored, the message has no data', async () => {
      h = harness(kind, { maxDataBytes: 512 });
      const u = await h.manager.login(null, 'alice');
      await h.manager.setData(u.session, { small: true });
      const big = { blob: 'SECRETDATA'.repeat(60) };
      await assert.rejects(h.manager.setData(await session(u.token), big), (err: unknown) => {
        assert.ok(err instanceof SessionDataTooLargeError);
        assert.equal(err.code, 'SESSION_DATA_TOO_LARGE');
        assert.equal(err.status, 413);
        assert.equal(err.limit, 512);
        assert.ok(err.size > 512);
        assert.ok(!err.message.includes('SECRETDATA'));
        return true;
      });
      assert.deepEqual(h.manager.readData(await session(u.token)), { small: true });
      h.store.reset();
      await assert.rejects(h.manager.create({}, big), SessionDataTooLargeError);
      assert.equal(h.store.count('create'), 0, 'no session is created with oversized data');
    });
  });
}
